//! Migrator: `migrate test` (`Migrator::test_revisions`) on every dialect: a sound chain
//! passes, with its data tests; a downgrade that does not restore the schema, an upgrade that
//! is not repeatable, and a data test whose rows differ are each reported with the revision
//! and the difference; a database that is not empty is refused.

mod common;

use sqlx::Executor;
use strata::testing::{TestDb, DIALECTS};
use strata::Error;
use strata::Migrator;

use common::{write_chain, CREATE_USERS};

const CREATE: &str = CREATE_USERS;

const ADD_PLAN: &str = r#"
[[upgrade]]
op = "add_column"
table = "users"
column = { name = "plan", type = "varchar(20)", nullable = true }

[[upgrade]]
op = "sql"
sql = "UPDATE users SET plan = 'free'"
reverse = "SELECT 1"

[[test]]
name = "existing users get the free plan"
seed = "INSERT INTO users (id, name) VALUES (1, 'ann')"
after_upgrade = [{ query = "SELECT name, plan FROM users", rows = [["ann", "free"]] }]
after_downgrade = [{ query = "SELECT id, name FROM users", rows = [["1", "ann"]] }]
"#;

/// A downgrade declared by hand that forgets the column the upgrade added.
const FORGETFUL: &str = r#"
[[upgrade]]
op = "add_column"
table = "users"
column = { name = "age", type = "integer", nullable = true }

[[downgrade]]
op = "sql"
sql = "SELECT 1"
reverse = "SELECT 1"
"#;

/// A data test that expects the wrong rows.
const WRONG_EXPECTATION: &str = r#"
[[upgrade]]
op = "sql"
sql = "UPDATE users SET name = upper(name)"
reverse = "UPDATE users SET name = lower(name)"

[[test]]
name = "names are upper case"
after_upgrade = [{ query = "SELECT name FROM users ORDER BY id", rows = [["Ann"]] }]
"#;

fn chain(tag: &str, revisions: &[(&str, &str)]) -> (common::Dir, Migrator) {
    let dir = write_chain(tag, revisions);
    let m = Migrator::open(&dir.0).expect("open");
    (dir, m)
}

#[tokio::test]
async fn a_sound_chain_passes_with_its_data_tests() {
    for kind in DIALECTS {
        let (_dir, m) = chain(
            "rt-ok",
            &[("0b0000000001", CREATE), ("0b0000000002", ADD_PLAN)],
        );
        let tdb = TestDb::new(kind, "revtest_ok").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        let mut seen = Vec::new();
        let report = m
            .test_revisions(&mut db, None, |e| seen.push(e))
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(report.passed(), "{kind}: {report:#?}");
        assert_eq!((report.revisions, report.tests), (2, 1), "{kind}");
        assert_eq!(seen.len(), 2, "{kind}");
        // The walk ends at the head, upgraded.
        assert_eq!(m.current(&mut db).await.expect("current"), ["0b0000000002"]);
    }
}

#[tokio::test]
async fn broken_revisions_are_reported_with_the_difference() {
    for kind in DIALECTS {
        let (_dir, m) = chain(
            "rt-broken",
            &[
                ("0c0000000001", CREATE),
                ("0c0000000002", FORGETFUL),
                ("0c0000000003", WRONG_EXPECTATION),
            ],
        );
        let tdb = TestDb::new(kind, "revtest_broken").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        db.conn()
            .execute("SELECT 1")
            .await
            .expect("a live connection");
        let report = m
            .test_revisions(&mut db, None, |_| {})
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert!(!report.passed(), "{kind}");
        let texts: Vec<String> = report
            .failures
            .iter()
            .map(|f| format!("{} {}", f.revision, f.what))
            .collect();
        assert!(
            texts.iter().any(
                |t| t.starts_with("0c0000000002 the downgrade does not restore")
                    && t.contains("age")
            ),
            "{kind}: {texts:#?}"
        );
        assert!(
            texts.iter().any(|t| t
                .starts_with("0c0000000002 the upgrade after the downgrade failed")
                || t.starts_with("0c0000000002 the upgrade is not repeatable")),
            "{kind}: {texts:#?}"
        );
        assert!(
            report
                .failures
                .iter()
                .all(|f| f.path.ends_with(format!("{}_step.toml", f.revision))),
            "{kind}: {report:#?}"
        );
    }
}

#[tokio::test]
async fn a_data_test_with_the_wrong_rows_fails() {
    for kind in DIALECTS {
        let seeded = format!(
            "{WRONG_EXPECTATION}seed = \"INSERT INTO users (id, name) VALUES (1, 'ann')\"\n"
        );
        let (_dir, m) = chain(
            "rt-data",
            &[("0d0000000001", CREATE), ("0d0000000002", &seeded)],
        );
        let tdb = TestDb::new(kind, "revtest_data").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        let report = m
            .test_revisions(&mut db, None, |_| {})
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(report.failures.len(), 1, "{kind}: {report:#?}");
        let what = &report.failures[0].what;
        assert!(
            what.contains("`names are upper case` after the upgrade")
                && what.contains("returned [[\"ANN\"]], expected [[\"Ann\"]]"),
            "{kind}: {what}"
        );
    }
}

#[tokio::test]
async fn only_an_empty_database_is_used() {
    let (_dir, m) = chain("rt-empty", &[("0e0000000001", CREATE)]);
    let tdb = TestDb::new(strata::dialect::DialectKind::Postgres, "revtest_empty").await;
    let mut db = m.connect(&tdb.url).await.expect("connect");
    db.conn()
        .execute("CREATE TABLE precious (id integer)")
        .await
        .expect("a table");
    let e = m
        .test_revisions(&mut db, None, |_| {})
        .await
        .expect_err("refused");
    assert!(matches!(e, Error::ScratchNotEmpty(_)), "{e}");
    assert!(e.to_string().contains("precious"), "{e}");
}
