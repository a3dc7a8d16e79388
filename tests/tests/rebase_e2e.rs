//! Stage 8, CLI (end to end): `rebase REV --onto TARGET` after two pull requests each added a
//! revision on the same head: one head again, `upgrade` runs the line; a branch whose ops do
//! not apply at the new place (both added the same column), a cycle and a merge point are
//! refused with nothing written.

mod common;

use common::{Variant, Workdir};
use strata::testing::{TestDb, DIALECTS};

use Variant::Base;

fn add_column(w: &Workdir, rev: &str, parent: &str, column: &str) -> std::path::PathBuf {
    let path = w.path(&format!("migrations/versions/{rev}_add_{column}.toml"));
    std::fs::write(
        &path,
        format!(
            "revision = \"{rev}\"\ndown_revision = \"{parent}\"\nmessage = \"add {column}\"\n\n\
             [[upgrade]]\nop = \"add_column\"\ntable = \"users\"\n\
             column = {{ name = \"{column}\", type = \"integer\", nullable = true }}\n"
        ),
    )
    .expect("write revision");
    path
}

#[tokio::test]
async fn two_pull_requests_become_one_line() {
    for kind in DIALECTS {
        one_line(kind).await;
    }
}

async fn one_line(kind: strata::dialect::DialectKind) {
    let tdb = TestDb::new(kind, "rebase_e2e").await;
    let w = Workdir::new("rebase", Some(&tdb.url));
    w.run(Base, &["init"]).ok();
    let root = w.run(Base, &["migrate", "-m", "users"]).generated();
    w.run(Base, &["upgrade"]).ok();
    // Two pull requests, each a revision on `root`, merged in git.
    add_column(&w, "0a0000000001", &root, "x");
    let theirs = add_column(&w, "0b0000000002", &root, "y");
    w.run(Base, &["hash"]).ok();
    assert_eq!(w.run(Base, &["heads"]).ok().len(), 2);

    let out = w
        .run(Base, &["rebase", "0b00", "--onto", "0a0000000001"])
        .ok()
        .join("\n");
    assert!(
        out.contains(&format!(
            "Rebased 0b0000000002 onto 0a0000000001 (was on {root})"
        )),
        "{out}"
    );
    let heads = w.run(Base, &["heads"]).ok();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(heads[0].starts_with("0b0000000002"), "{heads:?}");
    let text = std::fs::read_to_string(&theirs).expect("read");
    assert!(
        text.contains("down_revision = \"0a0000000001\"\n"),
        "{text}"
    );
    // strata.sum follows; the line upgrades.
    w.run(Base, &["upgrade"]).ok();
    assert!(w.run(Base, &["current"]).ok()[0].starts_with("0b0000000002"));

    // A third pull request adding `x` again does not apply after the first: refused.
    let third = add_column(&w, "0c0000000003", &root, "x");
    w.run(Base, &["hash"]).ok();
    let before = std::fs::read_to_string(&third).expect("read");
    let err = w
        .run(Base, &["rebase", "0c0000000003", "--onto", "0b0000000002"])
        .error("cannot rebase revision 0c0000000003");
    assert!(err.contains("does not apply") && err.contains('x'), "{err}");
    assert_eq!(std::fs::read_to_string(&third).expect("read"), before);

    // Onto something built on it: a cycle.
    let err = w
        .run(Base, &["rebase", "0a0000000001", "--onto", "0b0000000002"])
        .error("cannot rebase revision 0a0000000001");
    assert!(err.contains("cycle"), "{err}");
    // Already there.
    w.run(Base, &["rebase", "0b0000000002", "--onto", "0a0000000001"])
        .error("already built on 0a0000000001");
}
