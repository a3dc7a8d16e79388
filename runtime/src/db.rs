//! Connections: opening a database from its URL, shared by introspection and applying.

use std::sync::Once;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions};
use thiserror::Error;

use crate::dialect::{DialectKind, UnknownDialect};

/// A database that could not be reached.
#[derive(Debug, Error)]
pub enum ConnectError {
    /// The URL's scheme names no dialect.
    #[error("database URL `{url}`: {source}")]
    Dialect {
        /// The URL, with any password hidden.
        url: String,
        /// What was wrong.
        source: UnknownDialect,
    },
    /// The server refused or could not be reached.
    #[error("cannot connect to `{url}`: {source}")]
    Connect {
        /// The URL, with any password hidden.
        url: String,
        /// The driver's error.
        source: sqlx::Error,
    },
}

/// An open connection and its dialect.
#[derive(Debug)]
pub struct Db {
    /// The connection.
    pub conn: AnyConnection,
    /// Which database it is.
    pub kind: DialectKind,
}

/// Hides the password in a URL (`postgres://user:***@host/db`) for messages.
pub fn redact(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://") {
        if let Some((creds, host)) = rest.split_once('@') {
            if let Some((user, _)) = creds.split_once(':') {
                return format!("{scheme}://{user}:***@{host}");
            }
        }
    }
    url.to_string()
}

/// Connects to `url`. A SQLite file that does not exist yet is created.
pub async fn connect(url: &str) -> Result<Db, ConnectError> {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    let kind = DialectKind::from_url(url).map_err(|source| ConnectError::Dialect {
        url: redact(url),
        source,
    })?;
    let url_owned =
        if kind == DialectKind::Sqlite && !url.contains("mode=") && !url.contains(":memory:") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_string()
        };
    let err = |source| ConnectError::Connect {
        url: redact(url),
        source,
    };
    let opts: AnyConnectOptions = url_owned.parse().map_err(err)?;
    let conn = opts
        .disable_statement_logging()
        .connect()
        .await
        .map_err(err)?;
    Ok(Db { conn, kind })
}
