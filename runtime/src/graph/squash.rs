//! Stage 7, apply (the revision graph): squash revisions (`replaces = [...]`): a shortcut beside the chain they replace while its files are present, the chain's stand-in once they are gone.

use std::collections::BTreeSet;

use super::{Direction, GraphError, RevisionGraph, Step};
use crate::script::Script;

/// The scripts split by what the squashes among them are: (the graph's nodes, the squashes
/// held beside their chains, and for each squash that stands in for a chain whose files are
/// gone: its id and the ids it replaced). Some replaced files present and some gone is an
/// error.
#[allow(clippy::type_complexity)]
pub(super) fn split(
    scripts: Vec<Script>,
) -> Result<(Vec<Script>, Vec<Script>, Vec<(String, Vec<String>)>), GraphError> {
    let ids: BTreeSet<String> = scripts.iter().map(|s| s.revision().to_string()).collect();
    let mut nodes = Vec::with_capacity(scripts.len());
    let mut beside = Vec::new();
    let mut standing = Vec::new();
    for s in scripts {
        let replaces = &s.header.replaces;
        if replaces.is_empty() {
            nodes.push(s);
            continue;
        }
        let present = replaces.iter().filter(|r| ids.contains(*r)).count();
        if present == replaces.len() {
            beside.push(s);
        } else if present == 0 {
            standing.push((s.revision().to_string(), replaces.clone()));
            nodes.push(s);
        } else {
            let missing: Vec<&str> = replaces
                .iter()
                .filter(|r| !ids.contains(*r))
                .map(String::as_str)
                .collect();
            return Err(GraphError::BadSquash {
                squash: s.revision().to_string(),
                file: s.path.clone(),
                why: format!(
                    "some of the revisions it replaces are gone ({}) and some are not; keep all \
                     of their files (databases inside the chain need them) or remove all",
                    missing.join(", ")
                ),
            });
        }
    }
    Ok((nodes, beside, standing))
}

impl RevisionGraph {
    /// Checks that each squash held beside its chain can stand for it: the replaced revisions
    /// form one line from the squash's parent, nothing else builds on the middle of it.
    pub(super) fn check_squashes(&self) -> Result<(), GraphError> {
        for s in &self.squashes {
            let bad = |why: String| GraphError::BadSquash {
                squash: s.revision().to_string(),
                file: s.path.clone(),
                why,
            };
            let mut parent: Vec<&str> = s.header.down_revision.iter().map(String::as_str).collect();
            let last = s.header.replaces.len() - 1;
            for (k, r) in s.header.replaces.iter().enumerate() {
                let parents = self.parents(r);
                if parents != parent {
                    return Err(bad(format!(
                        "`replaces` must list a chain in order, from the revision built on its \
                         own `down_revision`; {r} is built on {}",
                        if parents.is_empty() {
                            "base".to_string()
                        } else {
                            parents.join(", ")
                        }
                    )));
                }
                if k < last && self.children(r).len() != 1 {
                    return Err(bad(format!(
                        "{r} inside the replaced chain has other revisions built on it ({}); a \
                         squash replaces a single line",
                        self.children(r).join(", ")
                    )));
                }
                parent = vec![r.as_str()];
            }
        }
        Ok(())
    }

    /// `steps` (an upgrade) with each whole replaced chain run as its squash: one step from
    /// where the chain starts to its last revision.
    pub(super) fn with_shortcuts(&self, mut steps: Vec<Step>) -> Vec<Step> {
        for s in &self.squashes {
            let replaced = &s.header.replaces;
            let at: Vec<usize> = replaced
                .iter()
                .filter_map(|r| steps.iter().position(|st| &st.revision == r))
                .collect();
            if at.len() != replaced.len() {
                continue;
            }
            let (first, last) = (at[0], at[at.len() - 1]);
            let shortcut = Step {
                revision: s.revision().to_string(),
                direction: Direction::Up,
                from_heads: steps[first].from_heads.clone(),
                to_heads: steps[last].to_heads.clone(),
            };
            let taken: BTreeSet<usize> = at.iter().copied().collect();
            let mut out = Vec::with_capacity(steps.len() - at.len() + 1);
            for (i, st) in steps.into_iter().enumerate() {
                if i == first {
                    out.push(shortcut.clone());
                }
                if !taken.contains(&i) {
                    out.push(st);
                }
            }
            steps = out;
        }
        steps
    }
}
