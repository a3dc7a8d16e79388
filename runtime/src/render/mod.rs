//! Stage 6, render: turning a list of ops into SQL statements for one dialect.
//!
//! The dialect writes each op's SQL; this stage replays the ops on a schema value as it goes,
//! so each op is rendered knowing the schema it applies to (what a SQLite table rebuild needs),
//! with or without a database.

use crate::dialect::{Dialect, RenderError};
use crate::ops::Op;
use crate::schema::Schema;

/// The statements for one op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The op's index in the list.
    pub index: usize,
    /// The SQL statements, in order, without trailing semicolons.
    pub statements: Vec<String>,
}

/// Renders `ops` for `dialect`, starting from the schema `before`; returns the statements
/// per op and the schema after the last op.
pub fn render_ops(
    ops: &[Op],
    dialect: &dyn Dialect,
    before: &Schema,
) -> Result<(Vec<Rendered>, Schema), RenderError> {
    let mut schema = before.clone();
    let mut out = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let statements = match op {
            Op::Sql {
                dialect: Some(only),
                ..
            } if *only != dialect.kind() => Vec::new(),
            _ => dialect.render(op, &schema)?,
        };
        op.apply(&mut schema)
            .map_err(|e| RenderError::Inconsistent(format!("step {}: {e}", index + 1)))?;
        out.push(Rendered { index, statements });
    }
    Ok((out, schema))
}
