//! Stage 6, render: turning a list of ops into SQL statements for one dialect.
//!
//! The dialect writes each op's SQL; this stage replays the ops on a schema value as it goes,
//! so each op is rendered knowing the schema it applies to (what a SQLite table rebuild needs),
//! with or without a database.

use crate::dialect::{Dialect, RenderError};
use crate::ops::Op;
use crate::schema::{Schema, Table};

/// The statements for one op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The op's index in the list.
    pub index: usize,
    /// The SQL statements, in order, without trailing semicolons.
    pub statements: Vec<String>,
    /// The table the statements re-create ([`Dialect::rebuilt_table`]): they must take effect
    /// together.
    pub rebuilt: Option<String>,
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
        let (statements, rebuilt) = match op {
            Op::Sql {
                dialect: Some(only),
                ..
            } if *only != dialect.kind() => (Vec::new(), None),
            _ => (
                dialect.render(op, &schema)?,
                dialect.rebuilt_table(op, &schema),
            ),
        };
        op.apply(&mut schema)
            .map_err(|e| RenderError::Inconsistent(format!("step {}: {e}", index + 1)))?;
        out.push(Rendered {
            index,
            statements,
            rebuilt,
        });
    }
    Ok((out, schema))
}

/// An [`RenderError::Inconsistent`] saying what could not be rendered and why.
pub(crate) fn inconsistent(what: impl std::fmt::Display) -> RenderError {
    RenderError::Inconsistent(format!(
        "{what}; the migration does not match the schema it runs on \
         (was the file edited by hand, or are revisions applied out of order?)"
    ))
}

/// The table `name` in `before`, or [`RenderError::Inconsistent`] naming it.
pub(crate) fn existing_table<'a>(before: &'a Schema, name: &str) -> Result<&'a Table, RenderError> {
    before
        .table(name)
        .ok_or_else(|| inconsistent(format_args!("table `{name}` does not exist at this point")))
}

/// The table `name` as it is once `op` has run on `before`. The op is replayed with
/// [`Op::apply`] on a copy of that one table, so an op that does not fit (a missing column,
/// a constraint that is not there) is [`RenderError::Inconsistent`] naming table and column.
pub(crate) fn table_after(op: &Op, before: &Schema, name: &str) -> Result<Table, RenderError> {
    let mut one = Schema::new();
    one.insert(existing_table(before, name)?.clone());
    op.apply(&mut one).map_err(inconsistent)?;
    one.tables
        .remove(name)
        .ok_or_else(|| inconsistent(format_args!("table `{name}` disappears in this step")))
}

/// The statements of a hand-written `sql` step: the text as written, trimmed, without a
/// trailing semicolon; nothing when it is blank.
pub(crate) fn sql_statements(sql: &str) -> Vec<String> {
    let t = sql.trim().trim_end_matches(';').trim_end();
    if t.is_empty() {
        Vec::new()
    } else {
        vec![t.to_string()]
    }
}
