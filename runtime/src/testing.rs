//! Test support (not public API): throwaway databases for tests that need a real server.
//!
//! Each [`TestDb`] is a uniquely named database (PostgreSQL) or file (SQLite), dropped when the
//! value is dropped, so tests run in parallel. A PostgreSQL test never skips: when the server is
//! unreachable it fails with the command that starts it.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{AnyConnection, Connection, Executor};

use crate::db::{connect, Db};
use crate::dialect::DialectKind;

/// The dialects the test suites run against: a suite that loops over these runs for a new
/// dialect once it is added here (with its [`TestDb`] support).
pub const DIALECTS: [DialectKind; 2] = [DialectKind::Sqlite, DialectKind::Postgres];

/// The server URL tests use for PostgreSQL (`STRATA_TEST_POSTGRES_URL` overrides it).
pub fn postgres_server_url() -> String {
    std::env::var("STRATA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// How to start the PostgreSQL server, for failure messages.
pub const START_POSTGRES: &str =
    "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start";

/// A throwaway database, dropped on drop.
#[derive(Debug)]
pub struct TestDb {
    /// The URL to connect to it.
    pub url: String,
    /// Which dialect.
    pub kind: DialectKind,
    name: String,
    _dir: Option<TempDir>,
}

#[derive(Debug)]
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn unique_name(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tag: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(24)
        .collect();
    format!(
        "strata_t_{tag}_{}_{}_{nanos:x}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDb {
    /// A fresh SQLite database file in a temporary directory.
    pub fn sqlite(tag: &str) -> TestDb {
        let name = unique_name(tag);
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir)
            .expect("create a temporary directory for the SQLite test database");
        let url = format!("sqlite://{}/test.db", dir.display());
        TestDb {
            url,
            kind: DialectKind::Sqlite,
            name,
            _dir: Some(TempDir(dir)),
        }
    }

    /// A fresh, empty PostgreSQL database. Panics (failing the test) with the command that starts
    /// the server when it is unreachable.
    pub async fn postgres(tag: &str) -> TestDb {
        let server = postgres_server_url();
        install_drivers();
        let mut admin = AnyConnection::connect(&server).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is not reachable at {server}: {e}\n{START_POSTGRES}")
        });
        let name = unique_name(tag);
        admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = admin.close().await;
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        TestDb {
            url: format!("{base}/{name}"),
            kind: DialectKind::Postgres,
            name,
            _dir: None,
        }
    }

    /// A fresh database of `kind`.
    pub async fn new(kind: DialectKind, tag: &str) -> TestDb {
        match kind {
            DialectKind::Sqlite => TestDb::sqlite(tag),
            DialectKind::Postgres => TestDb::postgres(tag).await,
            DialectKind::Mysql => panic!("MySQL test databases are not supported yet"),
        }
    }

    /// Opens a connection to it.
    pub async fn connect(&self) -> Db {
        connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to test database {}: {e}", self.url))
    }
}

fn install_drivers() {
    sqlx::any::install_default_drivers();
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if self.kind != DialectKind::Postgres {
            return;
        }
        let name = self.name.clone();
        // Drop runs outside any runtime guarantee: use a private one on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async move {
                    install_drivers();
                    if let Ok(mut admin) = AnyConnection::connect(&postgres_server_url()).await {
                        let _ = admin
                            .execute(
                                format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str(),
                            )
                            .await;
                    }
                });
            }
        })
        .join();
    }
}
