//! Stage 8, CLI (end to end): pictures: `history --graph` draws branches and merges beside the
//! revisions; `graph --format mermaid|dot` writes the revision graph; `schema` writes the
//! models, or with `--from-database` the live database, as a Mermaid ER diagram (SQLite,
//! PostgreSQL, MySQL).

mod common;

use common::{Variant, Workdir};
use strata::dialect::DialectKind;
use strata::testing::TestDb;

use Variant::{Base, Phone};

#[test]
fn the_revision_graph_in_the_terminal_and_for_docs() {
    let tdb = TestDb::sqlite("pictures");
    let w = Workdir::new("pictures", Some(&tdb.url));
    w.run(Base, &["init"]).ok();
    let root = w.run(Base, &["migrate", "-m", "users"]).generated();
    // Two branches from the root, then a merge.
    let left = w.run(Base, &["revision", "-m", "left"]).generated();
    let right = w
        .run(
            Base,
            &["revision", "-m", "right", "--head", &root, "--splice"],
        )
        .generated();
    let merge = w.run(Base, &["merge", "-m", "join"]).generated();

    let history = w.run(Base, &["history", "--graph"]).ok();
    let lines: Vec<&str> = history.iter().map(String::as_str).collect();
    assert!(
        lines[0].starts_with("* ") && lines[0].contains(&merge),
        "{history:#?}"
    );
    assert_eq!(
        lines[1].trim_end(),
        "| \\",
        "the merge opens a lane: {history:#?}"
    );
    assert!(
        lines[2].starts_with("* |") || lines[2].starts_with("| *"),
        "{history:#?}"
    );
    // The branches join above the revision they start from.
    let n = lines.len();
    assert_eq!(lines[n - 2].trim_end(), "| /", "{history:#?}");
    assert!(
        lines[n - 1].starts_with("* ") && lines[n - 1].contains(&root),
        "{history:#?}"
    );
    for rev in [&left, &right] {
        assert!(
            history.iter().any(|l| l.contains(rev.as_str())),
            "{history:#?}"
        );
    }
    // Without --graph: no lanes.
    let plain = w.run(Base, &["history"]).ok();
    assert!(!plain[0].starts_with("* "), "{plain:#?}");

    let mermaid = w.run(Base, &["graph"]).ok().join("\n");
    assert!(mermaid.starts_with("flowchart BT"), "{mermaid}");
    for (p, c) in [
        (&root, &left),
        (&root, &right),
        (&left, &merge),
        (&right, &merge),
    ] {
        assert!(mermaid.contains(&format!("r_{p} --> r_{c}")), "{mermaid}");
    }
    let dot = w.run(Base, &["graph", "--format", "dot"]).ok().join("\n");
    assert!(dot.starts_with("digraph revisions {"), "{dot}");
    assert!(dot.contains(&format!("\"{root}\" -> \"{left}\";")), "{dot}");
    w.run(Base, &["graph", "--format", "png"]).fails(2);
}

#[tokio::test]
async fn the_schema_as_an_er_diagram_from_models_and_databases() {
    for kind in strata::testing::DIALECTS {
        let tdb = TestDb::new(kind, "pictures_schema").await;
        let w = Workdir::new("pictures-schema", Some(&tdb.url));
        w.run(Base, &["init"]).ok();
        let models = w.run(Phone, &["schema"]).ok().join("\n");
        assert!(models.starts_with("erDiagram"), "{kind}: {models}");
        assert!(models.contains("    users {"), "{kind}: {models}");
        assert!(models.contains(" id PK"), "{kind}: {models}");
        assert!(models.contains(" username UK"), "{kind}: {models}");
        assert!(models.contains(" phone \"nullable\""), "{kind}: {models}");

        w.run(Phone, &["migrate", "-m", "users"]).generated();
        w.run(Phone, &["upgrade"]).ok();
        let live = w.run(Phone, &["schema", "--from-database"]).ok().join("\n");
        assert!(live.contains("    users {"), "{kind}: {live}");
        assert!(live.contains(" phone \"nullable\""), "{kind}: {live}");
        assert!(
            !live.contains("strata_"),
            "{kind}: Strata's own tables: {live}"
        );
        if kind == DialectKind::Postgres {
            assert!(live.contains("varchar(80) username UK"), "{live}");
        }
        w.run(Phone, &["schema", "--format", "dot"])
            .error("Mermaid only");
    }
}
