//! Stage 7, apply (crash safety): real `migrate` processes killed with SIGKILL at many points
//! (on PostgreSQL, SQLite and MySQL/MariaDB),
//! stopped with SIGINT / SIGTERM, and made to wait for SQLite's lock.
//!
//! After every kill: the version rows match the schema (or an interruption record says
//! exactly which statements ran), no row is lost, and following the record's advice (or just
//! running `upgrade` again) finishes the migration. Kill points are spread over the run from a
//! fixed seed: each case first times one uninterrupted run, then kills at 20 delays drawn
//! uniformly over that time.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::{Executor, Row};
use strata::apply::StepKind;
use strata::dialect::DialectKind;
use strata::ops::Op;
use strata::schema::{Column, PrimaryKey, SqlType, Table};
use strata::testing::TestDb;
use strata::{Migrator, NewRevision};

use common::{linkapp_binary, Dir};

/// Kills per case.
const KILLS: usize = 20;

fn temp_dir(tag: &str) -> Dir {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "strata-crash-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("versions")).expect("mkdir");
    Dir(d)
}

fn rev_id(i: usize) -> String {
    format!("{i:012x}")
}

fn int_table(name: &str) -> Table {
    Table {
        name: name.into(),
        columns: vec![
            Column::new("id", SqlType::Integer),
            Column::new("v", SqlType::Integer),
        ],
        primary_key: Some(PrimaryKey {
            name: format!("pk_{name}"),
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

/// Writes revisions 1, 2, ... with these upgrade ops (`false`: transactional = false).
fn write_chain(dir: &Dir, revisions: Vec<(bool, Vec<Op>)>) {
    let mut m = Migrator::open(&dir.0).expect("open");
    for (i, (transactional, upgrade)) in revisions.into_iter().enumerate() {
        let downgrade = strata::ops::reverse_all(&upgrade).expect("reversible");
        let script = m
            .write_revision(NewRevision {
                message: format!("step {}", i + 1),
                rev_id: Some(rev_id(i + 1)),
                upgrade,
                downgrade,
                ..NewRevision::default()
            })
            .expect("write revision");
        if !transactional {
            let text = std::fs::read_to_string(&script.path).expect("read");
            let text = text.replacen("message = ", "transactional = false\nmessage = ", 1);
            std::fs::write(&script.path, text).expect("write");
            m = Migrator::open(&dir.0).expect("reopen");
        }
    }
}

fn settings(dir: &Dir, text: &str) {
    std::fs::write(dir.0.join("strata.toml"), text).expect("strata.toml");
}

/// A running `migrate` process whose output is collected as it comes.
struct Proc {
    child: Child,
    lines: Receiver<String>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

/// How a process ended.
#[derive(Debug)]
struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn spawn(dir: &Dir, url: &str, args: &[&str]) -> Proc {
    let mut child = Command::new(linkapp_binary())
        .arg("-d")
        .arg(&dir.0)
        .args(["--database-url", url])
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn migrate");
    let (tx, lines) = channel();
    let stdout = Arc::new(Mutex::new(String::new()));
    let stderr = Arc::new(Mutex::new(String::new()));
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        let buf = stdout.clone();
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                buf.lock().expect("buffer").push_str(&format!("{line}\n"));
                let _ = tx.send(line);
            }
        }));
    }
    if let Some(mut err) = child.stderr.take() {
        let buf = stderr.clone();
        readers.push(std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            buf.lock().expect("buffer").push_str(&text);
        }));
    }
    Proc {
        child,
        lines,
        stdout,
        stderr,
        readers,
    }
}

impl Proc {
    /// Waits for a stdout line containing `needle`; false when the process ended or `within`
    /// passed first.
    fn wait_for_line(&self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `SIGINT` / `SIGTERM` (by name) the way a terminal or a service manager does.
    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the end, at most `within` (then kills it and fails).
    fn wait(mut self, within: Duration) -> Ended {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "migrate did not end within {within:?}\nstdout: {}\nstderr: {}",
                    self.stdout.lock().expect("buffer"),
                    self.stderr.lock().expect("buffer")
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        let stdout = self.stdout.lock().expect("buffer").clone();
        let stderr = self.stderr.lock().expect("buffer").clone();
        assert!(!stderr.contains("panicked"), "migrate panicked: {stderr}");
        Ended {
            code: status.code(),
            stdout,
            stderr,
        }
    }

    /// `kill -9`.
    fn kill9(mut self) -> Ended {
        let _ = self.child.kill();
        self.wait(Duration::from_secs(30))
    }
}

/// Runs `migrate <args>` to its end.
fn run(dir: &Dir, url: &str, args: &[&str]) -> Ended {
    spawn(dir, url, args).wait(Duration::from_secs(120))
}

/// Runs `migrate <args>` and asserts exit 0.
#[track_caller]
fn run_ok(dir: &Dir, url: &str, args: &[&str]) -> Ended {
    let e = run(dir, url, args);
    assert_eq!(e.code, Some(0), "migrate {args:?} failed: {e:#?}");
    e
}

/// How long revision 2 took, from the `(<rev> took N ms)` line of `migrate -v upgrade`.
fn step_time(e: &Ended) -> Duration {
    let needle = format!("({} took ", rev_id(2));
    let ms: u64 = e
        .stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix(&needle)?
                .strip_suffix(" ms)")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no step time in {e:#?}"));
    // Plus the bookkeeping after the statements.
    Duration::from_millis(ms + 10)
}

/// Kills `p` (SIGKILL) `delay` after revision 2's step started.
fn kill_into_step(p: Proc, delay: Duration) {
    let line = format!("-> {}", rev_id(2));
    assert!(
        p.wait_for_line(&line, Duration::from_secs(60)),
        "revision 2 never started"
    );
    std::thread::sleep(delay);
    p.kill9();
}

/// A small deterministic generator (xorshift64*): the kill delays, from a fixed seed.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Delays for `KILLS` kills spread over `[0, 1.1 * full)` (a few land after the end).
fn kill_delays(seed: u64, full: Duration) -> Vec<Duration> {
    let mut rng = Rng(seed);
    (0..KILLS)
        .map(|i| {
            // One per stratum, jittered: spread over the whole run whatever the seed.
            let u = (i as f64 + rng.unit()) / KILLS as f64;
            full.mul_f64(1.1 * u)
        })
        .collect()
}

async fn connect(url: &str) -> strata::db::Db {
    strata::testing::connect(url).await.expect("connect")
}

async fn heads(db: &mut strata::db::Db) -> Vec<String> {
    if !exists(db, "strata_version").await {
        return Vec::new();
    }
    let mut v: Vec<String> = db
        .conn()
        .fetch_all("SELECT version_num FROM strata_version")
        .await
        .expect("version rows")
        .iter()
        .map(|r| r.get(0))
        .collect();
    v.sort();
    v
}

async fn scalar(db: &mut strata::db::Db, query: &str) -> i64 {
    db.conn()
        .fetch_one(query)
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .get::<i64, _>(0)
}

async fn exists(db: &mut strata::db::Db, table: &str) -> bool {
    let d = db.dialect();
    scalar(db, &d.table_exists_sql(table)).await > 0
}

/// Waits until no connection but ours is left on the test database: the killed migrator's
/// backend has rolled back (or committed what it had been told to) and gone.
async fn wait_backends_gone(db: &mut strata::db::Db) {
    if db.dialect().name() != "postgres" {
        return;
    }
    let start = Instant::now();
    loop {
        let n = scalar(
            db,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND pid <> pg_backend_pid()",
        )
        .await;
        if n == 0 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the killed migrator's backend still runs after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn close(db: strata::db::Db) {
    db.close().await;
}

/// Where kills landed, for the test output.
#[derive(Debug, Default)]
struct Tally {
    before: usize,
    partway: usize,
    after: usize,
    records: usize,
}

// ---- (a) a long PostgreSQL upgrade ----

const LONG_REVISIONS: usize = 10;
const KEEP_ROWS: i64 = 10_000;
const T_ROWS: i64 = 2_000;

fn long_upgrade(dir: &Dir) {
    let mut revisions = vec![(
        true,
        vec![
            Op::CreateTable {
                table: int_table("keep"),
            },
            sql(
                &format!(
                    "INSERT INTO keep (id, v) SELECT g, g FROM generate_series(1, {KEEP_ROWS}) g"
                ),
                "DELETE FROM keep",
            ),
        ],
    )];
    for i in 2..=LONG_REVISIONS {
        revisions.push((
            true,
            vec![
                Op::CreateTable {
                    table: int_table(&format!("t{i}")),
                },
                sql(
                    &format!(
                        "INSERT INTO t{i} (id, v) SELECT g, g * {i} FROM generate_series(1, \
                         {T_ROWS}) g"
                    ),
                    &format!("DELETE FROM t{i}"),
                ),
                Op::AddColumn {
                    table: "keep".into(),
                    column: Column::new(format!("c{i}"), SqlType::BigInt).nullable(),
                },
                sql(
                    &format!("UPDATE keep SET c{i} = v + {i}"),
                    &format!("UPDATE keep SET c{i} = NULL"),
                ),
            ],
        ));
    }
    write_chain(dir, revisions);
}

/// The database is exactly at some revision k of the long chain; returns k.
async fn check_long(db: &mut strata::db::Db) -> usize {
    let h = heads(db).await;
    let k = match h.as_slice() {
        [] => 0,
        [one] => (1..=LONG_REVISIONS)
            .find(|i| rev_id(*i) == *one)
            .unwrap_or_else(|| panic!("unknown version row {one}")),
        more => panic!("several version rows: {more:?}"),
    };
    assert_eq!(exists(db, "keep").await, k >= 1, "keep at revision {k}");
    if k >= 1 {
        assert_eq!(scalar(db, "SELECT count(*) FROM keep").await, KEEP_ROWS);
    }
    for i in 2..=LONG_REVISIONS {
        let t = format!("t{i}");
        assert_eq!(exists(db, &t).await, i <= k, "{t} at revision {k}");
        let column = scalar(
            db,
            &format!(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = \
                 current_schema() AND table_name = 'keep' AND column_name = 'c{i}'"
            ),
        )
        .await;
        assert_eq!(column == 1, i <= k, "keep.c{i} at revision {k}");
        if i <= k {
            assert_eq!(
                scalar(db, &format!("SELECT count(*) FROM {t}")).await,
                T_ROWS
            );
            assert_eq!(
                scalar(
                    db,
                    &format!("SELECT count(*) FROM keep WHERE c{i} = v + {i}")
                )
                .await,
                KEEP_ROWS,
                "every row of keep got c{i}"
            );
        }
    }
    if !exists(db, "strata_log").await {
        assert_eq!(k, 0);
        return k;
    }
    // One completed log row per applied revision (the log grows by whole steps only), and
    // transactional steps leave no record.
    let ups = scalar(
        db,
        "SELECT count(*) FROM strata_log WHERE direction = 'up' AND finished_at <> ''",
    )
    .await;
    let downs = scalar(
        db,
        "SELECT count(*) FROM strata_log WHERE direction = 'down'",
    )
    .await;
    assert_eq!(ups - downs, k as i64, "log rows at revision {k}");
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) FROM strata_log WHERE direction LIKE '%-run'"
        )
        .await,
        0
    );
    k
}

/// Drops everything, Strata's tables included.
async fn reset_schema(url: &str) {
    let mut db = connect(url).await;
    db.conn()
        .execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        .await
        .expect("reset");
    close(db).await;
}

#[tokio::test]
async fn kill_during_a_long_postgres_upgrade() {
    let dir = temp_dir("pg-long");
    long_upgrade(&dir);
    let tdb = TestDb::postgres("crash_long").await;
    let url = tdb.url.clone();
    // A first run to warm up, then one timed run; each kill then starts from an empty
    // schema.
    run_ok(&dir, &url, &["upgrade"]);
    reset_schema(&url).await;
    let start = Instant::now();
    run_ok(&dir, &url, &["upgrade"]);
    let full = start.elapsed();
    reset_schema(&url).await;
    let mut tally = Tally::default();
    for (i, delay) in kill_delays(0x5eed_0001, full).into_iter().enumerate() {
        // Half the runs commit per migration: kills then land between revisions too.
        settings(
            &dir,
            &format!("transaction_per_migration = {}\n", i % 2 == 1),
        );
        let p = spawn(&dir, &url, &["upgrade"]);
        std::thread::sleep(delay);
        let ended = p.kill9();
        let mut db = connect(&url).await;
        wait_backends_gone(&mut db).await;
        let k = check_long(&mut db).await;
        match k {
            0 => tally.before += 1,
            k if k == LONG_REVISIONS => tally.after += 1,
            _ => tally.partway += 1,
        }
        close(db).await;
        let _ = ended;
        run_ok(&dir, &url, &["upgrade"]);
        let mut db = connect(&url).await;
        assert_eq!(check_long(&mut db).await, LONG_REVISIONS);
        close(db).await;
        reset_schema(&url).await;
    }
    eprintln!("postgres long upgrade ({full:?} per run), kills: {tally:?}");
}

// ---- (b) a SQLite rebuild of a table with 100,000+ rows ----

const BIG_ROWS: i64 = 120_000;
const CHILD_ROWS: i64 = 1_000;

/// Revision 1 creates `big` (120,000 rows of about 200 bytes) and `child` (1,000 rows referencing it); revision
/// 2 makes `big.s` NOT NULL, which SQLite can only do by rebuilding the table.
fn sqlite_rebuild(dir: &Dir, transactional: bool) {
    let mut big = int_table("big");
    big.columns.push(Column::new("s", SqlType::Text).nullable());
    let mut child = int_table("child");
    child.foreign_keys.push(strata::schema::ForeignKey {
        name: "fk_child_v_big".into(),
        columns: vec!["v".into()],
        ref_table: "big".into(),
        ref_columns: vec!["id".into()],
        on_delete: strata::schema::ReferentialAction::NoAction,
        on_update: strata::schema::ReferentialAction::NoAction,
    });
    write_chain(
        dir,
        vec![
            (
                true,
                vec![
                    Op::CreateTable { table: big },
                    Op::CreateTable { table: child },
                    sql(
                        &format!(
                            "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g \
                             WHERE x < {BIG_ROWS}) INSERT INTO big (id, v, s) SELECT x, x * 3, \
                             'row ' || x || hex(zeroblob(100)) FROM g"
                        ),
                        "DELETE FROM big",
                    ),
                    sql(
                        &format!(
                            "INSERT INTO child (id, v) SELECT id, id FROM big WHERE id <= \
                             {CHILD_ROWS}"
                        ),
                        "DELETE FROM child",
                    ),
                ],
            ),
            (
                transactional,
                vec![Op::AlterColumn {
                    table: "big".into(),
                    column: "s".into(),
                    rename: None,
                    ty: None,
                    nullable: Some(strata::ops::Change {
                        from: true,
                        to: false,
                    }),
                    default: None,
                }],
            ),
        ],
    );
}

/// `big` is whole and matches the version rows (revision 1: `s` nullable; 2: NOT NULL), or,
/// when an interruption record says the whole step ran (`step_done`), revision 2's shape;
/// returns whether revision 2 is recorded.
async fn check_rebuild(db: &mut strata::db::Db, step_done: bool) -> bool {
    let h = heads(db).await;
    let at2 = match h.as_slice() {
        [one] if *one == rev_id(1) => false,
        [one] if *one == rev_id(2) => true,
        other => panic!("version rows {other:?}"),
    };
    assert_eq!(
        scalar(
            db,
            "SELECT count(*) FROM sqlite_master WHERE name LIKE '_strata_new_%'"
        )
        .await,
        0,
        "no half-done rebuild"
    );
    assert_eq!(scalar(db, "SELECT count(*) FROM big").await, BIG_ROWS);
    assert_eq!(
        scalar(db, "SELECT sum(v) FROM big").await,
        3 * BIG_ROWS * (BIG_ROWS + 1) / 2
    );
    assert_eq!(scalar(db, "SELECT count(*) FROM child").await, CHILD_ROWS);
    assert_eq!(
        scalar(db, "SELECT count(*) FROM pragma_foreign_key_check('child')").await,
        0
    );
    let not_null = scalar(
        db,
        "SELECT \"notnull\" FROM pragma_table_info('big') WHERE name = 's'",
    )
    .await;
    assert_eq!(
        not_null == 1,
        at2 || step_done,
        "big.s NOT NULL exactly at revision 2 (or when the record says the step ran whole)"
    );
    at2
}

/// Kills `upgrade` of the rebuild at 20 points, each on a fresh copy of the database at
/// revision 1.
async fn kill_during_sqlite_rebuild(transactional: bool) {
    let dir = temp_dir("sqlite-rebuild");
    sqlite_rebuild(&dir, transactional);
    let tdb = TestDb::sqlite("crash_rebuild");
    let template = tdb.url.trim_start_matches("sqlite://").to_string();
    run_ok(&dir, &tdb.url, &["upgrade", &rev_id(1)]);
    let work = Path::new(&template).with_file_name("work.db");
    let url = format!("sqlite://{}", work.display());
    let fresh = || {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", work.display()));
        }
        std::fs::copy(&template, &work).expect("copy the database at revision 1");
    };
    fresh();
    let full = step_time(&run_ok(&dir, &url, &["-v", "upgrade"]));
    let mut tally = Tally::default();
    for delay in kill_delays(0x5eed_0002 + u64::from(transactional), full) {
        fresh();
        kill_into_step(spawn(&dir, &url, &["upgrade"]), delay);
        // Opening the file rolls back what the killed process left in its journal.
        let mut db = connect(&url).await;
        let records = Migrator::open(&dir.0)
            .expect("open")
            .interrupted(&mut db)
            .await
            .expect("records");
        let step_done = records
            .iter()
            .any(|r| r.progress.is_some_and(|(done, total)| done == total));
        let at2 = check_rebuild(&mut db, step_done).await;
        close(db).await;
        match (at2, records.as_slice()) {
            (true, []) => {
                tally.after += 1;
                continue;
            }
            (false, []) => tally.partway += 1,
            (false, [r]) => {
                tally.records += 1;
                let (done, total) = r.progress.expect("the record counts statements");
                // The rebuild is one unit: never part of it.
                assert!(
                    done == 0 || done == total,
                    "a kill split the rebuild: {done} of {total} statements done ({r:?})"
                );
                if done == total {
                    run_ok(&dir, &url, &["stamp", &rev_id(2)]);
                } else {
                    run_ok(&dir, &url, &["upgrade", "--retry-interrupted"]);
                }
            }
            other => panic!("unexpected state {other:?}"),
        }
        run_ok(&dir, &url, &["upgrade"]);
        let mut db = connect(&url).await;
        assert!(check_rebuild(&mut db, false).await, "upgrade finished");
        close(db).await;
    }
    eprintln!(
        "sqlite rebuild, transactional = {transactional} ({full:?} per step), kills: {tally:?}"
    );
}

#[tokio::test]
async fn kill_during_a_sqlite_rebuild_of_120000_rows() {
    kill_during_sqlite_rebuild(true).await;
}

/// Needs the rendering to mark the rebuild's statements as one atomic range
/// (`PlannedStep::atomic`); without it a kill can leave the table half rebuilt.
#[tokio::test]
async fn kill_during_a_sqlite_rebuild_outside_a_transaction() {
    kill_during_sqlite_rebuild(false).await;
}

// ---- (c) a transactional = false revision, on both dialects ----

const INDEXES: usize = 4;
const NONTX_ROWS: i64 = 100_000;

/// Revision 1 fills `big`; revision 2, outside a transaction, builds four indexes on it
/// (CONCURRENTLY on PostgreSQL), one statement each.
fn non_transactional(dir: &Dir, kind: DialectKind) {
    let fill = match kind {
        DialectKind::Postgres => {
            format!("INSERT INTO big (id, v) SELECT g, g FROM generate_series(1, {NONTX_ROWS}) g")
        }
        _ => format!(
            "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < \
             {NONTX_ROWS}) INSERT INTO big (id, v) SELECT x, x FROM g"
        ),
    };
    let concurrently = if kind == DialectKind::Postgres {
        " CONCURRENTLY"
    } else {
        ""
    };
    let indexes = (1..=INDEXES)
        .map(|i| {
            sql(
                &format!("CREATE INDEX{concurrently} ix_big_{i} ON big ((v * {i} + 1))"),
                &format!("DROP INDEX{concurrently} IF EXISTS ix_big_{i}"),
            )
        })
        .collect();
    write_chain(
        dir,
        vec![
            (
                true,
                vec![
                    Op::CreateTable {
                        table: int_table("big"),
                    },
                    sql(&fill, "DELETE FROM big"),
                ],
            ),
            (false, indexes),
        ],
    );
}

/// Which of the four indexes exist, and whether each is usable.
async fn indexes(db: &mut strata::db::Db) -> Vec<Option<bool>> {
    let mut out = Vec::new();
    for i in 1..=INDEXES {
        let name = format!("ix_big_{i}");
        let state = match db.dialect().name().parse().expect("a built-in dialect") {
            DialectKind::Postgres => {
                let rows = db
                    .conn()
                    .fetch_all(
                        format!(
                            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = \
                             i.indexrelid WHERE c.relname = '{name}'"
                        )
                        .as_str(),
                    )
                    .await
                    .expect("pg_index");
                rows.first().map(|r| r.get::<bool, _>(0))
            }
            _ => (scalar(
                db,
                &format!(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = \
                     '{name}'"
                ),
            )
            .await
                > 0)
            .then_some(true),
        };
        out.push(state);
    }
    out
}

async fn kill_during_non_transactional(kind: DialectKind, seed: u64) {
    let dir = temp_dir("nontx");
    non_transactional(&dir, kind);
    let tdb = TestDb::new(kind, "crash_nontx").await;
    let url = tdb.url.clone();
    let m = Migrator::open(&dir.0).expect("open");
    run_ok(&dir, &url, &["upgrade", &rev_id(1)]);
    let full = step_time(&run_ok(&dir, &url, &["-v", "upgrade"]));
    run_ok(&dir, &url, &["downgrade", &rev_id(1)]);
    let mut tally = Tally::default();
    let all_valid = vec![Some(true); INDEXES];
    for delay in kill_delays(seed, full) {
        kill_into_step(spawn(&dir, &url, &["upgrade"]), delay);
        let mut db = connect(&url).await;
        wait_backends_gone(&mut db).await;
        let h = heads(&mut db).await;
        assert!(
            h == [rev_id(1)] || h == [rev_id(2)],
            "{kind}: the version rows are one revision or the other, never none: {h:?}"
        );
        let records = m.interrupted(&mut db).await.expect("records");
        let ix = indexes(&mut db).await;
        assert_eq!(
            scalar(&mut db, "SELECT count(*) FROM big").await,
            NONTX_ROWS
        );
        let log_open = scalar(
            &mut db,
            "SELECT count(*) FROM strata_log WHERE direction = 'up-run' AND finished_at = ''",
        )
        .await;
        assert_eq!(log_open as usize, records.len());
        close(db).await;
        if h == [rev_id(2)] {
            assert!(records.is_empty(), "{kind}: completed, yet {records:?}");
            assert_eq!(ix, all_valid, "{kind}");
            tally.after += 1;
        } else if records.is_empty() {
            assert_eq!(
                ix,
                vec![None; INDEXES],
                "{kind}: nothing ran without a record"
            );
            tally.before += 1;
        } else {
            tally.records += 1;
            let r = &records[0];
            assert_eq!(
                (r.revision.as_str(), r.kind),
                (rev_id(2).as_str(), StepKind::Up)
            );
            let (done, total) = r.progress.expect("progress");
            assert_eq!(total, INDEXES);
            // Exactly what the record says ran: the first `done` statements; the next one
            // may have (or left an INVALID index); none after it.
            for (i, state) in ix.iter().enumerate() {
                if i < done {
                    assert_eq!(*state, Some(true), "{kind}: index {} of {r:?}", i + 1);
                } else if i > done {
                    assert_eq!(*state, None, "{kind}: index {} of {r:?}", i + 1);
                }
            }
            // `upgrade` refuses and says what to do; the advice works.
            let refused = run(&dir, &url, &["upgrade"]);
            assert_eq!(refused.code, Some(1), "{refused:#?}");
            assert!(
                refused.stderr.contains(&rev_id(2))
                    && refused.stderr.contains("--retry-interrupted")
                    && refused.stderr.contains("stamp"),
                "{refused:#?}"
            );
            if done == total {
                run_ok(&dir, &url, &["stamp", &rev_id(2)]);
            } else {
                let mut db = connect(&url).await;
                for i in 1..=INDEXES {
                    db.conn()
                        .execute(format!("DROP INDEX IF EXISTS ix_big_{i}").as_str())
                        .await
                        .expect("undo by hand");
                }
                close(db).await;
                run_ok(&dir, &url, &["upgrade", "--retry-interrupted"]);
            }
        }
        run_ok(&dir, &url, &["upgrade"]);
        let mut db = connect(&url).await;
        assert_eq!(heads(&mut db).await, [rev_id(2)]);
        assert_eq!(indexes(&mut db).await, all_valid, "{kind}");
        assert!(m.interrupted(&mut db).await.expect("records").is_empty());
        close(db).await;
        run_ok(&dir, &url, &["downgrade", &rev_id(1)]);
    }
    eprintln!("{kind} transactional = false ({full:?} per step), kills: {tally:?}");
}

#[tokio::test]
async fn kill_during_a_non_transactional_revision_on_postgres() {
    kill_during_non_transactional(DialectKind::Postgres, 0x5eed_0003).await;
}

#[tokio::test]
async fn kill_during_a_non_transactional_revision_on_sqlite() {
    kill_during_non_transactional(DialectKind::Sqlite, 0x5eed_0004).await;
}

// ---- The version move of a step outside a transaction, killed in the middle ----

/// Revision 2 (outside a transaction) creates a table; the version table gets a trigger that
/// makes its INSERT slow, so the kill lands between the version row's DELETE and INSERT.
/// Before the move became one transaction, that left `strata_version` empty (the database
/// read as `base`).
async fn kill_inside_the_version_move(kind: DialectKind) {
    let dir = temp_dir("version-move");
    write_chain(
        &dir,
        vec![
            (
                true,
                vec![Op::CreateTable {
                    table: int_table("a"),
                }],
            ),
            (
                false,
                vec![sql("CREATE TABLE b (id integer)", "DROP TABLE b")],
            ),
        ],
    );
    let tdb = TestDb::new(kind, "crash_move").await;
    let url = tdb.url.clone();
    run_ok(&dir, &url, &["upgrade", &rev_id(1)]);
    let mut db = connect(&url).await;
    let slow = match kind {
        DialectKind::Postgres => vec![
            "CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN PERFORM pg_sleep(5); RETURN NEW; END $$",
            "CREATE TRIGGER slow_insert BEFORE INSERT ON strata_version FOR EACH ROW \
             EXECUTE FUNCTION slow_insert()",
        ],
        _ => vec![
            "CREATE TRIGGER slow_insert BEFORE INSERT ON strata_version BEGIN \
             SELECT count(*) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 \
             FROM c WHERE x < 20000000) SELECT x FROM c); END",
        ],
    };
    for s in slow {
        db.conn().execute(s).await.expect(s);
    }
    let p = spawn(&dir, &url, &["upgrade"]);
    // The statement ran and its progress was committed: the version move comes next.
    let start = Instant::now();
    loop {
        let n = scalar(
            &mut db,
            "SELECT count(*) FROM strata_log WHERE direction = 'up-run' AND message LIKE '[1/1]%'",
        )
        .await;
        if n > 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the step never ran"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if kind == DialectKind::Postgres {
        // Wait for the INSERT to be sleeping in its trigger.
        loop {
            let n = scalar(
                &mut db,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND \
                 state = 'active' AND query LIKE 'INSERT INTO \"strata_version\"%'",
            )
            .await;
            if n > 0 {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "no INSERT seen");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    } else {
        // The trigger counts to 20 million (seconds): the kill lands inside it.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    p.kill9();
    close(db).await;
    let mut db = connect(&url).await;
    wait_backends_gone(&mut db).await;
    assert_eq!(
        heads(&mut db).await,
        [rev_id(1)],
        "{kind}: the version rows are as before the move, not empty"
    );
    assert!(exists(&mut db, "b").await, "{kind}: the step itself ran");
    let m = Migrator::open(&dir.0).expect("open");
    let records = m.interrupted(&mut db).await.expect("records");
    assert_eq!(records.len(), 1, "{kind}: {records:?}");
    assert_eq!(records[0].progress, Some((1, 1)));
    assert!(
        records[0]
            .describe()
            .contains("only the version record is missing"),
        "{}",
        records[0].describe()
    );
    let drop = match kind {
        DialectKind::Postgres => "DROP TRIGGER slow_insert ON strata_version",
        _ => "DROP TRIGGER slow_insert",
    };
    db.conn().execute(drop).await.expect("drop the trigger");
    close(db).await;
    let current = run_ok(&dir, &url, &["current"]);
    assert!(
        current.stdout.contains("WARNING:")
            && current.stdout.contains(&format!("stamp {}", rev_id(2))),
        "{current:#?}"
    );
    run_ok(&dir, &url, &["stamp", &rev_id(2)]);
    let done = run_ok(&dir, &url, &["upgrade"]);
    assert!(!done.stdout.contains("Running upgrade"), "{done:#?}");
    let mut db = connect(&url).await;
    assert_eq!(heads(&mut db).await, [rev_id(2)]);
    assert!(m.interrupted(&mut db).await.expect("records").is_empty());
    close(db).await;
}

#[tokio::test]
async fn kill_inside_the_version_move_on_postgres() {
    kill_inside_the_version_move(DialectKind::Postgres).await;
}

#[tokio::test]
async fn kill_inside_the_version_move_on_sqlite() {
    kill_inside_the_version_move(DialectKind::Sqlite).await;
}

// ---- Ctrl-C and SIGTERM ----

/// Revision 1 creates a table; revision 2 runs `SELECT pg_sleep(30)` (in a transaction or
/// not). Upgrades to 1, starts upgrading to 2, sends `signal` while the sleep runs.
async fn signal_during_pg_sleep(signal: &str, transactional: bool) -> (Dir, TestDb, Ended) {
    let dir = temp_dir("signal");
    write_chain(
        &dir,
        vec![
            (
                true,
                vec![Op::CreateTable {
                    table: int_table("a"),
                }],
            ),
            (
                transactional,
                vec![
                    sql("CREATE TABLE b (id integer)", "DROP TABLE b"),
                    sql("SELECT pg_sleep(30)", "SELECT 1"),
                ],
            ),
        ],
    );
    let tdb = TestDb::postgres("crash_signal").await;
    run_ok(&dir, &tdb.url, &["upgrade", &rev_id(1)]);
    let mut db = connect(&tdb.url).await;
    let p = spawn(&dir, &tdb.url, &["upgrade"]);
    let start = Instant::now();
    while scalar(
        &mut db,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND \
         state = 'active' AND query LIKE 'SELECT pg_sleep%'",
    )
    .await
        == 0
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "pg_sleep never ran"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    p.signal(signal);
    let sent = Instant::now();
    let ended = p.wait(Duration::from_secs(20));
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "{signal}: took {:?}",
        sent.elapsed()
    );
    // The statement is no longer running and the lock is free.
    assert_eq!(
        scalar(
            &mut db,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND \
             state = 'active' AND query LIKE 'SELECT pg_sleep%'"
        )
        .await,
        0,
        "{signal}: the statement was cancelled"
    );
    assert_eq!(heads(&mut db).await, [rev_id(1)], "{signal}");
    let lock = strata::apply::LOCK_KEY;
    let free: bool = db
        .conn()
        .fetch_one(format!("SELECT pg_try_advisory_lock({lock})").as_str())
        .await
        .expect("try the lock")
        .get(0);
    assert!(free, "{signal}: the migration lock was released");
    db.conn()
        .execute(format!("SELECT pg_advisory_unlock({lock})").as_str())
        .await
        .expect("unlock");
    close(db).await;
    (dir, tdb, ended)
}

#[tokio::test]
async fn sigint_cancels_the_postgres_statement_rolls_back_and_frees_the_lock() {
    let (_dir, tdb, ended) = signal_during_pg_sleep("INT", true).await;
    assert_eq!(ended.code, Some(130), "{ended:#?}");
    for needle in [
        "Error: stopped by SIGINT while applying revision 000000000002",
        "rolled back",
        "the database is at revision 000000000001",
    ] {
        assert!(ended.stderr.contains(needle), "`{needle}`: {ended:#?}");
    }
    let mut db = connect(&tdb.url).await;
    assert!(!exists(&mut db, "b").await, "rolled back");
    close(db).await;
}

#[tokio::test]
async fn sigterm_outside_a_transaction_leaves_a_record_that_says_what_ran() {
    let (dir, tdb, ended) = signal_during_pg_sleep("TERM", false).await;
    assert_eq!(ended.code, Some(143), "{ended:#?}");
    for needle in [
        "Error: stopped by SIGTERM while applying revision 000000000002",
        "1 of its 2 statements completed",
        "the database is at revision 000000000001",
        "--retry-interrupted",
    ] {
        assert!(ended.stderr.contains(needle), "`{needle}`: {ended:#?}");
    }
    let mut db = connect(&tdb.url).await;
    assert!(
        exists(&mut db, "b").await,
        "the first statement took effect"
    );
    close(db).await;
    let refused = run(&dir, &tdb.url, &["upgrade"]);
    assert_eq!(refused.code, Some(1), "{refused:#?}");
    assert!(
        refused.stderr.contains("statement 2 was running"),
        "{refused:#?}"
    );
}

#[tokio::test]
async fn sigint_on_sqlite_stops_between_statements_and_rolls_back() {
    let dir = temp_dir("sqlite-sigint");
    let slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) \
                SELECT count(*) FROM c";
    let mut ops = vec![sql("CREATE TABLE b (id integer)", "DROP TABLE b")];
    ops.extend((0..300).map(|_| sql(slow, "SELECT 1")));
    write_chain(
        &dir,
        vec![
            (
                true,
                vec![Op::CreateTable {
                    table: int_table("a"),
                }],
            ),
            (true, ops),
        ],
    );
    let tdb = TestDb::sqlite("crash_sigint");
    run_ok(&dir, &tdb.url, &["upgrade", &rev_id(1)]);
    let p = spawn(&dir, &tdb.url, &["upgrade"]);
    assert!(p.wait_for_line("Running upgrade", Duration::from_secs(60)));
    std::thread::sleep(Duration::from_millis(200));
    p.signal("INT");
    let sent = Instant::now();
    let ended = p.wait(Duration::from_secs(30));
    assert!(sent.elapsed() < Duration::from_secs(10));
    assert_eq!(ended.code, Some(130), "{ended:#?}");
    assert!(
        ended.stderr.contains("stopped by SIGINT") && ended.stderr.contains("rolled back"),
        "{ended:#?}"
    );
    assert!(
        ended
            .stderr
            .contains("the database is at revision 000000000001"),
        "{ended:#?}"
    );
    let mut db = connect(&tdb.url).await;
    assert!(!exists(&mut db, "b").await);
    assert_eq!(heads(&mut db).await, [rev_id(1)]);
    close(db).await;
}

#[tokio::test]
async fn sqlite_waits_for_the_lock_and_says_so() {
    let dir = temp_dir("sqlite-wait");
    write_chain(
        &dir,
        vec![(
            true,
            vec![Op::CreateTable {
                table: int_table("a"),
            }],
        )],
    );
    settings(&dir, "lock_timeout_seconds = 1\n");
    let tdb = TestDb::sqlite("crash_wait");
    let mut holder = connect(&tdb.url).await;
    holder
        .conn()
        .execute("BEGIN IMMEDIATE")
        .await
        .expect("hold");
    let ended = run(&dir, &tdb.url, &["upgrade"]);
    assert_eq!(ended.code, Some(1), "{ended:#?}");
    assert!(
        ended.stdout.contains("Waiting for the migration lock"),
        "{ended:#?}"
    );
    assert!(
        ended.stderr.contains("not free within 1s")
            && ended.stderr.contains("lock_timeout_seconds")
            && !ended.stderr.contains("database is locked"),
        "{ended:#?}"
    );
    holder.conn().execute("COMMIT").await.expect("release");
    close(holder).await;
    run_ok(&dir, &tdb.url, &["upgrade"]);
}

// ---- (e) a long MySQL/MariaDB upgrade: DDL commits statement by statement ----

const MY_ROWS: i64 = 10_000;
/// Columns revision 2 adds; three statements each.
const MY_COLUMNS: usize = 6;

/// Revision 1 creates `keep` with 10,000 rows; revision 2 runs three statements per column
/// `c<i>`: add it, widen it to bigint (a table copy, the slow one), index it.
fn long_mysql_upgrade(dir: &Dir) {
    // The rows from a cross join of digits (no generate_series on MySQL).
    let digits = "(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 \
                  UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 \
                  UNION ALL SELECT 8 UNION ALL SELECT 9)";
    let insert = format!(
        "INSERT INTO keep (id, v) SELECT n, n FROM (SELECT a.d + 10 * b.d + 100 * c.d + \
         1000 * e.d + 10000 * f.d + 1 AS n FROM {digits} a, {digits} b, {digits} c, {digits} e, \
         {digits} f) g WHERE n <= {MY_ROWS}"
    );
    let mut ops = Vec::new();
    for i in 1..=MY_COLUMNS {
        let c = format!("c{i}");
        ops.push(Op::AddColumn {
            table: "keep".into(),
            column: Column::new(&c, SqlType::Integer).nullable(),
        });
        ops.push(Op::AlterColumn {
            table: "keep".into(),
            column: c.clone(),
            rename: None,
            ty: Some(strata::ops::Change {
                from: SqlType::Integer,
                to: SqlType::BigInt,
            }),
            nullable: None,
            default: None,
        });
        ops.push(Op::CreateIndex {
            table: "keep".into(),
            index: strata::schema::Index {
                name: format!("ix_keep_{c}"),
                columns: vec![c],
                unique: false,
                ..strata::schema::Index::default()
            },
        });
    }
    write_chain(
        dir,
        vec![
            (
                true,
                vec![
                    Op::CreateTable {
                        table: int_table("keep"),
                    },
                    sql(&insert, "DELETE FROM keep"),
                ],
            ),
            (true, ops),
        ],
    );
}

/// Waits until the killed migrator's connection is gone: MySQL finishes a running statement
/// after its client died, and releases the lock only then.
async fn wait_mysql_connections_gone(db: &mut strata::db::Db) {
    let start = Instant::now();
    loop {
        let n = scalar(
            db,
            "SELECT CAST(COUNT(*) AS SIGNED) FROM information_schema.PROCESSLIST \
             WHERE DB = DATABASE() AND ID <> CONNECTION_ID()",
        )
        .await;
        if n == 0 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the killed migrator's connection still runs after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many of revision 2's statements the live schema shows done (they complete in order:
/// add, widen, index per column), checking that it is a prefix.
async fn mysql_statements_done(db: &mut strata::db::Db) -> usize {
    let d = db.dialect();
    let schema = strata::testing::introspect(db.conn(), d, &Default::default())
        .await
        .expect("introspect")
        .schema;
    let keep = schema.table("keep").expect("keep");
    let mut states = Vec::new();
    for i in 1..=MY_COLUMNS {
        let c = format!("c{i}");
        let col = keep.column(&c);
        states.push(col.is_some());
        states.push(col.is_some_and(|c| c.ty == SqlType::BigInt));
        states.push(
            keep.indexes
                .iter()
                .any(|ix| ix.name == format!("ix_keep_{c}")),
        );
    }
    let done = states.iter().take_while(|s| **s).count();
    assert!(
        states[done..].iter().all(|s| !s),
        "the statements done are not a prefix: {states:?}"
    );
    done
}

#[tokio::test]
async fn kill_during_a_long_mysql_upgrade() {
    let dir = temp_dir("mysql-long");
    long_mysql_upgrade(&dir);
    let tdb = TestDb::new(DialectKind::Mysql, "crash_mysql").await;
    let url = tdb.url.clone();
    let m = Migrator::open(&dir.0).expect("open");
    let total = 3 * MY_COLUMNS;
    run_ok(&dir, &url, &["upgrade", &rev_id(1)]);
    let full = step_time(&run_ok(&dir, &url, &["-v", "upgrade"]));
    run_ok(&dir, &url, &["downgrade", &rev_id(1)]);
    let mut tally = Tally::default();
    for (n, delay) in kill_delays(0x5eed_0005, full).into_iter().enumerate() {
        kill_into_step(spawn(&dir, &url, &["upgrade"]), delay);
        let mut db = connect(&url).await;
        wait_mysql_connections_gone(&mut db).await;
        let h = heads(&mut db).await;
        let done = mysql_statements_done(&mut db).await;
        assert_eq!(
            scalar(&mut db, "SELECT CAST(COUNT(*) AS SIGNED) FROM keep").await,
            MY_ROWS
        );
        let records = m.interrupted(&mut db).await.expect("records");
        close(db).await;
        if h == [rev_id(2)] {
            assert!(records.is_empty(), "completed, yet {records:?}");
            assert_eq!(done, total);
            tally.after += 1;
        } else {
            assert_eq!(h, [rev_id(1)], "one revision or the other");
            if records.is_empty() {
                assert_eq!(done, 0, "nothing ran without a record");
                tally.before += 1;
            } else {
                // The record (checked against the schema) says exactly what ran.
                tally.records += 1;
                let r = &records[0];
                assert_eq!(r.progress, Some((done, total)), "{r:?}");
                let current = run_ok(&dir, &url, &["current"]);
                let said = if done == total {
                    format!(
                        "revision {} partially applied: all {total} of {total} statements",
                        rev_id(2)
                    )
                } else {
                    format!(
                        "revision {} partially applied: {done} of {total} statements",
                        rev_id(2)
                    )
                };
                assert!(
                    current.stderr.contains(&said) || current.stdout.contains(&said),
                    "{current:#?}"
                );
                if n % 3 == 2 && done < total {
                    // Reverse what ran instead; revision 1's schema is back.
                    run_ok(&dir, &url, &["downgrade"]);
                    let mut db = connect(&url).await;
                    assert_eq!(heads(&mut db).await, [rev_id(1)]);
                    assert_eq!(mysql_statements_done(&mut db).await, 0);
                    assert!(m.interrupted(&mut db).await.expect("records").is_empty());
                    close(db).await;
                }
            }
        }
        // The next upgrade resumes (or runs) to the head.
        run_ok(&dir, &url, &["upgrade"]);
        let mut db = connect(&url).await;
        assert_eq!(heads(&mut db).await, [rev_id(2)]);
        assert_eq!(mysql_statements_done(&mut db).await, total);
        assert!(m.interrupted(&mut db).await.expect("records").is_empty());
        close(db).await;
        run_ok(&dir, &url, &["downgrade", &rev_id(1)]);
    }
    eprintln!("mysql long upgrade ({full:?} per step), kills: {tally:?}");
}
