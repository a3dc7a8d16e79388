//! Stage 5, ops (replay): the effect of each op on a [`Schema`] value, one function per op, grouped by family.
//!
//! [`Op::apply`](super::Op::apply) matches the op once and calls the function here; the
//! functions check that the op fits the schema ([`ReplayError`] when it does not: a
//! hand-edited file, usually) and change the schema as the database would. Renames also carry
//! the conventional constraint and index names along ([`super::names`]) and the objects
//! Strata does not model ([`follow_unmodeled`]).

use super::names;
use super::{Change, DefaultChange, NameChange, NameKind, Op, ReplayError};
use crate::schema::{
    Check, Column, ForeignKey, Index, PrimaryKey, Schema, SqlType, Table, Unique, Unmodeled,
};

/// The table `name`, or [`ReplayError::NoTable`].
fn table<'a>(s: &'a mut Schema, name: &str) -> Result<&'a mut Table, ReplayError> {
    s.table_mut(name)
        .ok_or_else(|| ReplayError::NoTable(name.into()))
}

/// Removes the item of `v` called `name`, or [`ReplayError::NoConstraint`] when there is none.
fn remove<T>(
    v: &mut Vec<T>,
    kind: &'static str,
    table: &str,
    name: &str,
    key: impl Fn(&T) -> &str,
) -> Result<(), ReplayError> {
    let before = v.len();
    v.retain(|x| key(x) != name);
    if v.len() == before {
        return Err(ReplayError::NoConstraint {
            kind,
            table: table.into(),
            name: name.into(),
        });
    }
    Ok(())
}

// Tables.

pub(super) fn create_table(schema: &mut Schema, t: &Table) -> Result<(), ReplayError> {
    if schema.table(&t.name).is_some() {
        return Err(ReplayError::TableExists(t.name.clone()));
    }
    schema.insert(t.clone());
    Ok(())
}

pub(super) fn drop_table(schema: &mut Schema, t: &Table) -> Result<(), ReplayError> {
    schema
        .tables
        .remove(&t.name)
        .ok_or_else(|| ReplayError::NoTable(t.name.clone()))?;
    Ok(())
}

// Schemas.

pub(super) fn create_schema(schema: &mut Schema, name: &str) -> Result<(), ReplayError> {
    if !schema.schemas.insert(name.to_owned()) {
        return Err(ReplayError::SchemaExists(name.to_owned()));
    }
    Ok(())
}

/// Drops an empty schema: one holding a table is an error (the server would refuse too).
pub(super) fn drop_schema(schema: &mut Schema, name: &str) -> Result<(), ReplayError> {
    if let Some(t) = schema
        .tables
        .keys()
        .find(|t| crate::schema::split_table(t).0 == Some(name))
    {
        return Err(ReplayError::SchemaNotEmpty {
            schema: name.to_owned(),
            table: t.clone(),
        });
    }
    if !schema.schemas.remove(name) {
        return Err(ReplayError::NoSchema(name.to_owned()));
    }
    Ok(())
}

/// Renames the table, the references to it, and its conventional names (`op` is the rename).
pub(super) fn rename_table(
    schema: &mut Schema,
    op: &Op,
    from: &str,
    to: &str,
) -> Result<(), ReplayError> {
    if schema.table(to).is_some() {
        return Err(ReplayError::TableExists(to.to_string()));
    }
    let changes = op.name_changes(schema);
    let mut t = schema
        .tables
        .remove(from)
        .ok_or_else(|| ReplayError::NoTable(from.to_string()))?;
    t.name = to.to_string();
    for other in schema.tables.values_mut() {
        for fk in &mut other.foreign_keys {
            if fk.ref_table == *from {
                fk.ref_table = to.to_string();
            }
        }
    }
    for fk in &mut t.foreign_keys {
        if fk.ref_table == *from {
            fk.ref_table = to.to_string();
        }
    }
    schema.insert(t);
    names::apply_changes(schema, &changes);
    Ok(())
}

// Columns.

pub(super) fn add_column(
    schema: &mut Schema,
    name: &str,
    column: &Column,
) -> Result<(), ReplayError> {
    let t = table(schema, name)?;
    if t.column(&column.name).is_some() {
        return Err(ReplayError::ColumnExists {
            table: name.to_string(),
            column: column.name.clone(),
        });
    }
    t.columns.push(column.clone());
    Ok(())
}

pub(super) fn drop_column(
    schema: &mut Schema,
    name: &str,
    column: &Column,
) -> Result<(), ReplayError> {
    let t = table(schema, name)?;
    let before = t.columns.len();
    t.columns.retain(|c| c.name != column.name);
    if t.columns.len() == before {
        return Err(ReplayError::NoColumn {
            table: name.to_string(),
            column: column.name.clone(),
        });
    }
    Ok(())
}

/// What an `alter_column` op changes.
pub(super) struct AlterColumn<'a> {
    pub(super) table: &'a str,
    pub(super) column: &'a str,
    pub(super) rename: Option<&'a str>,
    pub(super) ty: Option<&'a Change<SqlType>>,
    pub(super) nullable: Option<&'a Change<bool>>,
    pub(super) default: Option<&'a DefaultChange>,
}

/// Changes the column's type, nullability and default, then renames it with everything that
/// lists it (`op` is the alter).
pub(super) fn alter_column(
    schema: &mut Schema,
    op: &Op,
    a: AlterColumn<'_>,
) -> Result<(), ReplayError> {
    let AlterColumn {
        table: name,
        column,
        rename,
        ty,
        nullable,
        default,
    } = a;
    let changes = op.name_changes(schema);
    let t = table(schema, name)?;
    if let Some(new) = rename {
        if t.column(new).is_some() {
            return Err(ReplayError::ColumnExists {
                table: name.to_string(),
                column: new.to_string(),
            });
        }
    }
    let c = t.column_mut(column).ok_or_else(|| ReplayError::NoColumn {
        table: name.to_string(),
        column: column.to_string(),
    })?;
    if let Some(ch) = ty {
        c.ty = ch.to.clone();
    }
    if let Some(ch) = nullable {
        c.nullable = ch.to;
    }
    if let Some(ch) = default {
        c.default = ch.to.clone();
    }
    if let Some(new) = rename {
        c.name = new.to_string();
        rename_column_refs(t, column, new);
        for other in schema.tables.values_mut() {
            for fk in &mut other.foreign_keys {
                if fk.ref_table == *name {
                    for rc in &mut fk.ref_columns {
                        if rc == column {
                            *rc = new.to_string();
                        }
                    }
                }
            }
        }
    }
    names::apply_changes(schema, &changes);
    Ok(())
}

/// Renames `from` to `to` in every index, constraint and key of `t` that lists it.
fn rename_column_refs(t: &mut Table, from: &str, to: &str) {
    let fix = |cols: &mut Vec<String>| {
        for c in cols.iter_mut() {
            if c == from {
                *c = to.to_string();
            }
        }
    };
    if let Some(pk) = &mut t.primary_key {
        fix(&mut pk.columns);
    }
    t.uniques.iter_mut().for_each(|u| fix(&mut u.columns));
    let rename = |text: &mut Option<String>| {
        if let Some(text) = text {
            *text = crate::dialect::sql_text::rename_in_expr(text, from, to);
        }
    };
    for i in &mut t.indexes {
        fix(&mut i.columns);
        fix(&mut i.desc);
        rename(&mut i.expr);
        rename(&mut i.where_);
    }
    t.foreign_keys.iter_mut().for_each(|f| fix(&mut f.columns));
    // Both databases rewrite check expressions (and index expressions and predicates) on a
    // column rename; so does the replay, or a later SQLite rebuild in the same migration would
    // recreate the check with the old name.
    for ck in &mut t.checks {
        ck.expr = crate::dialect::sql_text::rename_in_expr(&ck.expr, from, to);
    }
    let self_name = t.name.clone();
    for fk in &mut t.foreign_keys {
        if fk.ref_table == self_name {
            fix(&mut fk.ref_columns);
        }
    }
}

/// `alter_column_comment`: the column's comment becomes `to`.
pub(super) fn alter_column_comment(
    schema: &mut Schema,
    name: &str,
    column: &str,
    to: Option<&str>,
) -> Result<(), ReplayError> {
    let c = table(schema, name)?
        .column_mut(column)
        .ok_or_else(|| ReplayError::NoColumn {
            table: name.to_string(),
            column: column.to_string(),
        })?;
    c.comment = to.map(str::to_string);
    Ok(())
}

/// `alter_table_comment`: the table's comment becomes `to`.
pub(super) fn alter_table_comment(
    schema: &mut Schema,
    name: &str,
    to: Option<&str>,
) -> Result<(), ReplayError> {
    table(schema, name)?.comment = to.map(str::to_string);
    Ok(())
}

// Keys, unique constraints and indexes. A drop finds the object by the op's name, or by what
// it does when a rename left the database's name different ([`Op::existing_name`]).

pub(super) fn alter_primary_key(
    schema: &mut Schema,
    name: &str,
    to: &Option<PrimaryKey>,
) -> Result<(), ReplayError> {
    table(schema, name)?.primary_key = to.clone();
    Ok(())
}

pub(super) fn create_index(
    schema: &mut Schema,
    name: &str,
    index: &Index,
) -> Result<(), ReplayError> {
    table(schema, name)?.indexes.push(index.clone());
    Ok(())
}

pub(super) fn drop_index(
    schema: &mut Schema,
    op: &Op,
    name: &str,
    index: &Index,
) -> Result<(), ReplayError> {
    let naming = schema.naming.clone();
    let t = table(schema, name)?;
    let found = op
        .existing_name(t, &naming)
        .unwrap_or_else(|| index.name.clone());
    // A unique index read back as a unique constraint (MySQL): see `Op::existing_name`.
    if index.unique
        && !t.indexes.iter().any(|i| i.name == found)
        && t.uniques.iter().any(|u| u.name == found)
    {
        return remove(&mut t.uniques, "index", name, &found, |x| &x.name);
    }
    remove(&mut t.indexes, "index", name, &found, |x| &x.name)
}

pub(super) fn add_unique(
    schema: &mut Schema,
    name: &str,
    unique: &Unique,
) -> Result<(), ReplayError> {
    table(schema, name)?.uniques.push(unique.clone());
    Ok(())
}

pub(super) fn drop_unique(
    schema: &mut Schema,
    op: &Op,
    name: &str,
    unique: &Unique,
) -> Result<(), ReplayError> {
    let naming = schema.naming.clone();
    let t = table(schema, name)?;
    let found = op
        .existing_name(t, &naming)
        .unwrap_or_else(|| unique.name.clone());
    // A unique constraint kept as a unique index: see `Op::existing_name`.
    if !t.uniques.iter().any(|u| u.name == found) && t.indexes.iter().any(|i| i.name == found) {
        return remove(&mut t.indexes, "unique constraint", name, &found, |x| {
            &x.name
        });
    }
    remove(&mut t.uniques, "unique constraint", name, &found, |x| {
        &x.name
    })
}

// Foreign keys and check constraints.

pub(super) fn add_foreign_key(
    schema: &mut Schema,
    name: &str,
    foreign_key: &ForeignKey,
) -> Result<(), ReplayError> {
    table(schema, name)?.foreign_keys.push(foreign_key.clone());
    Ok(())
}

pub(super) fn drop_foreign_key(
    schema: &mut Schema,
    name: &str,
    foreign_key: &ForeignKey,
) -> Result<(), ReplayError> {
    let t = table(schema, name)?;
    let before = t.foreign_keys.len();
    // Foreign keys are matched by what they do, not by name (SQLite has no names).
    t.foreign_keys.retain(|fk| {
        !(fk.columns == foreign_key.columns
            && fk.ref_table == foreign_key.ref_table
            && fk.ref_columns == foreign_key.ref_columns)
    });
    if t.foreign_keys.len() == before {
        return Err(ReplayError::NoConstraint {
            kind: "foreign key",
            table: name.into(),
            name: foreign_key.name.clone(),
        });
    }
    Ok(())
}

pub(super) fn add_check(schema: &mut Schema, name: &str, check: &Check) -> Result<(), ReplayError> {
    table(schema, name)?.checks.push(check.clone());
    Ok(())
}

pub(super) fn drop_check(
    schema: &mut Schema,
    op: &Op,
    name: &str,
    check: &Check,
) -> Result<(), ReplayError> {
    let naming = schema.naming.clone();
    let t = table(schema, name)?;
    let found = op
        .existing_name(t, &naming)
        .unwrap_or_else(|| check.name.clone());
    remove(&mut t.checks, "check constraint", name, &found, |x| &x.name)
}

// Objects Strata does not model.

/// Keeps the objects Strata does not model in step with `op` (see [`crate::schema::unmodeled`]).
/// `names` are the constraint and index names the op renames ([`Op::name_changes`], computed
/// on the schema before it).
pub(crate) fn follow_unmodeled(op: &Op, names: &[NameChange], objects: &mut Vec<Unmodeled>) {
    use crate::schema::unmodeled as u;
    if objects.is_empty() {
        return;
    }
    follow_unmodeled_renames(op, objects);
    for c in names.iter().filter(|c| c.kind == NameKind::Index) {
        u::rename_index(objects, &c.table, &c.from, &c.to);
    }
}

fn follow_unmodeled_renames(op: &Op, objects: &mut Vec<Unmodeled>) {
    use crate::schema::unmodeled as u;
    match op {
        Op::DropTable { table } => u::drop_table(objects, &table.name),
        Op::RenameTable { from, to } => u::rename_table(objects, from, to),
        Op::DropColumn { table, column } => u::drop_column(objects, table, &column.name),
        Op::AlterColumn {
            table,
            column,
            rename: Some(new),
            ..
        } if new != column => u::rename_column(objects, table, column, new),
        Op::DropIndex { table, index } => u::drop_index(objects, table, &index.name),
        _ => {}
    }
}
