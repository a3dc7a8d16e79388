//! Stage 8, CLI (end to end): `check` and `upgrade` name an applied migration file edited
//! since it ran, with the fix; `accept` records the harmless edit and both pass again.

mod common;

use common::{Variant, Workdir};
use strata::testing::TestDb;

use Variant::Base;

fn accept_flow(url: &str) {
    let w = Workdir::new("accept", Some(url));
    w.run(Base, &["init"]).ok();
    let rev = w.run(Base, &["migrate", "-m", "create users"]).generated();
    w.run(Base, &["upgrade"]).ok();
    w.run(Base, &["check"]).ok();

    let file = format!("migrations/versions/{rev}_create_users.toml");
    let text = std::fs::read_to_string(w.path(&file)).expect("read");
    std::fs::write(w.path(&file), format!("{text}\n# reviewed by ann\n")).expect("edit");

    for args in [&["check"][..], &["upgrade"][..], &["downgrade"][..]] {
        let run = w.run(Base, args);
        let err = run.error(&file);
        // Refused before anything else: no downgrade warning, no question; at most the line
        // saying which database a writing command uses.
        assert!(
            run.stdout.lines().all(|l| l.starts_with("Using ")),
            "{args:?}: {run:#?}"
        );
        for needle in [format!("revision {rev}"), format!("`migrate accept {rev}`")] {
            assert!(err.contains(&needle), "{args:?}: no `{needle}` in: {err}");
        }
    }

    let lines = w.run(Base, &["accept", &rev[..6]]).using(url);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("Accepting {file} (revision {rev}) as applied")),
        "{lines:?}"
    );
    assert_eq!(
        w.run(Base, &["check"]).ok(),
        ["No new upgrade operations detected."]
    );
    w.run(Base, &["upgrade"]).ok();
    assert_eq!(
        w.run(Base, &["accept", &rev]).using(url),
        [format!(
            "Nothing to accept: the file of {rev} is unchanged since it ran."
        )]
    );
    w.run(Base, &["accept"]).fails(2);
}

#[test]
fn accept_sqlite() {
    let db = TestDb::sqlite("accept_e2e");
    accept_flow(&db.url);
}

#[tokio::test]
async fn accept_postgres() {
    let db = TestDb::postgres("accept_e2e").await;
    accept_flow(&db.url);
}
