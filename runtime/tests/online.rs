//! Stage 7, apply in online forms (`online = true`) and in batches (`batch_size`), live: on
//! PostgreSQL, with a second session holding rows in an open transaction (or an advisory
//! lock the migration's scan needs), a third session reads and writes the table while the
//! online migration waits or scans, within a bounded lock timeout; the plain form of the same
//! migration makes that session fail on the lock timeout (the test can fail). No sleeps as
//! synchronisation: the tests wait until `pg_stat_activity` shows the migration waiting.

mod common;

use std::time::{Duration, Instant};

use sqlx::{Executor, Row};
use strata::apply::Event;
use strata::db::Db;
use strata::dialect::DialectKind;
use strata::dialect::IntrospectOptions;
use strata::diff::{diff_on, DiffOptions};
use strata::testing::{introspect, TestDb};
use strata::{Migrator, RunOptions};

use common::{temp_dir, write_revision, Dir};

const BASE: &str = "0a0000000001";
const CHANGE: &str = "0a0000000002";

/// Revision 1: `parent (id)` and `t (id, parent_id, email, score)`.
const TABLES: &str = r#"
[[upgrade]]
op = "create_table"

[upgrade.table]
name = "parent"
columns = [{ name = "id", type = "integer" }]
primary_key = { name = "pk_parent", columns = ["id"] }

[[upgrade]]
op = "create_table"

[upgrade.table]
name = "t"
columns = [
  { name = "id", type = "integer" },
  { name = "parent_id", type = "integer", nullable = true },
  { name = "email", type = "text", nullable = true },
  { name = "score", type = "integer", nullable = true },
]
primary_key = { name = "pk_t", columns = ["id"] }
"#;

/// The rows of `t`.
const ROWS: i64 = 3000;

/// A PostgreSQL database at revision 1 with `ROWS` rows in `t` (every column filled) and
/// 10 in `parent`, and revision 2 written as `header` (`online = true`, or nothing) plus
/// `ops`.
async fn at_base(tag: &str, header: &str, ops: &str) -> (Dir, Migrator, TestDb, Db) {
    let dir = temp_dir(tag);
    write_revision(&dir, BASE, None, TABLES);
    write_revision(&dir, CHANGE, Some(BASE), &format!("{header}\n{ops}"));
    let m = Migrator::open(&dir.0).expect("open");
    let tdb = TestDb::new(DialectKind::Postgres, tag).await;
    let mut db = m.connect(&tdb.url).await.expect("connect");
    m.upgrade(&mut db, BASE, &RunOptions::default(), |_| {})
        .await
        .expect("revision 1");
    db.conn()
        .execute(sqlx::raw_sql(&format!(
            "INSERT INTO parent (id) SELECT g FROM generate_series(1, 10) g;
             INSERT INTO t (id, parent_id, email, score)
               SELECT g, 1 + g % 10, 'u' || g, g FROM generate_series(1, {ROWS}) g"
        )))
        .await
        .expect("rows");
    (dir, m, tdb, db)
}

/// Waits until a session of this database runs a statement containing `statement` and
/// waits on a lock of `wait_event` (`virtualxid`, `relation`, `advisory`): the migration has
/// reached the point under test. Fails after 30 s.
async fn until_waiting(monitor: &mut Db, statement: &str, wait_event: &str) {
    until_waiting_for(monitor, statement, wait_event, 0).await
}

/// [`until_waiting`], once the statement has run for at least `ms` milliseconds.
async fn until_waiting_for(monitor: &mut Db, statement: &str, wait_event: &str, ms: u64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND wait_event_type = 'Lock' AND wait_event = '{wait_event}' \
         AND position('{statement}' in query) > 0 \
         AND clock_timestamp() - query_start >= interval '{ms} milliseconds'"
    );
    loop {
        let n: i64 = monitor
            .conn()
            .fetch_one(sql.as_str())
            .await
            .expect("pg_stat_activity")
            .get(0);
        if n > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no session ran `{statement}` waiting on a `{wait_event}` lock within 30 s"
        );
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A session that gives up on a lock after 2 s: what a request of the running app sees.
async fn app_session(m: &Migrator, tdb: &TestDb) -> Db {
    let mut db = m.connect(&tdb.url).await.expect("connect app");
    db.conn()
        .execute("SET lock_timeout = '2s'")
        .await
        .expect("lock_timeout");
    db
}

/// Runs `sql` as the app would; `Err` with the SQLSTATE when it fails.
async fn app_runs(app: &mut Db, sql: &str) -> Result<(), String> {
    match app.conn().execute(sqlx::raw_sql(sql)).await {
        Ok(_) => Ok(()),
        Err(e) => Err(e
            .as_database_error()
            .and_then(|d| d.code().map(|c| c.to_string()))
            .unwrap_or_else(|| e.to_string())),
    }
}

/// The live schema equals the one the revisions replay to: an empty diff.
async fn assert_no_difference(m: &Migrator, db: &mut Db) {
    let d = db.dialect();
    let live = introspect(db.conn(), d, &IntrospectOptions::default())
        .await
        .expect("introspect")
        .schema;
    let replayed = m.schema_at("head").expect("replay");
    let changes = diff_on(d, &live, &replayed, &DiffOptions::default()).expect("diff");
    assert!(changes.is_empty(), "{:#?}", changes.upgrade);
}

async fn scalar(db: &mut Db, sql: &str) -> i64 {
    db.conn().fetch_one(sql).await.expect(sql).get(0)
}

const INDEX: &str = r#"
[[upgrade]]
op = "create_index"
table = "t"
index = { name = "ix_t_email", columns = ["email"] }
"#;

/// `CREATE INDEX CONCURRENTLY` waits for the open writer's transaction without blocking
/// anyone: while it waits, the app reads and writes `t`; it waits past the migration's lock
/// timeout (200 ms), which does not apply to it. The plain `CREATE INDEX` queues a SHARE lock
/// behind the writer, and the app's write queues behind that until its lock timeout.
#[tokio::test]
async fn an_online_index_lets_the_app_write_while_it_waits() {
    for online in [true, false] {
        let header = if online {
            "online = true\nmigration_lock_timeout_ms = 200"
        } else {
            ""
        };
        let tag = if online { "onl_ix" } else { "onl_ix_plain" };
        let (_dir, m, tdb, mut db) = at_base(tag, header, INDEX).await;
        let mut holder = m.connect(&tdb.url).await.expect("holder");
        holder.conn().execute("BEGIN").await.expect("begin");
        holder
            .conn()
            .execute("UPDATE t SET score = score + 1 WHERE id = 1")
            .await
            .expect("hold a row");
        let mut monitor = m.connect(&tdb.url).await.expect("monitor");
        let mut app = app_session(&m, &tdb).await;
        let (statement, waits_on) = if online {
            ("CREATE INDEX CONCURRENTLY", "virtualxid")
        } else {
            ("CREATE INDEX", "relation")
        };
        // The upgrade and the app run side by side; the writer commits once the app is done.
        let opts = RunOptions::default();
        let upgrade = m.upgrade(&mut db, "head", &opts, |_| {});
        let app_meanwhile = async {
            // Online: well past the 200 ms lock timeout.
            let waited = if online { 1000 } else { 0 };
            until_waiting_for(&mut monitor, statement, waits_on, waited).await;
            let read = app_runs(&mut app, "SELECT count(*) FROM t").await;
            let write =
                app_runs(&mut app, "INSERT INTO t (id, email) VALUES (100001, 'new')").await;
            holder.conn().execute("COMMIT").await.expect("commit");
            (read, write)
        };
        let (result, (read, write)) = tokio::join!(upgrade, app_meanwhile);
        result.expect("the upgrade completes once the writer commits");
        assert_eq!(read, Ok(()), "online = {online}: reads go on");
        if online {
            assert_eq!(write, Ok(()), "the app writes while the index waits");
            let valid = scalar(
                &mut monitor,
                "SELECT count(*) FROM pg_index WHERE indexrelid = 'ix_t_email'::regclass \
                 AND indisvalid",
            )
            .await;
            assert_eq!(valid, 1, "the index is built and valid");
        } else {
            assert_eq!(
                write,
                Err("55P03".into()),
                "the plain form queues the app's write behind it"
            );
        }
    }
}

/// A check whose expression takes a shared advisory lock, so the validating scan waits
/// while a session holds that lock exclusively: the test stops the migration mid-scan.
const SLOW_CHECK: &str = r#"
[[upgrade]]
op = "add_check"
table = "t"
check = { name = "ck_t_score", expr = "strata_test_slow_ok(score)" }
"#;

const SLOW_FUNCTION: &str = "CREATE FUNCTION strata_test_slow_ok(v integer) RETURNS boolean \
     LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM pg_advisory_xact_lock_shared(4242); \
     RETURN v IS NULL OR v >= 0; END $$";

/// `VALIDATE CONSTRAINT` scans the rows under SHARE UPDATE EXCLUSIVE: while it scans, the
/// app reads and deletes rows. The plain `ADD CONSTRAINT ... CHECK` scans under ACCESS
/// EXCLUSIVE, and the app's read waits until its lock timeout.
#[tokio::test]
async fn an_online_check_validates_while_the_app_reads_and_writes() {
    for online in [true, false] {
        let header = if online { "online = true" } else { "" };
        let tag = if online { "onl_ck" } else { "onl_ck_plain" };
        let (_dir, m, tdb, mut db) = at_base(tag, header, SLOW_CHECK).await;
        db.conn().execute(SLOW_FUNCTION).await.expect("function");
        let mut holder = m.connect(&tdb.url).await.expect("holder");
        holder
            .conn()
            .execute("SELECT pg_advisory_lock(4242)")
            .await
            .expect("advisory lock");
        let mut monitor = m.connect(&tdb.url).await.expect("monitor");
        let mut app = app_session(&m, &tdb).await;
        let statement = if online {
            "VALIDATE CONSTRAINT"
        } else {
            "ADD CONSTRAINT"
        };
        let opts = RunOptions::default();
        let upgrade = m.upgrade(&mut db, "head", &opts, |_| {});
        let app_meanwhile = async {
            until_waiting(&mut monitor, statement, "advisory").await;
            let read = app_runs(&mut app, "SELECT count(*) FROM t").await;
            let write = app_runs(&mut app, "DELETE FROM t WHERE id = 7").await;
            holder
                .conn()
                .execute("SELECT pg_advisory_unlock(4242)")
                .await
                .expect("unlock");
            (read, write)
        };
        let (result, (read, write)) = tokio::join!(upgrade, app_meanwhile);
        result.expect("the upgrade completes once the scan can go on");
        if online {
            assert_eq!(read, Ok(()), "the app reads during the validation");
            assert_eq!(write, Ok(()), "the app writes during the validation");
            let validated = scalar(
                &mut monitor,
                "SELECT count(*) FROM pg_constraint WHERE conname = 'ck_t_score' AND convalidated",
            )
            .await;
            assert_eq!(validated, 1);
        } else {
            assert_eq!(read, Err("55P03".into()), "the plain form blocks reads");
        }
    }
}

const NOT_NULL: &str = r#"
[[upgrade]]
op = "alter_column"
table = "t"
column = "email"
nullable = { from = true, to = false }
"#;

/// NOT NULL through a validated check: the column ends NOT NULL and the helper check is gone.
/// With a NULL present, the validation fails before anything locks for long, the record says
/// how far it got, and after the NULL is fixed `--retry-interrupted` runs the revision again
/// from the start (its first statement clears the check the failed run left).
#[tokio::test]
async fn online_not_null_fails_cleanly_on_nulls_and_runs_again() {
    let (_dir, m, tdb, mut db) = at_base("onl_nn", "online = true", NOT_NULL).await;
    db.conn()
        .execute("UPDATE t SET email = NULL WHERE id = 5")
        .await
        .expect("a NULL");
    let e = m
        .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect_err("the NULL fails the validation");
    let text = e.to_string();
    assert!(text.contains("VALIDATE CONSTRAINT"), "{text}");
    assert!(text.contains("is violated by some row"), "{text}");
    let nullable = "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' \
                    AND column_name = 'email' AND is_nullable = 'YES'";
    assert_eq!(scalar(&mut db, nullable).await, 1, "still nullable");
    let mut fresh = m.connect(&tdb.url).await.expect("connect");
    let state = m.interrupted(&mut fresh).await.expect("records");
    assert_eq!(state.len(), 1, "{state:?}");
    assert_eq!(state[0].progress, Some((2, 5)), "{state:?}");
    db.conn()
        .execute("UPDATE t SET email = 'fixed' WHERE email IS NULL")
        .await
        .expect("fix");
    let retry = RunOptions {
        retry_interrupted: true,
        ..RunOptions::default()
    };
    m.upgrade(&mut db, "head", &retry, |_| {})
        .await
        .expect("runs again once the NULL is fixed");
    assert_eq!(scalar(&mut db, nullable).await, 0, "NOT NULL now");
    let helper = "SELECT count(*) FROM pg_constraint WHERE conname LIKE 'strata_not_null%'";
    assert_eq!(
        scalar(&mut db, helper).await,
        0,
        "the helper check is dropped"
    );
    // The downgrade makes it nullable again; the schema matches the models' replay.
    m.downgrade(&mut db, BASE, &RunOptions::default(), |_| {})
        .await
        .expect("downgrade");
    assert_eq!(scalar(&mut db, nullable).await, 1);
}

const FOREIGN_KEY_AND_UNIQUE: &str = r#"
[[upgrade]]
op = "add_foreign_key"
table = "t"
foreign_key = { name = "fk_t_parent_id_parent", columns = ["parent_id"], ref_table = "parent", ref_columns = ["id"] }

[[upgrade]]
op = "add_unique"
table = "t"
unique = { name = "uq_t_email", columns = ["email"] }
"#;

/// A foreign key added NOT VALID and validated, a unique constraint over an index built
/// concurrently: both end valid, with the names the file gives, and the live schema equals
/// the replayed one (an empty diff); the downgrade removes them.
#[tokio::test]
async fn online_foreign_keys_and_uniques_end_as_the_plain_forms_do() {
    let (_dir, m, _tdb, mut db) = at_base("onl_fk", "online = true", FOREIGN_KEY_AND_UNIQUE).await;
    let mut statements = Vec::new();
    m.upgrade(&mut db, "head", &RunOptions::default(), |e| {
        if let Event::Statement(s) = e {
            statements.push(s)
        }
    })
    .await
    .expect("upgrade");
    assert!(
        statements.iter().any(|s| s.contains("NOT VALID")),
        "{statements:#?}"
    );
    assert!(
        statements.iter().any(|s| s.contains("USING INDEX")),
        "{statements:#?}"
    );
    let valid = scalar(
        &mut db,
        "SELECT count(*) FROM pg_constraint WHERE conname IN ('fk_t_parent_id_parent', \
         'uq_t_email') AND convalidated",
    )
    .await;
    assert_eq!(valid, 2);
    assert_no_difference(&m, &mut db).await;
    m.downgrade(&mut db, BASE, &RunOptions::default(), |_| {})
        .await
        .expect("downgrade");
    let left = scalar(
        &mut db,
        "SELECT count(*) FROM pg_constraint WHERE conname IN ('fk_t_parent_id_parent', \
         'uq_t_email')",
    )
    .await;
    assert_eq!(left, 0);
}

const VOLATILE_COLUMN: &str = r#"
[[upgrade]]
op = "add_column"
table = "t"
column = { name = "token", type = "uuid", default = { sql = "gen_random_uuid()" } }
"#;

/// A NOT NULL column with a volatile default, online: added bare, backfilled in batches of
/// 10,000 rows (25,000 rows: 3 batches, then a run that changes none), then NOT NULL; every
/// row has its own value.
#[tokio::test]
async fn an_online_volatile_default_is_backfilled_in_batches() {
    let (_dir, m, _tdb, mut db) = at_base("onl_vol", "online = true", VOLATILE_COLUMN).await;
    db.conn()
        .execute(sqlx::raw_sql(&format!(
            "INSERT INTO t (id) SELECT g FROM generate_series({}, 25000) g",
            ROWS + 1
        )))
        .await
        .expect("more rows");
    let mut batches = Vec::new();
    m.upgrade(&mut db, "head", &RunOptions::default(), |e| {
        if let Event::Batch {
            batches: b,
            rows,
            done,
            ..
        } = e
        {
            batches.push((b, rows, done))
        }
    })
    .await
    .expect("upgrade");
    assert_eq!(
        batches,
        [
            (1, 10_000, false),
            (2, 20_000, false),
            (3, 25_000, false),
            (3, 25_000, true)
        ]
    );
    let distinct = scalar(&mut db, "SELECT count(DISTINCT token) FROM t").await;
    assert_eq!(distinct, 25_000);
    let not_null = scalar(
        &mut db,
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' \
         AND column_name = 'token' AND is_nullable = 'NO'",
    )
    .await;
    assert_eq!(not_null, 1);
    assert_no_difference(&m, &mut db).await;
}

/// An `sql` step with `batch_size` on every dialect: the statement runs until it changes no
/// rows, `batch_size` rows at a time, and its reverse (without the placeholder) runs once.
#[tokio::test]
async fn sql_steps_run_in_batches_on_every_dialect() {
    for kind in strata::testing::DIALECTS {
        let limit_rows = match kind {
            // MySQL and MariaDB refuse LIMIT in an IN subquery; UPDATE takes LIMIT itself.
            DialectKind::Mysql => "UPDATE t SET score = 0 WHERE score <> 0 LIMIT {batch_size}",
            _ => {
                "UPDATE t SET score = 0 WHERE id IN (SELECT id FROM t WHERE score <> 0 LIMIT \
                 {batch_size})"
            }
        };
        let ops = format!(
            r#"
[[upgrade]]
op = "sql"
sql = "{limit_rows}"
reverse = "UPDATE t SET score = id"
batch_size = 1000
"#
        );
        let dir = temp_dir("batches");
        write_revision(&dir, BASE, None, TABLES);
        write_revision(&dir, CHANGE, Some(BASE), &ops);
        let m = Migrator::open(&dir.0).expect("open");
        let tdb = TestDb::new(kind, "batches").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, BASE, &RunOptions::default(), |_| {})
            .await
            .expect("revision 1");
        let mut insert = String::from("INSERT INTO t (id, score) VALUES ");
        let values: Vec<String> = (1..=2500).map(|i| format!("({i}, {i})")).collect();
        insert.push_str(&values.join(", "));
        db.conn().execute(insert.as_str()).await.expect("rows");
        let mut batches = Vec::new();
        m.upgrade(&mut db, "head", &RunOptions::default(), |e| {
            if let Event::Batch {
                batches: b, rows, ..
            } = e
            {
                batches.push((b, rows))
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(
            batches,
            [(1, 1000), (2, 2000), (3, 2500), (3, 2500)],
            "{kind}"
        );
        let left = scalar(&mut db, "SELECT count(*) FROM t WHERE score <> 0").await;
        assert_eq!(left, 0, "{kind}");
        m.downgrade(&mut db, BASE, &RunOptions::default(), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        let restored = scalar(&mut db, "SELECT count(*) FROM t WHERE score = id").await;
        assert_eq!(restored, 2500, "{kind}");
    }
}

/// The brief statements of an online revision take their lock for an instant: behind a
/// session holding the table, the first of them gives up after the lock timeout (so the app
/// does not queue behind it), is retried alone (it ran in a transaction of its own and did not
/// take effect), and goes through once the session lets go.
#[tokio::test]
async fn online_statements_give_up_on_the_lock_and_are_retried() {
    let header = "online = true\nmigration_lock_timeout_ms = 200\nlock_retries = 10";
    let (_dir, m, tdb, mut db) = at_base(
        "onl_retry",
        header,
        SLOW_CHECK
            .replace("strata_test_slow_ok(score)", "score >= 0")
            .as_str(),
    )
    .await;
    let mut holder = m.connect(&tdb.url).await.expect("holder");
    holder.conn().execute("BEGIN").await.expect("begin");
    holder
        .conn()
        .execute("LOCK TABLE t IN ACCESS SHARE MODE")
        .await
        .expect("hold t");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let opts = RunOptions::default();
    let upgrade = m.upgrade(&mut db, "head", &opts, |e| {
        if let Event::Retrying { statement, .. } = e {
            let _ = tx.send(statement);
        }
    });
    let release = async {
        let statement = rx.recv().await.expect("a retry");
        holder.conn().execute("COMMIT").await.expect("commit");
        statement
    };
    let (result, retried) = tokio::join!(upgrade, release);
    result.expect("the retry goes through");
    assert!(retried.contains("\"ck_t_score\""), "{retried}");
    let validated = scalar(
        &mut db,
        "SELECT count(*) FROM pg_constraint WHERE conname = 'ck_t_score' AND convalidated",
    )
    .await;
    assert_eq!(validated, 1);
}
