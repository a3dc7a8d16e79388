//! Dialect layer: the only place that writes SQL or names system catalogs, one module per database, below every stage that calls it.
//!
//! A dialect implements five traits, split by concern as sqlx splits by noun: [`Syntax`]
//! (quoting, types, defaults), [`Ddl`] (one method per op, standard SQL by default),
//! [`Catalog`] (introspection's queries and their reading), [`Transport`] (transactions,
//! batches, the lock) and [`Bookkeeping`] (Strata's own tables); [`Dialect`] is all five. The
//! stages above (`render`, `introspect`, `apply`) call down into it and never write SQL
//! themselves; nothing here imports them. SQL text read back from catalogs is parsed here too
//! (`sql_text`), so neutral stages never read one dialect's syntax.

mod bookkeeping;
mod catalog;
pub(crate) mod check_text;
mod ddl;
mod driver;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
pub(crate) mod sql_text;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod transport;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use bookkeeping::Bookkeeping;
pub use catalog::{Catalog, CatalogRow, CatalogValues, IntrospectError, IntrospectOptions};
pub use ddl::{
    alter_table, check_autoincrement, create_index_text, float_literal, in_schema_of,
    index_keys_sql, is_repeated, repeated, sql_statements, standard_add_column,
    standard_alter_column, standard_column_sql, standard_create_table, volatile_default,
    ColumnChange, Ddl, OpContext, Statements, REPEAT_MARKER,
};
pub(crate) use driver::server_code;
pub use driver::DriverError;
#[cfg_attr(not(feature = "cli"), allow(unused_imports))] // read by the command line only
pub(crate) use driver::Refusal;
pub use transport::Transport;

use crate::schema::{ColumnDefault, SqlType};

/// The dialects built into Strata (each behind its cargo feature). A dialect defined outside
/// the crate is not one of these: it names itself with [`Syntax::name`] and is used through
/// [`Migrator::connect_with`](crate::Migrator::connect_with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DialectKind {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB (`mysql://` and `mariadb://` URLs).
    Mysql,
}

impl fmt::Display for DialectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
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
    /// Every dialect Strata knows, in a fixed order (whether or not it is built in; see
    /// [`DialectKind::dialect`]).
    pub const ALL: [DialectKind; 3] = [
        DialectKind::Sqlite,
        DialectKind::Postgres,
        DialectKind::Mysql,
    ];

    /// The built-in dialect's name (`sqlite`, `postgres`, `mysql`): what its [`Syntax::name`]
    /// returns, and how files and messages spell it.
    pub const fn name(self) -> &'static str {
        match self {
            DialectKind::Sqlite => "sqlite",
            DialectKind::Postgres => "postgres",
            DialectKind::Mysql => "mysql",
        }
    }

    /// The dialect a database URL points at (`sqlite:...`, `postgres://...`, `mysql://...`,
    /// `mariadb://...`).
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
            #[cfg(feature = "mysql")]
            DialectKind::Mysql => Ok(&mysql::MYSQL),
            #[allow(unreachable_patterns)]
            other => Err(RenderError::DialectNotBuilt(other)),
        }
    }
}

/// Something a dialect cannot render.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderError {
    /// The operation has no equivalent on this dialect.
    #[error("{what} is not supported on {dialect}{}", hint.as_ref().map(|h| format!("; {h}")).unwrap_or_default())]
    Unsupported {
        /// The dialect's [`Syntax::name`].
        dialect: &'static str,
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

impl RenderError {
    /// An [`RenderError::Inconsistent`] saying what could not be rendered and why.
    pub fn inconsistent(what: impl fmt::Display) -> RenderError {
        RenderError::Inconsistent(format!(
            "{what}; the migration does not match the schema it runs on \
             (was the file edited by hand, or are revisions applied out of order?)"
        ))
    }
}

/// A database's SQL spelling: its name, quoting, type names and default values. The base of
/// every other part of a dialect.
pub trait Syntax: Send + Sync + fmt::Debug {
    /// The dialect's name, lowercase (`sqlite`, `postgres`, or an outside dialect's own):
    /// messages name the dialect with it, and a `sql` step with `dialect = "..."` runs only on
    /// the dialect of that name. A built-in dialect returns [`DialectKind::name`].
    fn name(&self) -> &'static str;

    /// Quotes an identifier (table, column, constraint or index name).
    fn quote_ident(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    /// Quotes a table as Strata names it: `events`, or `audit.events` for a table in the
    /// schema `audit`, each part quoted (`"audit"."events"`).
    fn quote_table(&self, table: &str) -> String {
        match crate::schema::split_table(table) {
            (Some(schema), name) => {
                format!("{}.{}", self.quote_ident(schema), self.quote_ident(name))
            }
            (None, name) => self.quote_ident(name),
        }
    }

    /// Whether tables may live in schemas other than the connection's (`#[model(schema =
    /// ...)]`); a dialect without them refuses such tables with
    /// [`RenderError::Unsupported`] before anything runs.
    fn has_schemas(&self) -> bool {
        false
    }

    /// What to do instead, when [`Syntax::has_schemas`] is false: the hint of the refusal of a
    /// table in a schema.
    fn no_schemas_hint(&self) -> &'static str {
        "`#[model(schema = \"...\")]` puts tables in PostgreSQL schemas; leave it out of the \
         models this database serves"
    }

    /// Quotes a string literal.
    fn quote_str(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    /// The type as this dialect spells it in DDL.
    fn type_sql(&self, ty: &SqlType) -> Result<String, RenderError>;

    /// The default as this dialect spells it in DDL. A raw SQL expression is parenthesised:
    /// `DEFAULT` takes only a restricted expression (no `AND`, `OR`, `IS`, ...) unparenthesised.
    fn default_sql(&self, d: &ColumnDefault) -> String {
        match d {
            ColumnDefault::Int(i) => i.to_string(),
            ColumnDefault::Float(f) => float_literal(*f, self),
            ColumnDefault::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            ColumnDefault::Str(s) => self.quote_str(s),
            ColumnDefault::Sql { sql } => format!("({sql})"),
        }
    }
}

/// A database's SQL dialect: its [`Syntax`], [`Ddl`] (one method per op), [`Catalog`]
/// (introspection), [`Transport`] (transactions, batches, the lock) and [`Bookkeeping`]
/// (Strata's own tables). Implement the four parts (most methods have standard-SQL defaults);
/// this trait then comes with them.
pub trait Dialect: Ddl + Catalog + Transport + Bookkeeping {}

impl<T: Ddl + Catalog + Transport + Bookkeeping + ?Sized> Dialect for T {}
