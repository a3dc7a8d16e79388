//! Dialect layer: what a dialect's catalog queries hand back, and reading typed values out of the rows.
//!
//! The `Any` driver decodes only booleans, integers, floats, text and bytes, and SQLite hands
//! back whatever storage class a value has, so these readers accept any of the close kinds
//! (an integer where a boolean is expected, a number where text is expected).

use std::sync::Arc;

use sqlx::any::AnyRow;
use sqlx::{Column, Row};

use thiserror::Error;

use super::Syntax;
use crate::schema::Schema;

/// Catalog: the fixed list of queries introspection runs, and turning their rows into a
/// [`Schema`] in the dialect's normal form.
pub trait Catalog: Syntax {
    /// The neutral type of a type name as this database spells it in its catalogs (the one
    /// type reader of the dialect, used by introspection and normalisation). Default: the
    /// spellings SQLite and PostgreSQL share, anything else kept verbatim.
    fn parse_type(&self, spelled: &str) -> crate::schema::SqlType {
        super::sql_text::parse_type(spelled)
    }

    /// The catalog queries introspection runs: a fixed list, whatever the number of tables.
    fn catalog_queries(&self, opts: &IntrospectOptions) -> Vec<String>;

    /// Builds the schema from the rows of [`Catalog::catalog_queries`], one `Vec` per query,
    /// in the same order. Read a row's columns by name through
    /// [`CatalogRow`].
    fn assemble(
        &self,
        results: Vec<Vec<CatalogValues>>,
        opts: &IntrospectOptions,
    ) -> Result<Schema, IntrospectError>;

    /// Rewrites a schema built from models into the spelling introspection yields on this
    /// dialect (type synonyms, default expressions, affinity), so the two compare like for like.
    fn normalize(&self, schema: &mut Schema) {
        let _ = schema;
    }

    /// A check expression in a form for comparison only (never rendered): two expressions
    /// this database stores the same way give the same key, so that the check a model
    /// declares and the one the database read back compare equal however the server
    /// rewrote it, and a changed expression gives another key. When unsure, a key should
    /// rather call two expressions the same (a false change would be dropped and re-added on
    /// every run). Default: whitespace, case, identifier quotes, grouping parentheses and
    /// the spellings of `IN`, `BETWEEN`, `!=` and numbers ignored (see the `check_text`
    /// module); a dialect whose server rewrites more takes that out first.
    fn check_expr_key(&self, expr: &str) -> String {
        super::check_text::check_expr_key(expr)
    }
}

/// What to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntrospectOptions {
    /// The PostgreSQL schema to read; `None` reads `current_schema()`. Ignored on SQLite.
    pub schema: Option<String>,
    /// The other PostgreSQL schemas to read (`#[model(schema = "...")]` and the schemas the
    /// migration files name), whose tables are named `schema.table`. A dialect without
    /// schemas ignores them.
    pub schemas: Vec<String>,
    /// The naming convention (strata.toml's `[naming]`): what the schema read carries
    /// ([`crate::schema::Schema::naming`]), and how SQLite's unnamed constraints are named.
    pub naming: crate::schema::Naming,
}

/// A database whose catalog could not be read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IntrospectError {
    /// A catalog query failed.
    #[error("reading the database catalog failed: {source}\n  query: {query}")]
    Query {
        /// The query.
        query: String,
        /// The driver's error.
        source: super::DriverError,
    },
    /// A model puts a table in the connection's default schema by name, which would name the
    /// same table two ways.
    #[error(
        "`#[model(schema = \"{schema}\")]` names this connection's default schema; remove \
         `schema = \"{schema}\"` from those models (tables of the default schema need none), \
         or make another schema the default (strata.toml's `schema`)"
    )]
    DefaultSchemaNamed {
        /// The schema.
        schema: String,
    },
    /// A catalog row did not have the expected shape.
    #[error("unexpected catalog data: {0}")]
    Decode(String),
    /// The database holds what an interrupted table rebuild left behind; nothing reads or
    /// changes it until a person has looked.
    #[error(
        "table `{leftover}` is left over from an interrupted table rebuild (earlier Strata \
         versions ran a rebuild's statements outside one transaction, and a kill could leave \
         one); nothing was changed. {advice}"
    )]
    InterruptedRebuild {
        /// The leftover table.
        leftover: String,
        /// What to do, for the state the database is in.
        advice: String,
    },
}

fn decode_err(query: &str, col: &str, e: impl std::fmt::Display) -> IntrospectError {
    IntrospectError::Decode(format!(
        "column `{col}` of the `{query}` catalog query: {e}"
    ))
}

fn missing(query: &str, col: &str) -> IntrospectError {
    IntrospectError::Decode(format!(
        "column `{col}` of the `{query}` catalog query is NULL where a value was expected"
    ))
}

/// One catalog row as introspection keeps it: its values, and the column names shared by
/// every row of its query. The driver's rows each carry their own column metadata; at 5,000
/// tables, holding the four results as driver rows was most of autogenerate's peak memory.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogValues {
    names: Arc<[String]>,
    cells: Box<[Cell]>,
}

/// One value of a catalog row.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(Box<str>),
    Bytes(Box<[u8]>),
    /// A type the `Any` driver does not decode.
    Other,
}

impl CatalogValues {
    /// The values of `row`, whose column names are `names` (the same for every row of a query).
    pub(crate) fn from_row(row: &AnyRow, names: &Arc<[String]>) -> Self {
        let cell = |i: usize| -> Cell {
            if let Ok(v) = row.try_get::<Option<String>, _>(i) {
                return v.map_or(Cell::Null, |s| Cell::Text(s.into()));
            }
            if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
                return v.map_or(Cell::Null, Cell::Int);
            }
            if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
                return v.map_or(Cell::Null, Cell::Bool);
            }
            if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
                return v.map_or(Cell::Null, Cell::Float);
            }
            if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
                return v.map_or(Cell::Null, |b| Cell::Bytes(b.into()));
            }
            Cell::Other
        };
        CatalogValues {
            names: Arc::clone(names),
            cells: (0..row.len()).map(cell).collect(),
        }
    }

    /// A row of `(column, value)` pairs, for tests of a dialect's `assemble`: a value that
    /// reads as an integer is one, others are text, `None` is NULL.
    #[cfg(test)]
    pub(crate) fn for_test(values: &[(&str, Option<&str>)]) -> Self {
        CatalogValues {
            names: values.iter().map(|(n, _)| n.to_string()).collect(),
            cells: values
                .iter()
                .map(|(_, v)| match v {
                    None => Cell::Null,
                    Some(v) => v
                        .parse()
                        .map_or_else(|_| Cell::Text((*v).into()), Cell::Int),
                })
                .collect(),
        }
    }

    /// The column names of a driver row.
    pub(crate) fn names_of(row: &AnyRow) -> Arc<[String]> {
        row.columns().iter().map(|c| c.name().to_string()).collect()
    }
}

/// One catalog row, with the name of the query it came from for error messages.
#[derive(Debug, Clone, Copy)]
pub struct CatalogRow<'a> {
    /// Which query (for messages).
    pub query: &'static str,
    /// The row.
    pub row: &'a CatalogValues,
}

impl<'a> CatalogRow<'a> {
    /// Wraps `row`, read by the query named `query`.
    pub fn new(query: &'static str, row: &'a CatalogValues) -> Self {
        CatalogRow { query, row }
    }

    fn cell(&self, col: &str) -> Result<&'a Cell, IntrospectError> {
        let row: &'a CatalogValues = self.row;
        row.names
            .iter()
            .position(|n| n == col)
            .and_then(|i| row.cells.get(i))
            .ok_or_else(|| decode_err(self.query, col, "no such column"))
    }

    /// A text value, or `None` for NULL. Numbers and booleans are turned into text.
    pub fn opt_text(&self, col: &str) -> Result<Option<String>, IntrospectError> {
        Ok(match self.cell(col)? {
            Cell::Null => None,
            Cell::Text(s) => Some(s.to_string()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Other => return Err(decode_err(self.query, col, "a type that is not text")),
        })
    }

    /// A non-NULL text value.
    pub fn text(&self, col: &str) -> Result<String, IntrospectError> {
        self.opt_text(col)?.ok_or_else(|| missing(self.query, col))
    }

    /// An integer, or `None` for NULL.
    pub fn opt_int(&self, col: &str) -> Result<Option<i64>, IntrospectError> {
        match self.cell(col)? {
            Cell::Null => Ok(None),
            Cell::Int(i) => Ok(Some(*i)),
            Cell::Bool(b) => Ok(Some(i64::from(*b))),
            Cell::Text(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| decode_err(self.query, col, format!("`{s}` is not an integer"))),
            _ => Err(decode_err(self.query, col, "not an integer")),
        }
    }

    /// A non-NULL integer.
    pub fn int(&self, col: &str) -> Result<i64, IntrospectError> {
        self.opt_int(col)?.ok_or_else(|| missing(self.query, col))
    }

    /// A boolean (an integer is true when not zero); NULL is false.
    pub fn flag(&self, col: &str) -> Result<bool, IntrospectError> {
        match self.cell(col)? {
            Cell::Bool(b) => Ok(*b),
            Cell::Null => Ok(false),
            _ => Ok(self.opt_int(col)?.is_some_and(|i| i != 0)),
        }
    }
}

/// Checks that the driver passed one result per catalog query.
pub(crate) fn expect_results(
    results: Vec<Vec<CatalogValues>>,
    expected: usize,
) -> Result<Vec<Vec<CatalogValues>>, IntrospectError> {
    if results.len() == expected {
        Ok(results)
    } else {
        Err(IntrospectError::Decode(format!(
            "expected the rows of {expected} catalog queries, got {}",
            results.len()
        )))
    }
}
