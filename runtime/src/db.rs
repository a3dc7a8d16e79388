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

/// Hides the passwords in a URL for messages: the userinfo password
/// (`postgres://user:***@host/db`, split at the last `@` before the host, so a password
/// holding `@`, `/` or `?` is hidden whole) and the values of query parameters that hold one
/// (`?password=***`, `sslpassword=***`).
pub fn redact(url: &str) -> String {
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

/// Whether `url` is a SQLite database that lives only as long as the connection
/// (`sqlite::memory:`, `sqlite://` with no file, `mode=memory`): nothing written to it
/// persists, so commands that write refuse it.
pub fn is_transient_sqlite(url: &str) -> bool {
    if DialectKind::from_url(url) != Ok(DialectKind::Sqlite) {
        return false;
    }
    let rest = url.split_once(':').map_or("", |(_, r)| r);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (file, query) = rest.split_once('?').unwrap_or((rest, ""));
    file.trim().is_empty()
        || file.starts_with(":memory:")
        || file.starts_with("file::memory:")
        || query
            .split('&')
            .any(|p| p.eq_ignore_ascii_case("mode=memory"))
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

    #[test]
    fn transient_sqlite_urls() {
        for url in [
            "sqlite://",
            "sqlite:",
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            "sqlite://x.db?mode=memory",
            "sqlite://x.db?cache=shared&mode=memory",
            "sqlite:file::memory:?cache=shared",
        ] {
            assert!(is_transient_sqlite(url), "{url}");
        }
        for url in [
            "sqlite://app.db",
            "sqlite:app.db",
            "sqlite:///tmp/x.db?mode=rwc",
            "postgres://h/d",
            "postgres://h/memory",
            "nosuch://",
        ] {
            assert!(!is_transient_sqlite(url), "{url}");
        }
    }
}
