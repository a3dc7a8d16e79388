//! Migrator: `migrate rebase`, moving a branch's revisions onto another revision (after two pull requests each added one), checked by replaying the moved ops on the schema they will run on.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::Migrator;
use crate::error::Error;
use crate::graph::RevisionGraph;
use crate::script::Script;

/// What `rebase` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebased {
    /// The revision re-parented, and its file.
    pub revision: String,
    /// Its file.
    pub path: PathBuf,
    /// Its parent before.
    pub from: Vec<String>,
    /// Its parent now.
    pub onto: String,
    /// The revisions that moved along with it (built on it), oldest first.
    pub moved: Vec<String>,
    /// The heads afterwards.
    pub heads: Vec<String>,
}

impl Migrator {
    /// Re-parents `revision` onto `onto` (a revision or a target such as `head` naming one):
    /// its `down_revision` becomes `onto`, and the revisions built on it move along. Refused,
    /// with nothing written, when it would make a cycle, when `revision` is a merge point or
    /// already sits on `onto`, or when a moved revision's ops do not apply to the schema at
    /// its new place (both branches changed the same thing), naming the revision and the op.
    /// Rewrites `strata.sum`. A database that applied the moved revisions before the rebase
    /// sees them edited (the checksum guard): rebase revisions nobody has applied yet.
    pub fn rebase(&mut self, revision: &str, onto: &str) -> Result<Rebased, Error> {
        self.verify_sum()?;
        let script = self.graph.get(revision)?.clone();
        let rev = script.revision().to_string();
        let onto = match self.graph.resolve(&[] as &[String], onto)?.as_slice() {
            [one] => one.clone(),
            many => {
                return Err(Error::Rebase {
                    revision: rev,
                    why: format!(
                        "`{onto}` names {} revisions ({}); name one",
                        many.len(),
                        many.join(", ")
                    ),
                })
            }
        };
        let refuse = |why: String| Error::Rebase {
            revision: rev.clone(),
            why,
        };
        let from = script.header.down_revision.clone();
        if from.len() > 1 {
            return Err(refuse(format!(
                "it is a merge point (of {}); rebase the revisions of one branch instead",
                from.join(", ")
            )));
        }
        if from == [onto.clone()] {
            return Err(refuse(format!("it is already built on {onto}")));
        }
        let moved = self.built_on(&rev);
        if onto == rev || moved.contains(&onto) {
            return Err(refuse(format!(
                "{onto} is built on it, so moving it there would make a cycle"
            )));
        }
        // The graph as it will be, replayed: each moved revision's ops on its new schema.
        let mut header = script.header.clone();
        header.down_revision = vec![onto.clone()];
        let mut edited = script.clone();
        edited.header = header;
        let scripts: Vec<Script> = self
            .graph
            .scripts()
            .map(|s| {
                if s.revision() == rev {
                    edited.clone()
                } else {
                    s.clone()
                }
            })
            .collect();
        let after = Migrator {
            dir: self.dir.clone(),
            settings: self.settings.clone(),
            graph: RevisionGraph::new(scripts)?,
        };
        for r in std::iter::once(&rev).chain(&moved) {
            after.schema_at(r).map_err(|e| {
                refuse(format!(
                    "its branch does not apply on {onto}: {e}; resolve it by hand (edit or drop \
                     the revision that conflicts), or merge the heads with `merge` instead"
                ))
            })?;
        }
        let text = std::fs::read_to_string(&script.path).map_err(|source| Error::Io {
            what: "cannot read",
            path: script.path.clone(),
            source,
        })?;
        let new_text = with_parent(&text, &onto);
        std::fs::write(&script.path, new_text).map_err(|source| Error::Io {
            what: "cannot write",
            path: script.path.clone(),
            source,
        })?;
        let reloaded = Migrator::open_headers(&self.dir)?;
        self.graph = reloaded.graph;
        if self.dir.join(crate::script::SUM_FILE).is_file() {
            self.write_sum()?;
        }
        Ok(Rebased {
            revision: rev,
            path: script.path,
            from,
            onto,
            moved,
            heads: self.heads(),
        })
    }

    /// The revisions built on `rev` (its descendants through `down_revision`), oldest first.
    fn built_on(&self, rev: &str) -> Vec<String> {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut todo = vec![rev.to_string()];
        while let Some(r) = todo.pop() {
            for c in self.graph.children(&r) {
                if seen.insert(c.to_string()) {
                    todo.push(c.to_string());
                }
            }
        }
        self.graph
            .scripts()
            .map(|s| s.revision().to_string())
            .filter(|r| seen.contains(r))
            .collect()
    }
}

/// The file `text` with its `down_revision` set to `parent`: the header line replaced (or
/// added after `revision` for a first revision), everything else as it was.
fn with_parent(text: &str, parent: &str) -> String {
    let line = format!("down_revision = \"{parent}\"\n");
    let key_of = |l: &str| l.split('=').next().unwrap_or_default().trim().to_string();
    let header: Vec<&str> = text
        .split_inclusive('\n')
        .take_while(|l| !l.trim_start().starts_with('['))
        .collect();
    let replace = header.iter().any(|l| key_of(l) == "down_revision");
    let mut out = String::with_capacity(text.len() + line.len());
    let mut done = false;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        let in_header = i < header.len();
        if in_header && !done && replace && key_of(l) == "down_revision" {
            out.push_str(&line);
            done = true;
            continue;
        }
        out.push_str(l);
        if in_header && !done && !replace && key_of(l) == "revision" {
            out.push_str(&line);
            done = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_parent;

    #[test]
    fn only_the_parent_line_changes() {
        let file = "# m\nrevision = \"b2\"\ndown_revision = \"a1\"  # was\nmessage = \"m\"\n\n[[upgrade]]\nop = \"sql\"\nsql = \"down_revision = 1\"\n";
        assert_eq!(
            with_parent(file, "c3"),
            file.replace("down_revision = \"a1\"  # was", "down_revision = \"c3\"")
        );
        let first = "revision = \"b2\"\nmessage = \"m\"\n";
        assert_eq!(
            with_parent(first, "c3"),
            "revision = \"b2\"\ndown_revision = \"c3\"\nmessage = \"m\"\n"
        );
    }
}
