//! Stage 7, apply: the migration lock (PostgreSQL advisory lock; SQLite locks with `BEGIN IMMEDIATE`, retried until the timeout).

use std::time::{Duration, Instant};

use sqlx::{AnyConnection, Executor, Row};
use thiserror::Error;

use super::{db_err, run, ApplyError, Event, StopFlag};
use crate::dialect::Dialect;
use crate::dialect::DriverError;

/// The advisory-lock key every Strata process agrees on (PostgreSQL): "strata" in ASCII.
pub const LOCK_KEY: i64 = 0x7374_7261_7461;

/// Who holds SQLite's write lock, as far as anyone can tell.
const SQLITE_HOLDER: &str = "another connection holds this SQLite database's write lock, a \
                             migration or the application in a transaction; SQLite does not \
                             say which process";

/// How often a waiting migrator tries the lock again.
const RETRY: Duration = Duration::from_millis(50);

/// The lock could not be taken or released.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another process held the lock for longer than the timeout.
    #[error(
        "the migration lock was not free within {}s: {holder}; wait for it to finish and run \
         the command again, or raise lock_timeout_seconds in strata.toml",
        timeout.as_secs()
    )]
    Timeout {
        /// How long we waited.
        timeout: Duration,
        /// Who holds it, as the database reports.
        holder: String,
    },
    /// The lock query failed.
    #[error("while taking the migration lock: {0}")]
    Database(#[from] DriverError),
}

/// A failed lock query as a [`LockError`].
fn database(e: sqlx::Error) -> LockError {
    LockError::Database(DriverError::new(e))
}

/// A held lock; give it back with [`release`].
#[derive(Debug)]
pub(super) struct Guard {
    key: Option<i64>,
}

/// Takes the advisory lock where the dialect has one (PostgreSQL), waiting up to `timeout`.
pub(super) async fn acquire<E: FnMut(Event)>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    key: i64,
    timeout: Duration,
    stop: &StopFlag,
    events: &mut E,
) -> Result<Guard, ApplyError> {
    let Some(sql) = dialect.try_lock_sql(key) else {
        return Ok(Guard { key: None });
    };
    let start = Instant::now();
    let mut announced = false;
    loop {
        let row = conn.fetch_one(sql.as_str()).await.map_err(database)?;
        // A boolean (PostgreSQL) or an integer (MySQL's GET_LOCK: 1 when taken).
        let taken = match row.try_get::<bool, _>(0) {
            Ok(b) => b,
            Err(_) => row.try_get::<i64, _>(0).map_err(database)? == 1,
        };
        if taken {
            return Ok(Guard { key: Some(key) });
        }
        let holder = holder(conn, dialect, key).await;
        if start.elapsed() >= timeout {
            return Err(LockError::Timeout { timeout, holder }.into());
        }
        if let Some(e) = stop.stopped(
            None,
            "while waiting for the migration lock; nothing had run",
        ) {
            return Err(e);
        }
        if !announced {
            events(Event::Waiting(holder));
            announced = true;
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Opens the migration transaction. Where the dialect locks with the transaction itself
/// (SQLite's `BEGIN IMMEDIATE`), tries without waiting, announces [`Event::Waiting`] when
/// another connection holds the lock, and retries until `timeout`; then lets later
/// statements (`COMMIT`, steps outside a transaction) wait as long for other connections.
pub(super) async fn begin<E: FnMut(Event)>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    timeout: Duration,
    stop: &StopFlag,
    events: &mut E,
) -> Result<(), ApplyError> {
    let opening = "opening the migration transaction";
    let Some(no_wait) = dialect.lock_wait_sql(0) else {
        return run(conn, dialect.begin_sql())
            .await
            .map_err(db_err(opening));
    };
    run(conn, &no_wait).await.map_err(db_err(opening))?;
    let start = Instant::now();
    let mut announced = false;
    let result = loop {
        let busy = match run(conn, dialect.begin_sql()).await {
            Ok(()) => break Ok(()),
            Err(e) => {
                let code = e.as_database_error().and_then(|d| d.code());
                if !code.is_some_and(|c| dialect.is_busy_code(&c)) {
                    break Err(db_err(opening)(e));
                }
                e
            }
        };
        if start.elapsed() >= timeout {
            let _ = busy;
            break Err(LockError::Timeout {
                timeout,
                holder: SQLITE_HOLDER.into(),
            }
            .into());
        }
        if let Some(e) = stop.stopped(
            None,
            "while waiting for the migration lock; nothing had run",
        ) {
            break Err(e);
        }
        if !announced {
            events(Event::Waiting(SQLITE_HOLDER.into()));
            announced = true;
        }
        tokio::time::sleep(RETRY).await;
    };
    let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
    if let Some(wait) = dialect.lock_wait_sql(millis) {
        let restored = run(conn, &wait).await.map_err(db_err(opening));
        if result.is_ok() {
            if let Err(e) = restored {
                let _ = run(conn, "ROLLBACK").await;
                return Err(e);
            }
        }
    }
    result
}

/// Whether a session holds the migration lock `key` right now; `None` where the dialect
/// cannot tell (SQLite, or the query failed).
pub(crate) async fn is_held(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    key: i64,
) -> Option<bool> {
    let sql = dialect.lock_holder_sql(key)?;
    let row = conn.fetch_one(sql.as_str()).await.ok()?;
    row.try_get::<String, _>(0).ok().map(|h| !h.is_empty())
}

async fn holder(conn: &mut AnyConnection, dialect: &dyn Dialect, key: i64) -> String {
    let Some(sql) = dialect.lock_holder_sql(key) else {
        return "unknown holder".into();
    };
    match conn
        .fetch_one(sql.as_str())
        .await
        .and_then(|r| r.try_get::<String, _>(0))
    {
        Ok(h) if !h.is_empty() => h,
        Ok(_) => "a backend that has since released it".into(),
        Err(e) => format!("unknown holder ({e})"),
    }
}

pub(super) async fn release(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    guard: Guard,
) -> Result<(), LockError> {
    if let Some(sql) = guard.key.and_then(|k| dialect.unlock_sql(k)) {
        conn.fetch_one(sql.as_str()).await.map_err(database)?;
    }
    Ok(())
}
