//! Stage 7, apply (the revision graph): pictures of the revision graph: lanes for `history --graph` (as `git log --graph` draws them), Mermaid and Graphviz text for docs.

use std::fmt::Write as _;

use super::RevisionGraph;

/// One revision's row in `history --graph`: the lines drawn above it where lanes join into
/// it (a branch point), the lanes before its line, and the lines drawn under it where a merge
/// opens lanes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneRow {
    /// Lines above the revision: `|/` where another lane joins it.
    pub before: Vec<String>,
    /// The lanes of the revision's own line: `*` for it, `|` for the lanes passing by.
    pub node: String,
    /// The lanes for the lines of a long entry under the revision's line.
    pub through: String,
    /// Lines under the revision: `|\` where a merge opens a lane.
    pub after: Vec<String>,
}

/// The lanes of `order` (revisions, each before its parents: newest first), `parents` giving
/// each one's parents in order.
pub fn lanes<'a>(order: &[&'a str], parents: impl Fn(&str) -> Vec<&'a str>) -> Vec<LaneRow> {
    let mut lanes: Vec<Option<&'a str>> = Vec::new();
    let mut rows = Vec::with_capacity(order.len());
    for &id in order {
        let mut hits: Vec<usize> = (0..lanes.len()).filter(|&i| lanes[i] == Some(id)).collect();
        if hits.is_empty() {
            // A head, or a revision outside the range shown so far: a lane of its own.
            let col = lanes
                .iter()
                .position(Option::is_none)
                .unwrap_or(lanes.len());
            if col == lanes.len() {
                lanes.push(Some(id));
            } else {
                lanes[col] = Some(id);
            }
            hits.push(col);
        }
        let col = hits[0];
        let draw = |lanes: &[Option<&str>], mark: &dyn Fn(usize) -> Option<char>| -> String {
            let cells: Vec<String> = (0..lanes.len())
                .map(|i| {
                    mark(i)
                        .unwrap_or(if lanes[i].is_some() { '|' } else { ' ' })
                        .to_string()
                })
                .collect();
            cells.join(" ").trim_end().to_string()
        };
        // Other lanes that waited for this revision join it: it is a branch point.
        let mut before = Vec::new();
        if hits.len() > 1 {
            before.push(draw(&lanes, &|i| hits[1..].contains(&i).then_some('/')));
            for &h in &hits[1..] {
                lanes[h] = None;
            }
        }
        let node = draw(&lanes, &|i| (i == col).then_some('*'));
        let through_lanes = lanes.clone();
        let mut after = Vec::new();
        let ps = parents(id);
        match ps.split_first() {
            None => lanes[col] = None,
            Some((first, rest)) => {
                lanes[col] = Some(first);
                // A merge: its other parents get lanes of their own, right of it, unless a
                // lane waits for them already.
                let mut opened = Vec::new();
                for &p in rest {
                    if lanes.contains(&Some(p)) {
                        continue;
                    }
                    let c = (col + 1..lanes.len())
                        .find(|&i| lanes[i].is_none())
                        .unwrap_or(lanes.len());
                    if c == lanes.len() {
                        lanes.push(Some(p));
                    } else {
                        lanes[c] = Some(p);
                    }
                    opened.push(c);
                }
                if !opened.is_empty() {
                    after.push(draw(&lanes, &|i| opened.contains(&i).then_some('\\')));
                }
            }
        }
        while lanes.last() == Some(&None) {
            lanes.pop();
        }
        let through = draw(&through_lanes, &|i| {
            (i == col && ps.is_empty()).then_some(' ')
        });
        rows.push(LaneRow {
            before,
            node,
            through,
            after,
        });
    }
    rows
}

/// A label for a picture: the revision and its message, with its labels and `(head)`.
fn label(g: &RevisionGraph, id: &str) -> String {
    let message = g.script(id).map_or("", |s| s.header.message.as_str());
    let mut out = format!("{id} {message}");
    if g.is_head(id) {
        out.push_str(" (head)");
    }
    for l in g.labels(id) {
        let _ = write!(out, " @{l}");
    }
    out
}

/// The revisions in file order, bases first.
fn ids(g: &RevisionGraph) -> Vec<&str> {
    g.scripts().map(|s| s.revision()).collect()
}

/// The graph as a Mermaid flowchart (newest on top): one node per revision, an arrow from
/// each parent to its child, a dotted arrow for `depends_on`.
pub fn mermaid(g: &RevisionGraph) -> String {
    let node = |id: &str| format!("r_{id}");
    let mut out = String::from("flowchart BT\n");
    for id in ids(g) {
        let text = label(g, id).replace('"', "#quot;");
        let _ = writeln!(out, "    {}[\"{text}\"]", node(id));
    }
    for id in ids(g) {
        for p in g.parents(id) {
            let _ = writeln!(out, "    {} --> {}", node(p), node(id));
        }
        for d in g.dependencies(id) {
            let _ = writeln!(out, "    {} -.-> {}", node(d), node(id));
        }
    }
    out
}

/// The graph in Graphviz's dot language (newest on top): one box per revision, an edge from
/// each parent to its child, a dashed edge for `depends_on`.
pub fn dot(g: &RevisionGraph) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::from("digraph revisions {\n    rankdir=BT;\n    node [shape=box];\n");
    for id in ids(g) {
        let _ = writeln!(out, "    {} [label={}];", quote(id), quote(&label(g, id)));
    }
    for id in ids(g) {
        for p in g.parents(id) {
            let _ = writeln!(out, "    {} -> {};", quote(p), quote(id));
        }
        for d in g.dependencies(id) {
            let _ = writeln!(out, "    {} -> {} [style=dashed];", quote(d), quote(id));
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn draw(order: &[&'static str], edges: &[(&'static str, &[&'static str])]) -> String {
        let parents: HashMap<&str, Vec<&'static str>> =
            edges.iter().map(|(c, ps)| (*c, ps.to_vec())).collect();
        lanes(order, |id| parents.get(id).cloned().unwrap_or_default())
            .into_iter()
            .zip(order)
            .flat_map(|(row, id)| {
                row.before
                    .into_iter()
                    .chain(std::iter::once(format!("{} {id}", row.node)))
                    .chain(row.after)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_chain_is_one_lane() {
        assert_eq!(
            draw(&["c", "b", "a"], &[("c", &["b"]), ("b", &["a"])]),
            "* c\n* b\n* a"
        );
    }

    #[test]
    fn branches_and_merges_draw_as_git_does() {
        // a <- b <- d (merge of b and c), a <- c; e is another head on b.
        let edges: &[(&str, &[&str])] = &[
            ("e", &["b"]),
            ("d", &["b", "c"]),
            ("c", &["a"]),
            ("b", &["a"]),
        ];
        assert_eq!(
            draw(&["e", "d", "c", "b", "a"], edges),
            ["* e", "| * d", "| | \\", "| | * c", "| / |", "*   | b", "|   /", "* a",].join("\n")
        );
    }

    #[test]
    fn mermaid_and_dot_name_every_revision_and_edge() {
        let script = |id: &str, parents: &[&str], message: &str| {
            let header = crate::script::Header::new(
                id,
                parents.iter().map(|p| p.to_string()).collect(),
                message,
            );
            crate::script::Script::new(header, Vec::new(), Vec::new()).expect("script")
        };
        let g = RevisionGraph::new([
            script("a1", &[], "create \"users\""),
            script("b2", &["a1"], "add phone"),
        ])
        .expect("graph");
        let m = mermaid(&g);
        assert!(m.starts_with("flowchart BT\n"), "{m}");
        assert!(m.contains("r_a1[\"a1 create #quot;users#quot;\"]"), "{m}");
        assert!(m.contains("r_b2[\"b2 add phone (head)\"]"), "{m}");
        assert!(m.contains("r_a1 --> r_b2"), "{m}");
        let d = dot(&g);
        assert!(d.contains(r#""a1" [label="a1 create \"users\""];"#), "{d}");
        assert!(d.contains(r#""a1" -> "b2";"#), "{d}");
        assert!(d.ends_with("}\n"), "{d}");
    }
}
