//! Stage 6, render: turning a list of ops into SQL statements for one dialect.
//!
//! Each op is matched once, here ([`render_op`]): it is checked against the schema it applies
//! to, what it leaves behind is worked out ([`OpContext`]), and the one [`Ddl`] method that
//! writes its SQL is called. A new op is a compile error here until every dialect can render
//! it (through the standard-SQL default or its own override). The stage replays the ops on a
//! schema value as it goes, so each op is rendered knowing the schema it applies to (what a
//! SQLite table rebuild needs), with or without a database.

use crate::dialect::{repeated, ColumnChange, Dialect, OpContext, RenderError, Statements};
use crate::ops::Op;
use crate::ops::BATCH_SIZE;
use crate::schema::{split_table, Schema, Table, Unmodeled};

/// The statements for one op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The op's index in the list.
    pub index: usize,
    /// The SQL statements, in order, without trailing semicolons.
    pub statements: Vec<String>,
    /// The table the statements re-create ([`Statements::rebuilt`]): they must take effect
    /// together.
    pub rebuilt: Option<String>,
}

/// Renders `ops` for `dialect`, starting from the schema `before`; returns the statements
/// per op and the schema after the last op.
#[cfg(any(test, feature = "test-support"))]
pub fn render_ops(
    ops: &[Op],
    dialect: &dyn Dialect,
    before: &Schema,
) -> Result<(Vec<Rendered>, Schema), RenderError> {
    render_ops_with(ops, dialect, before, false)
}

/// [`render_ops`], in the forms that do not block readers and writers where the dialect has
/// them when `online` (a revision's `online = true`; see
/// [`Ddl::online_forms`](crate::dialect::Ddl::online_forms)).
pub(crate) fn render_ops_with(
    ops: &[Op],
    dialect: &dyn Dialect,
    before: &Schema,
    online: bool,
) -> Result<(Vec<Rendered>, Schema), RenderError> {
    let mut schema = before.clone();
    let mut out = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let Statements { sql, rebuilt } = render_op_with(op, dialect, &schema, online)?;
        op.apply(&mut schema)
            .map_err(|e| RenderError::Inconsistent(format!("step {}: {e}", index + 1)))?;
        out.push(Rendered {
            index,
            statements: sql,
            rebuilt,
        });
    }
    Ok((out, schema))
}

/// The table `name` in `before`, or [`RenderError::Inconsistent`] naming it.
fn existing_table<'a>(before: &'a Schema, name: &str) -> Result<&'a Table, RenderError> {
    before.table(name).ok_or_else(|| {
        RenderError::inconsistent(format_args!("table `{name}` does not exist at this point"))
    })
}

/// The unmodeled objects as they are once `op` has run.
fn objects_after(
    op: &Op,
    before: &Schema,
    names: &[crate::schema::naming::NameChange],
) -> Vec<Unmodeled> {
    let mut objects = before.unmodeled.clone();
    if !objects.is_empty() {
        crate::ops::follow_unmodeled(op, names, &mut objects);
    }
    objects
}

/// The table `from` as it is once `op` (a rename of it to `to`, or any op on it when
/// `from == to`) has run, checked by replaying the op on that one table.
fn renamed_after(op: &Op, before: &Schema, from: &str, to: &str) -> Result<Table, RenderError> {
    let mut one = Schema::with_naming(before.naming.clone());
    one.insert(existing_table(before, from)?.clone());
    op.apply(&mut one).map_err(RenderError::inconsistent)?;
    one.tables.remove(to).ok_or_else(|| {
        RenderError::inconsistent(format_args!("table `{to}` disappears in this step"))
    })
}

/// `base` about the op's table before and after it.
fn with<'a>(
    base: &OpContext<'a>,
    table: Option<&'a Table>,
    after: Option<&'a Table>,
) -> OpContext<'a> {
    OpContext {
        table,
        after,
        ..*base
    }
}

/// A typed refusal, before anything runs, of an op that puts or finds a table in a schema
/// other than the connection's (or creates one) on a dialect without schemas.
pub(crate) fn refuse_schemas(op: &Op, d: &dyn Dialect) -> Result<(), RenderError> {
    if d.has_schemas() {
        return Ok(());
    }
    let named = match op {
        Op::CreateSchema { schema } | Op::DropSchema { schema } => Some(schema.as_str()),
        _ => op
            .tables_named()
            .into_iter()
            .find(|t| split_table(t).0.is_some()),
    };
    match named {
        Some(name) => Err(RenderError::Unsupported {
            dialect: d.name(),
            what: match op {
                Op::CreateSchema { .. } | Op::DropSchema { .. } => format!("schema `{name}`"),
                _ => format!("table `{name}` in a schema of its own"),
            },
            hint: Some(d.no_schemas_hint().into()),
        }),
        None => Ok(()),
    }
}

/// Renders one op for `dialect` on a database whose schema is `before`.
pub fn render_op(
    op: &Op,
    dialect: &dyn Dialect,
    before: &Schema,
) -> Result<Statements, RenderError> {
    render_op_with(op, dialect, before, false)
}

/// Renders one op, in its online form when `online` and the dialect has one: the one place
/// that matches every op.
pub(crate) fn render_op_with(
    op: &Op,
    dialect: &dyn Dialect,
    before: &Schema,
    online: bool,
) -> Result<Statements, RenderError> {
    let d = dialect;
    refuse_schemas(op, d)?;
    let names = op.name_changes(before);
    let objects = objects_after(op, before, &names);
    let dropped_name = match op {
        Op::DropIndex { table, .. }
        | Op::DropUnique { table, .. }
        | Op::DropForeignKey { table, .. }
        | Op::DropCheck { table, .. }
        | Op::AlterPrimaryKey { table, .. } => before
            .table(table)
            .and_then(|t| op.existing_name(t, &before.naming)),
        _ => None,
    };
    let base = OpContext {
        before,
        table: None,
        after: None,
        objects: &objects,
        names: &names,
        dropped_name: dropped_name.as_deref(),
        online,
    };
    // Most ops change one existing table: it before, and it after the op.
    let on_table = |name: &str| -> Result<(&Table, Table), RenderError> {
        Ok((
            existing_table(before, name)?,
            renamed_after(op, before, name, name)?,
        ))
    };
    match op {
        Op::CreateTable { table } => {
            if before.table(&table.name).is_some() {
                return Err(RenderError::inconsistent(format_args!(
                    "cannot create table `{}`: it already exists at this point",
                    table.name
                )));
            }
            d.create_table(table, &with(&base, None, Some(table)))
        }
        Op::DropTable { table } => {
            let t = existing_table(before, &table.name)?;
            d.drop_table(table, &with(&base, Some(t), None))
        }
        Op::RenameTable { from, to } => {
            let t = existing_table(before, from)?;
            if before.table(to).is_some() {
                return Err(RenderError::inconsistent(format_args!(
                    "cannot rename table `{from}` to `{to}`: `{to}` already exists"
                )));
            }
            if split_table(from).0 != split_table(to).0 {
                return Err(RenderError::Unsupported {
                    dialect: d.name(),
                    what: format!(
                        "renaming table `{from}` to `{to}`, which moves it to another schema"
                    ),
                    hint: Some(
                        "keep the table in its schema (a rename keeps the schema), or move it \
                         by hand (ALTER TABLE ... SET SCHEMA) and `stamp` once the models say so"
                            .into(),
                    ),
                });
            }
            let after = renamed_after(op, before, from, to)?;
            d.rename_table(from, to, &with(&base, Some(t), Some(&after)))
        }
        Op::AddColumn { table, column } => {
            let (t, after) = on_table(table)?;
            d.add_column(table, column, &with(&base, Some(t), Some(&after)))
        }
        Op::DropColumn { table, column } => {
            let (t, after) = on_table(table)?;
            d.drop_column(table, column, &with(&base, Some(t), Some(&after)))
        }
        Op::AlterColumn {
            table,
            column,
            rename,
            ty,
            nullable,
            default,
        } => {
            let (t, after) = on_table(table)?;
            let rename = rename.as_deref().filter(|n| *n != column);
            let renamed = match rename {
                Some(new) => Some(renamed_after(
                    &Op::AlterColumn {
                        table: table.clone(),
                        column: column.clone(),
                        rename: Some(new.to_string()),
                        ty: None,
                        nullable: None,
                        default: None,
                    },
                    before,
                    table,
                    table,
                )?),
                None => None,
            };
            let change = ColumnChange {
                rename,
                ty: ty
                    .as_ref()
                    .filter(|c| c.from != c.to)
                    .map(|c| (&c.from, &c.to)),
                nullable: nullable
                    .as_ref()
                    .filter(|c| c.from != c.to)
                    .map(|c| (c.from, c.to)),
                default: default
                    .as_ref()
                    .filter(|c| c.from != c.to)
                    .map(|c| (c.from.as_ref(), c.to.as_ref())),
                renamed: renamed.as_ref(),
            };
            d.alter_column(table, column, &change, &with(&base, Some(t), Some(&after)))
        }
        Op::AlterColumnComment {
            table,
            column,
            comment,
        } => {
            let (t, after) = on_table(table)?;
            let cx = with(&base, Some(t), Some(&after));
            d.alter_column_comment(table, column, comment.to.as_deref(), &cx)
        }
        Op::AlterTableComment { table, comment } => {
            let (t, after) = on_table(table)?;
            let cx = with(&base, Some(t), Some(&after));
            d.alter_table_comment(table, comment.to.as_deref(), &cx)
        }
        Op::AlterPrimaryKey { table, from, to } => {
            let (t, after) = on_table(table)?;
            let cx = with(&base, Some(t), Some(&after));
            d.alter_primary_key(table, from.as_ref(), to.as_ref(), &cx)
        }
        Op::CreateIndex { table, index } => {
            let (t, after) = on_table(table)?;
            d.create_index(table, index, &with(&base, Some(t), Some(&after)))
        }
        Op::DropIndex { table, index } => {
            let (t, after) = on_table(table)?;
            let cx = with(&base, Some(t), Some(&after));
            d.drop_index(table, index, &cx)
        }
        Op::AddUnique { table, unique } => {
            let (t, after) = on_table(table)?;
            d.add_unique(table, unique, &with(&base, Some(t), Some(&after)))
        }
        Op::DropUnique { table, unique } => {
            let (t, after) = on_table(table)?;
            let cx = with(&base, Some(t), Some(&after));
            d.drop_unique(table, unique, &cx)
        }
        Op::AddForeignKey { table, foreign_key } => {
            let (t, after) = on_table(table)?;
            d.add_foreign_key(table, foreign_key, &with(&base, Some(t), Some(&after)))
        }
        Op::DropForeignKey { table, foreign_key } => {
            let (t, after) = on_table(table)?;
            let cx = with(&base, Some(t), Some(&after));
            d.drop_foreign_key(table, foreign_key, &cx)
        }
        Op::AddCheck { table, check } => {
            let (t, after) = on_table(table)?;
            d.add_check(table, check, &with(&base, Some(t), Some(&after)))
        }
        Op::DropCheck { table, check } => {
            let (t, after) = on_table(table)?;
            let cx = with(&base, Some(t), Some(&after));
            d.drop_check(table, check, &cx)
        }
        Op::CreateSchema { schema } => {
            if before.schemas.contains(schema) {
                return Err(RenderError::inconsistent(format_args!(
                    "cannot create schema `{schema}`: it already exists at this point"
                )));
            }
            d.create_schema(schema)
        }
        Op::DropSchema { schema } => d.drop_schema(schema),
        Op::Sql {
            sql,
            dialect: only,
            batch_size,
            ..
        } => {
            if only.is_some_and(|k| k.name() != d.name()) {
                return Ok(Statements::default());
            }
            match batch_size.filter(|_| sql.contains(BATCH_SIZE)) {
                // A backfill in batches: the text limits itself to `{batch_size}` rows and
                // runs until it changes none.
                Some(n) => {
                    let mut st = d.sql(&sql.replace(BATCH_SIZE, &n.to_string()), &base)?;
                    st.sql = st.sql.iter().map(|s| repeated(s)).collect();
                    Ok(st)
                }
                None => d.sql(sql, &base),
            }
        }
    }
}
