//! Connections: opening a database from its URL, shared by introspection and applying.

use std::sync::Once;

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions};
use thiserror::Error;

use crate::dialect::{Dialect, DialectKind, UnknownDialect};

/// A database that could not be reached.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The URL's scheme names no dialect.
    #[error("database URL `{url}`: {source}")]
    Dialect {
        /// The URL, with any password hidden.
        url: String,
        /// What was wrong.
        source: UnknownDialect,
    },
    /// The URL names a dialect this build of Strata leaves out (its cargo feature is off).
    #[error(transparent)]
    NotBuilt(#[from] crate::dialect::RenderError),
    /// The server refused or could not be reached.
    #[error("cannot connect to `{url}`: {source}")]
    Connect {
        /// The URL, with any password hidden.
        url: String,
        /// The driver's error.
        source: DriverError,
    },
}

pub use crate::dialect::DriverError;

/// An open connection and the dialect Strata speaks on it; made by
/// [`Migrator::connect`](crate::Migrator::connect) (the dialect its URL names) or
/// [`Migrator::connect_with`](crate::Migrator::connect_with) (a dialect of your own), and
/// passed to every [`Migrator`](crate::Migrator) method that reads or changes the database.
///
/// The connection inside is the driver's and not part of Strata's API: run your own queries
/// on a connection of your own.
#[derive(Debug)]
pub struct Db {
    pub(crate) conn: AnyConnection,
    dialect: &'static dyn Dialect,
}

impl Db {
    /// The dialect Strata speaks on this connection.
    pub fn dialect(&self) -> &'static dyn Dialect {
        self.dialect
    }

    /// Closes the connection, telling the server (PostgreSQL logs a connection that is just
    /// dropped). Errors while closing are ignored: there is nothing left to undo.
    pub async fn close(self) {
        let _ = sqlx::Connection::close(self.conn).await;
    }

    /// The driver's connection, for tests that run their own SQL. Not public API.
    #[cfg(feature = "test-support")]
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    /// The driver's connection, for tests that keep it alone. Not public API.
    #[cfg(feature = "test-support")]
    pub fn into_conn(self) -> AnyConnection {
        self.conn
    }
}

/// Hides the passwords in a URL for messages: the userinfo password
/// (`postgres://user:***@host/db`, split at the last `@` before the host, so a password
/// holding `@`, `/` or `?` is hidden whole) and the values of query parameters that hold one
/// (`?password=***`, `sslpassword=***`).
pub(crate) fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let mut out = String::with_capacity(url.len());
    if let Some(scheme) = scheme {
        out.push_str(scheme);
        out.push_str("://");
    }
    // The userinfo ends at the last `@` before the query; when there is none there, a
    // password holding `?` may hide it, so look at the whole rest (hiding too much is safe).
    let query_start = rest.find('?').unwrap_or(rest.len());
    let at = match scheme {
        Some(_) => rest[..query_start].rfind('@').or_else(|| rest.rfind('@')),
        None => None,
    };
    let rest = match at {
        Some(at) => {
            let (creds, host) = (&rest[..at], &rest[at + 1..]);
            match creds.split_once(':') {
                Some((user, _)) => {
                    out.push_str(user);
                    out.push_str(":***@");
                }
                None => {
                    out.push_str(creds);
                    out.push('@');
                }
            }
            host
        }
        None => rest,
    };
    match rest.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some((key, _)) if is_secret_param(key) => format!("{key}=***"),
                    _ => param.to_string(),
                })
                .collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(rest),
    }
    out
}

/// Whether a URL query parameter holds a secret (`password`, `sslpassword`, ...).
fn is_secret_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password")
        || key.contains("passwd")
        || key.contains("secret")
        || key.contains("token")
        || matches!(key.as_str(), "pass" | "pwd")
}

/// The built-in dialect `url`'s scheme names (`sqlite:`, `postgres://`); an error when the
/// scheme names none, or a dialect this build leaves out.
pub(crate) fn dialect_of(url: &str) -> Result<&'static dyn Dialect, ConnectError> {
    let kind = DialectKind::from_url(url).map_err(|source| ConnectError::Dialect {
        url: redact(url),
        source,
    })?;
    Ok(kind.dialect()?)
}

/// Connects to `url` with the built-in dialect its scheme names. A SQLite file that does not
/// exist yet is created.
pub(crate) async fn connect(url: &str) -> Result<Db, ConnectError> {
    connect_with(url, dialect_of(url)?).await
}

/// Connects to `url` and speaks `dialect` on it. A SQLite file that does not exist yet is
/// created.
pub(crate) async fn connect_with(
    url: &str,
    dialect: &'static dyn Dialect,
) -> Result<Db, ConnectError> {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    let sqlite = DialectKind::from_url(url) == Ok(DialectKind::Sqlite);
    let url_owned = if sqlite && !url.contains("mode=") && !url.contains(":memory:") {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}mode=rwc")
    } else {
        url.to_string()
    };
    let err = |source| ConnectError::Connect {
        url: redact(url),
        source: DriverError::new(source),
    };
    let opts: AnyConnectOptions = url_owned.parse().map_err(err)?;
    let mut conn = opts
        .disable_statement_logging()
        .connect()
        .await
        .map_err(err)?;
    let dialect = match dialect.server_version_sql() {
        Some(sql) => {
            let version: String = sqlx::query_scalar(sql)
                .fetch_one(&mut conn)
                .await
                .map_err(err)?;
            dialect.for_server(&version).unwrap_or(dialect)
        }
        None => dialect,
    };
    for sql in dialect.session_sql() {
        sqlx::Executor::execute(&mut conn, sql.as_str())
            .await
            .map_err(err)?;
    }
    Ok(Db { conn, dialect })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_every_password() {
        for (url, want) in [
            (
                "postgres://app:s3cret@db/prod",
                "postgres://app:***@db/prod",
            ),
            ("postgres://app@db/prod", "postgres://app@db/prod"),
            ("postgres://db/prod", "postgres://db/prod"),
            (
                "postgres://app:p@ss@db:5432/prod",
                "postgres://app:***@db:5432/prod",
            ),
            (
                "postgres://app:a@b@c@db/prod?sslmode=require",
                "postgres://app:***@db/prod?sslmode=require",
            ),
            ("postgres://app:pa/ss@db/prod", "postgres://app:***@db/prod"),
            ("postgres://app:pa?ss@db/prod", "postgres://app:***@db/prod"),
            ("postgres://app:pa:ss@db/prod", "postgres://app:***@db/prod"),
            ("postgres://app:@db/prod", "postgres://app:***@db/prod"),
            (
                "postgres://db/prod?user=app&password=s3cret",
                "postgres://db/prod?user=app&password=***",
            ),
            (
                "postgres://db/prod?sslpassword=k3y&sslmode=verify-full",
                "postgres://db/prod?sslpassword=***&sslmode=verify-full",
            ),
            (
                "postgres://u:x@db/prod?PASSWORD=y&application_name=me",
                "postgres://u:***@db/prod?PASSWORD=***&application_name=me",
            ),
            (
                "postgres://db/prod?options=-c%20a%3Db&application_name=a@b",
                "postgres://db/prod?options=-c%20a%3Db&application_name=a@b",
            ),
            ("sqlite://app.db", "sqlite://app.db"),
            (
                "sqlite:///abs/path.db?mode=rwc",
                "sqlite:///abs/path.db?mode=rwc",
            ),
            ("sqlite::memory:", "sqlite::memory:"),
            ("sqlite:app.db?password=x", "sqlite:app.db?password=***"),
            ("", ""),
            ("not a url", "not a url"),
        ] {
            assert_eq!(redact(url), want, "{url}");
        }
        // Whatever the shape, the secret never survives.
        for url in [
            "postgres://u:topsecret@h/d",
            "postgres://u:top@secret@h/d",
            "postgres://u:top/secret@h/d?x=1",
            "postgres://u:top?secret@h/d",
            "postgresql://u:topsecret@h:1/d?password=topsecret",
            "postgres://h/d?sslpassword=topsecret",
        ] {
            assert!(!redact(url).contains("secret"), "{url} -> {}", redact(url));
        }
    }
}
