//! Stage 7, apply under lock timeouts (`migration_lock_timeout_ms`, `lock_retries`): a
//! migration statement that waits for a table lock another session holds fails after the
//! timeout, is rolled back and retried with backoff, and finally fails with what to do; a
//! reader queued behind the migration's lock request waits no longer than the timeout.
//! Against the real PostgreSQL and MariaDB servers; the blocking session is a second
//! connection holding a lock in an open transaction, released at a known point.

mod common;

use std::time::{Duration, Instant};

use sqlx::{Executor, Row};
use strata::apply::{ApplyError, Event};
use strata::db::Db;
use strata::dialect::DialectKind;
use strata::ops::Op;
use strata::schema::{Column, PrimaryKey, SqlType, Table};
use strata::testing::TestDb;
use strata::{Error, Migrator, RunOptions};

use common::{assert_mentions, temp_dir, write_op_revisions, Dir};

const FIRST: &str = "bbbb00000001";
const SECOND: &str = "bbbb00000002";

/// A migrations directory with `settings` as its `strata.toml`: revision 1 creates `t`,
/// revision 2 adds `t.extra` (one statement, which needs an exclusive lock on `t`).
fn chain(tag: &str, settings: &str) -> (Dir, Migrator) {
    let dir = temp_dir(tag);
    std::fs::write(dir.join("strata.toml"), settings).expect("settings");
    let mut m = Migrator::open(&dir.0).expect("open");
    let t = Table {
        name: "t".into(),
        columns: vec![Column::new("id", SqlType::Integer)],
        primary_key: Some(PrimaryKey {
            name: "pk_t".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    };
    let revisions = vec![
        ("create t", FIRST, vec![Op::CreateTable { table: t }]),
        (
            "add extra",
            SECOND,
            vec![Op::AddColumn {
                table: "t".into(),
                column: Column::new("extra", SqlType::Integer).nullable(),
            }],
        ),
    ];
    let m = write_op_revisions(&mut m, &dir, revisions);
    (dir, m)
}

/// A database at revision 1 (table `t` with one row), the migration connection, and a
/// second connection holding a lock on `t` in an open transaction, which makes DDL on `t`
/// wait (PostgreSQL: ACCESS SHARE; MySQL: the metadata lock of a read in a transaction).
async fn blocked(m: &Migrator, kind: DialectKind, tag: &str) -> (TestDb, Db, Db) {
    let tdb = TestDb::new(kind, tag).await;
    let mut db = m.connect(&tdb.url).await.expect("connect");
    m.upgrade(&mut db, FIRST, &RunOptions::default(), |_| {})
        .await
        .expect("revision 1");
    db.conn()
        .execute("INSERT INTO t (id) VALUES (1)")
        .await
        .expect("row");
    let mut blocker = m.connect(&tdb.url).await.expect("connect blocker");
    blocker.conn().execute("BEGIN").await.expect("begin");
    let lock = match kind {
        DialectKind::Postgres => "LOCK TABLE t IN ACCESS SHARE MODE",
        _ => "SELECT * FROM t",
    };
    blocker
        .conn()
        .fetch_all(sqlx::raw_sql(lock))
        .await
        .expect("lock t");
    (tdb, db, blocker)
}

async fn has_extra(db: &mut Db) -> bool {
    let n: i64 = db
        .conn()
        .fetch_one(
            "SELECT CAST(COUNT(*) AS SIGNED) FROM information_schema.columns \
             WHERE table_name = 't' AND column_name = 'extra' AND table_schema = DATABASE()",
        )
        .await
        .expect("columns")
        .try_get(0)
        .expect("count");
    n == 1
}

async fn has_extra_pg(db: &mut Db) -> bool {
    let row = db
        .conn()
        .fetch_one(
            "SELECT COUNT(*) FROM information_schema.columns \
             WHERE table_name = 't' AND column_name = 'extra' AND table_schema = current_schema()",
        )
        .await
        .expect("columns");
    row.try_get::<i64, _>(0).expect("count") == 1
}

/// (a) A blocker that never releases: the upgrade fails after exactly lock_retries + 1
/// attempts, with the message saying what to do, and nothing changed.
#[tokio::test]
async fn postgres_gives_up_after_the_retries() {
    let (_dir, m) = chain(
        "lt-pg-a",
        "migration_lock_timeout_ms = 200\nlock_retries = 3\n",
    );
    let (_tdb, mut db, mut blocker) = blocked(&m, DialectKind::Postgres, "lock_pg_a").await;
    let mut retries = Vec::new();
    let mut started = 0;
    let clock = Instant::now();
    let err = m
        .upgrade(&mut db, "head", &RunOptions::default(), |e| match e {
            Event::Retrying { retry, wait, .. } => retries.push((retry, wait)),
            Event::Started(s) if s.revision == SECOND => started += 1,
            _ => {}
        })
        .await
        .expect_err("the lock is never released");
    let elapsed = clock.elapsed();
    let ms = Duration::from_millis;
    assert_eq!(retries, vec![(1, ms(200)), (2, ms(400)), (3, ms(800))]);
    assert_eq!(started, 4, "ran the step lock_retries + 1 times");
    // Four waits of 200 ms and 1.4 s of backoff: bounded, not the server's endless wait.
    assert!(elapsed >= ms(2200) && elapsed < ms(20_000), "{elapsed:?}");
    assert!(
        matches!(&err, Error::Apply(ApplyError::LockTimeout(t))
            if t.attempts == 4 && t.revision == SECOND && t.timeouts.lock_timeout_ms == Some(200)),
        "{err:?}"
    );
    let text = err.to_string();
    assert_mentions(
        &text,
        &[
            "while applying revision bbbb00000002 (up)",
            "lock timeout (200 ms)",
            "4 time(s)",
            "statement: ALTER TABLE",
            "the transaction was rolled back",
            "pg_stat_activity",
            "raise migration_lock_timeout_ms",
        ],
    );
    assert_eq!(m.current(&mut db).await.expect("current"), [FIRST]);
    assert!(!has_extra_pg(&mut db).await, "the column was not added");
    blocker.conn().execute("ROLLBACK").await.expect("release");
    blocker.close().await;
    db.close().await;
}

/// (b) The blocker commits once the first attempt failed (seen as the Retrying event): a
/// retry succeeds.
#[tokio::test]
async fn postgres_succeeds_on_a_retry() {
    let (_dir, m) = chain("lt-pg-b", "migration_lock_timeout_ms = 200\n");
    let (_tdb, mut db, blocker) = blocked(&m, DialectKind::Postgres, "lock_pg_b").await;
    let mut blocker = Some(blocker);
    let mut released = None;
    let mut retries = 0;
    let ran = m
        .upgrade(&mut db, "head", &RunOptions::default(), |e| {
            if let Event::Retrying { retry, .. } = e {
                retries = retry;
                if let Some(mut b) = blocker.take() {
                    // Release the lock now, while the run waits its backoff.
                    released = Some(tokio::spawn(async move {
                        b.conn().execute("COMMIT").await.expect("commit blocker");
                        b.close().await;
                    }));
                }
            }
        })
        .await
        .expect("a retry succeeds");
    released
        .expect("the first attempt failed")
        .await
        .expect("released");
    assert!((1..=3).contains(&retries), "{retries}");
    assert_eq!(ran.last().map(|s| s.revision.as_str()), Some(SECOND));
    assert_eq!(m.current(&mut db).await.expect("current"), [SECOND]);
    assert!(has_extra_pg(&mut db).await);
    db.close().await;
}

/// Waits (bounded) until a statement waits for a lock on `t` that is not granted.
async fn until_waiting_for_t(watcher: &mut Db) {
    let poll = async {
        loop {
            let n: i64 = watcher
                .conn()
                .fetch_one(
                    "SELECT COUNT(*) FROM pg_locks WHERE relation = 't'::regclass AND NOT granted",
                )
                .await
                .expect("pg_locks")
                .get(0);
            if n > 0 {
                return;
            }
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), poll)
        .await
        .expect("the migration never waited for its lock");
}

/// Runs revision 2 while a blocker holds `t`; once the migration waits for its lock, a reader
/// of `t` runs with `bound`. Returns how the reader's query ended (`None`: still blocked at
/// the bound), then releases the blocker and expects the upgrade to succeed.
async fn reader_while_migrating(settings: &str, tag: &str, bound: Duration) -> Option<Duration> {
    let (_dir, m) = chain(tag, settings);
    let (tdb, mut db, mut blocker) = blocked(&m, DialectKind::Postgres, tag).await;
    let mut watcher = m.connect(&tdb.url).await.expect("watcher");
    let mut reader = m.connect(&tdb.url).await.expect("reader");
    let opts = RunOptions::default();
    let upgrade = m.upgrade(&mut db, "head", &opts, |_| {});
    let observe = async {
        until_waiting_for_t(&mut watcher).await;
        let clock = Instant::now();
        let read = tokio::time::timeout(bound, reader.conn().fetch_all("SELECT * FROM t")).await;
        let took = match read {
            Ok(rows) => {
                assert_eq!(rows.expect("read t").len(), 1);
                Some(clock.elapsed())
            }
            Err(_) => None,
        };
        blocker.conn().execute("COMMIT").await.expect("release");
        took
    };
    let (ran, took) = tokio::join!(upgrade, observe);
    ran.expect("the upgrade completes once the blocker is gone");
    assert!(has_extra_pg(&mut db).await);
    took
}

/// (c) While the migration waits for its lock, a reader of the table is held up at most
/// about the lock timeout; without one it is held up as long as the blocker lives.
#[tokio::test]
async fn postgres_readers_wait_at_most_the_lock_timeout() {
    let bound = Duration::from_millis(1500);
    let took = reader_while_migrating(
        "migration_lock_timeout_ms = 200\nlock_retries = 15\n",
        "lock_pg_c",
        bound,
    )
    .await;
    let took = took.expect("the reader was not blocked past the bound");
    assert!(took < bound, "{took:?}");
    // The control: no lock timeout, and the reader queues behind the migration's request.
    let blocked = reader_while_migrating("", "lock_pg_c_none", bound).await;
    assert_eq!(blocked, None, "without a lock timeout the reader waits");
}

/// (a) on MariaDB: DDL commits statement by statement, so the failing statement alone is
/// retried (it did not take effect); after the retries the revision is recorded as 0 of 1
/// statements done, and the next upgrade, once the blocker is gone, resumes it.
#[tokio::test]
async fn mysql_gives_up_after_the_retries_and_resumes() {
    let (_dir, m) = chain(
        "lt-my-a",
        "migration_lock_timeout_ms = 200\nlock_retries = 2\n",
    );
    let (_tdb, mut db, mut blocker) = blocked(&m, DialectKind::Mysql, "lock_my_a").await;
    let mut retries = Vec::new();
    let err = m
        .upgrade(&mut db, "head", &RunOptions::default(), |e| {
            if let Event::Retrying {
                retry,
                statement,
                lock_timeout_ms,
                ..
            } = e
            {
                assert!(statement.starts_with("ALTER TABLE"), "{statement}");
                assert_eq!(lock_timeout_ms, Some(200));
                retries.push(retry);
            }
        })
        .await
        .expect_err("the lock is never released");
    assert_eq!(retries, [1, 2]);
    assert!(
        matches!(
            &err,
            Error::Apply(ApplyError::LockTimeout(t)) if t.attempts == 3
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert_mentions(
        &text,
        &[
            "while applying revision bbbb00000002 (up)",
            "lock timeout (200 ms)",
            "3 time(s)",
            "statement: ALTER TABLE",
            "partially applied: 0 of 1 statements",
            "SHOW PROCESSLIST",
            "raise migration_lock_timeout_ms",
        ],
    );
    assert_eq!(m.current(&mut db).await.expect("current"), [FIRST]);
    assert!(!has_extra(&mut db).await, "the column was not added");
    // The session's timeouts were set back to the server's.
    let row = db
        .conn()
        .fetch_one("SELECT @@SESSION.lock_wait_timeout = @@GLOBAL.lock_wait_timeout")
        .await
        .expect("session");
    assert_eq!(row.try_get::<i64, _>(0).expect("flag"), 1);
    blocker.conn().execute("COMMIT").await.expect("release");
    blocker.close().await;
    m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect("resumes once the blocker is gone");
    assert_eq!(m.current(&mut db).await.expect("current"), [SECOND]);
    assert!(has_extra(&mut db).await);
    db.close().await;
}
