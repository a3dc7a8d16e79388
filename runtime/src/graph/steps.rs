//! Stage 7, apply (the revision graph): the steps of upgrades, downgrades, stamps and history walks.

use std::collections::BTreeSet;

use super::{GraphError, RevisionGraph};
use crate::script::Script;

/// Which way a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Run the revision's `[[upgrade]]` ops.
    Up,
    /// Run the revision's `[[downgrade]]` ops.
    Down,
}

/// One revision to run, and how the version table changes once it has run.
///
/// The apply stage runs the revision's ops (upgrade or downgrade, per `direction`), then, in
/// the same transaction when the revision is transactional, deletes the rows `from_heads` and
/// inserts the rows `to_heads`. Both may be empty: applying a base revision or the second
/// child of a branch point only inserts; unapplying a base revision, or a revision whose
/// parent is still needed by another head, only deletes. When both hold exactly one row the
/// change is a plain `UPDATE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The revision to run.
    pub revision: String,
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// Version-table rows to delete after running it.
    pub from_heads: Vec<String>,
    /// Version-table rows to insert after running it.
    pub to_heads: Vec<String>,
}

impl RevisionGraph {
    /// The steps that bring the database from the `current` version-table rows up to
    /// `target` (see [`resolve`](Self::resolve)): every revision the target needs (its
    /// ancestors and dependencies) that is not applied yet, each after all its parents and
    /// dependencies. Nothing is ever unapplied: a target already applied gives no steps.
    pub fn upgrade_steps<S: AsRef<str>>(
        &self,
        current: &[S],
        target: &str,
    ) -> Result<Vec<Step>, GraphError> {
        let mut rows = self.current_rows(current)?;
        let applied = self.ancestors(&rows, true);
        let resolved = self.resolve_target(&applied, target)?;
        let needed = self.ancestors(&resolved.revs, true);
        let mut steps = Vec::new();
        for r in needed.difference(&applied).copied() {
            let from: Vec<usize> = self.up(r).filter(|p| rows.contains(p)).collect();
            for p in &from {
                rows.remove(p);
            }
            rows.insert(r);
            steps.push(Step {
                revision: self.id(r).to_string(),
                direction: Direction::Up,
                from_heads: self.id_list(from),
                to_heads: vec![self.id(r).to_string()],
            });
        }
        Ok(self.with_shortcuts(steps))
    }

    /// The steps that bring the database from the `current` rows down to `target`, newest
    /// first. The revisions unapplied are the applied ones built on the target (for `base`:
    /// all; for `<label>@base`: that whole branch; for a relative `-N`: only those between the
    /// start of the walk and where it ends), plus whatever depends on them. Other branches
    /// stay. The target itself must be applied.
    pub fn downgrade_steps<S: AsRef<str>>(
        &self,
        current: &[S],
        target: &str,
    ) -> Result<Vec<Step>, GraphError> {
        let t = target.trim();
        if t == "head" || t == "heads" || t.ends_with("@head") {
            return Err(GraphError::InvalidTarget {
                target: t.to_string(),
                why: "a downgrade goes back, and a head is the newest revision, so there is \
                      nothing to undo up to it; `downgrade -1` undoes the last revision, \
                      `downgrade base` all of them, and `upgrade` goes forward"
                    .into(),
            });
        }
        let mut rows = self.current_rows(current)?;
        let mut applied = self.ancestors(&rows, true);
        let resolved = self.resolve_target(&applied, target)?;
        let mut remove: BTreeSet<usize> = match &resolved.branch_base {
            Some(label) => self.label_nodes(label),
            None => {
                if let Some(&missing) = resolved.revs.iter().find(|r| !applied.contains(r)) {
                    return Err(GraphError::NotApplied {
                        target: target.trim().to_string(),
                        revision: self.id(missing).to_string(),
                    });
                }
                let mut remove = if resolved.revs.is_empty() {
                    applied.clone()
                } else {
                    // Built on the target through `down_revision`; what depends on those
                    // goes too (below), but a revision that only depends on the target stays.
                    self.descendants(&resolved.revs, false, false)
                };
                if let Some(scope) = &resolved.scope {
                    let within = self.ancestors(scope, true);
                    remove.retain(|r| within.contains(r));
                }
                remove
            }
        };
        remove.retain(|r| applied.contains(r));
        let mut remove = self.descendants(&remove, true, true);
        remove.retain(|r| applied.contains(r));
        let mut steps = Vec::new();
        for r in remove.iter().rev().copied() {
            applied.remove(&r);
            let from = if rows.remove(&r) { vec![r] } else { Vec::new() };
            let mut to = Vec::new();
            for p in self.up(r) {
                if !rows.contains(&p) && !self.down(p).any(|d| applied.contains(&d)) {
                    rows.insert(p);
                    to.push(p);
                }
            }
            steps.push(Step {
                revision: self.id(r).to_string(),
                direction: Direction::Down,
                from_heads: self.id_list(from),
                to_heads: self.id_list(to),
            });
        }
        Ok(steps)
    }

    /// The version-table rows after `stamp targets`: the database is marked as being at the
    /// targets without running anything. With `purge`, the current rows are ignored (they may
    /// name revisions that no longer exist) and the result is exactly the targets. Without it,
    /// revisions built on a target are marked unapplied, the targets and their ancestors
    /// applied, and other branches left as they are. Only `base` clears the table.
    pub fn stamp<S: AsRef<str>, T: AsRef<str>>(
        &self,
        current: &[S],
        targets: &[T],
        purge: bool,
    ) -> Result<Vec<String>, GraphError> {
        let applied = if purge {
            BTreeSet::new()
        } else {
            self.ancestors(&self.current_rows(current)?, true)
        };
        let mut wanted = BTreeSet::new();
        for t in targets {
            wanted.extend(self.resolve_target(&applied, t.as_ref())?.revs);
        }
        let mut after: BTreeSet<usize> = if wanted.is_empty() {
            BTreeSet::new()
        } else {
            let mut above = self.descendants(&wanted, false, false);
            above = self.descendants(&above, true, true);
            applied.difference(&above).copied().collect()
        };
        after.extend(self.ancestors(&wanted, true));
        Ok(self.id_list(self.heads_of(&after)))
    }

    /// Every revision applied when the version table holds `current` (the rows and all their
    /// ancestors and dependencies).
    pub fn applied<S: AsRef<str>>(&self, current: &[S]) -> Result<BTreeSet<String>, GraphError> {
        let applied = self.ancestors(&self.current_rows(current)?, true);
        Ok(self.id_list(applied).into_iter().collect())
    }

    /// The scripts in `range`, newest first (children before parents). `None` is every
    /// script. A range is `[start]:[end]` with targets on each side (an empty start is
    /// `base`, an empty end `heads`), both ends included: the ancestors of `end` that are
    /// `start` or built on it. `current` is needed for `current` and relative targets.
    pub fn history<S: AsRef<str>>(
        &self,
        current: &[S],
        range: Option<&str>,
    ) -> Result<Vec<&Script>, GraphError> {
        let Some(range) = range else {
            return Ok(self.nodes.iter().rev().map(|n| &n.script).collect());
        };
        let Some((start, end)) = range.split_once(':') else {
            return Err(GraphError::InvalidRange {
                range: range.to_string(),
            });
        };
        let applied = self.ancestors(&self.current_rows(current)?, true);
        let side = |t: &str, default: &str| {
            let t = if t.trim().is_empty() { default } else { t };
            self.resolve_target(&applied, t).map(|r| r.revs)
        };
        let (start_text, end_text) = (start.trim(), end.trim());
        let end = side(end, "heads")?;
        let start = side(start, "base")?;
        let mut set = self.ancestors(&end, true);
        if !start.is_empty() {
            let from = self.descendants(&start, true, true);
            set.retain(|i| from.contains(i));
        }
        // Both ends name revisions and nothing lies between them: the range is backwards or
        // spans two branches, which cannot be what was meant. (An end at base, such as
        // `:current` on an empty database, is simply empty.)
        if set.is_empty() && !start.is_empty() && !end.is_empty() {
            let start_text = if start_text.is_empty() {
                "base"
            } else {
                start_text
            };
            let end_text = if end_text.is_empty() {
                "heads"
            } else {
                end_text
            };
            let backwards = self.ancestors(&start, false).is_superset(&end);
            return Err(GraphError::EmptyRange {
                range: range.to_string(),
                why: if backwards {
                    format!(
                        "`{start_text}` is newer than `{end_text}`; a range goes from the older \
                         revision to the newer one: `{end_text}:{start_text}`"
                    )
                } else {
                    format!(
                        "`{end_text}` is not built on `{start_text}` (they are on different \
                         branches); `history` lists both"
                    )
                },
            });
        }
        Ok(set.iter().rev().map(|&i| &self.nodes[i].script).collect())
    }
}
