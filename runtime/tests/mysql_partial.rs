//! Stage 7, apply on MySQL/MariaDB, whose DDL commits statement by statement: a revision that
//! fails at statement k is left "partially applied: k-1 of n statements"; the next `upgrade`
//! (once the cause is fixed) resumes at statement k, guarded by the file's checksum; a
//! `downgrade` reverses only the statements that ran. Against the real MariaDB server.

mod common;

use sqlx::Executor;
use strata::apply::Interruption;
use strata::dialect::DialectKind;
use strata::dialect::IntrospectOptions;
use strata::ops::Op;
use strata::schema::{Column, PrimaryKey, SqlType, Table};
use strata::testing::{introspect, TestDb};
use strata::{Error, Migrator, RunOptions};

use common::{temp_dir, write_op_revisions, Dir};

fn table(name: &str) -> Table {
    Table {
        name: name.into(),
        columns: vec![Column::new("id", SqlType::Integer)],
        primary_key: Some(PrimaryKey {
            name: format!("pk_{name}"),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    }
}

fn add(table: &str, column: &str) -> Op {
    Op::AddColumn {
        table: table.into(),
        column: Column::new(column, SqlType::Integer).nullable(),
    }
}

/// Revision 1 creates `base`; revision 2 (four statements) creates `a`, adds `a.x`, copies
/// rows from `source` (which does not exist yet: statement 3 fails), adds `a.y`.
fn chain(dir: &Dir) -> Migrator {
    let mut m = Migrator::open(&dir.0).expect("open");
    write_op_revisions(
        &mut m,
        &dir.0,
        vec![
            (
                "create base",
                "aaaa00000001",
                vec![Op::CreateTable {
                    table: table("base"),
                }],
            ),
            (
                "build a",
                "aaaa00000002",
                vec![
                    Op::CreateTable { table: table("a") },
                    add("a", "x"),
                    Op::Sql {
                        sql: "INSERT INTO a (id, x) SELECT id, id FROM source".into(),
                        reverse: Some("DELETE FROM a".into()),
                        dialect: None,
                        batch_size: None,
                        elidable: false,
                    },
                    add("a", "y"),
                ],
            ),
        ],
    )
}

async fn columns(db: &mut strata::db::Db, t: &str) -> Option<Vec<String>> {
    let d = db.dialect();
    let schema = introspect(db.conn(), d, &IntrospectOptions::default())
        .await
        .expect("introspect")
        .schema;
    schema
        .table(t)
        .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
}

async fn records(m: &Migrator, db: &mut strata::db::Db) -> Vec<Interruption> {
    m.interrupted(db).await.expect("records")
}

/// Upgrades and expects the failure at statement 3 of revision 2.
async fn fail_at_statement_3(m: &Migrator, db: &mut strata::db::Db) {
    let err = m
        .upgrade(db, "head", &RunOptions::default(), |_| {})
        .await
        .expect_err("statement 3 fails");
    let text = err.to_string();
    assert!(text.contains("source"), "{text}");
    assert!(
        text.contains("partially applied: 2 of 4 statements")
            && text.contains("resumes it at statement 3"),
        "{text}"
    );
    assert_eq!(m.current(db).await.expect("current"), ["aaaa00000001"]);
    let r = records(m, db).await;
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].progress, Some((2, 4)));
    let d = r[0].describe();
    assert!(
        d.starts_with("revision aaaa00000002 partially applied: 2 of 4 statements"),
        "{d}"
    );
    assert!(
        r[0].remedy().contains("resumes at statement 3"),
        "{}",
        r[0].remedy()
    );
    assert_eq!(columns(db, "a").await, Some(vec!["id".into(), "x".into()]));
}

#[tokio::test]
async fn a_failed_revision_resumes_where_it_stopped() {
    let dir = temp_dir("mysql-resume");
    let m = chain(&dir);
    let tdb = TestDb::new(DialectKind::Mysql, "partial_resume").await;
    let mut db = m.connect(&tdb.url).await.expect("connect");
    fail_at_statement_3(&m, &mut db).await;

    // `check` refuses while the revision is half applied, saying where it stands.
    let mut plain = m.connect(&tdb.url).await.expect("connect");
    let e = m
        .ensure_up_to_date(&mut plain)
        .await
        .expect_err("not up to date");
    assert!(
        e.to_string()
            .contains("revision aaaa00000002 partially applied: 2 of 4 statements"),
        "{e}"
    );
    plain.close().await;

    // The user fixes the cause; the next upgrade resumes at statement 3: statements 1 and 2
    // are not run again (they would fail: `a` exists).
    db.conn()
        .execute("CREATE TABLE source (id INTEGER PRIMARY KEY); INSERT INTO source VALUES (7), (8)")
        .await
        .expect("fix");
    let mut notes = Vec::new();
    let ran = m
        .upgrade(&mut db, "head", &RunOptions::default(), |e| {
            if let strata::apply::Event::Note(n) = e {
                notes.push(n)
            }
        })
        .await
        .expect("resumes");
    assert_eq!(ran.len(), 1);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("Resuming revision aaaa00000002 at statement 3 of 4")),
        "{notes:?}"
    );
    assert_eq!(m.current(&mut db).await.expect("current"), ["aaaa00000002"]);
    assert!(records(&m, &mut db).await.is_empty());
    assert_eq!(
        columns(&mut db, "a").await,
        Some(vec!["id".into(), "x".into(), "y".into()])
    );
    let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS SIGNED) FROM a")
        .fetch_one(db.conn())
        .await
        .expect("count");
    assert_eq!(n, 2, "statement 3 ran once");
    db.close().await;
}

#[tokio::test]
async fn a_changed_file_is_not_resumed() {
    let dir = temp_dir("mysql-changed");
    let m = chain(&dir);
    let tdb = TestDb::new(DialectKind::Mysql, "partial_changed").await;
    let mut db = m.connect(&tdb.url).await.expect("connect");
    fail_at_statement_3(&m, &mut db).await;
    let path = m.script("aaaa00000002").expect("script").path.clone();
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("FROM source", "FROM base")).expect("edit");
    let m = Migrator::open(&dir.0).expect("reopen");
    let err = m
        .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect_err("refuses");
    assert!(
        matches!(err, Error::PartialRevision { ref revision, .. } if revision == "aaaa00000002"),
        "{err}"
    );
    assert!(err.to_string().contains("migration file changed"), "{err}");
    // Nothing ran: the record and the schema are as the failure left them.
    assert_eq!(records(&m, &mut db).await[0].progress, Some((2, 4)));
    assert_eq!(
        columns(&mut db, "a").await,
        Some(vec!["id".into(), "x".into()])
    );
    db.close().await;
}

#[tokio::test]
async fn downgrade_reverses_only_what_ran() {
    let dir = temp_dir("mysql-reverse");
    let m = chain(&dir);
    let tdb = TestDb::new(DialectKind::Mysql, "partial_reverse").await;
    let mut db = m.connect(&tdb.url).await.expect("connect");
    fail_at_statement_3(&m, &mut db).await;
    let ran = m
        .downgrade(&mut db, "-1", &RunOptions::default(), |_| {})
        .await
        .expect("reverses");
    assert_eq!(ran.len(), 1, "only the partial revision: {ran:?}");
    assert_eq!(ran[0].statements.len(), 2, "{:?}", ran[0].statements);
    assert_eq!(columns(&mut db, "a").await, None, "a is gone");
    assert!(columns(&mut db, "base").await.is_some(), "revision 1 stays");
    assert_eq!(m.current(&mut db).await.expect("current"), ["aaaa00000001"]);
    assert!(
        records(&m, &mut db).await.is_empty(),
        "the record is closed"
    );
    // And the revision applies whole once the cause is fixed.
    db.conn()
        .execute("CREATE TABLE source (id INTEGER PRIMARY KEY)")
        .await
        .expect("fix");
    m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect("upgrade");
    assert_eq!(m.current(&mut db).await.expect("current"), ["aaaa00000002"]);
    db.close().await;
}

#[tokio::test]
async fn a_statement_finished_after_the_record_counts() {
    // The server can finish a statement after its client died, before the progress was
    // written: the record then says one statement less than the schema shows.
    let dir = temp_dir("mysql-reconcile");
    let m = chain(&dir);
    let tdb = TestDb::new(DialectKind::Mysql, "partial_reconcile").await;
    let mut db = m.connect(&tdb.url).await.expect("connect");
    fail_at_statement_3(&m, &mut db).await;
    // Pretend statement 2 (add a.x) had not been recorded.
    db.conn()
        .execute(
            "UPDATE strata_log SET message = REPLACE(message, '[2/4]', '[1/4]') \
             WHERE direction = 'up-run'",
        )
        .await
        .expect("rewind the record");
    let r = records(&m, &mut db).await;
    assert_eq!(r[0].progress, Some((2, 4)), "read against the live schema");
    db.conn()
        .execute("CREATE TABLE source (id INTEGER PRIMARY KEY)")
        .await
        .expect("fix");
    m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect("resumes at statement 3, not 2");
    assert_eq!(
        columns(&mut db, "a").await,
        Some(vec!["id".into(), "x".into(), "y".into()])
    );
    db.close().await;
}
