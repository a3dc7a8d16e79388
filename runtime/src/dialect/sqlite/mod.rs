//! Dialect: sqlite. Quoting, types, DDL rendering and catalog introspection for sqlite.

mod ddl;
mod introspect;
mod render;

use sqlx::any::AnyRow;

use super::{Dialect, DialectKind, RenderError};
use crate::introspect::{IntrospectError, IntrospectOptions};
use crate::ops::Op;
use crate::schema::{Schema, SqlType};

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

    fn catalog_queries(&self, opts: &IntrospectOptions) -> Vec<String> {
        introspect::catalog_queries(opts)
    }

    fn assemble(
        &self,
        results: Vec<Vec<AnyRow>>,
        opts: &IntrospectOptions,
    ) -> Result<Schema, IntrospectError> {
        introspect::assemble(results, opts)
    }

    fn normalize(&self, schema: &mut Schema) {
        introspect::normalize(schema)
    }
}
