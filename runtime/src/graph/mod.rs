//! Stage 7, apply (the revision graph): the revision graph built from migration files (heads, branches, merges, labels, targets, steps).
//!
//! Every [`Script`] names its parents (`down_revision`) and, optionally, revisions it
//! depends on without descending from them (`depends_on`). [`RevisionGraph::new`] checks that
//! these form a DAG and answers the questions the commands ask:
//!
//! - shape: [`heads`](RevisionGraph::heads), [`bases`](RevisionGraph::bases),
//!   [`branch_points`](RevisionGraph::branch_points),
//!   [`merge_points`](RevisionGraph::merge_points), parents and children;
//! - targets ([`resolve`](RevisionGraph::resolve)): `head`, `heads`, `base`, `current`, a
//!   revision id or any unique prefix of one, `<label>@head`, `<label>@base`, `+N` / `-N`
//!   (relative to the current heads), `<rev>+N` / `<rev>-N`, `<label>@+N` / `<label>@-N`;
//! - steps: [`upgrade_steps`](RevisionGraph::upgrade_steps),
//!   [`downgrade_steps`](RevisionGraph::downgrade_steps), [`stamp`](RevisionGraph::stamp),
//!   [`history`](RevisionGraph::history).
//!
//! # The version table
//!
//! Like Alembic, the database keeps one row per *current head*: the applied revisions that
//! nothing else applied builds on (through `down_revision` or `depends_on`). Applying a
//! revision replaces the rows of its parents and dependencies with its own row (one parent: an
//! update; a merge: several rows become one; the second child of a branch point: a new row).
//! Unapplying does the reverse. Each [`Step`] says which rows to delete and which to insert,
//! and every function that takes `current` takes those rows.
//!
//! # Branch labels
//!
//! `branch_labels = ["billing"]` on a revision labels it, all its descendants, and its
//! ancestors down to (not including) the nearest branch point or merge point, as Alembic
//! does; `billing@head` is then the head of that branch.

pub mod draw;
mod squash;
mod steps;
mod target;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::PathBuf;

use thiserror::Error;

use crate::script::Script;

pub use steps::{Direction, Step};

/// What can be wrong with the graph or with a target.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum GraphError {
    /// No revision matches a target.
    #[error("no revision matches `{target}`{hint}; run `history` to list the revisions")]
    UnknownRevision {
        /// The target as given.
        target: String,
        /// Extra advice (starts with "; " when present).
        hint: String,
    },
    /// A prefix matches several revisions.
    #[error(
        "`{prefix}` is ambiguous: it starts {}; give more characters",
        list(candidates)
    )]
    AmbiguousPrefix {
        /// The prefix.
        prefix: String,
        /// The revisions it matches.
        candidates: Vec<String>,
    },
    /// The operation needs a revision and there are none.
    #[error("there are no revisions yet; create one with `revision`")]
    NoRevisions,
    /// Two scripts have the same revision id.
    #[error("revision `{revision}` is defined twice, in {} and in {}; give one of them a new id (its file name and `revision`)", first.display(), second.display())]
    DuplicateRevision {
        /// The id.
        revision: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// A `down_revision` or `depends_on` names a revision no script defines.
    #[error("{}: `{field}` names revision `{missing}`, which no migration file defines{hint}; fix `{field}` in that file or restore the missing file", file.display())]
    MissingRevision {
        /// The file with the dangling reference.
        file: PathBuf,
        /// Its revision.
        revision: String,
        /// `down_revision` or `depends_on`.
        field: &'static str,
        /// The id that does not exist.
        missing: String,
        /// A suggestion (starts with " (" when present).
        hint: String,
    },
    /// The revisions form a cycle.
    #[error("the revisions form a cycle: {}; fix the `down_revision` / `depends_on` of one of them", revisions.join(" -> "))]
    Cycle {
        /// The revisions in the cycle, each a parent or dependency of the next; the first is
        /// repeated at the end.
        revisions: Vec<String>,
    },
    /// Several heads where the operation needs one.
    #[error("there are several heads{context} ({}) where one is needed: use `merge` to join them, `heads` to target all of them, or `<label>@head` for one branch", heads.join(", "))]
    MultipleHeads {
        /// The heads.
        heads: Vec<String>,
        /// Where (" on branch `x`", " in the database"), or empty.
        context: String,
    },
    /// Two revisions declare the same branch label.
    #[error("branch label `{label}` is declared twice, in {} and in {}; a label names one branch, so rename one of them", first.display(), second.display())]
    DuplicateBranchLabel {
        /// The label.
        label: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// A branch label that cannot be used in targets.
    #[error("{}: branch label `{label}` {why}", file.display())]
    InvalidBranchLabel {
        /// The label.
        label: String,
        /// The file declaring it.
        file: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A target names a branch label that no revision declares.
    #[error("no branch is labelled `{label}` (known labels: {}); add `branch_labels = [\"{label}\"]` to a revision or fix the target", if known.is_empty() { "none".to_string() } else { known.join(", ") })]
    UnknownBranchLabel {
        /// The label.
        label: String,
        /// The labels that exist.
        known: Vec<String>,
    },
    /// The database is at a revision no script defines.
    #[error("the database is at revision `{revision}`, which no migration file defines; restore that file, or reset the version table with `stamp --purge <revision>`")]
    UnknownCurrent {
        /// The unknown revision.
        revision: String,
    },
    /// A target that does not parse.
    #[error("invalid target `{target}`: {why}")]
    InvalidTarget {
        /// The target.
        target: String,
        /// What is wrong.
        why: String,
    },
    /// A relative target (`+N`, `-N`) has several ways to go.
    #[error("`{target}` is ambiguous: from {from} the next step could be any of {}; name the revision, or use `<label>@+N`", list(candidates))]
    AmbiguousWalk {
        /// The target.
        target: String,
        /// Where the walk was ("revision `x`", "base").
        from: String,
        /// The possible next revisions.
        candidates: Vec<String>,
    },
    /// A relative target walks past a head or past base.
    #[error("`{target}` goes too far: {why}")]
    WalkTooFar {
        /// The target.
        target: String,
        /// Where the walk stopped.
        why: String,
    },
    /// A downgrade target that is not applied.
    #[error("cannot downgrade to `{target}`: revision `{revision}` is not applied to the database (use `upgrade` to move forward)")]
    NotApplied {
        /// The target.
        target: String,
        /// The revision that is not applied.
        revision: String,
    },
    /// A history range that holds no revision.
    #[error("the range `{range}` holds no revision: {why}")]
    EmptyRange {
        /// The range.
        range: String,
        /// Why, and the range that was probably meant.
        why: String,
    },
    /// A squash revision's `replaces` is not a chain it can stand for.
    #[error("{} (squash revision {squash}): {why}", file.display())]
    BadSquash {
        /// The squash revision.
        squash: String,
        /// Its file.
        file: PathBuf,
        /// What is wrong, and what to do.
        why: String,
    },
    /// The database is at a revision that a squash replaced and whose file is gone.
    #[error(
        "the database is at revision {revision}, which revision {squash} squashed and whose \
         file is gone; restore the replaced files from version control to upgrade it through \
         them, or bring the database to a revision that exists and `stamp` it"
    )]
    SquashedAway {
        /// The recorded revision.
        revision: String,
        /// The squash that replaced it.
        squash: String,
    },
    /// A history range that does not parse.
    #[error(
        "invalid range `{range}`: expected `[start]:[end]`, e.g. `base:head`, `ae10:`, `:current`"
    )]
    InvalidRange {
        /// The range.
        range: String,
    },
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One revision with its edges (indices into the graph's node list).
#[derive(Debug)]
struct Node {
    script: Script,
    /// `down_revision`, in file order.
    parents: Vec<usize>,
    /// `depends_on`, in file order.
    deps: Vec<usize>,
    /// Revisions whose `down_revision` names this one.
    children: Vec<usize>,
    /// Revisions whose `depends_on` names this one.
    dependents: Vec<usize>,
    /// Branch labels, declared or inherited.
    labels: BTreeSet<String>,
}

/// The revision graph: scripts linked by `down_revision` and `depends_on`.
///
/// Internally the nodes are kept in a topological order (parents and dependencies first),
/// so every list this type returns is in that order unless said otherwise.
#[derive(Debug)]
pub struct RevisionGraph {
    nodes: Vec<Node>,
    index: BTreeMap<String, usize>,
    /// Declared label -> the revision declaring it.
    declared: BTreeMap<String, usize>,
    /// Squash revisions whose replaced files are all present: not nodes of the graph, but a
    /// shortcut that an upgrade from before the chain takes instead of it.
    squashes: Vec<Script>,
    /// For squash revisions whose replaced files are gone: the last replaced id -> the
    /// squash, which stands in for it (children name it; databases record it).
    aliases: BTreeMap<String, usize>,
    /// The other replaced ids whose files are gone -> the squash that replaced them.
    gone: BTreeMap<String, String>,
}

impl RevisionGraph {
    /// Builds and checks the graph: unique ids, existing parents and dependencies, no cycle,
    /// unique and well-formed branch labels.
    pub fn new(scripts: impl IntoIterator<Item = Script>) -> Result<Self, GraphError> {
        let scripts: Vec<Script> = scripts.into_iter().collect();
        let (scripts, squashes, replaced_gone) = squash::split(scripts)?;
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for (i, s) in scripts.iter().enumerate() {
            if let Some(&j) = index.get(s.revision()) {
                return Err(GraphError::DuplicateRevision {
                    revision: s.revision().to_string(),
                    first: scripts[j].path.clone(),
                    second: s.path.clone(),
                });
            }
            index.insert(s.revision().to_string(), i);
        }
        // A squash whose replaced files are gone stands in for the last of them.
        let mut aliases: BTreeMap<String, usize> = BTreeMap::new();
        let mut gone: BTreeMap<String, String> = BTreeMap::new();
        for (squash, replaced) in &replaced_gone {
            if let (Some(&i), Some(last)) = (index.get(squash), replaced.last()) {
                aliases.insert(last.clone(), i);
            }
            for r in &replaced[..replaced.len().saturating_sub(1)] {
                gone.insert(r.clone(), squash.clone());
            }
        }
        let lookup = |s: &Script, field: &'static str, id: &String| {
            index
                .get(id)
                .or_else(|| aliases.get(id))
                .copied()
                .ok_or_else(|| {
                    let close: Vec<&String> = index
                        .keys()
                        .filter(|k| k.starts_with(id.as_str()) || id.starts_with(k.as_str()))
                        .collect();
                    GraphError::MissingRevision {
                        file: s.path.clone(),
                        revision: s.revision().to_string(),
                        field,
                        missing: id.clone(),
                        hint: match close.as_slice() {
                            [one] => format!(" (did you mean `{one}`?)"),
                            _ => String::new(),
                        },
                    }
                })
        };
        let mut edges = Vec::with_capacity(scripts.len());
        for s in &scripts {
            let parents = s
                .header
                .down_revision
                .iter()
                .map(|id| lookup(s, "down_revision", id))
                .collect::<Result<Vec<_>, _>>()?;
            let deps = s
                .header
                .depends_on
                .iter()
                .map(|id| lookup(s, "depends_on", id))
                .collect::<Result<Vec<_>, _>>()?;
            edges.push((dedup(parents), dedup(deps)));
        }
        let order = topo_order(&scripts, &edges)?;
        // Renumber in topological order.
        let mut new_pos = vec![0; scripts.len()];
        for (pos, &old) in order.iter().enumerate() {
            new_pos[old] = pos;
        }
        let mut slots: Vec<Option<Script>> = scripts.into_iter().map(Some).collect();
        let mut nodes: Vec<Node> = Vec::with_capacity(order.len());
        for &old in &order {
            let (parents, deps) = &edges[old];
            nodes.push(Node {
                script: slots[old].take().ok_or_else(|| GraphError::Cycle {
                    revisions: Vec::new(),
                })?,
                parents: parents.iter().map(|&p| new_pos[p]).collect(),
                deps: deps.iter().map(|&p| new_pos[p]).collect(),
                children: Vec::new(),
                dependents: Vec::new(),
                labels: BTreeSet::new(),
            });
        }
        for i in 0..nodes.len() {
            for p in nodes[i].parents.clone() {
                nodes[p].children.push(i);
            }
            for d in nodes[i].deps.clone() {
                nodes[d].dependents.push(i);
            }
        }
        // The same ids, renumbered: no second map built from fresh strings.
        for i in index.values_mut() {
            *i = new_pos[*i];
        }
        for i in aliases.values_mut() {
            *i = new_pos[*i];
        }
        let mut graph = RevisionGraph {
            nodes,
            index,
            declared: BTreeMap::new(),
            squashes,
            aliases,
            gone,
        };
        graph.check_squashes()?;
        graph.add_labels()?;
        Ok(graph)
    }

    fn add_labels(&mut self) -> Result<(), GraphError> {
        for i in 0..self.nodes.len() {
            for label in self.nodes[i].script.header.branch_labels.clone() {
                let file = self.nodes[i].script.path.clone();
                let bad = |why: &str| GraphError::InvalidBranchLabel {
                    label: label.clone(),
                    file: file.clone(),
                    why: why.to_string(),
                };
                if label.is_empty() {
                    return Err(bad("is empty; remove it or name the branch"));
                }
                if let Some(c) = label
                    .chars()
                    .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '.'))
                {
                    return Err(bad(&format!(
                        "contains {c:?}; use letters, digits, `_` and `.`"
                    )));
                }
                if crate::script::RESERVED.contains(&label.as_str()) {
                    return Err(bad("is a reserved word in targets; choose another label"));
                }
                if crate::script::Phase::from_label(&label).is_some() {
                    return Err(bad(
                        "names an expand/contract phase in targets (`expand@head` is the newest \
                         revision with `phase = \"expand\"`); choose another label",
                    ));
                }
                if self.index.contains_key(&label) {
                    return Err(bad(
                        "is also a revision id, so targets could not tell them apart; choose \
                         another label",
                    ));
                }
                if let Some(&j) = self.declared.get(&label) {
                    return Err(GraphError::DuplicateBranchLabel {
                        label,
                        first: self.nodes[j].script.path.clone(),
                        second: file,
                    });
                }
                self.declared.insert(label.clone(), i);
                // The revision and everything built on it...
                for d in self.descendants(&[i].into(), true, false) {
                    self.nodes[d].labels.insert(label.clone());
                }
                // ...and its ancestors down to the nearest branch or merge point.
                let mut at = i;
                while let [p] = self.nodes[at].parents.as_slice() {
                    let p = *p;
                    if self.nodes[p].children.len() > 1 || self.nodes[p].parents.len() > 1 {
                        break;
                    }
                    self.nodes[p].labels.insert(label.clone());
                    at = p;
                }
            }
        }
        Ok(())
    }

    /// The number of revisions.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no revisions.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The script of revision `id` (exact id), squash revisions included.
    pub fn script(&self, id: &str) -> Option<&Script> {
        self.index
            .get(id)
            .map(|&i| &self.nodes[i].script)
            .or_else(|| self.squashes.iter().find(|s| s.revision() == id))
    }

    /// Every script of the directory: [`RevisionGraph::scripts`] and the squash revisions
    /// that stand beside the chains they replace.
    pub fn all_scripts(&self) -> impl Iterator<Item = &Script> + '_ {
        self.scripts().chain(self.squashes.iter())
    }

    /// The squash revision (`replaces = [...]`) whose chain holds `id`, while the chain's
    /// files are present.
    pub fn squashed_into(&self, id: &str) -> Option<&Script> {
        self.squashes
            .iter()
            .find(|s| s.header.replaces.iter().any(|r| r == id))
    }

    /// Every script, parents and dependencies before the revisions that need them.
    pub fn scripts(&self) -> impl DoubleEndedIterator<Item = &Script> + '_ {
        self.nodes.iter().map(|n| &n.script)
    }

    /// The script whose id is `id_or_prefix` or starts with it (unique prefixes only).
    pub fn get(&self, id_or_prefix: &str) -> Result<&Script, GraphError> {
        match self.lookup(id_or_prefix) {
            Ok(i) => Ok(&self.nodes[i].script),
            Err(e) => self
                .squashes
                .iter()
                .find(|s| s.revision() == id_or_prefix)
                .ok_or(e),
        }
    }

    /// Revisions nothing builds on through `down_revision` (a revision only depended on is
    /// still a head of its branch).
    pub fn heads(&self) -> Vec<&str> {
        self.ids(|n| n.children.is_empty())
    }

    /// The single head; an error naming them all when there are several, or saying there
    /// are none.
    pub fn head(&self) -> Result<&str, GraphError> {
        match self.heads().as_slice() {
            [one] => Ok(one),
            [] => Err(GraphError::NoRevisions),
            heads => Err(GraphError::MultipleHeads {
                heads: heads.iter().map(|s| s.to_string()).collect(),
                context: String::new(),
            }),
        }
    }

    /// Revisions without a `down_revision`.
    pub fn bases(&self) -> Vec<&str> {
        self.ids(|n| n.parents.is_empty())
    }

    /// Revisions with several children.
    pub fn branch_points(&self) -> Vec<&str> {
        self.ids(|n| n.children.len() > 1)
    }

    /// Revisions with several parents.
    pub fn merge_points(&self) -> Vec<&str> {
        self.ids(|n| n.parents.len() > 1)
    }

    /// Whether `id` is a head.
    pub fn is_head(&self, id: &str) -> bool {
        self.index
            .get(id)
            .is_some_and(|&i| self.nodes[i].children.is_empty())
    }

    /// The parents (`down_revision`) of `id`.
    pub fn parents(&self, id: &str) -> Vec<&str> {
        self.edge_ids(id, |n| &n.parents)
    }

    /// The revisions whose `down_revision` names `id`.
    pub fn children(&self, id: &str) -> Vec<&str> {
        self.edge_ids(id, |n| &n.children)
    }

    /// The revisions `id` depends on (`depends_on`).
    pub fn dependencies(&self, id: &str) -> Vec<&str> {
        self.edge_ids(id, |n| &n.deps)
    }

    /// The revisions whose `depends_on` names `id`.
    pub fn dependents(&self, id: &str) -> Vec<&str> {
        self.edge_ids(id, |n| &n.dependents)
    }

    /// The branch labels of `id`, declared or inherited.
    pub fn labels(&self, id: &str) -> Vec<&str> {
        self.index.get(id).map_or_else(Vec::new, |&i| {
            self.nodes[i].labels.iter().map(String::as_str).collect()
        })
    }

    /// Every declared branch label.
    pub fn branch_labels(&self) -> Vec<&str> {
        self.declared.keys().map(String::as_str).collect()
    }

    fn ids(&self, keep: impl Fn(&Node) -> bool) -> Vec<&str> {
        self.nodes
            .iter()
            .filter(|n| keep(n))
            .map(|n| n.script.revision())
            .collect()
    }

    fn edge_ids(&self, id: &str, edges: impl Fn(&Node) -> &Vec<usize>) -> Vec<&str> {
        self.index.get(id).map_or_else(Vec::new, |&i| {
            edges(&self.nodes[i])
                .iter()
                .map(|&j| self.nodes[j].script.revision())
                .collect()
        })
    }

    fn id(&self, i: usize) -> &str {
        self.nodes[i].script.revision()
    }

    fn id_list(&self, set: impl IntoIterator<Item = usize>) -> Vec<String> {
        set.into_iter().map(|i| self.id(i).to_string()).collect()
    }

    /// The node of an exact id or unique prefix.
    fn lookup(&self, name: &str) -> Result<usize, GraphError> {
        if let Some(&i) = self.index.get(name) {
            return Ok(i);
        }
        let candidates: Vec<String> = self
            .index
            .range(name.to_string()..)
            .take_while(|(k, _)| k.starts_with(name))
            .map(|(k, _)| k.clone())
            .collect();
        match candidates.len() {
            1 => Ok(self.index[&candidates[0]]),
            0 => Err(GraphError::UnknownRevision {
                target: name.to_string(),
                hint: if self.declared.contains_key(name) {
                    format!("; `{name}` is a branch label: use `{name}@head` or `{name}@base`")
                } else {
                    String::new()
                },
            }),
            _ => Err(GraphError::AmbiguousPrefix {
                prefix: name.to_string(),
                candidates,
            }),
        }
    }

    /// Edges toward what must be applied first: parents, then dependencies.
    fn up(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let n = &self.nodes[i];
        n.parents.iter().chain(&n.deps).copied()
    }

    /// Edges toward what builds on a revision: children, then dependents.
    fn down(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let n = &self.nodes[i];
        n.children.iter().chain(&n.dependents).copied()
    }

    /// `set` and (`inclusive`) everything it needs, through parents and dependencies.
    fn ancestors(&self, set: &BTreeSet<usize>, inclusive: bool) -> BTreeSet<usize> {
        self.closure(set, inclusive, |g, i| g.up(i).collect())
    }

    /// Everything built on `set` (and `set` when `inclusive`); through children, and through
    /// dependents too when `with_dependents`.
    fn descendants(
        &self,
        set: &BTreeSet<usize>,
        inclusive: bool,
        with_dependents: bool,
    ) -> BTreeSet<usize> {
        self.closure(set, inclusive, |g, i| {
            if with_dependents {
                g.down(i).collect()
            } else {
                g.nodes[i].children.clone()
            }
        })
    }

    fn closure(
        &self,
        set: &BTreeSet<usize>,
        inclusive: bool,
        next: impl Fn(&Self, usize) -> Vec<usize>,
    ) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        let mut stack: Vec<usize> = set.iter().flat_map(|&i| next(self, i)).collect();
        while let Some(i) = stack.pop() {
            if out.insert(i) {
                stack.extend(next(self, i));
            }
        }
        if inclusive {
            out.extend(set.iter().copied());
        }
        out
    }

    /// The revisions of an ancestor-closed set that nothing else in the set builds on: the
    /// rows the version table holds for it.
    fn heads_of(&self, set: &BTreeSet<usize>) -> BTreeSet<usize> {
        set.iter()
            .copied()
            .filter(|&i| !self.down(i).any(|d| set.contains(&d)))
            .collect()
    }

    /// The version-table rows, checked against the graph.
    fn current_rows<S: AsRef<str>>(&self, current: &[S]) -> Result<BTreeSet<usize>, GraphError> {
        current
            .iter()
            .map(|s| {
                let id = s.as_ref();
                if let Some(squash) = self.gone.get(id) {
                    return Err(GraphError::SquashedAway {
                        revision: id.to_string(),
                        squash: squash.clone(),
                    });
                }
                self.index
                    .get(id)
                    .or_else(|| self.aliases.get(id))
                    .copied()
                    .ok_or_else(|| GraphError::UnknownCurrent {
                        revision: id.to_string(),
                    })
            })
            .collect()
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arrow = match self.direction {
            Direction::Up => "upgrade",
            Direction::Down => "downgrade",
        };
        write!(
            f,
            "{arrow} {} ({} -> {})",
            self.revision,
            if self.from_heads.is_empty() {
                "base".to_string()
            } else {
                self.from_heads.join(", ")
            },
            if self.to_heads.is_empty() {
                "base".to_string()
            } else {
                self.to_heads.join(", ")
            }
        )
    }
}

fn dedup(v: Vec<usize>) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    v.into_iter().filter(|i| seen.insert(*i)).collect()
}

/// A topological order of the scripts (parents and dependencies first), grouping each branch
/// together: a depth-first walk from the heads, oldest head first. Fails on a cycle.
fn topo_order(
    scripts: &[Script],
    edges: &[(Vec<usize>, Vec<usize>)],
) -> Result<Vec<usize>, GraphError> {
    let n = scripts.len();
    let mut has_child = vec![false; n];
    for (parents, _) in edges {
        for &p in parents {
            has_child[p] = true;
        }
    }
    // Oldest first by `created` (its fields in order: no formatting), then by revision id.
    let key = |i: usize| {
        let h = &scripts[i].header;
        let created = h.created.map(|c| {
            (
                c.date.map(|d| (d.year, d.month, d.day)),
                c.time.map(|t| (t.hour, t.minute, t.second, t.nanosecond)),
            )
        });
        (created, h.revision.as_str())
    };
    let mut starts: Vec<usize> = (0..n).filter(|&i| !has_child[i]).collect();
    starts.sort_by_cached_key(|&i| key(i));
    let mut rest: Vec<usize> = (0..n).filter(|&i| has_child[i]).collect();
    rest.sort_by_cached_key(|&i| key(i));
    starts.extend(rest);

    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; n];
    let mut order = Vec::with_capacity(n);
    for start in starts {
        if mark[start] != Mark::New {
            continue;
        }
        // (node, next edge to follow)
        let mut stack = vec![(start, 0usize)];
        mark[start] = Mark::Open;
        while let Some(top) = stack.last_mut() {
            let (i, next) = *top;
            top.1 += 1;
            let (parents, deps) = &edges[i];
            let edge = parents.iter().chain(deps).nth(next).copied();
            match edge {
                None => {
                    mark[i] = Mark::Done;
                    order.push(i);
                    stack.pop();
                }
                Some(e) => match mark[e] {
                    Mark::New => {
                        mark[e] = Mark::Open;
                        stack.push((e, 0));
                    }
                    Mark::Open => {
                        // `e` is on the stack and each stack entry needs the one above it,
                        // so i -> ... -> e -> i is the cycle (each needed by the next).
                        let from = stack.iter().position(|&(s, _)| s == e).unwrap_or(0);
                        let mut revisions: Vec<String> = stack[from..]
                            .iter()
                            .rev()
                            .map(|&(s, _)| scripts[s].revision().to_string())
                            .collect();
                        revisions.push(scripts[i].revision().to_string());
                        return Err(GraphError::Cycle { revisions });
                    }
                    Mark::Done => {}
                },
            }
        }
    }
    Ok(order)
}
