//! Stage 7, apply: the migration lock (PostgreSQL advisory lock; SQLite locks with `BEGIN IMMEDIATE`).

use std::time::{Duration, Instant};

use sqlx::{AnyConnection, Executor, Row};
use thiserror::Error;

use super::Event;
use crate::dialect::Dialect;

/// The lock could not be taken or released.
#[derive(Debug, Error)]
pub enum LockError {
    /// Another process held the lock for longer than the timeout.
    #[error(
        "another migration holds the lock and did not finish within {}s: {holder}; wait for it, \
         or raise lock_timeout_seconds in strata.toml",
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
    Database(#[from] sqlx::Error),
}

/// A held lock; give it back with [`release`].
#[derive(Debug)]
pub(super) struct Guard {
    key: Option<i64>,
}

pub(super) async fn acquire<E: FnMut(Event)>(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    key: i64,
    timeout: Duration,
    events: &mut E,
) -> Result<Guard, LockError> {
    let Some(sql) = dialect.try_lock_sql(key) else {
        return Ok(Guard { key: None });
    };
    let start = Instant::now();
    let mut announced = false;
    loop {
        let row = conn.fetch_one(sql.as_str()).await?;
        if row.try_get::<bool, _>(0)? {
            return Ok(Guard { key: Some(key) });
        }
        let holder = holder(conn, dialect, key).await;
        if start.elapsed() >= timeout {
            return Err(LockError::Timeout { timeout, holder });
        }
        if !announced {
            events(Event::Waiting(holder));
            announced = true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
        conn.fetch_one(sql.as_str()).await?;
    }
    Ok(())
}
