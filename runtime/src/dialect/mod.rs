//! Dialects: the only place that writes SQL or names system catalogs, one module per database.
//!
//! Each dialect implements [`Dialect`]; the trait's defaults are standard SQL, and a dialect
//! overrides what it does differently. Rendering ([`Dialect::render`]) and introspection
//! ([`Dialect::catalog_queries`] + [`Dialect::assemble`]) are driven by the `render` and
//! `introspect` stages, which never write SQL themselves.

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use thiserror::Error;

use crate::introspect::{IntrospectError, IntrospectOptions};
use crate::ops::Op;
use crate::schema::{Default, Schema, SqlType};

/// Which database a dialect is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DialectKind {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL / MariaDB (not implemented yet).
    Mysql,
}

impl fmt::Display for DialectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DialectKind::Sqlite => "sqlite",
            DialectKind::Postgres => "postgres",
            DialectKind::Mysql => "mysql",
        })
    }
}

/// A dialect name that is not one of `sqlite`, `postgres`, `mysql`.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown dialect `{0}`; expected one of: sqlite, postgres, mysql")]
pub struct UnknownDialect(pub String);

impl FromStr for DialectKind {
    type Err = UnknownDialect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sqlite" | "sqlite3" => Ok(DialectKind::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(DialectKind::Postgres),
            "mysql" | "mariadb" => Ok(DialectKind::Mysql),
            _ => Err(UnknownDialect(s.into())),
        }
    }
}

impl DialectKind {
    /// The dialect a database URL points at (`sqlite:...`, `postgres://...`, `mysql://...`).
    pub fn from_url(url: &str) -> Result<Self, UnknownDialect> {
        let scheme = url.split(':').next().unwrap_or_default();
        scheme.parse().map_err(|_| UnknownDialect(scheme.into()))
    }

    /// The implementation of this dialect.
    pub fn dialect(self) -> Result<&'static dyn Dialect, RenderError> {
        match self {
            #[cfg(feature = "sqlite")]
            DialectKind::Sqlite => Ok(&sqlite::Sqlite),
            #[cfg(feature = "postgres")]
            DialectKind::Postgres => Ok(&postgres::Postgres),
            #[allow(unreachable_patterns)]
            other => Err(RenderError::DialectNotBuilt(other)),
        }
    }
}

/// Something a dialect cannot render.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RenderError {
    /// The operation has no equivalent on this dialect.
    #[error("{what} is not supported on {dialect}{}", hint.as_ref().map(|h| format!("; {h}")).unwrap_or_default())]
    Unsupported {
        /// The dialect.
        dialect: DialectKind,
        /// What was asked for.
        what: String,
        /// How to get there another way, if there is one.
        hint: Option<String>,
    },
    /// The op does not fit the schema it applies to (for instance a hand-edited file that
    /// alters a column that does not exist at that point).
    #[error("{0}")]
    Inconsistent(String),
    /// Strata was built without this dialect's cargo feature.
    #[error("dialect {0} is not built into this binary; enable the `strata` feature `{0}`")]
    DialectNotBuilt(DialectKind),
}

/// A database's SQL dialect: quoting, type names, DDL, and catalog queries.
pub trait Dialect: Send + Sync + fmt::Debug {
    /// Which database this is.
    fn kind(&self) -> DialectKind;

    /// Quotes an identifier (table, column, constraint or index name).
    fn quote_ident(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    /// Quotes a string literal.
    fn quote_str(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    /// The longest identifier the database keeps.
    fn max_identifier_len(&self) -> usize {
        63
    }

    /// Whether DDL runs inside transactions (and rolls back with them).
    fn transactional_ddl(&self) -> bool {
        true
    }

    /// The type as this dialect spells it in DDL.
    fn type_sql(&self, ty: &SqlType) -> Result<String, RenderError>;

    /// The default as this dialect spells it in DDL.
    fn default_sql(&self, d: &Default) -> String {
        match d {
            Default::Int(i) => i.to_string(),
            Default::Float(f) => format!("{f:?}"),
            Default::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Default::Str(s) => self.quote_str(s),
            Default::Sql { sql } => sql.clone(),
        }
    }

    /// The statements that perform `op` on a database whose schema is `before`.
    fn render(&self, op: &Op, before: &Schema) -> Result<Vec<String>, RenderError>;

    /// The catalog queries introspection runs: a fixed list, whatever the number of tables.
    fn catalog_queries(&self, opts: &IntrospectOptions) -> Vec<String>;

    /// Builds the schema from the rows of [`Dialect::catalog_queries`], one `Vec` per query,
    /// in the same order.
    fn assemble(
        &self,
        results: Vec<Vec<AnyRow>>,
        opts: &IntrospectOptions,
    ) -> Result<Schema, IntrospectError>;

    /// Rewrites a schema built from models into the spelling introspection yields on this
    /// dialect (type synonyms, default expressions, affinity), so the two compare like for like.
    fn normalize(&self, schema: &mut Schema) {
        let _ = schema;
    }

    // --- Applying: transactions, the migration lock, and the bookkeeping tables. ---

    /// Statements run before the migration transaction opens (SQLite: `PRAGMA foreign_keys =
    /// OFF`, which is a no-op inside a transaction and must be off for table rebuilds).
    fn run_prologue(&self) -> Vec<String> {
        Vec::new()
    }

    /// Queries run inside the transaction before COMMIT; any row they return is a violation
    /// and rolls the transaction back (SQLite: `PRAGMA foreign_key_check`).
    fn run_epilogue_checks(&self) -> Vec<String> {
        Vec::new()
    }

    /// Statements run after COMMIT or ROLLBACK (SQLite: `PRAGMA foreign_keys = ON`).
    fn run_finally(&self) -> Vec<String> {
        Vec::new()
    }

    /// The statement that opens a migration transaction.
    fn begin_sql(&self) -> &'static str {
        "BEGIN"
    }

    /// A query returning one boolean: whether the migration lock `key` was taken without
    /// waiting. `None` when the dialect locks another way (SQLite's `BEGIN IMMEDIATE`).
    fn try_lock_sql(&self, key: i64) -> Option<String> {
        let _ = key;
        None
    }

    /// The statement that releases the migration lock `key`.
    fn unlock_sql(&self, key: i64) -> Option<String> {
        let _ = key;
        None
    }

    /// A query returning one text row describing who holds the migration lock `key`.
    fn lock_holder_sql(&self, key: i64) -> Option<String> {
        let _ = key;
        None
    }

    /// A query returning one int8: 1 when the table named `table` exists, else 0.
    fn table_exists_sql(&self, table: &str) -> String;

    /// The query that lists the version rows (one text column).
    fn select_versions_sql(&self, table: &str) -> String {
        format!("SELECT version_num FROM {}", self.quote_ident(table))
    }

    /// The statement that records `revision` as a current head.
    fn insert_version_sql(&self, table: &str, revision: &str) -> String {
        format!(
            "INSERT INTO {} (version_num) VALUES ({})",
            self.quote_ident(table),
            self.quote_str(revision)
        )
    }

    /// The statement that removes `revision` from the current heads.
    fn delete_version_sql(&self, table: &str, revision: &str) -> String {
        format!(
            "DELETE FROM {} WHERE version_num = {}",
            self.quote_ident(table),
            self.quote_str(revision)
        )
    }

    /// The statement that removes every version row.
    fn purge_versions_sql(&self, table: &str) -> String {
        format!("DELETE FROM {}", self.quote_ident(table))
    }

    /// The statement that appends a row to the audit log; every value is a literal.
    fn insert_log_sql(&self, table: &str, row: &[(&str, Option<String>)]) -> String {
        let cols: Vec<String> = row.iter().map(|(c, _)| self.quote_ident(c)).collect();
        let vals: Vec<String> = row
            .iter()
            .map(|(_, v)| {
                v.as_deref()
                    .map_or_else(|| "NULL".to_string(), |v| self.quote_str(v))
            })
            .collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.quote_ident(table),
            cols.join(", "),
            vals.join(", ")
        )
    }

    /// The query that reads the audit log's checksum per applied revision: rows of
    /// (revision text, checksum text), oldest first.
    fn select_checksums_sql(&self, table: &str) -> String {
        format!(
            "SELECT revision, checksum FROM {} WHERE direction IN ('up', 'stamp') ORDER BY seq",
            self.quote_ident(table)
        )
    }
}
