//! Dialect: sqlite. Quoting, types, DDL rendering and catalog introspection for sqlite.

mod ddl;
mod introspect;
mod rebuild;
mod render;

use super::{
    Bookkeeping, Catalog, ColumnChange, Ddl, DialectKind, OpContext, RenderError, Statements,
    Syntax, Transport,
};
use crate::dialect::catalog::{CatalogValues, IntrospectError, IntrospectOptions};
use crate::schema::naming::NameChange;
use crate::schema::{
    Check, Column, ColumnDefault, ForeignKey, PrimaryKey, Schema, SqlType, Table, Unique, Unmodeled,
};

/// The sqlite dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sqlite;

impl Syntax for Sqlite {
    fn name(&self) -> &'static str {
        DialectKind::Sqlite.name()
    }

    fn type_sql(&self, ty: &SqlType) -> Result<String, RenderError> {
        render::type_sql(ty)
    }

    fn default_sql(&self, d: &ColumnDefault) -> String {
        render::default_sql(self, d)
    }
}

/// Ddl methods for the constraint ops `ALTER TABLE` cannot do on SQLite: each rebuilds the
/// table as it is once the op has run.
macro_rules! rebuilt_by {
    ($($op:ident($what:ty)),* $(,)?) => {
        $(
            fn $op(
                &self,
                _table: &str,
                _what: $what,
                cx: &OpContext<'_>,
            ) -> Result<Statements, RenderError> {
                render::rebuild_op(self, cx)
            }
        )*
    };
}

/// SQLite's `ALTER TABLE` renames, adds plain columns and drops unused ones; every other
/// change to a table is a rebuild (see the `rebuild` module).
impl Ddl for Sqlite {
    rebuilt_by!(
        add_unique(&Unique),
        drop_unique(&Unique),
        add_foreign_key(&ForeignKey),
        drop_foreign_key(&ForeignKey),
        add_check(&Check),
        drop_check(&Check),
    );

    fn column_sql(&self, table: &Table, column: &Column) -> Result<String, RenderError> {
        render::column_sql(self, table, column)
    }

    fn table_primary_key_sql(&self, table: &Table) -> Option<String> {
        render::table_primary_key_sql(self, table)
    }

    fn rename_names_sql(
        &self,
        changes: &[NameChange],
        after: &Table,
        objects: &[Unmodeled],
    ) -> Vec<String> {
        render::rename_names_sql(self, changes, after, objects)
    }

    fn add_column(
        &self,
        table: &str,
        column: &Column,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::add_column(self, table, column, cx)
    }

    fn drop_column(
        &self,
        table: &str,
        column: &Column,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::drop_column(self, table, column, cx)
    }

    fn alter_column(
        &self,
        table: &str,
        column: &str,
        change: &ColumnChange<'_>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::alter_column(self, table, column, change, cx)
    }

    fn alter_primary_key(
        &self,
        _table: &str,
        _from: Option<&PrimaryKey>,
        _to: Option<&PrimaryKey>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::rebuild_op(self, cx)
    }
}

impl Catalog for Sqlite {
    fn parse_type(&self, spelled: &str) -> SqlType {
        introspect::column_type(spelled)
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
}

impl Transport for Sqlite {
    fn create_database_sql(&self, name: &str) -> Option<String> {
        let _ = name;
        None
    }

    fn drop_database_sql(&self, name: &str) -> Option<String> {
        let _ = name;
        None
    }

    /// `PRAGMA foreign_keys = OFF`: the pragma is a no-op inside a transaction, and table
    /// rebuilds drop tables that other tables reference.
    fn run_prologue(&self) -> Vec<String> {
        vec!["PRAGMA foreign_keys = OFF".into()]
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

    fn begin_sql(&self) -> &'static str {
        // Takes the write lock at once, so concurrent migrators queue instead of failing later.
        "BEGIN IMMEDIATE"
    }
}

impl Bookkeeping for Sqlite {
    fn table_exists_sql(&self, table: &str) -> String {
        format!(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = {}",
            self.quote_str(table)
        )
    }
}
