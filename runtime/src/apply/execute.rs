//! Stage 7, apply: the executor, running planned steps under the migration lock, in transactions, with their bookkeeping.
//!
//! Crate-internal: [`Migrator`](crate::Migrator) plans and calls [`execute`]; Strata's own
//! tests reach it through `strata::testing` with hand-made steps.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::time::{Duration, Instant};

use sqlx::{AnyConnection, Executor, Row};

use super::{
    bookkeeping, db_err, lock, run, ApplyError, Event, LockTimeout, Partial, PlannedStep, StepKind,
    StopFlag, Timeouts, TxMode, LOCK_KEY, LOG_TABLE,
};
use crate::dialect::Dialect;
use crate::dialect::DriverError;
/// Whether another session holds the migration lock `key`; `None` where the dialect cannot
/// tell (SQLite).
pub(crate) async fn lock_is_held(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    key: i64,
) -> Option<bool> {
    lock::is_held(conn, dialect, key).await
}

/// What [`execute`] does when it finds an open interruption record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnInterrupted {
    /// Refuse to run, with what happened and what to do ([`ApplyError::Interrupted`]).
    #[default]
    Refuse,
    /// Close the records and run (`--retry-interrupted`: the user undid the partial change,
    /// and the interrupted revision runs again).
    Retry,
    /// Close the records (`stamp`: the user states which revisions the schema is at).
    Stamp,
}

/// Options for [`execute`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteOptions {
    /// Transaction grouping.
    pub tx_mode: TxMode,
    /// How long to wait for another migrator's lock.
    pub lock_timeout: Duration,
    /// The advisory-lock key (PostgreSQL).
    pub lock_key: i64,
    /// What to do with an open interruption record.
    pub interrupted: OnInterrupted,
    /// Create `strata_log` again, empty, when `strata_version` exists without it (`stamp`);
    /// otherwise that is [`ApplyError::LogMissing`].
    pub recreate_log: bool,
    /// Stops the run between statements when raised.
    pub stop: StopFlag,
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        ExecuteOptions {
            tx_mode: TxMode::default(),
            lock_timeout: Duration::from_secs(60),
            lock_key: LOCK_KEY,
            interrupted: OnInterrupted::default(),
            recreate_log: false,
            stop: StopFlag::default(),
        }
    }
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
    for sql in dialect.session_setup_sql() {
        // Best effort: a setting an older server does not know changes nothing.
        let _ = run(conn, &sql).await;
    }
    if let Some(sql) = dialect.backend_id_sql() {
        if let Ok(id) = conn
            .fetch_one(sql.as_str())
            .await
            .and_then(|r| r.try_get::<i64, _>(0))
        {
            opts.stop.set_backend(id);
        }
    }
    let guard = lock::acquire(
        conn,
        dialect,
        opts.lock_key,
        opts.lock_timeout,
        &opts.stop,
        events,
    )
    .await?;
    let result = execute_locked(conn, dialect, &opts, &mut planner, events).await;
    let released = lock::release(conn, dialect, guard).await;
    let done = result?;
    released.map_err(ApplyError::from)?;
    Ok(done)
}

async fn execute_locked<P, E, Err>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    opts: &ExecuteOptions,
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
        let mut first = true;
        // Retries of the current group after lock timeouts.
        let mut retried = 0;
        loop {
            let outcome = if done.is_empty() {
                "nothing had run"
            } else {
                "the revisions this run applied before were committed"
            };
            if let Some(e) = opts.stop.stopped(None, outcome) {
                return Err(e.into());
            }
            lock::begin(conn, dialect, opts.lock_timeout, &opts.stop, events).await?;
            match run_one_group(conn, dialect, opts, planner, events, first).await {
                Ok(Ran::Nothing) => {
                    run(conn, "COMMIT").await.map_err(db_err("committing"))?;
                    return Ok(());
                }
                Ok(Ran::LockTimeout(mut e)) => {
                    // Everything the transaction did is undone: the group runs again from the
                    // version rows, which are as they were (and `first` stays as it was: the
                    // bookkeeping tables it created are gone too).
                    let _ = run(conn, "ROLLBACK").await;
                    e.attempts = retried + 1;
                    if retried >= e.timeouts.lock_retries {
                        return Err(ApplyError::LockTimeout(e).into());
                    }
                    retried += 1;
                    wait_to_retry(events, &e.revision, &e.statement, &e.timeouts, retried).await;
                    continue;
                }
                Ok(Ran::Group(group)) => {
                    if !group.tx_closed {
                        run(conn, "COMMIT").await.map_err(db_err("committing"))?;
                    }
                    done.extend(group.steps);
                    retried = 0;
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
            first = false;
        }
    }
    .await;
    for sql in dialect.run_finally() {
        let _ = run(conn, &sql).await;
    }
    result.map(|()| done)
}

/// Reports retry `retry` of `statement` after a lock timeout ([`Event::Retrying`]) and
/// waits its backoff.
async fn wait_to_retry<E: FnMut(Event)>(
    events: &mut E,
    revision: &str,
    statement: &str,
    timeouts: &Timeouts,
    retry: u32,
) {
    let wait = Timeouts::backoff(retry);
    events(Event::Retrying {
        revision: revision.to_string(),
        statement: statement.to_string(),
        retry,
        retries: timeouts.lock_retries,
        lock_timeout_ms: timeouts.lock_timeout_ms,
        wait,
    });
    tokio::time::sleep(wait).await;
}

/// What [`run_one_group`] did.
enum Ran {
    /// Nothing was left to run.
    Nothing,
    /// It ran a group of steps.
    Group(Group),
    /// A statement of a step in the open transaction waited longer than the lock timeout
    /// ([`ApplyError::LockTimeout`]): the caller rolls back and may run the group again.
    LockTimeout(Box<LockTimeout>),
}

/// The timeouts set on the connection, so that a chain of steps sets them only when they
/// change. [`Applied::default`] is the server's settings, as at the start of a transaction
/// (`SET LOCAL` ends with it) or of a session.
#[derive(Debug, Default)]
struct Applied {
    lock: Option<u64>,
    statement: Option<u64>,
}

impl Applied {
    /// Sets the connection's timeouts to `want` where they differ (`local`: for the open
    /// transaction only).
    async fn set(
        &mut self,
        conn: &mut AnyConnection,
        dialect: &dyn Dialect,
        want: &Timeouts,
        local: bool,
    ) -> Result<(), ApplyError> {
        let mut sql = Vec::new();
        if self.lock != want.lock_timeout_ms {
            sql.extend(dialect.lock_timeout_sql(want.lock_timeout_ms, local));
        }
        if self.statement != want.statement_timeout_ms {
            sql.extend(dialect.statement_timeout_sql(want.statement_timeout_ms, local));
        }
        for s in sql {
            run(conn, &s)
                .await
                .map_err(db_err(format!("setting the migration's timeouts ({s})")))?;
        }
        self.lock = want.lock_timeout_ms;
        self.statement = want.statement_timeout_ms;
        Ok(())
    }
}

/// What [`run_one_group`] ran.
struct Group {
    /// The steps run.
    steps: Vec<PlannedStep>,
    /// Whether the transaction was already closed (a non-transactional step commits before
    /// it runs).
    tx_closed: bool,
    /// Whether the plan had steps after these (or must be asked again: the last step ran
    /// hand-written SQL).
    more: bool,
}

/// Inside the open transaction: on the first call, makes sure the bookkeeping tables exist;
/// deals with open interruption records; plans from the version rows and runs the next
/// group. Returns [`Ran::Nothing`] when nothing is left.
async fn run_one_group<P, E, Err>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    opts: &ExecuteOptions,
    planner: &mut P,
    events: &mut E,
    first: bool,
) -> Result<Ran, Err>
where
    P: AsyncFnMut(&mut AnyConnection, &[String]) -> Result<Vec<PlannedStep>, Err>,
    E: FnMut(Event),
    Err: From<ApplyError>,
{
    // Inside the transaction: under SQLite's write lock, so racing migrators never both
    // create the tables.
    if first && bookkeeping::ensure_tables(conn, dialect, opts.recreate_log).await? {
        events(Event::Note(format!(
            "{LOG_TABLE} was missing and was created again, empty: the migration files applied \
             before have no checksum records, so edits to them will not be detected"
        )));
    }
    // A revision left partially applied where DDL commits statement by statement (MySQL):
    // the planner continues it (resumes it, or reverses what ran) when it can; otherwise the
    // open record refuses the run, as everywhere.
    let records = bookkeeping::read_interrupted(conn, dialect).await?;
    let continues = records.len() == 1 && records[0].resumable;
    let mut planned: Option<VecDeque<PlannedStep>> = None;
    if continues && opts.interrupted == OnInterrupted::Refuse {
        let heads = bookkeeping::read_versions(conn, dialect).await?;
        let steps: VecDeque<PlannedStep> = planner(conn, &heads).await?.into();
        if steps.front().is_some_and(|s| s.continues(&records[0])) {
            planned = Some(steps);
        }
    }
    let mut steps = match planned {
        Some(steps) => steps,
        None => {
            close_interruptions(conn, dialect, opts, events, records).await?;
            let heads = bookkeeping::read_versions(conn, dialect).await?;
            planner(conn, &heads).await?.into()
        }
    };
    let Some(first_step) = steps.pop_front() else {
        return Ok(Ran::Nothing);
    };
    if first_step.runs_outside(dialect) {
        // Runs alone, outside any transaction (CREATE INDEX CONCURRENTLY and friends).
        run(conn, "COMMIT").await.map_err(db_err("committing"))?;
        run_outside(conn, dialect, opts, &first_step, events).await?;
        return Ok(Ran::Group(Group {
            more: !steps.is_empty() || first_step.replan_after,
            steps: vec![first_step],
            tx_closed: true,
        }));
    }
    steps.push_front(first_step);
    let mut ran: Vec<PlannedStep> = Vec::new();
    let mut fk = FkGuard::default();
    // The last step ran hand-written SQL and the plan was not asked again yet.
    let mut replan_pending = false;
    let mut applied = Applied::default();
    while let Some(step) = steps.pop_front() {
        if step.runs_outside(dialect) || (opts.tx_mode == TxMode::PerMigration && !ran.is_empty()) {
            steps.push_front(step);
            break;
        }
        let rolled_back = rolled_back_outcome(dialect);
        if let Some(e) = opts.stop.stopped(Some(&step.revision), rolled_back.clone()) {
            return Err(e.into());
        }
        fk.baseline(conn, dialect, &step.rebuilt_tables).await?;
        if !step.statements.is_empty() {
            applied.set(conn, dialect, &step.timeouts, true).await?;
        }
        match run_step(conn, dialect, &step, events, true, &opts.stop).await {
            Ok(()) => {}
            Err(ApplyError::LockTimeout(e)) if opts.stop.requested().is_none() => {
                return Ok(Ran::LockTimeout(e));
            }
            Err(e) => return Err(stopped_or(e, &opts.stop, &step.revision, &rolled_back).into()),
        }
        replan_pending = step.replan_after;
        ran.push(step);
        if replan_pending && opts.tx_mode == TxMode::Whole {
            // The step changed the schema in ways the plan could not know: render the rest
            // again from the live schema, inside this transaction.
            let heads = bookkeeping::read_versions(conn, dialect).await?;
            steps = planner(conn, &heads).await?.into();
            replan_pending = false;
        }
        if replan_pending {
            break;
        }
    }
    if let Some(last) = ran.last() {
        fk.check(conn, dialect, events, &last.revision).await?;
    }
    Ok(Ran::Group(Group {
        more: !steps.is_empty() || replan_pending,
        steps: ran,
        tx_closed: false,
    }))
}

/// Refuses when an interruption record (`records`) is open, or closes it as `opts` says.
async fn close_interruptions<E: FnMut(Event)>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    opts: &ExecuteOptions,
    events: &mut E,
    mut records: Vec<bookkeeping::Interruption>,
) -> Result<(), ApplyError> {
    if records.is_empty() {
        return Ok(());
    }
    let how = match opts.interrupted {
        OnInterrupted::Refuse => {
            // Holding an advisory lock, no other migrator can be running the step; without
            // one (SQLite), another may be between two of its statements.
            let unguarded = dialect.try_lock_sql(opts.lock_key).is_none();
            for r in &mut records {
                r.may_be_running = unguarded;
            }
            return Err(ApplyError::Interrupted(records));
        }
        OnInterrupted::Retry => "--retry-interrupted",
        OnInterrupted::Stamp => "stamp",
    };
    for r in &records {
        run(conn, &bookkeeping::close_record_sql(dialect, r, how))
            .await
            .map_err(db_err(format!(
                "closing the interruption record of revision {}",
                r.revision
            )))?;
        events(Event::Note(format!(
            "Closed the interruption record of revision {} ({} started at {})",
            r.revision,
            match r.kind {
                StepKind::Down => "downgrade",
                _ => "upgrade",
            },
            r.started_at
        )));
    }
    Ok(())
}

fn rolled_back_outcome(dialect: &dyn Dialect) -> String {
    if dialect.transactional_ddl() {
        "the transaction was rolled back; the schema and version rows are as they were before \
         it began"
            .into()
    } else {
        "statements before it may have taken effect".into()
    }
}

/// `e`, or [`ApplyError::Stopped`] when a stop was requested (the statement failed because
/// it was cancelled).
fn stopped_or(e: ApplyError, stop: &StopFlag, revision: &str, outcome: &str) -> ApplyError {
    match e {
        e @ ApplyError::Stopped { .. } => e,
        e => stop.stopped(Some(revision), outcome).unwrap_or(e),
    }
}

/// The foreign-key check around steps that rebuild tables: violations counted per (table,
/// parent) before the steps, compared with those after. Only the rebuilt tables and the
/// tables referencing them are looked at.
#[derive(Debug, Default)]
struct FkGuard {
    /// The tables covered so far, lowercase.
    tables: Vec<String>,
    /// Violations per (table, parent), lowercase, before the steps that rebuilt them.
    before: BTreeMap<(String, String), usize>,
}

/// One row whose foreign key points nowhere.
struct Violation {
    table: String,
    rowid: i64,
    parent: String,
}

impl Violation {
    fn key(&self) -> (String, String) {
        (
            self.table.to_ascii_lowercase(),
            self.parent.to_ascii_lowercase(),
        )
    }
}

impl FkGuard {
    fn covers(&self, key: &(String, String)) -> bool {
        self.tables.contains(&key.0) || self.tables.contains(&key.1)
    }

    /// Counts the violations involving `tables` not covered yet, before they are rebuilt.
    async fn baseline(
        &mut self,
        conn: &mut AnyConnection,
        dialect: &dyn Dialect,
        tables: &[String],
    ) -> Result<(), ApplyError> {
        let mut new: Vec<String> = Vec::new();
        for t in tables {
            let t = t.to_ascii_lowercase();
            if !self.tables.contains(&t) && !new.contains(&t) {
                new.push(t);
            }
        }
        if new.is_empty() {
            return Ok(());
        }
        if let Some(sql) = dialect.foreign_key_violations_sql(&new) {
            for v in violations(conn, &sql).await? {
                let key = v.key();
                if !self.covers(&key) {
                    *self.before.entry(key).or_default() += 1;
                }
            }
        }
        self.tables.extend(new);
        Ok(())
    }

    /// Fails on violations the steps added; reports the ones that were there before.
    async fn check<E: FnMut(Event)>(
        &self,
        conn: &mut AnyConnection,
        dialect: &dyn Dialect,
        events: &mut E,
        revision: &str,
    ) -> Result<(), ApplyError> {
        if self.tables.is_empty() {
            return Ok(());
        }
        let Some(sql) = dialect.foreign_key_violations_sql(&self.tables) else {
            return Ok(());
        };
        let mut after: BTreeMap<(String, String), Vec<Violation>> = BTreeMap::new();
        for v in violations(conn, &sql).await? {
            after.entry(v.key()).or_default().push(v);
        }
        let mut new = Vec::new();
        for (key, rows) in &after {
            let before = self.before.get(key).copied().unwrap_or(0);
            let Some(first) = rows.first() else { continue };
            if before > 0 {
                events(Event::Warning(format!(
                    "table {} has {before} row(s) whose foreign key to {} pointed nowhere before \
                     this migration; they are left as they were, and are not the migration's \
                     doing (`PRAGMA foreign_key_check({})` lists them)",
                    first.table,
                    first.parent,
                    dialect.quote_ident(&first.table)
                )));
            }
            if rows.len() > before {
                let shown: Vec<String> = rows
                    .iter()
                    .take(10)
                    .map(|v| format!("table {} rowid {} (parent {})", v.table, v.rowid, v.parent))
                    .collect();
                new.push(format!(
                    "{} new row(s) of {} whose foreign key to {} points nowhere ({} before): {}{}",
                    rows.len() - before,
                    first.table,
                    first.parent,
                    before,
                    shown.join(", "),
                    if rows.len() > shown.len() {
                        ", ..."
                    } else {
                        ""
                    }
                ));
            }
        }
        if new.is_empty() {
            return Ok(());
        }
        Err(ApplyError::ForeignKeyCheck {
            revision: revision.to_string(),
            violations: new.join("; "),
        })
    }
}

async fn violations(conn: &mut AnyConnection, sql: &str) -> Result<Vec<Violation>, ApplyError> {
    let err = db_err("checking foreign keys");
    let rows = match conn.fetch_all(sqlx::raw_sql(sql)).await {
        Ok(rows) => rows,
        Err(e) => return Err(err(e)),
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let read = |i| {
            row.try_get::<String, _>(i)
                .unwrap_or_else(|_| "?".to_string())
        };
        out.push(Violation {
            table: read(0),
            rowid: row.try_get::<i64, _>(1).unwrap_or(-1),
            parent: read(2),
        });
    }
    Ok(out)
}

/// At most this many statements go to the server in one call. sqlx's SQLite driver keeps
/// every statement of a call prepared until the call ends and copies the rest of the text for
/// each one, which makes one call for thousands of statements slower than many calls for a
/// few dozen each (measured in tests/bench/RESULTS.md).
const BATCH_STATEMENTS: usize = 64;
/// And at most about this many bytes of SQL.
const BATCH_BYTES: usize = 64 * 1024;

/// Why a batched run did not complete.
enum BatchError {
    /// A batch ran fewer statements than it held (a statement's text ran into the next one).
    Short,
    /// The server failed.
    Db(sqlx::Error),
    /// A stop was requested between batches.
    Stopped,
}

/// Runs the step's statements in batches inside a savepoint, the savepoint's release riding
/// on the last batch. On error the savepoint is still open.
async fn run_batches(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    step: &PlannedStep,
    stop: &StopFlag,
) -> Result<(), BatchError> {
    run(conn, &dialect.savepoint_sql())
        .await
        .map_err(BatchError::Db)?;
    let mut rest = step.statements.as_slice();
    while !rest.is_empty() {
        if stop.requested().is_some() {
            return Err(BatchError::Stopped);
        }
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
        run_batch(conn, &sql, expected).await.map_err(|e| match e {
            Some(e) => BatchError::Db(e),
            None => BatchError::Short,
        })?;
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

/// Runs the step's statements one call each, stopping before the next one when a stop was
/// requested; the first failure is an [`ApplyError::Statement`].
async fn run_one_by_one<E: FnMut(Event)>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    step: &PlannedStep,
    events: &mut E,
    in_tx: bool,
    stop: &StopFlag,
) -> Result<(), ApplyError> {
    for sql in &step.statements {
        if let Some(e) = stop.stopped(Some(&step.revision), rolled_back_outcome(dialect)) {
            return Err(e);
        }
        match run_statement(conn, step, sql, events, stop).await {
            Ok(true) => {}
            Ok(false) => {
                if let Some(e) = stop.stopped(Some(&step.revision), rolled_back_outcome(dialect)) {
                    return Err(e);
                }
            }
            Err(e) => return Err(statement_error(dialect, step, sql, &e, in_tx)),
        }
    }
    Ok(())
}

/// Runs one statement of `step`: once, or, when it is marked to repeat
/// ([`is_repeated`](crate::dialect::is_repeated): a backfill in batches), again and again until
/// a run changes no rows, reporting each batch ([`Event::Batch`]). Outside a transaction each
/// run commits on its own. `Ok(false)`: a stop was requested between two batches, and the
/// statement is not done.
async fn run_statement<E: FnMut(Event)>(
    conn: &mut AnyConnection,
    step: &PlannedStep,
    sql: &str,
    events: &mut E,
    stop: &StopFlag,
) -> Result<bool, sqlx::Error> {
    if !crate::dialect::is_repeated(sql) {
        return run(conn, sql).await.map(|()| true);
    }
    let (mut batches, mut rows) = (0u64, 0u64);
    loop {
        let changed = conn.execute(sqlx::raw_sql(sql)).await?.rows_affected();
        let done = changed == 0;
        if !done {
            batches += 1;
            rows += changed;
        }
        events(Event::Batch {
            revision: step.revision.clone(),
            batches,
            rows,
            done,
        });
        if done {
            return Ok(true);
        }
        if stop.requested().is_some() {
            return Ok(false);
        }
    }
}

fn statement_error(
    dialect: &dyn Dialect,
    step: &PlannedStep,
    statement: &str,
    e: &sqlx::Error,
    in_tx: bool,
) -> ApplyError {
    statement_error_with(
        dialect,
        step,
        statement,
        e,
        if in_tx && dialect.transactional_ddl() {
            "the transaction was rolled back; the schema and version rows are as they were".into()
        } else {
            "this step ran outside a transaction: statements before it may have taken effect".into()
        },
    )
}

/// The error of `statement` of `step` failing with `e`: [`ApplyError::LockTimeout`] (one
/// attempt; a retrying caller counts them) when it waited longer than the lock timeout.
fn statement_error_with(
    dialect: &dyn Dialect,
    step: &PlannedStep,
    statement: &str,
    e: &sqlx::Error,
    outcome: String,
) -> ApplyError {
    let message = e
        .as_database_error()
        .map_or_else(|| e.to_string(), |d| d.message().to_string());
    if is_lock_timeout(dialect, e) {
        return ApplyError::LockTimeout(Box::new(LockTimeout {
            revision: step.revision.clone(),
            direction: step.kind.as_str(),
            statement: statement.to_string(),
            message,
            timeouts: step.timeouts,
            attempts: 1,
            outcome,
            remedy: dialect.blocking_sessions_hint().to_string(),
        }));
    }
    ApplyError::Statement {
        revision: step.revision.clone(),
        direction: step.kind.as_str(),
        statement: statement.to_string(),
        message,
        outcome,
    }
}

/// Whether `e` says the statement waited longer than the lock timeout.
fn is_lock_timeout(dialect: &dyn Dialect, e: &sqlx::Error) -> bool {
    crate::dialect::server_code(e).is_some_and(|c| dialect.is_lock_timeout_code(&c))
}

/// Runs a step inside the open migration transaction, then moves the version rows and
/// appends the log row in the same transaction.
async fn run_step<E: FnMut(Event)>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    step: &PlannedStep,
    events: &mut E,
    in_tx: bool,
    stop: &StopFlag,
) -> Result<(), ApplyError> {
    events(Event::Started(step.clone()));
    let started = bookkeeping::now_utc();
    let clock = Instant::now();
    for sql in &step.statements {
        events(Event::Statement(sql.clone()));
    }
    let batched = in_tx
        && step.batch
        && step.statements.len() > 1
        && dialect.transactional_ddl()
        && !step
            .statements
            .iter()
            .any(|s| crate::dialect::is_repeated(s));
    if !batched {
        run_one_by_one(conn, dialect, step, events, in_tx, stop).await?;
    } else if let Err(batch_error) = run_batches(conn, dialect, step, stop).await {
        let batch_error = match batch_error {
            BatchError::Stopped => {
                let outcome = rolled_back_outcome(dialect);
                return Err(stop
                    .stopped(Some(&step.revision), outcome.clone())
                    .unwrap_or_else(|| ApplyError::Stopped {
                        reason: "a stop request".into(),
                        revision: Some(step.revision.clone()),
                        outcome,
                    }));
            }
            BatchError::Short => None,
            BatchError::Db(e) => Some(e),
        };
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
        run_one_by_one(conn, dialect, step, events, in_tx, stop).await?;
        run(conn, &dialect.release_batch_sql())
            .await
            .map_err(db_err(format!("applying revision {}", step.revision)))?;
    }
    let duration = clock.elapsed();
    let recording = format!("recording revision {}", step.revision);
    let bookkeeping = bookkeeping::version_and_log_statements(dialect, step, &started, duration);
    // One call for the version rows and the log row (a chain of small revisions pays a
    // round trip per statement otherwise). Strata's own statements, so a short count is
    // a driver fault, not a statement running into the next.
    let sql = dialect.batch_sql(&bookkeeping);
    run_batch(conn, &sql, bookkeeping.len())
        .await
        .map_err(|e| ApplyError::Database {
            doing: recording,
            source: DriverError::new(e.unwrap_or_else(|| {
                sqlx::Error::Protocol("fewer results than statements sent".into())
            })),
        })?;
    events(Event::Finished {
        revision: step.revision.clone(),
        duration,
    });
    Ok(())
}

/// The units a step outside a transaction runs: each atomic range (merged where they
/// overlap, clipped to the statements) as one unit where DDL is transactional, every other
/// statement alone.
pub(super) fn units(step: &PlannedStep, dialect: &dyn Dialect) -> Vec<(Range<usize>, bool)> {
    let n = step.statements.len();
    let mut ranges: Vec<Range<usize>> = if dialect.transactional_ddl() {
        step.atomic
            .iter()
            .map(|r| r.start.min(n)..r.end.min(n))
            .filter(|r| !r.is_empty())
            .collect()
    } else {
        Vec::new()
    };
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    for r in merged {
        out.extend((i..r.start).map(|j| (j..j + 1, false)));
        i = r.end;
        out.push((r, true));
    }
    out.extend((i..n).map(|j| (j..j + 1, false)));
    out
}

/// What a step outside a transaction left behind after `done` statements. Where DDL commits
/// statement by statement (MySQL), that is a revision partially applied, which the next run
/// continues: `detail` (what a failing PostgreSQL statement may leave) does not apply there.
fn outside_outcome(dialect: &dyn Dialect, step: &PlannedStep, done: usize, detail: &str) -> String {
    if !dialect.transactional_ddl() {
        let (what, again) = match step.kind {
            StepKind::Down => (
                format!("the downgrade of revision {}", step.revision),
                "downgrade",
            ),
            _ => (format!("revision {}", step.revision), "upgrade"),
        };
        return format!(
            "{what} partially applied: {done} of {} statements ran and stay ({} commits each \
             DDL statement on its own, so they cannot be rolled back); `{again}` resumes it at \
             statement {} (keep the migration file unchanged; if a statement failed, fix its \
             cause first){}",
            step.statements.len(),
            dialect.name(),
            done + 1,
            if step.kind == StepKind::Down {
                ""
            } else {
                ", or `downgrade` to reverse the statements that ran"
            }
        );
    }
    format!(
        "revision {} runs outside a single transaction (`transactional = false`, `online = \
         true`, or an enum value it adds, which must commit before use): {done} of its {} \
         statements completed and stay{detail}; an interruption record was kept, and `upgrade` \
         refuses to run until it is resolved (`current` says how)",
        step.revision,
        step.statements.len()
    )
}

/// Sets the session's lock timeout (`None`: the server's setting).
async fn set_lock_timeout(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    millis: Option<u64>,
) -> Result<(), ApplyError> {
    for s in dialect.lock_timeout_sql(millis, false) {
        run(conn, &s)
            .await
            .map_err(db_err(format!("setting the lock timeout ({s})")))?;
    }
    Ok(())
}

/// Runs a step outside a transaction under its timeouts, set for the session and set back to
/// the server's after it, whether it ran or failed ([`run_outside_untimed`]).
async fn run_outside<E: FnMut(Event)>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    opts: &ExecuteOptions,
    step: &PlannedStep,
    events: &mut E,
) -> Result<(), ApplyError> {
    let mut applied = Applied::default();
    let result = match applied.set(conn, dialect, &step.timeouts, false).await {
        Ok(()) => run_outside_untimed(conn, dialect, opts, step, events).await,
        Err(e) => Err(e),
    };
    let server = Timeouts {
        lock_timeout_ms: None,
        statement_timeout_ms: None,
        lock_retries: 0,
    };
    let reset = applied.set(conn, dialect, &server, false).await;
    result.and(reset)
}

/// Runs a step outside a transaction: commits the interruption record, runs the statements
/// (each atomic range in a transaction of its own, with the progress recorded in it), then
/// moves the version rows and completes the record in one small transaction.
async fn run_outside_untimed<E: FnMut(Event)>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    opts: &ExecuteOptions,
    step: &PlannedStep,
    events: &mut E,
) -> Result<(), ApplyError> {
    let stop = &opts.stop;
    if let Some(e) = stop.stopped(Some(&step.revision), "nothing of it had run") {
        return Err(e);
    }
    events(Event::Started(step.clone()));
    for sql in &step.statements {
        events(Event::Statement(sql.clone()));
    }
    let started = bookkeeping::now_utc();
    let clock = Instant::now();
    // Resuming continues the open record from where it stopped; anything else opens one.
    let mut done = match step.partial {
        Some(Partial::Resume { done }) => {
            events(Event::Note(format!(
                "Resuming revision {} at statement {} of {}",
                step.revision,
                done + 1,
                step.statements.len()
            )));
            // The planner may have found more done than the record says.
            run(conn, &bookkeeping::progress_sql(dialect, step, done))
                .await
                .map_err(db_err("recording progress"))?;
            done
        }
        _ => {
            run(conn, &bookkeeping::open_record_sql(dialect, step, &started))
                .await
                .map_err(db_err(format!(
                    "recording the start of revision {}",
                    step.revision
                )))?;
            0
        }
    };
    let resume_at = done;
    for (unit, atomic) in units(step, dialect)
        .into_iter()
        .filter(|(u, _)| u.start >= resume_at)
    {
        if let Some(e) = stop.stopped(
            Some(&step.revision),
            outside_outcome(dialect, step, done, ""),
        ) {
            return Err(e);
        }
        let progress = bookkeeping::progress_sql(dialect, step, unit.end);
        if atomic {
            let together = format!(
                "; statements {}-{}, which must take effect together, were rolled back",
                unit.start + 1,
                unit.end
            );
            let outcome = outside_outcome(dialect, step, done, &together);
            let result = async {
                run(conn, dialect.begin_sql())
                    .await
                    .map_err(db_err("opening a transaction for a table rebuild"))?;
                let mut fk = FkGuard::default();
                fk.baseline(conn, dialect, &step.rebuilt_tables).await?;
                for sql in &step.statements[unit.clone()] {
                    if let Some(e) = stop.stopped(Some(&step.revision), outcome.clone()) {
                        return Err(e);
                    }
                    if let Err(e) = run(conn, sql).await {
                        return Err(statement_error_with(
                            dialect,
                            step,
                            sql,
                            &e,
                            outcome.clone(),
                        ));
                    }
                }
                fk.check(conn, dialect, events, &step.revision).await?;
                // The progress rides in the same transaction: exact for this unit.
                run(conn, &progress)
                    .await
                    .map_err(db_err("recording progress"))?;
                run(conn, "COMMIT").await.map_err(db_err("committing"))
            }
            .await;
            if let Err(e) = result {
                let _ = run(conn, "ROLLBACK").await;
                return Err(stopped_or(e, stop, &step.revision, &outcome));
            }
        } else {
            let sql = &step.statements[unit.start];
            // A statement whose wait for locks blocks nobody (CREATE INDEX CONCURRENTLY waiting
            // for old transactions) runs without the lock timeout: giving up would only leave
            // an invalid index behind.
            let unbounded =
                dialect.waits_harmlessly(sql) && step.timeouts.lock_timeout_ms.is_some();
            if unbounded {
                set_lock_timeout(conn, dialect, None).await?;
            }
            let mut retried = 0;
            let failed = loop {
                let e = match run_statement(conn, step, sql, events, stop).await {
                    Ok(true) => break None,
                    Ok(false) => {
                        // Stopped between two batches: the batches so far are committed.
                        let outcome = outside_outcome(
                            dialect,
                            step,
                            done,
                            "; the batches of the statement that ran are committed, and running \
                             it again continues with the rows left",
                        );
                        return Err(stop
                            .stopped(Some(&step.revision), outcome.clone())
                            .unwrap_or(ApplyError::Stopped {
                                reason: "a stop request".into(),
                                revision: Some(step.revision.clone()),
                                outcome,
                            }));
                    }
                    Err(e) => e,
                };
                // Outside a transaction, a statement that timed out waiting for its lock did
                // not take effect (MySQL: DDL commits statement by statement; PostgreSQL: the
                // statement ran in a transaction of its own) and the progress record still
                // says so: run it again. Not the statements that wait harmlessly, which may
                // leave work behind (an invalid index) and run without the timeout anyway.
                if is_lock_timeout(dialect, &e)
                    && !dialect.waits_harmlessly(sql)
                    && retried < step.timeouts.lock_retries
                    && stop.requested().is_none()
                {
                    retried += 1;
                    wait_to_retry(events, &step.revision, sql, &step.timeouts, retried).await;
                    continue;
                }
                break Some(e);
            };
            if unbounded {
                set_lock_timeout(conn, dialect, step.timeouts.lock_timeout_ms).await?;
            }
            if let Some(e) = failed {
                let which = if stop.requested().is_some() {
                    "cancelled"
                } else {
                    "failing"
                };
                let outcome = outside_outcome(
                    dialect,
                    step,
                    done,
                    &format!(
                        "; the {which} statement may have left work behind (an INVALID index \
                         after CREATE INDEX CONCURRENTLY)"
                    ),
                );
                let mut e = statement_error_with(dialect, step, sql, &e, outcome.clone());
                if let ApplyError::LockTimeout(t) = &mut e {
                    t.attempts = retried + 1;
                }
                return Err(stopped_or(e, stop, &step.revision, &outcome));
            }
            run(conn, &progress)
                .await
                .map_err(db_err("recording progress"))?;
        }
        done = unit.end;
    }
    let duration = clock.elapsed();
    // The version rows and the completed record in one small transaction: a kill leaves
    // either both as they were (the record open, every statement done) or both moved.
    let mut finish = bookkeeping::finish_record_statements(dialect, step, duration);
    if let Some(Partial::Reverse { done }) = step.partial {
        finish.push(bookkeeping::close_reversed_sql(dialect, step, done));
    }
    let recording = format!("recording revision {}", step.revision);
    let result = async {
        run(conn, dialect.begin_sql())
            .await
            .map_err(db_err(recording.clone()))?;
        for sql in &finish {
            run(conn, sql).await.map_err(db_err(recording.clone()))?;
        }
        run(conn, "COMMIT").await.map_err(db_err(recording.clone()))
    }
    .await;
    if let Err(e) = result {
        let _ = run(conn, "ROLLBACK").await;
        return Err(e);
    }
    events(Event::Finished {
        revision: step.revision.clone(),
        duration,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(n: usize, atomic: Vec<Range<usize>>) -> PlannedStep {
        PlannedStep {
            revision: "r".into(),
            message: "m".into(),
            kind: StepKind::Up,
            remove_heads: Vec::new(),
            add_heads: Vec::new(),
            statements: (0..n).map(|i| format!("S{i}")).collect(),
            transactional: false,
            batch: true,
            checksum: None,
            atomic,
            rebuilt_tables: Vec::new(),
            replan_after: false,
            partial: None,
            timeouts: Timeouts::default(),
            from_label: String::new(),
            to_label: String::new(),
        }
    }

    #[cfg(feature = "sqlite")]
    #[test]
    fn atomic_ranges_become_units() {
        let d = &crate::dialect::sqlite::Sqlite;
        assert_eq!(
            units(&step(6, std::iter::once(1..4).collect()), d),
            vec![(0..1, false), (1..4, true), (4..5, false), (5..6, false)]
        );
        // Overlapping ranges merge (adjacent ones stay apart); ranges past the end are
        // clipped; empty ones dropped.
        assert_eq!(
            units(&step(5, vec![3..9, 0..2, 1..3, 4..4]), d),
            vec![(0..3, true), (3..5, true)]
        );
        assert_eq!(
            units(&step(2, vec![]), d),
            vec![(0..1, false), (1..2, false)]
        );
    }
}
