//! Stage 3, introspect: reading a live database's schema with a fixed number of catalog queries.
//!
//! The dialect supplies the queries ([`Dialect::catalog_queries`]) and turns their rows into a
//! [`Schema`] ([`Dialect::assemble`]); this stage runs them. The number of queries does not
//! depend on the number of tables: peers that query per table take minutes on large schemas.

use std::sync::Arc;

use futures_util::TryStreamExt;
use sqlx::{AnyConnection, Executor};

use crate::dialect::DriverError;
use crate::dialect::{CatalogValues, Dialect, IntrospectError, IntrospectOptions};
use crate::schema::Schema;

/// The result of introspection, with the number of catalog queries it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Introspected {
    /// The schema read, without Strata's own `strata_*` tables.
    pub schema: Schema,
    /// How many catalog queries were run (counted as they are executed).
    pub queries: usize,
}

/// Reads the schema of the database behind `conn`.
pub async fn introspect(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    opts: &IntrospectOptions,
) -> Result<Introspected, IntrospectError> {
    let queries = dialect.catalog_queries(opts);
    let mut results = Vec::with_capacity(queries.len());
    let mut executed = 0;
    for query in &queries {
        executed += 1;
        let failed = |source| IntrospectError::Query {
            query: query.clone(),
            source: DriverError::new(source),
        };
        // Each row is made compact as it arrives (see `CatalogValues`).
        let mut stream = conn.fetch(query.as_str());
        let mut names: Option<Arc<[String]>> = None;
        let mut rows = Vec::new();
        while let Some(row) = stream.try_next().await.map_err(failed)? {
            let names = names.get_or_insert_with(|| CatalogValues::names_of(&row));
            rows.push(CatalogValues::from_row(&row, names));
        }
        results.push(rows);
    }
    let mut schema = dialect.assemble(results, opts)?;
    schema.naming = opts.naming.clone();
    // A `.` in a name reads as `schema.table`: on a dialect without schemas such a table
    // (made by hand; no model can name one) is left alone, never dropped.
    let schemas = dialect.has_schemas();
    schema
        .tables
        .retain(|name, _| !is_bookkeeping(name) && (schemas || !name.contains('.')));
    Ok(Introspected {
        schema,
        queries: executed,
    })
}

/// Whether a table is Strata's own (`strata_version`, `strata_log`, ...), never diffed.
pub(crate) fn is_bookkeeping(table: &str) -> bool {
    table.starts_with("strata_")
}
