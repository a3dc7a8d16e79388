//! Stage 8, CLI: revision lines as Alembic prints them (`history`, `heads`, `current`, `show`).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::graph::RevisionGraph;
use crate::script::Script;

/// What a one-line revision description includes (Alembic's `cmd_format` switches).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LineOpts<'a> {
    /// `<parents> -> <rev>`.
    pub parents: bool,
    /// ` (label)` for branch labels.
    pub branches: bool,
    /// `, <message>`.
    pub doc: bool,
    /// ` (branchpoint)`, ` (mergepoint)`.
    pub tree: bool,
    /// The database's current revisions, marked ` (current)`.
    pub current: Option<&'a BTreeSet<String>>,
}

/// The parents as Alembic writes them: `<base>`, `a`, or `a, b`.
pub(crate) fn parents_text(script: &Script) -> String {
    if script.down_revision().is_empty() {
        "<base>".into()
    } else {
        script.down_revision().join(", ")
    }
}

/// One line: `a, b -> m (label) (head) (current) (mergepoint), message`.
pub(crate) fn line(graph: &RevisionGraph, s: &Script, o: LineOpts<'_>) -> String {
    let rev = s.revision();
    let mut text = String::new();
    if o.parents {
        let _ = write!(text, "{} ", parents_text(s));
        if !s.header.depends_on.is_empty() {
            let _ = write!(text, "({}) ", s.header.depends_on.join(", "));
        }
        text.push_str("-> ");
    }
    text.push_str(rev);
    let labels = graph.labels(rev);
    if o.branches && !labels.is_empty() {
        let _ = write!(text, " ({})", labels.join(", "));
    }
    if graph.is_head(rev) {
        text.push_str(" (head)");
    }
    if o.current.is_some_and(|c| c.contains(rev)) {
        text.push_str(" (current)");
    }
    if o.tree {
        if graph.children(rev).len() > 1 {
            text.push_str(" (branchpoint)");
        }
        if s.down_revision().len() > 1 {
            text.push_str(" (mergepoint)");
        }
    }
    if o.doc {
        let _ = write!(text, ", {}", s.header.message);
    }
    text
}

/// The verbose entry (Alembic's `log_entry`): `Rev:`, `Parent:`/`Merges:`, branches, path,
/// then the message and the Revision ID / Revises / Create Date header, indented.
pub(crate) fn entry(
    graph: &RevisionGraph,
    s: &Script,
    current: Option<&BTreeSet<String>>,
) -> String {
    let rev = s.revision();
    let mut out = format!(
        "Rev: {}\n",
        line(
            graph,
            s,
            LineOpts {
                tree: true,
                current,
                ..LineOpts::default()
            }
        )
    );
    if s.down_revision().len() > 1 {
        let _ = writeln!(out, "Merges: {}", parents_text(s));
    } else {
        let _ = writeln!(out, "Parent: {}", parents_text(s));
    }
    if !s.header.depends_on.is_empty() {
        let _ = writeln!(out, "Also depends on: {}", s.header.depends_on.join(", "));
    }
    let children = graph.children(rev);
    if children.len() > 1 {
        let _ = writeln!(out, "Branches into: {}", children.join(", "));
    }
    let labels = graph.labels(rev);
    if !labels.is_empty() {
        let _ = writeln!(out, "Branch names: {}", labels.join(", "));
    }
    if let Some(phase) = s.header.phase {
        let _ = writeln!(out, "Phase: {phase} (`upgrade {phase}@head`)");
    }
    let _ = writeln!(out, "Path: {}", s.path.display());
    out.push('\n');
    for l in s.header.message.lines() {
        let _ = writeln!(out, "    {l}");
    }
    out.push('\n');
    let _ = writeln!(out, "    Revision ID: {rev}");
    let _ = writeln!(out, "    Revises: {}", s.down_revision().join(", "));
    let _ = writeln!(
        out,
        "    Create Date: {}",
        s.header
            .created
            .as_ref()
            .map_or_else(String::new, ToString::to_string)
    );
    out
}
