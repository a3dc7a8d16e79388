//! Test support (feature `test-support`, not public API): throwaway databases, and the crate-internal stages Strata's own tests drive directly.
//!
//! Each [`TestDb`] is a uniquely named database (PostgreSQL) or file (SQLite), dropped when the
//! value is dropped, so tests run in parallel. A PostgreSQL test never skips: when the server is
//! unreachable it fails with the command that starts it.
//!
//! Strata's integration tests (runtime/tests, tests/tests) enable the feature through a
//! dev-dependency on the crate itself; nothing else should. Besides the databases, this module
//! is the one route to what the public API keeps internal: introspection, rendering, the
//! executor with hand-made steps, and the driver's connection inside a [`Db`]
//! ([`Db::conn`]).

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{AnyConnection, Connection, Executor};

pub use crate::apply::bookkeeping::read_interrupted;
pub use crate::apply::execute::{execute, ExecuteOptions, OnInterrupted};
pub use crate::introspect::{introspect, Introspected};
pub use crate::render::{render_op, render_ops, Rendered};
pub use crate::script::id::{file_name, new_revision_id, slug, validate_revision_id};

use crate::db::Db;
use crate::dialect::{DialectKind, RenderError};
use crate::schema::Schema;

/// Connects to `url` with the built-in dialect its scheme names.
pub async fn connect(url: &str) -> Result<Db, crate::Error> {
    Ok(crate::db::connect(url).await?)
}

/// `url` with its passwords hidden, as messages print it.
pub fn redact(url: &str) -> String {
    crate::db::redact(url)
}

/// Asserts that `err` is `kind`'s typed refusal ("... is not supported on <kind>") and that
/// what it refuses names each of `what`; returns the message.
pub fn assert_unsupported(err: &RenderError, kind: DialectKind, what: &[&str]) -> String {
    let msg = err.to_string();
    assert!(
        matches!(err, RenderError::Unsupported { dialect, what: w, .. }
            if *dialect == kind.name() && what.iter().all(|x| w.contains(x))),
        "expected {kind} to refuse {what:?}, got: {msg}"
    );
    assert!(
        msg.contains(&format!("is not supported on {kind}")),
        "{msg}"
    );
    msg
}

/// `sql`, written with standard `"identifiers"`, as MySQL reads it: each in backticks (string
/// literals untouched), as the MySQL dialect writes check expressions. For test SQL written
/// for SQLite and PostgreSQL.
#[cfg(feature = "mysql")]
pub fn mysql_identifiers(sql: &str) -> String {
    crate::dialect::mysql::backtick_identifiers(sql)
}

/// The dialects the test suites run against: a suite that loops over these runs for a new
/// dialect once it is added here (with its [`TestDb`] support).
pub const DIALECTS: [DialectKind; 3] = [
    DialectKind::Sqlite,
    DialectKind::Postgres,
    DialectKind::Mysql,
];

/// The server URL tests use for PostgreSQL (`STRATA_TEST_POSTGRES_URL` overrides it).
pub fn postgres_server_url() -> String {
    std::env::var("STRATA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The server URL tests use for MySQL/MariaDB (`STRATA_TEST_MYSQL_URL` overrides it).
pub fn mysql_server_url() -> String {
    std::env::var("STRATA_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
}

/// How to start the MariaDB server, for failure messages.
pub const START_MYSQL: &str =
    "start it with: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd";

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
        TestDb::on_server(DialectKind::Postgres, tag).await
    }

    /// A fresh, empty MySQL/MariaDB database. Panics (failing the test) with the command that
    /// starts the server when it is unreachable.
    pub async fn mysql(tag: &str) -> TestDb {
        TestDb::on_server(DialectKind::Mysql, tag).await
    }

    /// A fresh database on the server of `kind` (PostgreSQL or MySQL).
    async fn on_server(kind: DialectKind, tag: &str) -> TestDb {
        let (server, what, start) = server_of(kind);
        install_drivers();
        let mut admin = AnyConnection::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("{what} is not reachable at {server}: {e}\n{start}"));
        let name = unique_name(tag);
        let d = kind.dialect().expect("dialect built");
        admin
            .execute(format!("CREATE DATABASE {}", d.quote_ident(&name)).as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = admin.close().await;
        let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
        TestDb {
            url: format!("{base}/{name}"),
            kind,
            name,
            _dir: None,
        }
    }

    /// A fresh database of `kind`.
    pub async fn new(kind: DialectKind, tag: &str) -> TestDb {
        match kind {
            DialectKind::Sqlite => TestDb::sqlite(tag),
            DialectKind::Postgres => TestDb::postgres(tag).await,
            DialectKind::Mysql => TestDb::mysql(tag).await,
        }
    }

    /// Opens a connection to it.
    pub async fn connect(&self) -> Db {
        connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to test database {}: {e}", self.url))
    }
}

/// The admin URL of `kind`'s test server, its name, and how to start it.
fn server_of(kind: DialectKind) -> (String, &'static str, &'static str) {
    match kind {
        DialectKind::Mysql => (mysql_server_url(), "MySQL/MariaDB", START_MYSQL),
        _ => (postgres_server_url(), "PostgreSQL", START_POSTGRES),
    }
}

fn install_drivers() {
    sqlx::any::install_default_drivers();
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let drop = match self.kind {
            DialectKind::Postgres => {
                format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)
            }
            DialectKind::Mysql => format!("DROP DATABASE IF EXISTS `{}`", self.name),
            _ => return,
        };
        let (server, _, _) = server_of(self.kind);
        // Drop runs outside any runtime guarantee: use a private one on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async move {
                    install_drivers();
                    if let Ok(mut admin) = AnyConnection::connect(&server).await {
                        let _ = admin.execute(drop.as_str()).await;
                    }
                });
            }
        })
        .join();
    }
}

/// `schema` in a canonical form for comparing what changes produce with what was asked for:
/// rename hints removed, columns sorted by name (the diff never reorders columns) and every
/// constraint and index list sorted. Names are kept.
pub fn canonical(schema: &Schema) -> Schema {
    let mut out = Schema::with_naming(schema.naming.clone());
    for table in schema.tables.values() {
        let mut t = table.clone();
        t.renamed_from = None;
        for c in &mut t.columns {
            c.renamed_from = None;
        }
        t.columns.sort_by(|a, b| a.name.cmp(&b.name));
        t.uniques
            .sort_by(|a, b| (&a.columns, &a.name).cmp(&(&b.columns, &b.name)));
        t.indexes
            .sort_by(|a, b| (&a.columns, a.unique, &a.name).cmp(&(&b.columns, b.unique, &b.name)));
        t.foreign_keys.sort_by(|a, b| {
            (&a.columns, &a.ref_table, &a.ref_columns, &a.name).cmp(&(
                &b.columns,
                &b.ref_table,
                &b.ref_columns,
                &b.name,
            ))
        });
        t.checks.sort_by(|a, b| a.name.cmp(&b.name));
        out.insert(t);
    }
    out
}

/// What in `schema` refers to something that does not exist: a foreign key to a missing table
/// or column, a key, constraint or index on a missing column. Empty for a consistent schema.
/// Changes replayed op by op keep a consistent schema consistent at every step; tests use this
/// to check the order of changes.
pub fn dangling(schema: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for t in schema.tables.values() {
        let mut lists: Vec<(String, &Vec<String>)> = Vec::new();
        if let Some(pk) = &t.primary_key {
            lists.push((format!("primary key '{}'", pk.name), &pk.columns));
        }
        for u in &t.uniques {
            lists.push((format!("unique constraint '{}'", u.name), &u.columns));
        }
        for i in &t.indexes {
            lists.push((format!("index '{}'", i.name), &i.columns));
        }
        for fk in &t.foreign_keys {
            lists.push((format!("foreign key '{}'", fk.name), &fk.columns));
        }
        for (what, cols) in lists {
            for c in cols.iter().filter(|c| t.column(c).is_none()) {
                out.push(format!("{what} of '{}' uses missing column '{c}'", t.name));
            }
        }
        for fk in &t.foreign_keys {
            match schema.table(&fk.ref_table) {
                None => out.push(format!(
                    "foreign key '{}' of '{}' references missing table '{}'",
                    fk.name, t.name, fk.ref_table
                )),
                Some(r) => {
                    for c in fk.ref_columns.iter().filter(|c| r.column(c).is_none()) {
                        out.push(format!(
                            "foreign key '{}' of '{}' references missing column '{}.{c}'",
                            fk.name, t.name, r.name
                        ));
                    }
                }
            }
        }
    }
    out
}
