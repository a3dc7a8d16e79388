//! Stage 7, apply: running planned migration steps against a database, with locking, transactions and bookkeeping.
//!
//! Public here is what a run reports and how it is steered: the steps it runs
//! ([`PlannedStep`], [`StepKind`]) and the [`Event`]s a progress callback sees, the
//! transaction grouping ([`TxMode`]), stopping ([`StopFlag`], [`cancel_running`]), open
//! interruption records ([`Interruption`]) and the errors ([`ApplyError`], [`LockError`]).
//! The executor itself is crate-internal; [`Migrator`](crate::Migrator) drives it.
//!
//! The caller plans; this stage executes. The executor takes the migration lock, then loops:
//! open a transaction, read the version rows, ask the caller's planner for the steps from
//! there, run the next group of steps (all of them, one, or a non-transactional one alone),
//! move the version rows and append to the audit log in the same transaction, commit; stop
//! when the group was the rest of the plan or the planner returns nothing. Because the plan
//! is computed from the rows read under the lock, concurrent migrators apply each revision
//! exactly once and the late ones find nothing left to do.
//!
//! A step that runs outside a transaction (`transactional = false`) first commits an
//! interruption record (in `strata_log`), runs its statements (each atomic range, such as
//! a SQLite table rebuild, in a transaction of its own), then moves the version rows and
//! completes the record in one small transaction. A run that finds a record still open
//! refuses ([`ApplyError::Interrupted`]) until `stamp` or `--retry-interrupted` closes it.
//! A [`StopFlag`] stops a run between statements (Ctrl-C); on PostgreSQL [`cancel_running`]
//! also cancels the statement the server is running.

pub(crate) mod bookkeeping;
pub(crate) mod execute;
mod lock;
pub(crate) mod offline;

use std::ops::Range;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::{AnyConnection, Executor, Row};
use thiserror::Error;

pub use bookkeeping::{Interruption, LOG_TABLE, VERSION_TABLE};
pub(crate) use execute::{execute, lock_is_held, ExecuteOptions, OnInterrupted};
pub use lock::{LockError, LOCK_KEY};

use crate::dialect::DriverError;
use crate::dialect::RenderError;

/// What a step does, as the audit log's `direction` column records it (`up`, `down`, `stamp`,
/// `accept`). Not [`graph::Direction`](crate::graph::Direction), which is only up or down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepKind {
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

impl StepKind {
    /// `up`, `down`, `stamp` or `accept`, as stored in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Up => "up",
            StepKind::Down => "down",
            StepKind::Stamp => "stamp",
            StepKind::Accept => "accept",
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
    /// What it does: up, down, stamp or accept.
    pub kind: StepKind,
    /// Version rows this step removes.
    pub remove_heads: Vec<String>,
    /// Version rows this step adds.
    pub add_heads: Vec<String>,
    /// The SQL to run, in order.
    pub statements: Vec<String>,
    /// Whether the step may run inside a transaction.
    pub transactional: bool,
    /// Whether the statements may go to the server in one call (see [`Transport::batch_sql`](crate::dialect::Transport::batch_sql)):
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
    pub atomic: Vec<Range<usize>>,
    /// Tables this step re-creates (SQLite table rebuilds). The foreign-key check after the
    /// step looks at these tables and at the tables whose foreign keys reference them.
    pub rebuilt_tables: Vec<String>,
    /// Whether the plan after this step must be rendered again from the live schema: the step
    /// runs hand-written SQL whose effect on the schema Strata cannot know. After running it,
    /// the executor reads the version rows again and asks the planner for the rest (in the
    /// same transaction), so a planner may stop rendering after such a step.
    pub replan_after: bool,
    /// For a step that continues a revision an earlier run left partially applied (MySQL):
    /// how. `None` for every ordinary step.
    pub partial: Option<Partial>,
    /// The lock and statement timeouts its statements run under, and how often a lock
    /// timeout is retried: `strata.toml`'s settings, overridden by the revision's header.
    pub timeouts: Timeouts,
    /// For output: the revision(s) the step goes from (`<base>` when none).
    pub from_label: String,
    /// For output: the revision(s) the step goes to (`<base>` when none).
    pub to_label: String,
}

/// The timeouts a step's statements run under (`migration_lock_timeout_ms`,
/// `statement_timeout_ms`, `lock_retries` in `strata.toml` or a revision's header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// How long one statement may wait for a lock another session holds, in milliseconds;
    /// `None`: the server's setting.
    pub lock_timeout_ms: Option<u64>,
    /// How long one statement may run, in milliseconds; `None`: the server's setting.
    pub statement_timeout_ms: Option<u64>,
    /// How many times a step (MySQL: a statement) that failed on the lock timeout is retried.
    pub lock_retries: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            lock_timeout_ms: None,
            statement_timeout_ms: None,
            lock_retries: Timeouts::DEFAULT_RETRIES,
        }
    }
}

impl Timeouts {
    /// `lock_retries` when nothing sets it.
    pub const DEFAULT_RETRIES: u32 = 3;
    /// The most `lock_retries` may say: with the backoff, about a minute of retrying.
    pub const MAX_RETRIES: u32 = 15;
    /// The wait before the first retry; each further one waits twice as long as the last.
    pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
    /// The longest wait between two retries.
    pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

    /// How long to wait before retry `n` (1-based): 200 ms, 400 ms, 800 ms, ..., at most 5 s.
    pub fn backoff(n: u32) -> Duration {
        let factor = 1u32 << n.saturating_sub(1).min(16);
        Timeouts::FIRST_BACKOFF
            .saturating_mul(factor)
            .min(Timeouts::MAX_BACKOFF)
    }

    /// What is wrong with a timeout setting in milliseconds, if anything (0 would mean "no
    /// timeout" on PostgreSQL and "do not wait at all" elsewhere).
    pub(crate) fn check_millis(value: Option<u64>) -> Option<String> {
        match value {
            Some(0) => Some(
                "0 is not a timeout; give a number of milliseconds (e.g. 2000), or remove the \
                 setting to use the server's"
                    .into(),
            ),
            Some(n) if n > i32::MAX as u64 => Some(format!(
                "{n} ms is more than the servers accept (at most {} ms, about 24 days); remove \
                 the setting to use the server's",
                i32::MAX
            )),
            _ => None,
        }
    }

    /// What is wrong with a `lock_retries` value, if anything.
    pub(crate) fn check_retries(value: Option<u32>) -> Option<String> {
        value.filter(|&n| n > Timeouts::MAX_RETRIES).map(|n| {
            format!(
                "{n} retries is too many (at most {}); raise migration_lock_timeout_ms instead",
                Timeouts::MAX_RETRIES
            )
        })
    }

    /// The lock timeout for messages: `200 ms`, or `the server's`.
    fn describe_lock(&self) -> String {
        self.lock_timeout_ms
            .map_or_else(|| "the server's".into(), |ms| format!("{ms} ms"))
    }
}

/// How a step continues a revision left partially applied on a dialect whose DDL commits
/// statement by statement (MySQL): the open interruption record says `done` statements ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Partial {
    /// Run the step's statements from statement `done` (0-based) on, under the same record.
    Resume {
        /// The statements that ran before.
        done: usize,
    },
    /// A downgrade that reverses the `done` statements of the partially applied upgrade of
    /// the revision (the step's statements are the reversal; the version rows do not move),
    /// then closes the upgrade's record.
    Reverse {
        /// The statements of the upgrade that ran.
        done: usize,
    },
}

impl PlannedStep {
    /// Whether this step continues the open record `r`: same revision, the record's
    /// direction, and at least the progress it names (the planner may have found that a
    /// statement after it took effect too).
    pub(crate) fn continues(&self, r: &Interruption) -> bool {
        let recorded = r.progress.map_or(usize::MAX, |(d, _)| d);
        r.resumable
            && r.revision == self.revision
            && match self.partial {
                Some(Partial::Resume { done }) => r.kind == self.kind && done >= recorded,
                Some(Partial::Reverse { done }) => {
                    r.kind == StepKind::Up && self.kind == StepKind::Down && done >= recorded
                }
                None => false,
            }
    }

    /// Whether the step runs outside a transaction, recording its progress statement by
    /// statement: it says so (`transactional = false`), or it runs statements on a dialect
    /// whose DDL commits implicitly (MySQL), where a transaction could not undo them anyway.
    pub(crate) fn runs_outside(&self, dialect: &dyn crate::dialect::Dialect) -> bool {
        !self.transactional || (!dialect.transactional_ddl() && !self.statements.is_empty())
    }
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

/// What a run reports as it goes: the callback of [`Migrator::upgrade`](crate::Migrator::upgrade)
/// and the other running methods sees these.
#[derive(Debug, Clone, PartialEq, Eq)]
// A few events per step, passed by value to the caller's callback and dropped: boxing the
// step would buy nothing.
#[allow(clippy::large_enum_variant)]
#[non_exhaustive]
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
    /// Something to know that does not stop the run: foreign keys that pointed nowhere before
    /// the migration, and still do.
    Warning(String),
    /// A change to Strata's own records: an interruption record closed, the audit log
    /// created again.
    Note(String),
    /// A batch of a statement that runs until it changes no rows (a backfill in batches:
    /// `batch_size`, or the online form of a new column with a volatile default) ran.
    Batch {
        /// The revision.
        revision: String,
        /// The batches that changed rows so far.
        batches: u64,
        /// The rows changed so far.
        rows: u64,
        /// Whether this was the last run, which changed no rows.
        done: bool,
    },
    /// A statement failed because it waited longer than the lock timeout for a lock another
    /// session holds; what it did was rolled back (PostgreSQL: the whole transaction; MySQL:
    /// the statement, which did not take effect) and it is run again after `wait`.
    Retrying {
        /// The revision.
        revision: String,
        /// The statement that timed out.
        statement: String,
        /// The retry about to run (1 for the first retry).
        retry: u32,
        /// How many retries are allowed (`lock_retries`).
        retries: u32,
        /// The lock timeout, in milliseconds (`None`: the server's).
        lock_timeout_ms: Option<u64>,
        /// How long the run waits before the retry.
        wait: Duration,
    },
}

/// A failed run. The database is left as it was before the failing transaction.
#[derive(Debug, Error)]
#[non_exhaustive]
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
    /// A statement waited longer than the lock timeout for a lock another session holds, on
    /// every attempt.
    #[error(transparent)]
    LockTimeout(Box<LockTimeout>),
    /// A bookkeeping query failed.
    #[error("while {doing}: {source}")]
    Database {
        /// What Strata was doing.
        doing: String,
        /// The driver's error.
        source: DriverError,
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
    /// The second connection that cancels a running statement could not be opened.
    #[error(transparent)]
    Connect(#[from] crate::db::ConnectError),
    /// Rendering or planning failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A step that runs outside a transaction started earlier and did not finish: its
    /// interruption record is still open. Nothing was run.
    #[error("{}", describe_interruptions(.0))]
    Interrupted(Vec<Interruption>),
    /// The run was stopped on request (Ctrl-C, SIGTERM: [`StopFlag`]).
    #[error(
        "stopped by {reason}{}: {outcome}",
        revision.as_ref().map(|r| format!(" while applying revision {r}")).unwrap_or_default()
    )]
    Stopped {
        /// What asked for the stop.
        reason: String,
        /// The revision running at the time.
        revision: Option<String>,
        /// What happened to the database.
        outcome: String,
    },
    /// `strata_version` exists but `strata_log` does not (dropped by hand).
    #[error(
        "table {LOG_TABLE} is missing although {VERSION_TABLE} exists (the database is at {}): \
         was it dropped by hand? The checksum guard has no records of which migration files \
         were applied, so edits to applied files would go unnoticed; nothing was run. To create \
         it again deliberately, empty (the files applied so far stay unguarded), run `stamp {}`",
        if heads.is_empty() { "base".to_string() } else { heads.join(", ") },
        if heads.is_empty() { "base".to_string() } else { heads.join(" ") }
    )]
    LogMissing {
        /// The database's version rows.
        heads: Vec<String>,
    },
}

/// A statement waited longer than the lock timeout for a lock another session holds, on
/// every attempt ([`ApplyError::LockTimeout`]).
#[derive(Debug, Error)]
#[non_exhaustive]
#[error(
    "while applying revision {revision} ({direction}): the statement waited longer than the \
     lock timeout ({}) for a lock another session holds, {attempts} time(s) ({message})\n  \
     statement: {statement}\n  {outcome}\n  What to do: find the session holding the lock \
     and end its transaction ({remedy}), or raise migration_lock_timeout_ms (strata.toml, \
     or the revision's header) or lock_retries; then run the command again",
    timeouts.describe_lock()
)]
pub struct LockTimeout {
    /// The revision.
    pub revision: String,
    /// up/down.
    pub direction: &'static str,
    /// The statement.
    pub statement: String,
    /// The database's message.
    pub message: String,
    /// The timeouts the statement ran under.
    pub timeouts: Timeouts,
    /// How many times the statement ran.
    pub attempts: u32,
    /// What happened to the database.
    pub outcome: String,
    /// How to find the blocking session on this database.
    pub remedy: String,
}

fn describe_interruptions(records: &[Interruption]) -> String {
    records
        .iter()
        .map(|r| {
            format!(
                "{}. Nothing was run. What to do: {}",
                r.describe(),
                r.remedy()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn db_err(doing: impl Into<String>) -> impl FnOnce(sqlx::Error) -> ApplyError {
    let doing = doing.into();
    move |source| ApplyError::Database {
        doing,
        source: DriverError::new(source),
    }
}

/// Runs one SQL statement with the simple query protocol (DDL and multi-statement `sql` ops).
pub(crate) async fn run(conn: &mut AnyConnection, sql: &str) -> Result<(), sqlx::Error> {
    conn.execute(sqlx::raw_sql(sql)).await.map(|_| ())
}

/// Asks a running migration ([`RunOptions::stop`](crate::RunOptions::stop)) to stop: it stops before the next statement (or batch), rolls
/// back the open transaction and releases the lock. Clones share the flag. On PostgreSQL,
/// [`cancel_running`] also cancels the statement running on the server.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<StopState>);

#[derive(Debug, Default)]
struct StopState {
    reason: OnceLock<String>,
    backend: AtomicI64,
}

impl StopFlag {
    /// A flag nobody has raised.
    pub fn new() -> StopFlag {
        StopFlag::default()
    }

    /// Raises the flag; `reason` (`SIGINT`) is named in the error. Returns false when it was
    /// already raised.
    pub fn request(&self, reason: impl Into<String>) -> bool {
        self.0.reason.set(reason.into()).is_ok()
    }

    /// Why the flag was raised, if it was.
    pub fn requested(&self) -> Option<&str> {
        self.0.reason.get().map(String::as_str)
    }

    /// The server's id for the migration connection (PostgreSQL backend pid), once known.
    pub(crate) fn backend(&self) -> Option<i64> {
        match self.0.backend.load(Ordering::SeqCst) {
            0 => None,
            id => Some(id),
        }
    }

    fn set_backend(&self, id: i64) {
        self.0.backend.store(id, Ordering::SeqCst);
    }

    fn stopped(&self, revision: Option<&str>, outcome: impl Into<String>) -> Option<ApplyError> {
        self.requested().map(|reason| ApplyError::Stopped {
            reason: reason.to_string(),
            revision: revision.map(str::to_string),
            outcome: outcome.into(),
        })
    }
}

impl PartialEq for StopFlag {
    fn eq(&self, other: &StopFlag) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for StopFlag {}

/// Cancels the statement the run watched by `stop` is executing on the server, from a second
/// connection to `url` (with the built-in dialect its scheme names), as psql does on Ctrl-C
/// (PostgreSQL; elsewhere nothing to do). Returns whether a cancel was sent. The run then
/// fails on that statement, rolls back and releases the lock.
pub async fn cancel_running(url: &str, stop: &StopFlag) -> Result<bool, ApplyError> {
    let Some(id) = stop.backend() else {
        return Ok(false);
    };
    let db = crate::db::connect(url).await?;
    let dialect = db.dialect();
    let mut conn = db.conn;
    let Some(sql) = dialect.cancel_backend_sql(id) else {
        return Ok(false);
    };
    // PostgreSQL answers `true` when the cancel was sent; MySQL's `KILL QUERY` answers no
    // row, and fails when there is nothing to cancel.
    let sent = conn
        .fetch_optional(sql.as_str())
        .await
        .and_then(|r| r.map(|r| r.try_get::<String, _>(0)).transpose())
        .map_err(db_err("cancelling the running statement"));
    let _ = sqlx::Connection::close(conn).await;
    Ok(sent?.is_none_or(|s| s == "true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_flag_is_raised_once_and_shared() {
        let flag = StopFlag::new();
        let clone = flag.clone();
        assert_eq!(flag.requested(), None);
        assert!(clone.request("SIGINT"));
        assert!(!flag.request("SIGTERM"), "the first reason stays");
        assert_eq!(flag.requested(), Some("SIGINT"));
        assert_eq!(flag, clone);
        assert_ne!(flag, StopFlag::new());
    }
}
