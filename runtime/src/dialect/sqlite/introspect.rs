//! Dialect: sqlite, catalog queries and schema assembly.

use sqlx::any::AnyRow;

use crate::introspect::{IntrospectError, IntrospectOptions};
use crate::schema::Schema;

pub(super) fn catalog_queries(_opts: &IntrospectOptions) -> Vec<String> {
    Vec::new()
}

pub(super) fn assemble(
    _results: Vec<Vec<AnyRow>>,
    _opts: &IntrospectOptions,
) -> Result<Schema, IntrospectError> {
    Ok(Schema::new())
}

pub(super) fn normalize(_schema: &mut Schema) {}
