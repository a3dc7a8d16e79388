//! Dialect: sqlite. Quoting, types, DDL rendering and catalog introspection for sqlite.

mod ddl;
mod introspect;
mod rebuild;
mod render;

use crate::introspect::CatalogValues;

use super::{Dialect, DialectKind, RenderError};
use crate::introspect::{IntrospectError, IntrospectOptions};
use crate::ops::Op;
use crate::schema::{Column, Default, Schema, SqlType, Table};

/// The sqlite dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
    fn kind(&self) -> DialectKind {
        DialectKind::Sqlite
    }

    fn type_sql(&self, ty: &SqlType) -> Result<String, RenderError> {
        render::type_sql(ty)
    }

    fn render(&self, op: &Op, before: &Schema) -> Result<Vec<String>, RenderError> {
        render::render(self, op, before)
    }

    fn rename_names_sql(&self, changes: &[crate::ops::NameChange], after: &Schema) -> Vec<String> {
        render::rename_names_sql(self, changes, after)
    }

    fn rebuilt_table(&self, op: &Op, before: &Schema) -> Option<String> {
        render::rebuilt_table(op, before)
    }

    fn default_sql(&self, d: &Default) -> String {
        render::default_sql(self, d)
    }

    fn column_sql(&self, table: &Table, column: &Column) -> Result<String, RenderError> {
        render::column_sql(self, table, column)
    }

    fn table_primary_key_sql(&self, table: &Table) -> Option<String> {
        render::table_primary_key_sql(self, table)
    }

    /// `PRAGMA foreign_keys = OFF`: the pragma is a no-op inside a transaction, and table
    /// rebuilds drop tables that other tables reference.
    fn run_prologue(&self) -> Vec<String> {
        vec!["PRAGMA foreign_keys = OFF".into()]
    }

    /// `PRAGMA foreign_key_check`: any row is a foreign key the migration left dangling.
    fn run_epilogue_checks(&self) -> Vec<String> {
        vec!["PRAGMA foreign_key_check".into()]
    }

    /// `pragma_foreign_key_check` of each table named (case-insensitively, as SQLite matches
    /// names) or referencing one named, keeping the rows that involve a named table.
    fn foreign_key_violations_sql(&self, tables: &[String]) -> Option<String> {
        if tables.is_empty() {
            return None;
        }
        let names: Vec<String> = tables
            .iter()
            .map(|t| self.quote_str(&t.to_ascii_lowercase()))
            .collect();
        let names = names.join(", ");
        Some(format!(
            "SELECT c.\"table\", c.rowid, c.parent FROM sqlite_master AS m \
             JOIN pragma_foreign_key_check(m.name) AS c \
             WHERE m.type = 'table' AND (lower(m.name) IN ({names}) OR EXISTS \
             (SELECT 1 FROM pragma_foreign_key_list(m.name) AS l WHERE lower(l.\"table\") IN ({names}))) \
             AND (lower(c.\"table\") IN ({names}) OR lower(c.parent) IN ({names})) \
             ORDER BY c.\"table\", c.rowid"
        ))
    }

    /// `PRAGMA busy_timeout`: how long a statement waits for another connection's write lock.
    fn lock_wait_sql(&self, millis: u64) -> Option<String> {
        Some(format!("PRAGMA busy_timeout = {millis}"))
    }

    /// `SQLITE_BUSY` (5) and `SQLITE_LOCKED` (6), with any extended code.
    fn is_busy_code(&self, code: &str) -> bool {
        code.parse::<i64>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
    }

    /// `PRAGMA foreign_keys = ON` again.
    fn run_finally(&self) -> Vec<String> {
        vec!["PRAGMA foreign_keys = ON".into()]
    }

    fn catalog_queries(&self, opts: &IntrospectOptions) -> Vec<String> {
        introspect::catalog_queries(opts)
    }

    fn assemble(
        &self,
        results: Vec<Vec<CatalogValues>>,
        opts: &IntrospectOptions,
    ) -> Result<Schema, IntrospectError> {
        introspect::assemble(results, opts)
    }

    fn normalize(&self, schema: &mut Schema) {
        introspect::normalize(schema)
    }

    fn begin_sql(&self) -> &'static str {
        // Takes the write lock at once, so concurrent migrators queue instead of failing later.
        "BEGIN IMMEDIATE"
    }

    fn table_exists_sql(&self, table: &str) -> String {
        format!(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = {}",
            self.quote_str(table)
        )
    }
}
