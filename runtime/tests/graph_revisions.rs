//! The revision graph: shape, labels, targets, upgrade/downgrade plans, stamp, history, errors.

use std::collections::BTreeSet;

use strata::graph::{Direction, GraphError, RevisionGraph, Step};
use strata::script::{Header, Phase, Script};

/// A script with no ops; `created` grows with `n` so the order is deterministic.
fn rev(id: &str, parents: &[&str]) -> Script {
    rev_with(id, parents, &[], &[])
}

fn rev_with(id: &str, parents: &[&str], labels: &[&str], deps: &[&str]) -> Script {
    let mut h = Header::new(id, parents.iter().map(|s| s.to_string()).collect(), id);
    h.created = Some("2026-01-01T00:00:00Z".parse().expect("datetime"));
    h.branch_labels = labels.iter().map(|s| s.to_string()).collect();
    h.depends_on = deps.iter().map(|s| s.to_string()).collect();
    Script::new(h, vec![], vec![]).expect("script")
}

fn graph(scripts: Vec<Script>) -> RevisionGraph {
    RevisionGraph::new(scripts).expect("valid graph")
}

/// a1 <- b2 <- c3 <- d4
fn linear() -> RevisionGraph {
    graph(vec![
        rev("c3", &["b2"]),
        rev("a1", &[]),
        rev("d4", &["c3"]),
        rev("b2", &["a1"]),
    ])
}

/// base0 <- p1 <- a1 (billing) <- a2
///              <- b1 (shop)    <- b2
/// and, with `merge`, m <- (a2, b2).
fn branches(merge: bool) -> RevisionGraph {
    let mut s = vec![
        rev("base0", &[]),
        rev("p1", &["base0"]),
        rev_with("a1", &["p1"], &["billing"], &[]),
        rev("a2", &["a1"]),
        rev_with("b1", &["p1"], &["shop"], &[]),
        rev("b2", &["b1"]),
    ];
    if merge {
        s.push(rev("m", &["a2", "b2"]));
    }
    graph(s)
}

/// r0 <- x1 <- x2
///    <- y1 <- y2 (depends_on x1)
fn with_deps() -> RevisionGraph {
    graph(vec![
        rev("r0", &[]),
        rev("x1", &["r0"]),
        rev("x2", &["x1"]),
        rev("y1", &["r0"]),
        rev_with("y2", &["y1"], &[], &["x1"]),
    ])
}

fn ids(steps: &[Step]) -> Vec<&str> {
    steps.iter().map(|s| s.revision.as_str()).collect()
}

/// Applies the steps to a version table, checking each deletes rows that exist and that
/// every upgrade runs after its parents and dependencies (downgrades: after their
/// descendants); returns the final rows, sorted.
fn run(g: &RevisionGraph, rows: &[&str], steps: &[Step]) -> Vec<String> {
    let mut table: BTreeSet<String> = rows.iter().map(|s| s.to_string()).collect();
    let mut applied: BTreeSet<String> = g
        .history(rows, Some(":current"))
        .expect("history")
        .iter()
        .map(|s| s.revision().to_string())
        .collect();
    for step in steps {
        for r in &step.from_heads {
            assert!(
                table.remove(r),
                "step {step} deletes missing row {r}: {table:?}"
            );
        }
        for r in &step.to_heads {
            assert!(
                table.insert(r.clone()),
                "step {step} inserts existing row {r}"
            );
        }
        match step.direction {
            Direction::Up => {
                for p in g
                    .parents(&step.revision)
                    .into_iter()
                    .chain(g.dependencies(&step.revision))
                {
                    assert!(applied.contains(p), "{step} runs before {p}");
                }
                assert!(applied.insert(step.revision.clone()));
            }
            Direction::Down => {
                for c in g
                    .children(&step.revision)
                    .into_iter()
                    .chain(g.dependents(&step.revision))
                {
                    assert!(!applied.contains(c), "{step} runs while {c} is applied");
                }
                assert!(applied.remove(&step.revision));
            }
        }
    }
    table.into_iter().collect()
}

fn err<T: std::fmt::Debug>(r: Result<T, GraphError>) -> GraphError {
    r.expect_err("must fail")
}

const NONE: &[&str] = &[];

// ---- shape ----

#[test]
fn linear_shape() {
    let g = linear();
    assert_eq!(g.len(), 4);
    assert_eq!(g.heads(), vec!["d4"]);
    assert_eq!(g.head(), Ok("d4"));
    assert_eq!(g.bases(), vec!["a1"]);
    assert!(g.branch_points().is_empty() && g.merge_points().is_empty());
    assert!(g.is_head("d4") && !g.is_head("c3") && !g.is_head("zz"));
    assert_eq!(g.parents("c3"), vec!["b2"]);
    assert_eq!(g.children("c3"), vec!["d4"]);
    let order: Vec<&str> = g.scripts().map(|s| s.revision()).collect();
    assert_eq!(order, vec!["a1", "b2", "c3", "d4"]);
    assert_eq!(g.get("c").map(|s| s.revision()), Ok("c3"));
}

#[test]
fn branch_and_merge_shape() {
    let g = branches(false);
    assert_eq!(g.heads(), vec!["a2", "b2"]);
    assert_eq!(g.branch_points(), vec!["p1"]);
    assert!(g.merge_points().is_empty());
    let e = err(g.head());
    assert!(e.to_string().contains("several heads (a2, b2)"), "{e}");
    assert!(e.to_string().contains("use `merge`"), "{e}");

    let g = branches(true);
    assert_eq!(g.heads(), vec!["m"]);
    assert_eq!(g.merge_points(), vec!["m"]);
    assert_eq!(g.parents("m"), vec!["a2", "b2"]);
    assert_eq!(g.children("p1"), vec!["a1", "b1"]);
    // Each branch stays together in the order.
    let order: Vec<&str> = g.scripts().map(|s| s.revision()).collect();
    assert_eq!(order, vec!["base0", "p1", "a1", "a2", "b1", "b2", "m"]);
}

#[test]
fn labels_inherit_along_the_branch() {
    let g = branches(true);
    assert_eq!(g.branch_labels(), vec!["billing", "shop"]);
    assert_eq!(g.labels("a1"), vec!["billing"]);
    assert_eq!(g.labels("a2"), vec!["billing"]);
    assert_eq!(g.labels("b2"), vec!["shop"]);
    assert_eq!(g.labels("m"), vec!["billing", "shop"]);
    assert!(g.labels("p1").is_empty(), "a branch point is shared");
    assert!(g.labels("base0").is_empty());
    // Without a branch point, a label reaches down to the base.
    let g = graph(vec![
        rev("a", &[]),
        rev("b", &["a"]),
        rev_with("c", &["b"], &["core"], &[]),
        rev("d", &["c"]),
    ]);
    for r in ["a", "b", "c", "d"] {
        assert_eq!(g.labels(r), vec!["core"], "{r}");
    }
}

#[test]
fn depends_on_is_not_ancestry() {
    let g = with_deps();
    assert_eq!(g.heads(), vec!["x2", "y2"]);
    assert_eq!(g.parents("y2"), vec!["y1"]);
    assert_eq!(g.dependencies("y2"), vec!["x1"]);
    assert_eq!(g.dependents("x1"), vec!["y2"]);
    assert_eq!(g.children("x1"), vec!["x2"]);
    // A revision that is only depended on is still a head.
    let g = graph(vec![
        rev("r", &[]),
        rev("a", &["r"]),
        rev_with("b", &["r"], &[], &["a"]),
    ]);
    assert_eq!(g.heads(), vec!["a", "b"]);
}

// ---- targets ----

#[test]
fn target_forms() {
    let g = linear();
    let r = |cur: &[&str], t: &str| g.resolve(cur, t).expect(t);
    assert_eq!(r(NONE, "head"), vec!["d4"]);
    assert_eq!(r(NONE, "heads"), vec!["d4"]);
    assert!(r(&["c3"], "base").is_empty());
    assert_eq!(r(&["b2"], "current"), vec!["b2"]);
    assert!(r(NONE, "current").is_empty());
    assert_eq!(r(NONE, "c3"), vec!["c3"]);
    assert_eq!(r(NONE, "c"), vec!["c3"]);
    assert_eq!(r(&["b2"], "+1"), vec!["c3"]);
    assert_eq!(r(&["b2"], "+2"), vec!["d4"]);
    assert_eq!(r(NONE, "+1"), vec!["a1"]);
    assert_eq!(r(&["d4"], "-1"), vec!["c3"]);
    assert_eq!(r(&["d4"], "-3"), vec!["a1"]);
    assert!(r(&["d4"], "-4").is_empty(), "four steps down is base");
    assert_eq!(r(NONE, "b2+1"), vec!["c3"]);
    assert_eq!(r(NONE, "d4-2"), vec!["b2"]);
    assert_eq!(r(NONE, "head-1"), vec!["c3"]);
    assert_eq!(r(NONE, "base+2"), vec!["b2"]);
    assert_eq!(r(&["b2"], "current+1"), vec!["c3"]);
    assert_eq!(r(NONE, " c3 "), vec!["c3"]);
}

#[test]
fn label_targets() {
    let g = branches(false);
    let r = |cur: &[&str], t: &str| g.resolve(cur, t).expect(t);
    assert_eq!(r(NONE, "billing@head"), vec!["a2"]);
    assert_eq!(r(NONE, "shop@head"), vec!["b2"]);
    assert_eq!(r(NONE, "billing@base"), vec!["a1"]);
    assert_eq!(r(NONE, "shop@b1"), vec!["b1"]);
    assert_eq!(r(&["a2", "b1"], "shop@+1"), vec!["b2"]);
    assert_eq!(r(&["a2", "b2"], "billing@-1"), vec!["a1"]);
    assert_eq!(
        r(&["a2"], "shop@+1"),
        vec!["b1"],
        "from below an unapplied branch"
    );
}

/// A script of an expand/contract phase.
fn phased(id: &str, parents: &[&str], phase: Phase) -> Script {
    let mut s = rev(id, parents);
    s.header.phase = Some(phase);
    s
}

#[test]
fn phase_targets() {
    use Phase::{Contract, Expand};
    // a1 <- e2 (expand) <- c3 (contract) <- r4 <- e5 (expand) <- c6 (contract) <- r7
    let g = graph(vec![
        rev("a1", &[]),
        phased("e2", &["a1"], Expand),
        phased("c3", &["e2"], Contract),
        rev("r4", &["c3"]),
        phased("e5", &["r4"], Expand),
        phased("c6", &["e5"], Contract),
        rev("r7", &["c6"]),
    ]);
    let r = |cur: &[&str], t: &str| g.resolve(cur, t).expect(t);
    assert_eq!(r(NONE, "expand@head"), vec!["e5"]);
    assert_eq!(r(&["c3"], "expand@head"), vec!["e5"]);
    assert_eq!(r(NONE, "contract@head"), vec!["c6"]);
    let steps = g
        .upgrade_steps(&["c3"], "expand@head")
        .expect("up to the newest expand");
    assert_eq!(ids(&steps), ["r4", "e5"]);

    // No expand revision: the error says how to write one.
    let e = err(linear().resolve(NONE, "expand@head"));
    assert!(
        e.to_string()
            .contains("no revision up to the head has `phase = \"expand\"`; `migrate -m MESSAGE --expand-contract`"),
        "{e}"
    );
    let e = err(g.resolve(NONE, "expand@e5"));
    assert!(
        e.to_string()
            .contains("only `expand@head` is a phase target"),
        "{e}"
    );
    // Two branches, each with its own expand revision: which one is ambiguous.
    let g = graph(vec![
        rev("a1", &[]),
        phased("x2", &["a1"], Expand),
        phased("y2", &["a1"], Expand),
        rev("m3", &["x2", "y2"]),
    ]);
    let e = err(g.resolve(NONE, "expand@head"));
    assert!(
        matches!(&e, GraphError::MultipleHeads { heads, context } if heads == &["x2", "y2"] && context.contains("expand")),
        "{e}"
    );
}

#[test]
fn target_errors() {
    let g = branches(false);
    let e = err(g.resolve(NONE, "head"));
    assert!(matches!(&e, GraphError::MultipleHeads { heads, .. } if heads == &["a2", "b2"]));
    assert!(
        e.to_string()
            .contains("use `merge` to join them, `heads` to target all of them, or `<label>@head`"),
        "{e}"
    );
    let e = err(g.resolve(NONE, "zzz"));
    assert_eq!(
        e.to_string(),
        "no revision matches `zzz`; run `history` to list the revisions"
    );
    let e = err(g.resolve(NONE, "billing"));
    assert!(
        e.to_string()
            .contains("`billing` is a branch label: use `billing@head`"),
        "{e}"
    );
    let e = err(g.resolve(NONE, "nope@head"));
    assert!(
        e.to_string()
            .contains("no branch is labelled `nope` (known labels: billing, shop)"),
        "{e}"
    );
    let e = err(g.resolve(NONE, "billing@b1"));
    assert!(
        e.to_string()
            .contains("revision `b1` is not on branch `billing`"),
        "{e}"
    );
    let e = err(g.resolve(NONE, "p1+1"));
    assert_eq!(
        e,
        GraphError::AmbiguousWalk {
            target: "p1+1".into(),
            from: "revision `p1`".into(),
            candidates: vec!["a1".into(), "b1".into()]
        }
    );
    assert!(e.to_string().contains("could be any of `a1`, `b1`"), "{e}");
    let e = err(g.resolve(&["a2", "b2"], "-1"));
    assert!(
        e.to_string()
            .contains("several heads in the database (a2, b2)"),
        "{e}"
    );
    let e = err(g.resolve(NONE, "a2+1"));
    assert!(matches!(e, GraphError::WalkTooFar { .. }), "{e}");
    assert!(
        e.to_string().contains("revision `a2` has nothing above it"),
        "{e}"
    );
    let e = err(g.resolve(NONE, "p1-3"));
    assert!(
        e.to_string()
            .contains("base is reached after 2 step(s) down"),
        "{e}"
    );
    for bad in ["a2+", "a2+x", "", "billing@", "base-"] {
        let e = err(g.resolve(NONE, bad));
        assert!(matches!(e, GraphError::InvalidTarget { .. }), "{bad}: {e}");
    }
    let e = err(g.resolve(&["gone"], "head"));
    assert!(
        e.to_string()
            .contains("the database is at revision `gone`, which no migration file defines"),
        "{e}"
    );
    assert!(e.to_string().contains("stamp --purge"), "{e}");
}

#[test]
fn prefixes() {
    let g = graph(vec![
        rev("ae10aa", &[]),
        rev("ae10bb", &["ae10aa"]),
        rev("f00", &["ae10bb"]),
    ]);
    assert_eq!(g.resolve(NONE, "ae10a"), Ok(vec!["ae10aa".to_string()]));
    assert_eq!(g.resolve(NONE, "f"), Ok(vec!["f00".to_string()]));
    let e = err(g.resolve(NONE, "ae10"));
    assert_eq!(
        e,
        GraphError::AmbiguousPrefix {
            prefix: "ae10".into(),
            candidates: vec!["ae10aa".into(), "ae10bb".into()]
        }
    );
    assert!(
        e.to_string()
            .contains("`ae10` is ambiguous: it starts `ae10aa`, `ae10bb`"),
        "{e}"
    );
    let e = err(g.resolve(NONE, "a"));
    assert!(matches!(e, GraphError::AmbiguousPrefix { .. }));
    assert_eq!(g.resolve(NONE, "ae10b+1"), Ok(vec!["f00".to_string()]));
}

// ---- upgrades ----

#[test]
fn upgrade_from_base_to_head() {
    let g = linear();
    let steps = g.upgrade_steps(NONE, "head").expect("plan");
    assert_eq!(ids(&steps), vec!["a1", "b2", "c3", "d4"]);
    assert_eq!(
        steps[0],
        Step {
            revision: "a1".into(),
            direction: Direction::Up,
            from_heads: vec![],
            to_heads: vec!["a1".into()]
        }
    );
    assert_eq!(steps[1].from_heads, vec!["a1"]);
    assert_eq!(steps[1].to_heads, vec!["b2"]);
    assert_eq!(run(&g, NONE, &steps), vec!["d4"]);
    assert_eq!(steps[1].to_string(), "upgrade b2 (a1 -> b2)");
    // Idempotent.
    assert!(g.upgrade_steps(&["d4"], "head").expect("plan").is_empty());
    assert!(
        g.upgrade_steps(&["d4"], "b2").expect("plan").is_empty(),
        "never goes down"
    );
}

#[test]
fn partial_upgrades() {
    let g = linear();
    assert_eq!(
        ids(&g.upgrade_steps(&["a1"], "c3").expect("plan")),
        vec!["b2", "c3"]
    );
    let steps = g.upgrade_steps(&["a1"], "+2").expect("plan");
    assert_eq!(ids(&steps), vec!["b2", "c3"]);
    assert_eq!(run(&g, &["a1"], &steps), vec!["c3"]);
    assert_eq!(ids(&g.upgrade_steps(NONE, "+1").expect("plan")), vec!["a1"]);
}

#[test]
fn upgrade_branches_and_merge() {
    let g = branches(false);
    assert!(matches!(
        err(g.upgrade_steps(NONE, "head")),
        GraphError::MultipleHeads { .. }
    ));
    let steps = g.upgrade_steps(NONE, "heads").expect("plan");
    assert_eq!(ids(&steps), vec!["base0", "p1", "a1", "a2", "b1", "b2"]);
    // The second child of the branch point adds a row.
    assert_eq!(steps[4].from_heads, Vec::<String>::new());
    assert_eq!(steps[4].to_heads, vec!["b1"]);
    assert_eq!(run(&g, NONE, &steps), vec!["a2", "b2"]);

    let g = branches(true);
    let steps = g.upgrade_steps(NONE, "head").expect("plan");
    assert_eq!(
        ids(&steps),
        vec!["base0", "p1", "a1", "a2", "b1", "b2", "m"]
    );
    assert_eq!(steps[6].from_heads, vec!["a2", "b2"]);
    assert_eq!(steps[6].to_heads, vec!["m"]);
    assert_eq!(run(&g, NONE, &steps), vec!["m"]);
    // From one branch: the other branch is applied first, then the merge.
    let steps = g.upgrade_steps(&["a2"], "m").expect("plan");
    assert_eq!(ids(&steps), vec!["b1", "b2", "m"]);
    assert_eq!(run(&g, &["a2"], &steps), vec!["m"]);
}

#[test]
fn upgrade_one_branch_by_label() {
    let g = branches(false);
    let steps = g.upgrade_steps(NONE, "shop@head").expect("plan");
    assert_eq!(ids(&steps), vec!["base0", "p1", "b1", "b2"]);
    assert_eq!(run(&g, NONE, &steps), vec!["b2"]);
    let steps = g.upgrade_steps(&["b2"], "billing@head").expect("plan");
    assert_eq!(ids(&steps), vec!["a1", "a2"]);
    assert_eq!(steps[0].from_heads, Vec::<String>::new());
    assert_eq!(run(&g, &["b2"], &steps), vec!["a2", "b2"]);
    assert_eq!(
        ids(&g.upgrade_steps(&["b2"], "billing@+1").expect("plan")),
        vec!["a1"]
    );
    assert_eq!(
        ids(&g.upgrade_steps(&["b2"], "billing@base").expect("plan")),
        vec!["a1"]
    );
}

#[test]
fn upgrade_with_depends_on_across_branches() {
    let g = with_deps();
    let steps = g.upgrade_steps(NONE, "y2").expect("plan");
    assert_eq!(ids(&steps), vec!["r0", "x1", "y1", "y2"]);
    // y2 replaces both the y1 row and the x1 row it depends on.
    assert_eq!(steps[3].from_heads, vec!["y1", "x1"]);
    assert_eq!(run(&g, NONE, &steps), vec!["y2"]);
    // The database row y2 implies x1: upgrading x's branch only adds x2.
    let steps = g.upgrade_steps(&["y2"], "heads").expect("plan");
    assert_eq!(ids(&steps), vec!["x2"]);
    assert_eq!(steps[0].from_heads, Vec::<String>::new());
    assert_eq!(run(&g, &["y2"], &steps), vec!["x2", "y2"]);
}

// ---- downgrades ----

#[test]
fn downgrade_to_base() {
    let g = linear();
    let steps = g.downgrade_steps(&["d4"], "base").expect("plan");
    assert_eq!(ids(&steps), vec!["d4", "c3", "b2", "a1"]);
    assert!(steps.iter().all(|s| s.direction == Direction::Down));
    assert_eq!(steps[0].from_heads, vec!["d4"]);
    assert_eq!(steps[0].to_heads, vec!["c3"]);
    assert_eq!(steps[3].to_heads, Vec::<String>::new());
    assert_eq!(run(&g, &["d4"], &steps), Vec::<String>::new());
    assert_eq!(steps[3].to_string(), "downgrade a1 (a1 -> base)");

    let g = branches(true);
    let steps = g.downgrade_steps(&["m"], "base").expect("plan");
    assert_eq!(
        ids(&steps),
        vec!["m", "b2", "b1", "a2", "a1", "p1", "base0"]
    );
    assert_eq!(run(&g, &["m"], &steps), Vec::<String>::new());
}

#[test]
fn partial_and_relative_downgrades() {
    let g = linear();
    assert_eq!(
        ids(&g.downgrade_steps(&["d4"], "b2").expect("plan")),
        vec!["d4", "c3"]
    );
    assert_eq!(
        ids(&g.downgrade_steps(&["d4"], "-1").expect("plan")),
        vec!["d4"]
    );
    let steps = g.downgrade_steps(&["d4"], "-2").expect("plan");
    assert_eq!(run(&g, &["d4"], &steps), vec!["b2"]);
    assert!(g.downgrade_steps(&["d4"], "d4").expect("plan").is_empty());
    let e = err(g.downgrade_steps(&["b2"], "d4"));
    assert_eq!(e.to_string(), "cannot downgrade to `d4`: revision `d4` is not applied to the database (use `upgrade` to move forward)");
    assert_eq!(
        ids(&g.downgrade_steps(&["a1"], "-1").expect("plan")),
        vec!["a1"]
    );
}

#[test]
fn downgrade_minus_one_from_a_merge() {
    let g = branches(true);
    let steps = g.downgrade_steps(&["m"], "-1").expect("plan");
    assert_eq!(
        steps,
        vec![Step {
            revision: "m".into(),
            direction: Direction::Down,
            from_heads: vec!["m".into()],
            to_heads: vec!["a2".into(), "b2".into()]
        }]
    );
    let steps = g.downgrade_steps(&["m"], "-2").expect("plan");
    assert_eq!(ids(&steps), vec!["m", "b2", "a2"]);
    assert_eq!(run(&g, &["m"], &steps), vec!["a1", "b1"]);
}

#[test]
fn downgrades_leave_other_branches_alone() {
    let g = branches(false);
    let cur = &["a2", "b2"];
    // One step on one branch.
    let steps = g.downgrade_steps(cur, "a2-1").expect("plan");
    assert_eq!(ids(&steps), vec!["a2"]);
    assert_eq!(run(&g, cur, &steps), vec!["a1", "b2"]);
    let steps = g.downgrade_steps(cur, "billing@-1").expect("plan");
    assert_eq!(ids(&steps), vec!["a2"]);
    // A whole branch: the branch point stays, needed by the other head, so no row comes back.
    let steps = g.downgrade_steps(cur, "billing@base").expect("plan");
    assert_eq!(ids(&steps), vec!["a2", "a1"]);
    assert_eq!(steps[1].to_heads, Vec::<String>::new());
    assert_eq!(run(&g, cur, &steps), vec!["b2"]);
    // Down to a revision of one branch.
    assert_eq!(
        ids(&g.downgrade_steps(cur, "a1").expect("plan")),
        vec!["a2"]
    );
    // Down to the branch point: both branches go.
    let steps = g.downgrade_steps(cur, "p1").expect("plan");
    assert_eq!(ids(&steps), vec!["b2", "b1", "a2", "a1"]);
    assert_eq!(run(&g, cur, &steps), vec!["p1"]);
    assert!(matches!(
        err(g.downgrade_steps(cur, "-1")),
        GraphError::MultipleHeads { .. }
    ));
}

#[test]
fn downgrades_with_depends_on() {
    let g = with_deps();
    let cur = &["x2", "y2"];
    // x1 stays applied, so y2 (which only depends on it) stays.
    let steps = g.downgrade_steps(cur, "x1").expect("plan");
    assert_eq!(ids(&steps), vec!["x2"]);
    assert_eq!(run(&g, cur, &steps), vec!["y2"]);
    // Unapplying x1 takes y2 with it.
    let steps = g.downgrade_steps(&["y2"], "x1-1").expect("plan");
    assert_eq!(ids(&steps), vec!["y2", "x1"]);
    assert_eq!(steps[0].to_heads, vec!["y1", "x1"]);
    assert_eq!(run(&g, &["y2"], &steps), vec!["y1"]);
    let steps = g.downgrade_steps(cur, "base").expect("plan");
    assert_eq!(steps.len(), 5);
    assert_eq!(run(&g, cur, &steps), Vec::<String>::new());
}

// ---- stamp ----

#[test]
fn stamp_moves_rows_without_running() {
    let g = linear();
    assert_eq!(g.stamp(NONE, &["head"], false), Ok(vec!["d4".to_string()]));
    assert_eq!(g.stamp(&["d4"], &["b2"], false), Ok(vec!["b2".to_string()]));
    assert_eq!(g.stamp(&["b2"], &["base"], false), Ok(vec![]));
    let g = branches(false);
    assert_eq!(
        g.stamp(&["a2"], &["shop@head"], false),
        Ok(vec!["a2".to_string(), "b2".to_string()])
    );
    assert_eq!(
        g.stamp(&["a2", "b2"], &["a1"], false),
        Ok(vec!["a1".to_string(), "b2".to_string()])
    );
    assert_eq!(
        g.stamp(&["a2", "b2"], &["p1"], false),
        Ok(vec!["p1".to_string()])
    );
    assert_eq!(
        g.stamp(NONE, &["a2", "b1"], false),
        Ok(vec!["a2".to_string(), "b1".to_string()])
    );
    assert_eq!(
        g.stamp(NONE, &["a2", "a1"], false),
        Ok(vec!["a2".to_string()]),
        "redundant targets collapse"
    );
}

#[test]
fn stamp_with_purge_ignores_the_current_rows() {
    let g = branches(false);
    let e = err(g.stamp(&["gone"], &["a2"], false));
    assert!(matches!(e, GraphError::UnknownCurrent { .. }));
    assert_eq!(
        g.stamp(&["gone"], &["a2"], true),
        Ok(vec!["a2".to_string()])
    );
    assert_eq!(g.stamp(&["b2"], &["a1"], true), Ok(vec!["a1".to_string()]));
    assert_eq!(g.stamp(&["b2"], &["base"], true), Ok(vec![]));
}

// ---- history ----

#[test]
fn history_newest_first() {
    let g = linear();
    let h = |cur: &[&str], range: Option<&str>| -> Vec<String> {
        g.history(cur, range)
            .expect("history")
            .iter()
            .map(|s| s.revision().to_string())
            .collect()
    };
    assert_eq!(h(NONE, None), vec!["d4", "c3", "b2", "a1"]);
    assert_eq!(h(NONE, Some("base:head")), vec!["d4", "c3", "b2", "a1"]);
    assert_eq!(h(NONE, Some("b2:")), vec!["d4", "c3", "b2"]);
    assert_eq!(h(NONE, Some(":b2")), vec!["b2", "a1"]);
    assert_eq!(h(NONE, Some("b2:c3")), vec!["c3", "b2"]);
    assert_eq!(h(&["c3"], Some("current:")), vec!["d4", "c3"]);
    assert_eq!(h(&["c3"], Some("-1:current")), vec!["c3", "b2"]);
    assert!(matches!(
        err(g.history(NONE, Some("b2"))),
        GraphError::InvalidRange { .. }
    ));

    let g = branches(true);
    let all: Vec<&str> = g
        .history(NONE, None)
        .expect("history")
        .iter()
        .map(|s| s.revision())
        .collect();
    assert_eq!(all, vec!["m", "b2", "b1", "a2", "a1", "p1", "base0"]);
    let billing: Vec<&str> = g
        .history(NONE, Some("a1:billing@head"))
        .expect("history")
        .iter()
        .map(|s| s.revision())
        .collect();
    assert_eq!(billing, vec!["m", "a2", "a1"]);
}

// ---- graph errors ----

#[test]
fn duplicate_revision_names_both_files() {
    let e = err(RevisionGraph::new(vec![
        rev("a1", &[]),
        rev_with("a1", &[], &["x"], &[]),
    ]));
    assert!(matches!(e, GraphError::DuplicateRevision { .. }));
    let mut other = rev("a1", &[]);
    other.path = "versions/a1_other.toml".into();
    let e = err(RevisionGraph::new(vec![rev("a1", &[]), other])).to_string();
    assert!(
        e.contains("a1_a1.toml") && e.contains("versions/a1_other.toml") && e.contains("`a1`"),
        "{e}"
    );
}

#[test]
fn missing_down_revision_names_the_file() {
    let e = err(RevisionGraph::new(vec![rev("a1", &[]), rev("b2", &["zz"])]));
    assert_eq!(
        e.to_string(),
        "b2_b2.toml: `down_revision` names revision `zz`, which no migration file defines; fix `down_revision` in that file or restore the missing file"
    );
    let e = err(RevisionGraph::new(vec![
        rev("a1ff", &[]),
        rev("b2", &["a1"]),
    ]))
    .to_string();
    assert!(e.contains("did you mean `a1ff`?"), "{e}");
    let e = err(RevisionGraph::new(vec![
        rev("a1", &[]),
        rev_with("b2", &["a1"], &[], &["q"]),
    ]))
    .to_string();
    assert!(e.contains("`depends_on` names revision `q`"), "{e}");
}

#[test]
fn cycles_list_their_revisions() {
    let e = err(RevisionGraph::new(vec![
        rev("a", &["c"]),
        rev("b", &["a"]),
        rev("c", &["b"]),
    ]));
    let GraphError::Cycle { revisions } = &e else {
        panic!("{e}")
    };
    assert_eq!(revisions.len(), 4, "{revisions:?}");
    assert_eq!(revisions.first(), revisions.last());
    let set: BTreeSet<&str> = revisions.iter().map(String::as_str).collect();
    assert_eq!(set, BTreeSet::from(["a", "b", "c"]));
    // Each is needed by the next.
    for w in revisions.windows(2) {
        let g_parent_of = |child: &str, parent: &str| match child {
            "a" => parent == "c",
            "b" => parent == "a",
            "c" => parent == "b",
            _ => false,
        };
        assert!(g_parent_of(&w[1], &w[0]), "{revisions:?}");
    }
    assert!(
        e.to_string().starts_with("the revisions form a cycle: "),
        "{e}"
    );
    // A cycle hanging off a valid chain, and through depends_on, and a self-loop.
    let e = err(RevisionGraph::new(vec![
        rev("r", &[]),
        rev_with("x", &["r"], &[], &["y"]),
        rev("y", &["x"]),
    ]));
    assert!(matches!(e, GraphError::Cycle { .. }), "{e}");
    let e = err(RevisionGraph::new(vec![rev("s", &["s"])]));
    assert_eq!(
        e,
        GraphError::Cycle {
            revisions: vec!["s".into(), "s".into()]
        }
    );
}

#[test]
fn branch_label_errors() {
    let e = err(RevisionGraph::new(vec![
        rev_with("a", &[], &["core"], &[]),
        rev_with("b", &["a"], &["core"], &[]),
    ]));
    assert!(matches!(e, GraphError::DuplicateBranchLabel { .. }));
    let e = e.to_string();
    assert!(
        e.contains("`core` is declared twice, in a_a.toml and in b_b.toml"),
        "{e}"
    );
    for bad in ["bad@label", "a-b", "", "head", "a", "expand", "contract"] {
        let e = err(RevisionGraph::new(vec![rev_with("a", &[], &[bad], &[])]));
        assert!(
            matches!(e, GraphError::InvalidBranchLabel { .. }),
            "{bad}: {e}"
        );
    }
}

#[test]
fn an_empty_graph() {
    let g = graph(vec![]);
    assert!(g.is_empty());
    assert!(g.heads().is_empty());
    assert!(g.upgrade_steps(NONE, "heads").expect("plan").is_empty());
    assert!(g.resolve(NONE, "base").expect("base").is_empty());
    assert!(g.upgrade_steps(NONE, "head").expect("plan").is_empty());
    let e = err(g.head());
    assert_eq!(e, GraphError::NoRevisions);
    assert!(e.to_string().contains("create one with `revision`"), "{e}");
}
