//! Stage 7, apply: what the executor guarantees when a run stops half way, on real SQLite and
//! PostgreSQL: interruption records for steps outside a transaction, a dropped audit log,
//! foreign-key checks of rebuilt tables only, re-planning after hand-written SQL, atomic
//! ranges outside a transaction, SQLite's lock wait, and stopping on request.
//!
//! Killing a real process at many points is `tests/tests/crash.rs`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sqlx::{AnyConnection, Connection, Executor, Row};
use strata::apply::{self, ApplyError, Event, PlannedStep, StepKind, StopFlag, TxMode};
use strata::dialect::DialectKind;
use strata::ops::Op;
use strata::schema::{Column, PrimaryKey, SqlType, Table};
use strata::testing::TestDb;
use strata::testing::{self as support, ExecuteOptions};
use strata::{Error, Migrator, NewRevision, RunOptions};

const BOTH: [DialectKind; 2] = [DialectKind::Sqlite, DialectKind::Postgres];

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir(tag: &str) -> Dir {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "strata-safety-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("versions")).expect("temp dir");
    Dir(d)
}

fn users() -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            Column::new("id", SqlType::Integer),
            Column::new("username", SqlType::Varchar(80)),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    }
}

fn sql(sql: &str, reverse: &str) -> Op {
    Op::Sql {
        sql: sql.into(),
        reverse: Some(reverse.into()),
        dialect: None,
        batch_size: None,
        elidable: false,
    }
}

/// Writes revisions `(id, transactional, upgrade ops)` as a chain and reads them back.
fn chain(dir: &Dir, revisions: Vec<(&str, bool, Vec<Op>)>) -> Migrator {
    let mut m = Migrator::open(&dir.0).expect("open");
    for (id, transactional, upgrade) in revisions {
        let downgrade = strata::ops::reverse_all(&upgrade).expect("reversible");
        let script = m
            .write_revision(NewRevision {
                message: format!("rev {id}"),
                rev_id: Some(id.into()),
                upgrade,
                downgrade,
                ..NewRevision::default()
            })
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        if !transactional {
            let text = std::fs::read_to_string(&script.path).expect("read");
            let text = text.replacen("message = ", "transactional = false\nmessage = ", 1);
            std::fs::write(&script.path, text).expect("write");
            m = Migrator::open(&dir.0).expect("reopen");
        }
    }
    Migrator::open(&dir.0).expect("reopen")
}

async fn count(db: &mut strata::db::Db, query: &str) -> i64 {
    db.conn()
        .fetch_one(query)
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .get::<i64, _>(0)
}

async fn table_exists(db: &mut strata::db::Db, table: &str) -> bool {
    let d = db.dialect();
    count(db, &d.table_exists_sql(table)).await > 0
}

#[tokio::test]
async fn an_interrupted_step_outside_a_transaction_is_recorded_and_blocks_until_resolved() {
    for kind in BOTH {
        let dir = temp_dir("record");
        let m = chain(
            &dir,
            vec![
                (
                    "aaaa00000001",
                    true,
                    vec![Op::CreateTable { table: users() }],
                ),
                (
                    "bbbb00000002",
                    false,
                    vec![
                        sql(
                            "INSERT INTO users (id, username) VALUES (1, 'ann')",
                            "DELETE FROM users WHERE id = 1",
                        ),
                        sql("CREATE TABLE notes (id integer)", "DROP TABLE notes"),
                        sql("SELECT * FROM no_such_table", "SELECT 1"),
                    ],
                ),
            ],
        );
        let tdb = TestDb::new(kind, "record").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        let err = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect_err("the third statement fails")
            .to_string();
        assert!(
            err.contains("2 of its 3 statements completed"),
            "{kind}: {err}"
        );
        assert_eq!(m.current(&mut db).await.expect("current"), ["aaaa00000001"]);

        // The record says what ran and what to do; upgrade and check refuse.
        let records = m.interrupted(&mut db).await.expect("records");
        assert_eq!(records.len(), 1, "{kind}: {records:?}");
        let r = &records[0];
        assert_eq!(
            (r.revision.as_str(), r.kind, r.progress),
            ("bbbb00000002", StepKind::Up, Some((2, 3))),
            "{kind}"
        );
        assert_eq!(
            r.stamp_to.as_deref(),
            Some(&["bbbb00000002".to_string()][..])
        );
        let err = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect_err("refuses while the record is open");
        assert!(
            matches!(err, Error::Apply(ApplyError::Interrupted(_))),
            "{kind}: {err}"
        );
        let err = err.to_string();
        for needle in [
            "bbbb00000002",
            "started at",
            "outside a single transaction",
            "statement 3 was running",
            "`stamp bbbb00000002`",
            "`upgrade --retry-interrupted`",
            "Nothing was run",
        ] {
            assert!(err.contains(needle), "{kind}: `{needle}` in {err}");
        }
        assert_eq!(count(&mut db, "SELECT count(*) FROM users").await, 1);
        let err = m
            .ensure_up_to_date(&mut db)
            .await
            .expect_err("check refuses");
        assert!(
            err.to_string().contains("--retry-interrupted"),
            "{kind}: {err}"
        );
        assert!(!m.is_up_to_date(&mut db).await.expect("up to date?"));

        // Undo by hand, fix the file, retry: the record is closed and the revision runs again.
        db.conn()
            .execute("DELETE FROM users WHERE id = 1")
            .await
            .expect("undo");
        db.conn().execute("DROP TABLE notes").await.expect("undo");
        let path = m.graph().get("bbbb").expect("rev").path.clone();
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replace("no_such_table", "users")).expect("fix");
        let m = Migrator::open(&dir.0).expect("reopen");
        let mut notes = Vec::new();
        let retry = RunOptions {
            retry_interrupted: true,
            ..RunOptions::default()
        };
        m.upgrade(&mut db, "head", &retry, |e| {
            if let Event::Note(n) = e {
                notes.push(n)
            }
        })
        .await
        .expect("retry");
        assert!(
            notes
                .iter()
                .any(|n| n.contains("Closed the interruption record of revision bbbb00000002")),
            "{kind}: {notes:?}"
        );
        assert_eq!(m.current(&mut db).await.expect("current"), ["bbbb00000002"]);
        assert!(m.interrupted(&mut db).await.expect("records").is_empty());
        assert_eq!(count(&mut db, "SELECT count(*) FROM users").await, 1);
        let log: Vec<(String, String)> = db
            .conn()
            .fetch_all(
                "SELECT direction, message FROM strata_log WHERE revision = 'bbbb00000002' \
                 ORDER BY seq",
            )
            .await
            .expect("log")
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert_eq!(log.len(), 2, "{kind}: {log:?}");
        assert_eq!(
            log[0].0, "up-run",
            "{kind}: the closed record stays in the log"
        );
        assert!(
            log[0]
                .1
                .starts_with("interrupted after 2 of 3 statements, closed by --retry-interrupted"),
            "{kind}: {log:?}"
        );
        assert_eq!(log[1], ("up".into(), "rev bbbb00000002".into()), "{kind}");
    }
}

#[tokio::test]
async fn stamp_closes_an_interruption_record() {
    for kind in BOTH {
        let dir = temp_dir("stamp-close");
        let m = chain(
            &dir,
            vec![
                (
                    "aaaa00000001",
                    true,
                    vec![Op::CreateTable { table: users() }],
                ),
                (
                    "bbbb00000002",
                    false,
                    vec![
                        sql("CREATE TABLE notes (id integer)", "DROP TABLE notes"),
                        sql("CREATE TABLE oops (", "SELECT 1"),
                    ],
                ),
            ],
        );
        let tdb = TestDb::new(kind, "stamp-close").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect_err("fails");
        // Downgrading refuses too, naming the record.
        let err = m
            .downgrade(&mut db, "base", &RunOptions::default(), |_| {})
            .await
            .expect_err("refuses")
            .to_string();
        assert!(err.contains("bbbb00000002"), "{kind}: {err}");
        assert!(
            table_exists(&mut db, "users").await,
            "{kind}: nothing was run"
        );
        // Finished by hand: stamping records it and closes the record.
        let mut notes = Vec::new();
        m.stamp(&mut db, &["bbbb00000002".into()], false, |e| {
            if let Event::Note(n) = e {
                notes.push(n)
            }
        })
        .await
        .expect("stamp");
        assert!(
            notes
                .iter()
                .any(|n| n.contains("Closed the interruption record")),
            "{kind}: {notes:?}"
        );
        assert!(m.interrupted(&mut db).await.expect("records").is_empty());
        assert!(
            m.is_up_to_date(&mut db).await.expect("up to date"),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn an_interrupted_downgrade_names_the_stamp_that_records_it() {
    let dir = temp_dir("down-record");
    let m = chain(
        &dir,
        vec![
            (
                "aaaa00000001",
                true,
                vec![Op::CreateTable { table: users() }],
            ),
            (
                "bbbb00000002",
                false,
                vec![
                    sql("SELECT 1", "DROP TABLE no_such_table"),
                    sql("CREATE TABLE notes (id integer)", "DROP TABLE notes"),
                ],
            ),
        ],
    );
    let tdb = TestDb::sqlite("down-record");
    let mut db = m.connect(&tdb.url).await.expect("connect");
    m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect("up");
    m.downgrade(&mut db, "-1", &RunOptions::default(), |_| {})
        .await
        .expect_err("the second statement of the reverse fails");
    let records = m.interrupted(&mut db).await.expect("records");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].kind, StepKind::Down);
    assert_eq!(records[0].progress, Some((1, 2)));
    assert!(
        records[0].remedy().contains("`stamp --purge aaaa00000001`"),
        "{}",
        records[0].remedy()
    );
    assert!(records[0]
        .remedy()
        .contains("`downgrade --retry-interrupted`"));
}

#[tokio::test]
async fn a_dropped_audit_log_is_an_error_until_stamp_creates_it_again() {
    for kind in BOTH {
        let dir = temp_dir("log-missing");
        let m = chain(
            &dir,
            vec![
                (
                    "aaaa00000001",
                    true,
                    vec![Op::CreateTable { table: users() }],
                ),
                (
                    "bbbb00000002",
                    true,
                    vec![Op::AddColumn {
                        table: "users".into(),
                        column: Column::new("email", SqlType::Text).nullable(),
                    }],
                ),
            ],
        );
        let tdb = TestDb::new(kind, "log-missing").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, "aaaa", &RunOptions::default(), |_| {})
            .await
            .expect("up");
        db.conn()
            .execute("DROP TABLE strata_log")
            .await
            .expect("drop by hand");
        let err = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect_err("no silent re-creation");
        assert!(
            matches!(err, Error::Apply(ApplyError::LogMissing { .. })),
            "{kind}: {err}"
        );
        let err = err.to_string();
        for needle in ["strata_log", "checksum guard", "`stamp aaaa00000001`"] {
            assert!(err.contains(needle), "{kind}: `{needle}` in {err}");
        }
        assert!(!table_exists(&mut db, "strata_log").await, "{kind}");
        assert_eq!(m.current(&mut db).await.expect("current"), ["aaaa00000001"]);

        let mut notes = Vec::new();
        m.stamp(&mut db, &["aaaa00000001".into()], false, |e| {
            if let Event::Note(n) = e {
                notes.push(n)
            }
        })
        .await
        .expect("stamp");
        assert!(
            notes.iter().any(|n| n.contains("created again")),
            "{kind}: {notes:?}"
        );
        assert!(table_exists(&mut db, "strata_log").await, "{kind}");
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("upgrade works again");
        assert_eq!(m.current(&mut db).await.expect("current"), ["bbbb00000002"]);
    }
}

#[tokio::test]
async fn hand_written_sql_makes_the_rest_of_the_plan_render_from_the_live_schema() {
    for kind in BOTH {
        for mode in [TxMode::Whole, TxMode::PerMigration] {
            let dir = temp_dir("replan");
            // Revision b creates a table only its SQL knows about; c alters that table.
            let m = chain(
                &dir,
                vec![
                    (
                        "aaaa00000001",
                        true,
                        vec![Op::CreateTable { table: users() }],
                    ),
                    (
                        "bbbb00000002",
                        true,
                        vec![sql(
                            "CREATE TABLE notes (id integer PRIMARY KEY, body text)",
                            "DROP TABLE notes",
                        )],
                    ),
                    (
                        "cccc00000003",
                        true,
                        vec![Op::AddColumn {
                            table: "notes".into(),
                            column: Column::new("extra", SqlType::Text).nullable(),
                        }],
                    ),
                    (
                        "dddd00000004",
                        true,
                        vec![Op::AddColumn {
                            table: "users".into(),
                            column: Column::new("email", SqlType::Text).nullable(),
                        }],
                    ),
                ],
            );
            let tdb = TestDb::new(kind, "replan").await;
            let mut db = m.connect(&tdb.url).await.expect("connect");
            let opts = RunOptions {
                tx_mode: Some(mode),
                ..RunOptions::default()
            };
            let done = m
                .upgrade(&mut db, "head", &opts, |_| {})
                .await
                .unwrap_or_else(|e| panic!("{kind} {mode:?}: {e}"));
            assert_eq!(done.len(), 4, "{kind} {mode:?}");
            assert!(done[1].replan_after && !done[2].replan_after);
            assert_eq!(m.current(&mut db).await.expect("current"), ["dddd00000004"]);
            db.conn()
                .execute("INSERT INTO notes (id, body, extra) VALUES (1, 'b', 'e')")
                .await
                .unwrap_or_else(|e| panic!("{kind} {mode:?}: notes.extra exists: {e}"));
        }
    }
}

#[tokio::test]
async fn a_replanned_run_is_still_one_transaction() {
    for kind in BOTH {
        let dir = temp_dir("replan-tx");
        let m = chain(
            &dir,
            vec![
                (
                    "aaaa00000001",
                    true,
                    vec![Op::CreateTable { table: users() }],
                ),
                (
                    "bbbb00000002",
                    true,
                    vec![sql("CREATE TABLE notes (id integer)", "DROP TABLE notes")],
                ),
                (
                    "cccc00000003",
                    true,
                    vec![sql("SELECT * FROM no_such_table", "SELECT 1")],
                ),
            ],
        );
        let tdb = TestDb::new(kind, "replan-tx").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect_err("c fails");
        assert!(
            m.current(&mut db).await.expect("current").is_empty(),
            "{kind}"
        );
        assert!(!table_exists(&mut db, "notes").await, "{kind}: rolled back");
        assert!(!table_exists(&mut db, "users").await, "{kind}: rolled back");
    }
}

/// A hand-made step for [`strata::testing::execute`].
fn step(revision: &str, statements: &[&str], add: &[&str], remove: &[&str]) -> PlannedStep {
    PlannedStep {
        revision: revision.into(),
        message: format!("step {revision}"),
        kind: StepKind::Up,
        remove_heads: remove.iter().map(|s| s.to_string()).collect(),
        add_heads: add.iter().map(|s| s.to_string()).collect(),
        statements: statements.iter().map(|s| s.to_string()).collect(),
        transactional: true,
        batch: true,
        checksum: None,
        atomic: Vec::new(),
        rebuilt_tables: Vec::new(),
        replan_after: false,
        partial: None,
        timeouts: Default::default(),
        from_label: remove.join(", "),
        to_label: add.join(", "),
    }
}

/// Runs `step` once (when the version rows are `step.remove_heads`) and returns the result
/// and the events.
async fn execute_one(
    db: &mut strata::db::Db,
    step: PlannedStep,
    opts: ExecuteOptions,
) -> (Result<Vec<PlannedStep>, ApplyError>, Vec<Event>) {
    let dialect = db.dialect();
    let mut events = Vec::new();
    let planner = async |_c: &mut AnyConnection, heads: &[String]| {
        Ok::<_, ApplyError>(if heads == step.remove_heads.as_slice() {
            vec![step.clone()]
        } else {
            Vec::new()
        })
    };
    let result = support::execute(db.conn(), dialect, opts, planner, &mut |e| events.push(e)).await;
    (result, events)
}

/// SQLite's table-rebuild procedure for `users`, copying the rows `filter` keeps.
fn rebuild_users(filter: &str) -> Vec<String> {
    vec![
        "CREATE TABLE _strata_new_users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)".into(),
        format!("INSERT INTO _strata_new_users (id, name) SELECT id, name FROM users {filter}"),
        "DROP TABLE users".into(),
        "ALTER TABLE _strata_new_users RENAME TO users".into(),
    ]
}

#[tokio::test]
async fn sqlite_foreign_key_check_looks_at_rebuilt_tables_and_tolerates_old_orphans() {
    let tdb = TestDb::sqlite("fk");
    let mut db = tdb.connect().await;
    for s in [
        "PRAGMA foreign_keys = OFF",
        "CREATE TABLE owners (id INTEGER PRIMARY KEY)",
        "CREATE TABLE legacy (id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES owners (id))",
        "INSERT INTO legacy VALUES (1, 42)",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id))",
        "INSERT INTO users VALUES (1, 'ann'), (2, 'bob')",
        "INSERT INTO posts VALUES (1, 1), (2, 2), (3, 99)",
    ] {
        db.conn().execute(s).await.expect(s);
    }
    let statements = rebuild_users("");
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    let mut ok = step("aaaa00000001", &refs, &["aaaa00000001"], &[]);
    ok.rebuilt_tables = vec!["users".into()];
    let (result, events) = execute_one(&mut db, ok, ExecuteOptions::default()).await;
    result.expect("the orphans were there before: the rebuild passes");
    let warnings: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("table posts has 1 row(s)") && warnings[0].contains("users"),
        "{warnings:?}"
    );
    assert!(
        !warnings[0].contains("legacy"),
        "an unrelated table is not looked at"
    );

    // A rebuild that drops a referenced row is the migration's doing: it fails and rolls back.
    let statements = rebuild_users("WHERE id <> 1");
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    let mut bad = step("bbbb00000002", &refs, &["bbbb00000002"], &["aaaa00000001"]);
    bad.rebuilt_tables = vec!["USERS".into()];
    let (result, _) = execute_one(&mut db, bad, ExecuteOptions::default()).await;
    let err = result.expect_err("a new orphan").to_string();
    assert!(
        err.contains("1 new row(s) of posts") && err.contains("rowid 1 (parent users)"),
        "{err}"
    );
    assert!(err.contains("rolled back"), "{err}");
    assert_eq!(count(&mut db, "SELECT count(*) FROM users").await, 2);
    let heads: String = db
        .conn()
        .fetch_one("SELECT version_num FROM strata_version")
        .await
        .expect("version")
        .get(0);
    assert_eq!(heads, "aaaa00000001");
}

#[tokio::test]
async fn sqlite_atomic_ranges_outside_a_transaction_take_effect_together() {
    let tdb = TestDb::sqlite("atomic");
    let mut db = tdb.connect().await;
    db.conn()
        .execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        .await
        .expect("users");
    db.conn()
        .execute("INSERT INTO users VALUES (1, 'ann'), (2, 'bob')")
        .await
        .expect("rows");
    // The rebuild's last statement fails: the whole rebuild is undone, the statement before
    // it (outside any range) stays.
    let mut statements = vec!["CREATE TABLE before_rebuild (id integer)".to_string()];
    statements.extend(rebuild_users(""));
    statements.push("CREATE INDEX ix ON no_such_table (x)".into());
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    let mut s = step("aaaa00000001", &refs, &["aaaa00000001"], &[]);
    s.transactional = false;
    s.atomic = std::iter::once(1..6).collect();
    s.rebuilt_tables = vec!["users".into()];
    let (result, _) = execute_one(&mut db, s.clone(), ExecuteOptions::default()).await;
    let err = result.expect_err("fails").to_string();
    assert!(err.contains("were rolled back"), "{err}");
    assert!(table_exists(&mut db, "before_rebuild").await);
    assert!(!table_exists(&mut db, "_strata_new_users").await, "{err}");
    assert_eq!(count(&mut db, "SELECT count(*) FROM users").await, 2);
    let dialect = db.dialect();
    let records = support::read_interrupted(db.conn(), dialect)
        .await
        .expect("records");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].progress, Some((1, 6)), "{records:?}");

    // Fixed, and retried: it completes, the version rows move and the record is completed.
    db.conn()
        .execute("DROP TABLE before_rebuild")
        .await
        .expect("undo");
    s.statements[5] = "CREATE INDEX ix ON users (name)".into();
    let opts = ExecuteOptions {
        interrupted: support::OnInterrupted::Retry,
        ..ExecuteOptions::default()
    };
    let (result, _) = execute_one(&mut db, s, opts).await;
    result.expect("completes");
    assert_eq!(count(&mut db, "SELECT count(*) FROM users").await, 2);
    assert!(support::read_interrupted(db.conn(), dialect)
        .await
        .expect("records")
        .is_empty());
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM strata_log WHERE direction = 'up' AND finished_at <> ''"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn sqlite_waits_for_the_lock_and_times_out_with_advice() {
    let dir = temp_dir("sqlite-lock");
    std::fs::write(dir.0.join("strata.toml"), "lock_timeout_seconds = 1\n").expect("settings");
    let m = chain(
        &dir,
        vec![(
            "aaaa00000001",
            true,
            vec![Op::CreateTable { table: users() }],
        )],
    );
    let tdb = TestDb::sqlite("lock");
    let mut db = m.connect(&tdb.url).await.expect("connect");
    let mut holder = AnyConnection::connect(&tdb.url).await.expect("holder");
    holder.execute("BEGIN IMMEDIATE").await.expect("hold");

    let mut waiting = Vec::new();
    let start = Instant::now();
    let err = m
        .upgrade(&mut db, "head", &RunOptions::default(), |e| {
            if let Event::Waiting(w) = e {
                waiting.push(w)
            }
        })
        .await
        .expect_err("times out")
        .to_string();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "bounded by the timeout"
    );
    assert_eq!(waiting.len(), 1, "one Waiting line: {waiting:?}");
    assert!(err.contains("not free within 1s"), "{err}");
    assert!(err.contains("lock_timeout_seconds"), "{err}");
    assert!(!err.contains("database is locked"), "{err}");
    assert!(m.current(&mut db).await.expect("current").is_empty());

    // Released while waiting (within the timeout): the upgrade proceeds.
    let release = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        holder.execute("COMMIT").await.expect("release");
    });
    let mut waited = false;
    m.upgrade(&mut db, "head", &RunOptions::default(), |e| {
        if matches!(e, Event::Waiting(_)) {
            waited = true
        }
    })
    .await
    .expect("proceeds once the lock is free");
    release.await.expect("released");
    assert!(waited);
    assert_eq!(m.current(&mut db).await.expect("current"), ["aaaa00000001"]);
}

#[tokio::test]
async fn a_stop_before_anything_runs_changes_nothing() {
    for kind in BOTH {
        let dir = temp_dir("stop-early");
        let m = chain(
            &dir,
            vec![(
                "aaaa00000001",
                true,
                vec![Op::CreateTable { table: users() }],
            )],
        );
        let tdb = TestDb::new(kind, "stop-early").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        let stop = StopFlag::new();
        stop.request("SIGTERM");
        let opts = RunOptions {
            stop,
            ..RunOptions::default()
        };
        let err = m
            .upgrade(&mut db, "head", &opts, |_| {})
            .await
            .expect_err("stopped")
            .to_string();
        assert!(err.starts_with("stopped by SIGTERM"), "{kind}: {err}");
        assert!(!table_exists(&mut db, "users").await, "{kind}");
    }
}

#[tokio::test]
async fn sqlite_stops_between_statements_and_rolls_back() {
    let dir = temp_dir("stop-sqlite");
    let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) \
                SELECT count(*) FROM c";
    let mut ops = vec![Op::CreateTable { table: users() }];
    for _ in 0..200 {
        ops.push(sql(slow, "SELECT 1"));
    }
    let m = chain(&dir, vec![("aaaa00000001", true, ops)]);
    let tdb = TestDb::sqlite("stop");
    let mut db = m.connect(&tdb.url).await.expect("connect");
    let stop = StopFlag::new();
    let opts = RunOptions {
        stop: stop.clone(),
        ..RunOptions::default()
    };
    let raise = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stop.request("SIGINT");
    });
    let start = Instant::now();
    let err = m
        .upgrade(&mut db, "head", &opts, |_| {})
        .await
        .expect_err("stopped")
        .to_string();
    raise.await.expect("raised");
    assert!(
        err.contains("stopped by SIGINT while applying revision aaaa00000001"),
        "{err}"
    );
    assert!(err.contains("rolled back"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(20));
    assert!(!table_exists(&mut db, "users").await);
    assert!(m.current(&mut db).await.expect("current").is_empty());
}

#[tokio::test]
async fn postgres_cancel_stops_a_long_statement_and_frees_the_lock() {
    let dir = temp_dir("stop-pg");
    let m = chain(
        &dir,
        vec![(
            "aaaa00000001",
            true,
            vec![
                Op::CreateTable { table: users() },
                sql("SELECT pg_sleep(30)", "SELECT 1"),
            ],
        )],
    );
    let tdb = TestDb::postgres("stop").await;
    let mut db = m.connect(&tdb.url).await.expect("connect");
    let stop = StopFlag::new();
    let opts = RunOptions {
        stop: stop.clone(),
        ..RunOptions::default()
    };
    let url = tdb.url.clone();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        stop.request("SIGINT");
        apply::cancel_running(&url, &stop).await
    });
    let start = Instant::now();
    let err = m
        .upgrade(&mut db, "head", &opts, |_| {})
        .await
        .expect_err("stopped")
        .to_string();
    assert!(
        canceller.await.expect("task").expect("cancel"),
        "a cancel was sent"
    );
    assert!(start.elapsed() < Duration::from_secs(15), "{err}");
    assert!(err.contains("stopped by SIGINT"), "{err}");
    assert!(err.contains("rolled back"), "{err}");
    assert!(!table_exists(&mut db, "users").await);
    let mut other = AnyConnection::connect(&tdb.url).await.expect("other");
    let free: bool = other
        .fetch_one(format!("SELECT pg_try_advisory_lock({})", strata::apply::LOCK_KEY).as_str())
        .await
        .expect("try lock")
        .get(0);
    assert!(free, "the lock was released");
    let sleeping = other
        .fetch_one(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND state = 'active' AND query LIKE 'SELECT pg_sleep(30)%'",
        )
        .await
        .expect("activity")
        .get::<i64, _>(0);
    assert_eq!(sleeping, 0, "the statement no longer runs");
}
