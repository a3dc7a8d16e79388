//! Stage 7, apply: accepting a harmless edit of an applied migration file. The checksum guard
//! refuses the edited file, naming it and the fix; `Migrator::accept` records the new checksum
//! (a `strata_log` row with direction `accept`) without running anything; the guard then
//! passes. Live on SQLite and PostgreSQL.

mod common;

use sqlx::{Executor, Row};
use strata::testing::{TestDb, DIALECTS};
use strata::{Error, Migrator, RunOptions};

use common::{temp_dir, write_revision};

const T1: &str = r#"
[[upgrade]]
op = "sql"
sql = "CREATE TABLE t1 (id integer)"
reverse = "DROP TABLE t1"
"#;

const T2: &str = r#"
[[upgrade]]
op = "sql"
sql = "CREATE TABLE t2 (id integer)"
reverse = "DROP TABLE t2"
"#;

async fn log_rows(db: &mut strata::db::Db, direction: &str) -> Vec<(String, String)> {
    db.conn()
        .fetch_all(
            format!(
                "SELECT revision, checksum FROM strata_log WHERE direction = '{direction}' \
                 ORDER BY seq"
            )
            .as_str(),
        )
        .await
        .expect("log")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn a_harmless_edit_is_accepted_once_and_for_all() {
    for kind in DIALECTS {
        let dir = temp_dir("accept");
        let a1 = write_revision(&dir, "a1", None, T1);
        let m = Migrator::open(&dir.0).expect("open");
        let tdb = TestDb::new(kind, "accept").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("upgrade");
        let ran = m.graph().get("a1").expect("a1").checksum.clone();

        // A comment added to the applied file, and a new revision on top.
        let text = std::fs::read_to_string(&a1).expect("read");
        std::fs::write(&a1, format!("{text}# reviewed: fine\n")).expect("edit");
        write_revision(&dir, "b2", Some("a1"), T2);
        let m = Migrator::open(&dir.0).expect("reopen");
        let edited = m.graph().get("a1").expect("a1").checksum.clone();
        assert_ne!(ran, edited);

        let changed = m.changed_files(&mut db).await.expect("changed");
        assert_eq!(changed.len(), 1, "{kind}");
        assert_eq!(
            (
                changed[0].revision.as_str(),
                &changed[0].path,
                &changed[0].recorded
            ),
            ("a1", &a1, &ran)
        );
        let err = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect_err("the guard refuses");
        assert!(matches!(err, Error::ChangedFiles(_)), "{err:?}");
        let msg = err.to_string();
        let file = a1.display().to_string();
        for needle in [file.as_str(), "revision a1", "migrate accept a1"] {
            assert!(msg.contains(needle), "no `{needle}` in: {msg}");
        }

        // --allow-changed passes once and records nothing: still refused afterwards.
        let allow = RunOptions {
            allow_changed: true,
            ..RunOptions::default()
        };
        m.upgrade(&mut db, "head", &allow, |_| {})
            .await
            .expect("override");
        m.downgrade(&mut db, "-1", &allow, |_| {})
            .await
            .expect("override");
        assert_eq!(m.changed_files(&mut db).await.expect("changed").len(), 1);

        // Accepting records the new checksum; nothing runs, the version stays.
        let steps = m
            .accept(&mut db, &["a1".into()], |_| {})
            .await
            .expect("accept");
        assert_eq!(steps.len(), 1, "{kind}");
        assert!(steps[0].statements.is_empty());
        assert_eq!(
            log_rows(&mut db, "accept").await,
            [("a1".to_string(), edited.clone())],
            "{kind}"
        );
        assert_eq!(m.current(&mut db).await.expect("current"), ["a1"]);
        assert!(m.changed_files(&mut db).await.expect("changed").is_empty());
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("accepted: the guard passes");
        assert_eq!(m.current(&mut db).await.expect("current"), ["b2"]);

        // Accepting again: nothing to record.
        let again = m
            .accept(&mut db, &["a1".into()], |_| {})
            .await
            .expect("again");
        assert!(again.is_empty());
        assert_eq!(log_rows(&mut db, "accept").await.len(), 1);

        // A revision that is not applied, or a name that matches nothing: refused.
        m.downgrade(&mut db, "-1", &RunOptions::default(), |_| {})
            .await
            .expect("down");
        let err = m
            .accept(&mut db, &["b2".into()], |_| {})
            .await
            .expect_err("not applied")
            .to_string();
        assert!(err.contains("b2") && err.contains("not applied"), "{err}");
        m.accept(&mut db, &["zz".into()], |_| {})
            .await
            .expect_err("no such revision");

        // A file that no longer parses is not accepted.
        std::fs::write(&a1, format!("{text}\n[[upgrade]]\nop = \"nope\"\n")).expect("break");
        let m = Migrator::open_headers(&dir.0).expect("headers still read");
        let err = m
            .accept(&mut db, &["a1".into()], |_| {})
            .await
            .expect_err("broken file")
            .to_string();
        assert!(err.contains("a1_step.toml"), "{err}");
        assert_eq!(log_rows(&mut db, "accept").await.len(), 1);
    }
}
