//! Stage 7, apply: running planned migration steps against a database, with locking, transactions and bookkeeping.
//!
//! The caller plans; this stage executes. [`execute`] takes the migration lock, then loops:
//! open a transaction, read the version rows, ask the caller's planner for the steps from
//! there, run the next group of steps (all of them, one, or a non-transactional one alone),
//! move the version rows and append to the audit log in the same transaction, commit; stop
//! when the group was the rest of the plan or the planner returns nothing. Because the plan
//! is computed from the rows read under the lock, concurrent migrators apply each revision
//! exactly once and the late ones find nothing left to do.

pub mod bookkeeping;
mod lock;
pub mod offline;

use std::time::{Duration, Instant};

use sqlx::{AnyConnection, Executor, Row};
use thiserror::Error;

pub use bookkeeping::{LOG_TABLE, VERSION_TABLE};
pub use lock::LockError;

use crate::dialect::{Dialect, RenderError};

/// Which way a step goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Applying a revision.
    Up,
    /// Reverting a revision.
    Down,
    /// Moving the version rows without running anything.
    Stamp,
    /// Recording the checksum of an applied revision's edited file (`migrate accept`), without
    /// running anything or moving the version rows.
    Accept,
}

impl Direction {
    /// `up`, `down`, `stamp` or `accept`, as stored in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Stamp => "stamp",
            Direction::Accept => "accept",
        }
    }
}

/// One step, rendered for the connected dialect and ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedStep {
    /// The revision applied or reverted.
    pub revision: String,
    /// Its message, for output.
    pub message: String,
    /// Up, down or stamp.
    pub direction: Direction,
    /// Version rows this step removes.
    pub remove_heads: Vec<String>,
    /// Version rows this step adds.
    pub add_heads: Vec<String>,
    /// The SQL to run, in order.
    pub statements: Vec<String>,
    /// Whether the step may run inside a transaction.
    pub transactional: bool,
    /// Whether the statements may go to the server in one call (see [`Dialect::batch_sql`]):
    /// true when every statement is one statement Strata rendered; false when the step has a
    /// verbatim `sql` op, whose text may hold several statements. Either way a failure names
    /// the failing statement.
    pub batch: bool,
    /// The SHA-256 of the revision's file (recorded in the audit log).
    pub checksum: Option<String>,
    /// Ranges of `statements` that must take effect together (a SQLite table rebuild: create,
    /// copy, drop, rename, re-create). Inside the migration transaction this holds anyway;
    /// a step that runs outside one (`transactional = false`) runs each range in a
    /// transaction of its own, where the dialect's DDL is transactional.
    pub atomic: Vec<std::ops::Range<usize>>,
    /// Tables this step re-creates (SQLite table rebuilds). The foreign-key check after the
    /// step looks at these tables and at the tables whose foreign keys reference them.
    pub rebuilt_tables: Vec<String>,
    /// Whether the plan after this step must be rendered again from the live schema: the step
    /// runs hand-written SQL whose effect on the schema Strata cannot know.
    pub replan_after: bool,
    /// For output: the revision(s) the step goes from (`<base>` when none).
    pub from_label: String,
    /// For output: the revision(s) the step goes to (`<base>` when none).
    pub to_label: String,
}

/// How steps are grouped into transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TxMode {
    /// One transaction for the whole run: all or nothing (the default).
    #[default]
    Whole,
    /// One transaction per migration.
    PerMigration,
}

/// What [`execute`] reports as it goes.
// A handful of events per step: their size does not matter, boxing the step would only
// complicate every consumer.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A step is about to run.
    Started(PlannedStep),
    /// A statement is about to run (for verbose output).
    Statement(String),
    /// A step finished (its transaction may still be open).
    Finished {
        /// The revision.
        revision: String,
        /// How long its statements took.
        duration: Duration,
    },
    /// The lock is held by someone else; waiting.
    Waiting(String),
}

/// A failed run. The database is left as it was before the failing transaction.
#[derive(Debug, Error)]
pub enum ApplyError {
    /// A migration statement failed.
    #[error(
        "while applying revision {revision} ({direction}): {message}\n  statement: {statement}\n  \
         {outcome}"
    )]
    Statement {
        /// The revision.
        revision: String,
        /// up/down.
        direction: &'static str,
        /// The statement.
        statement: String,
        /// The database's message.
        message: String,
        /// What happened to the database.
        outcome: String,
    },
    /// A bookkeeping query failed.
    #[error("while {doing}: {source}")]
    Database {
        /// What Strata was doing.
        doing: String,
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A SQLite rebuild left rows whose foreign keys point nowhere.
    #[error(
        "while applying revision {revision}: foreign key check failed after the table changes: \
         {violations}; the transaction was rolled back"
    )]
    ForeignKeyCheck {
        /// The last revision of the group.
        revision: String,
        /// The violating rows.
        violations: String,
    },
    /// The lock could not be taken.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Rendering or planning failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The planner refused (for instance a changed migration file).
    #[error("{0}")]
    Plan(String),
}

fn db_err(doing: impl Into<String>) -> impl FnOnce(sqlx::Error) -> ApplyError {
    let doing = doing.into();
    move |source| ApplyError::Database { doing, source }
}

/// Runs one SQL statement with the simple query protocol (DDL and multi-statement `sql` ops).
pub(crate) async fn run(conn: &mut AnyConnection, sql: &str) -> Result<(), sqlx::Error> {
    conn.execute(sqlx::raw_sql(sql)).await.map(|_| ())
}

/// Options for [`execute`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecuteOptions {
    /// Transaction grouping.
    pub tx_mode: TxMode,
    /// How long to wait for another migrator's lock.
    pub lock_timeout: Duration,
    /// The advisory-lock key (PostgreSQL).
    pub lock_key: i64,
}

/// Takes the migration lock and runs the steps `planner` returns for the version rows read
/// under it, until the steps it returned have all run (or it returns none). Returns every
/// step run.
pub async fn execute<P, E, Err>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    opts: ExecuteOptions,
    mut planner: P,
    events: &mut E,
) -> Result<Vec<PlannedStep>, Err>
where
    P: AsyncFnMut(&mut AnyConnection, &[String]) -> Result<Vec<PlannedStep>, Err>,
    E: FnMut(Event),
    Err: From<ApplyError>,
{
    let guard = lock::acquire(conn, dialect, opts.lock_key, opts.lock_timeout, events)
        .await
        .map_err(ApplyError::from)?;
    let result = execute_locked(conn, dialect, opts, &mut planner, events).await;
    let released = lock::release(conn, dialect, guard).await;
    let done = result?;
    released.map_err(ApplyError::from)?;
    Ok(done)
}

async fn execute_locked<P, E, Err>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    opts: ExecuteOptions,
    planner: &mut P,
    events: &mut E,
) -> Result<Vec<PlannedStep>, Err>
where
    P: AsyncFnMut(&mut AnyConnection, &[String]) -> Result<Vec<PlannedStep>, Err>,
    E: FnMut(Event),
    Err: From<ApplyError>,
{
    let mut done = Vec::new();
    for sql in dialect.run_prologue() {
        run(conn, &sql)
            .await
            .map_err(db_err("preparing the connection"))?;
    }
    let result = async {
        let mut ensured = false;
        loop {
            run(conn, dialect.begin_sql())
                .await
                .map_err(db_err("opening the migration transaction"))?;
            if !ensured {
                // Inside the transaction: under SQLite's write lock, so racing migrators
                // never both create the tables.
                if let Err(e) = bookkeeping::ensure_tables(conn, dialect).await {
                    let _ = run(conn, "ROLLBACK").await;
                    return Err(e.into());
                }
                ensured = true;
            }
            match run_one_group(conn, dialect, opts, planner, events).await {
                Ok(None) => {
                    run(conn, "COMMIT").await.map_err(db_err("committing"))?;
                    return Ok(());
                }
                Ok(Some(group)) => {
                    if !group.tx_closed {
                        run(conn, "COMMIT").await.map_err(db_err("committing"))?;
                    }
                    done.extend(group.steps);
                    if !group.more {
                        // The plan is done: no transaction just to read that nothing is left.
                        return Ok(());
                    }
                }
                Err(e) => {
                    let _ = run(conn, "ROLLBACK").await;
                    return Err(e);
                }
            }
        }
    }
    .await;
    for sql in dialect.run_finally() {
        let _ = run(conn, &sql).await;
    }
    result.map(|()| done)
}

/// What [`run_one_group`] ran.
struct Group {
    /// The steps run.
    steps: Vec<PlannedStep>,
    /// Whether the transaction was already closed (a non-transactional step commits before
    /// it runs).
    tx_closed: bool,
    /// Whether the plan had steps after these.
    more: bool,
}

/// Plans from the rows read inside the open transaction and runs the next group. Returns
/// `None` when nothing is left.
async fn run_one_group<P, E, Err>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    opts: ExecuteOptions,
    planner: &mut P,
    events: &mut E,
) -> Result<Option<Group>, Err>
where
    P: AsyncFnMut(&mut AnyConnection, &[String]) -> Result<Vec<PlannedStep>, Err>,
    E: FnMut(Event),
    Err: From<ApplyError>,
{
    let heads = bookkeeping::read_versions(conn, dialect).await?;
    let steps = planner(conn, &heads).await?;
    let Some(first) = steps.first() else {
        return Ok(None);
    };
    if !first.transactional {
        // Runs alone, outside any transaction (CREATE INDEX CONCURRENTLY and friends).
        run(conn, "COMMIT").await.map_err(db_err("committing"))?;
        let step = first.clone();
        run_step(conn, dialect, &step, events, false).await?;
        return Ok(Some(Group {
            steps: vec![step],
            tx_closed: true,
            more: steps.len() > 1,
        }));
    }
    let group: Vec<PlannedStep> = match opts.tx_mode {
        TxMode::Whole => steps
            .iter()
            .take_while(|s| s.transactional)
            .cloned()
            .collect(),
        TxMode::PerMigration => vec![first.clone()],
    };
    for step in &group {
        run_step(conn, dialect, step, events, true).await?;
    }
    let mut violations = Vec::new();
    for sql in dialect.run_epilogue_checks() {
        let rows = conn
            .fetch_all(sqlx::raw_sql(&sql))
            .await
            .map_err(db_err("checking foreign keys"))?;
        for row in rows {
            let cols: Vec<String> = (0..row.len())
                .map(|i| {
                    row.try_get::<String, _>(i)
                        .or_else(|_| row.try_get::<i64, _>(i).map(|v| v.to_string()))
                        .unwrap_or_else(|_| "?".into())
                })
                .collect();
            violations.push(format!("({})", cols.join(", ")));
        }
    }
    if !violations.is_empty() {
        return Err(ApplyError::ForeignKeyCheck {
            revision: group.last().map(|s| s.revision.clone()).unwrap_or_default(),
            violations: violations.join(", "),
        }
        .into());
    }
    Ok(Some(Group {
        more: steps.len() > group.len(),
        steps: group,
        tx_closed: false,
    }))
}

/// At most this many statements go to the server in one call. sqlx's SQLite driver keeps
/// every statement of a call prepared until the call ends and copies the rest of the text for
/// each one, which makes one call for thousands of statements slower than many calls for a
/// few dozen each (measured in tests/bench/RESULTS.md).
const BATCH_STATEMENTS: usize = 64;
/// And at most about this many bytes of SQL.
const BATCH_BYTES: usize = 64 * 1024;

/// Runs the step's statements in batches inside a savepoint, the savepoint's release riding
/// on the last batch. `Err(None)` when a batch ran fewer statements than it held (a
/// statement's text ran into the next one), `Err(Some(e))` when the server failed; either
/// way the savepoint is still open.
async fn run_batches(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    step: &PlannedStep,
) -> Result<(), Option<sqlx::Error>> {
    run(conn, &dialect.savepoint_sql()).await.map_err(Some)?;
    let mut rest = step.statements.as_slice();
    while !rest.is_empty() {
        let mut take = 0;
        let mut bytes = 0;
        while take < rest.len() && take < BATCH_STATEMENTS && (take == 0 || bytes < BATCH_BYTES) {
            bytes += rest[take].len();
            take += 1;
        }
        let (chunk, tail) = rest.split_at(take);
        rest = tail;
        let mut sql = dialect.batch_sql(chunk);
        let mut expected = chunk.len();
        if rest.is_empty() {
            sql.push_str(&dialect.release_batch_sql());
            expected += 1;
        }
        run_batch(conn, &sql, expected).await?;
    }
    Ok(())
}

/// Runs a batch and checks that it ran `expected` statements. `Err(None)` when the count
/// differs (a statement's text ran into the next one), `Err(Some(e))` when the server failed.
async fn run_batch(
    conn: &mut AnyConnection,
    sql: &str,
    expected: usize,
) -> Result<(), Option<sqlx::Error>> {
    use futures_util::TryStreamExt;
    let mut results = conn.fetch_many(sqlx::raw_sql(sql));
    let mut ran = 0;
    while let Some(item) = results.try_next().await.map_err(Some)? {
        if item.is_left() {
            ran += 1;
        }
    }
    if ran == expected {
        Ok(())
    } else {
        Err(None)
    }
}

/// Runs the step's statements one call each; the first failure is an [`ApplyError::Statement`].
async fn run_one_by_one(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    step: &PlannedStep,
    in_tx: bool,
) -> Result<(), ApplyError> {
    for sql in &step.statements {
        if let Err(e) = run(conn, sql).await {
            return Err(statement_error(dialect, step, sql, &e, in_tx));
        }
    }
    Ok(())
}

fn statement_error(
    dialect: &dyn Dialect,
    step: &PlannedStep,
    statement: &str,
    e: &sqlx::Error,
    in_tx: bool,
) -> ApplyError {
    ApplyError::Statement {
        revision: step.revision.clone(),
        direction: step.direction.as_str(),
        statement: statement.to_string(),
        message: e
            .as_database_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string()),
        outcome: if in_tx && dialect.transactional_ddl() {
            "the transaction was rolled back; the schema and version rows are as they were".into()
        } else {
            "this step ran outside a transaction: statements before it may have taken effect".into()
        },
    }
}

async fn run_step<E: FnMut(Event)>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    step: &PlannedStep,
    events: &mut E,
    in_tx: bool,
) -> Result<(), ApplyError> {
    events(Event::Started(step.clone()));
    let started = bookkeeping::now_utc();
    let clock = Instant::now();
    for sql in &step.statements {
        events(Event::Statement(sql.clone()));
    }
    let batched = in_tx && step.batch && step.statements.len() > 1 && dialect.transactional_ddl();
    if !batched {
        run_one_by_one(conn, dialect, step, in_tx).await?;
    } else if let Err(batch_error) = run_batches(conn, dialect, step).await {
        // Undo the batches, then replay the step one statement at a time: the replay fails on
        // the same statement and names it. Should the replay pass (a statement's text ran
        // into the next one in a batch), its result stands.
        if let Err(e) = run(conn, &dialect.rollback_batch_sql()).await {
            return Err(statement_error(
                dialect,
                step,
                &format!("(one of the step's {} statements)", step.statements.len()),
                &batch_error.unwrap_or(e),
                in_tx,
            ));
        }
        run_one_by_one(conn, dialect, step, in_tx).await?;
        run(conn, &dialect.release_batch_sql())
            .await
            .map_err(db_err(format!("applying revision {}", step.revision)))?;
    }
    let duration = clock.elapsed();
    let recording = format!("recording revision {}", step.revision);
    let bookkeeping = bookkeeping::version_and_log_statements(dialect, step, &started, duration);
    if in_tx {
        // One call for the version rows and the log row (a chain of small revisions pays a
        // round trip per statement otherwise). Strata's own statements, so a short count is
        // a driver fault, not a statement running into the next.
        let sql = dialect.batch_sql(&bookkeeping);
        run_batch(conn, &sql, bookkeeping.len())
            .await
            .map_err(|e| ApplyError::Database {
                doing: recording,
                source: e.unwrap_or_else(|| {
                    sqlx::Error::Protocol("fewer results than statements sent".into())
                }),
            })?;
    } else {
        for sql in bookkeeping {
            run(conn, &sql).await.map_err(db_err(recording.clone()))?;
        }
    }
    events(Event::Finished {
        revision: step.revision.clone(),
        duration,
    });
    Ok(())
}
