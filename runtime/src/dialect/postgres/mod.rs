//! Dialect: postgres. Quoting, types, DDL rendering and catalog introspection for postgres.

mod introspect;
mod render;

use crate::introspect::CatalogValues;

use super::{Dialect, DialectKind, RenderError};
use crate::introspect::{IntrospectError, IntrospectOptions};
use crate::ops::Op;
use crate::schema::{Column, Schema, SqlType, Table};

/// The postgres dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Dialect for Postgres {
    fn kind(&self) -> DialectKind {
        DialectKind::Postgres
    }

    fn type_sql(&self, ty: &SqlType) -> Result<String, RenderError> {
        render::type_sql(ty)
    }

    fn render(&self, op: &Op, before: &Schema) -> Result<Vec<String>, RenderError> {
        render::render(self, op, before)
    }

    fn column_sql(&self, table: &Table, column: &Column) -> Result<String, RenderError> {
        render::column_sql(self, table, column)
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

    fn use_schema_sql(&self, schema: &str) -> Option<String> {
        Some(format!("SET search_path TO {}", self.quote_ident(schema)))
    }

    fn schema_exists_sql(&self, schema: &str) -> Option<String> {
        Some(format!(
            "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = {}",
            self.quote_str(schema)
        ))
    }

    fn try_lock_sql(&self, key: i64) -> Option<String> {
        Some(format!("SELECT pg_try_advisory_lock({key})"))
    }

    fn unlock_sql(&self, key: i64) -> Option<String> {
        Some(format!("SELECT pg_advisory_unlock({key})::text"))
    }

    fn lock_holder_sql(&self, key: i64) -> Option<String> {
        // A bigint advisory key is stored as classid (high 32 bits) and objid (low 32 bits).
        let (hi, lo) = ((key >> 32) as u32, key as u32);
        Some(format!(
            "SELECT coalesce(string_agg(format('backend pid %s (application %L, user %L, client %s, since %s)', \
             a.pid, a.application_name, a.usename, coalesce(a.client_addr::text, 'local'), \
             a.backend_start), '; '), '') \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {hi} AND l.objid = {lo} AND l.objsubid = 1"
        ))
    }

    fn table_exists_sql(&self, table: &str) -> String {
        format!(
            "SELECT count(*)::int8 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = {}",
            self.quote_str(table)
        )
    }
}
