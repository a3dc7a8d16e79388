//! Stage 5, ops: the exhaustive set of schema operations, their reversal, and their effect on a [`Schema`].
//!
//! An [`Op`] is plain data: no I/O, no SQL. Every op carries enough to be reversed
//! ([`Op::DropColumn`] keeps the full column, [`Op::DropTable`] the full table), so a downgrade
//! is always the reversed list of reversed upgrade ops ([`reverse_all`]). [`Op::apply`] replays an
//! op on a schema value, which lets rendering know the table a SQLite rebuild must recreate
//! without a database, and lets tests check a diff's [`Changes`](crate::diff::Changes) by replaying them.
//!
//! Ops serialize with serde in a readable, tagged form (`op = "add_column"`) that migration
//! files store.

mod describe;
mod names;

pub use crate::schema::naming::{NameChange, NameKind};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dialect::DialectKind;
use crate::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, Schema, SqlType, Table, Unique,
};

/// One schema operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    /// Create a table with its columns and constraints (foreign keys included unless the diff
    /// split them out to break a cycle).
    CreateTable {
        /// The full table.
        table: Table,
    },
    /// Drop a table; keeps its full definition for reversal.
    DropTable {
        /// The full table as it was.
        table: Table,
    },
    /// Rename a table (data preserved). Its constraint and index names that are Strata's
    /// conventional names for the old name are renamed too, and so are the foreign-key names
    /// of other tables that reference it ([`Op::name_changes`]).
    RenameTable {
        /// The current name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Add a column.
    AddColumn {
        /// The table.
        table: String,
        /// The full column.
        column: Column,
    },
    /// Drop a column; keeps its full definition for reversal.
    DropColumn {
        /// The table.
        table: String,
        /// The full column as it was.
        column: Column,
    },
    /// Change a column: any of its name, type, nullability and default.
    AlterColumn {
        /// The table.
        table: String,
        /// The column's name before this op.
        column: String,
        /// A new name, when the column is renamed (data preserved); the conventional names
        /// of the unique constraints, indexes and foreign keys that list it follow
        /// ([`Op::name_changes`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rename: Option<String>,
        /// A type change.
        #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
        ty: Option<Change<SqlType>>,
        /// A nullability change.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nullable: Option<Change<bool>>,
        /// A default change.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<DefaultChange>,
    },
    /// Change a table's primary key.
    AlterPrimaryKey {
        /// The table.
        table: String,
        /// The key before (absent: none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<PrimaryKey>,
        /// The key after (absent: none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<PrimaryKey>,
    },
    /// Create an index.
    CreateIndex {
        /// The table.
        table: String,
        /// The full index.
        index: Index,
    },
    /// Drop an index; keeps its definition for reversal.
    DropIndex {
        /// The table.
        table: String,
        /// The full index as it was.
        index: Index,
    },
    /// Add a unique constraint.
    AddUnique {
        /// The table.
        table: String,
        /// The constraint.
        unique: Unique,
    },
    /// Drop a unique constraint.
    DropUnique {
        /// The table.
        table: String,
        /// The constraint as it was.
        unique: Unique,
    },
    /// Add a foreign key.
    AddForeignKey {
        /// The table.
        table: String,
        /// The foreign key.
        foreign_key: ForeignKey,
    },
    /// Drop a foreign key.
    DropForeignKey {
        /// The table.
        table: String,
        /// The foreign key as it was.
        foreign_key: ForeignKey,
    },
    /// Add a check constraint.
    AddCheck {
        /// The table.
        table: String,
        /// The constraint.
        check: Check,
    },
    /// Drop a check constraint.
    DropCheck {
        /// The table.
        table: String,
        /// The constraint as it was.
        check: Check,
    },
    /// Hand-written SQL (data migrations and anything the ops do not cover).
    Sql {
        /// The statement(s) to run.
        sql: String,
        /// The statement(s) that undo `sql`; without it the step cannot be downgraded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reverse: Option<String>,
        /// Run only on this dialect (skipped on the others); absent: every dialect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dialect: Option<DialectKind>,
    },
}

/// A value before and after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change<T> {
    /// The value before.
    pub from: T,
    /// The value after.
    pub to: T,
}

impl<T: Clone> Change<T> {
    /// The change the other way round.
    pub fn reversed(&self) -> Self {
        Change {
            from: self.to.clone(),
            to: self.from.clone(),
        }
    }
}

/// A default before and after a change; an absent side means "no default".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultChange {
    /// The default before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ColumnDefault>,
    /// The default after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<ColumnDefault>,
}

impl DefaultChange {
    /// The change the other way round.
    pub fn reversed(&self) -> Self {
        DefaultChange {
            from: self.to.clone(),
            to: self.from.clone(),
        }
    }
}

/// An op that cannot be reversed.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("this `sql` step has no `reverse`, so it cannot be downgraded; add `reverse = \"...\"` with the SQL that undoes it: {sql}")]
pub struct Irreversible {
    /// The statement that has no reverse.
    pub sql: String,
}

/// An op that does not fit the schema it is replayed on (a hand-edited file, usually).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReplayError {
    /// The op names a table that does not exist at that point.
    #[error("table `{0}` does not exist at this point")]
    NoTable(String),
    /// The op creates a table that already exists.
    #[error("table `{0}` already exists")]
    TableExists(String),
    /// The op names a column that does not exist at that point.
    #[error("column `{table}.{column}` does not exist at this point")]
    NoColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// The op adds a column that already exists.
    #[error("column `{table}.{column}` already exists")]
    ColumnExists {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// The op drops a constraint or index that does not exist.
    #[error("{kind} `{name}` does not exist on table `{table}`")]
    NoConstraint {
        /// "index", "unique constraint", ...
        kind: &'static str,
        /// The table.
        table: String,
        /// The constraint's name.
        name: String,
    },
}

impl Op {
    /// The op that undoes this one.
    pub fn reverse(&self) -> Result<Op, Irreversible> {
        Ok(match self.clone() {
            Op::CreateTable { table } => Op::DropTable { table },
            Op::DropTable { table } => Op::CreateTable { table },
            Op::RenameTable { from, to } => Op::RenameTable { from: to, to: from },
            Op::AddColumn { table, column } => Op::DropColumn { table, column },
            Op::DropColumn { table, column } => Op::AddColumn { table, column },
            Op::AlterColumn {
                table,
                column,
                rename,
                ty,
                nullable,
                default,
            } => Op::AlterColumn {
                table,
                column: rename.clone().unwrap_or_else(|| column.clone()),
                rename: rename.map(|_| column),
                ty: ty.map(|c| c.reversed()),
                nullable: nullable.map(|c| c.reversed()),
                default: default.map(|c| c.reversed()),
            },
            Op::AlterPrimaryKey { table, from, to } => Op::AlterPrimaryKey {
                table,
                from: to,
                to: from,
            },
            Op::CreateIndex { table, index } => Op::DropIndex { table, index },
            Op::DropIndex { table, index } => Op::CreateIndex { table, index },
            Op::AddUnique { table, unique } => Op::DropUnique { table, unique },
            Op::DropUnique { table, unique } => Op::AddUnique { table, unique },
            Op::AddForeignKey { table, foreign_key } => Op::DropForeignKey { table, foreign_key },
            Op::DropForeignKey { table, foreign_key } => Op::AddForeignKey { table, foreign_key },
            Op::AddCheck { table, check } => Op::DropCheck { table, check },
            Op::DropCheck { table, check } => Op::AddCheck { table, check },
            Op::Sql {
                sql,
                reverse,
                dialect,
            } => match reverse {
                Some(reverse) => Op::Sql {
                    sql: reverse,
                    reverse: Some(sql),
                    dialect,
                },
                None => return Err(Irreversible { sql }),
            },
        })
    }

    /// The table this op works on (the new name for a rename); `None` for `sql`.
    pub fn table(&self) -> Option<&str> {
        match self {
            Op::CreateTable { table } | Op::DropTable { table } => Some(&table.name),
            Op::RenameTable { to, .. } => Some(to),
            Op::AddColumn { table, .. }
            | Op::DropColumn { table, .. }
            | Op::AlterColumn { table, .. }
            | Op::AlterPrimaryKey { table, .. }
            | Op::CreateIndex { table, .. }
            | Op::DropIndex { table, .. }
            | Op::AddUnique { table, .. }
            | Op::DropUnique { table, .. }
            | Op::AddForeignKey { table, .. }
            | Op::DropForeignKey { table, .. }
            | Op::AddCheck { table, .. }
            | Op::DropCheck { table, .. } => Some(table),
            Op::Sql { .. } => None,
        }
    }

    /// Why this op can lose data or fail on existing rows, if it can: dropping a table or a
    /// column, narrowing a type, making a column NOT NULL.
    pub fn destructive(&self) -> Option<String> {
        match self {
            Op::DropTable { table } => {
                Some(format!("drops table '{}' and all its rows", table.name))
            }
            Op::DropColumn { table, column } => Some(format!(
                "drops column '{table}.{}' and its data",
                column.name
            )),
            Op::AlterColumn {
                table,
                column,
                ty,
                nullable,
                ..
            } => {
                let mut why = Vec::new();
                if let Some(c) = ty.as_ref().filter(|c| c.from.narrows_to(&c.to)) {
                    why.push(format!(
                        "narrows '{table}.{column}' from {} to {}; existing values may not fit",
                        c.from, c.to
                    ));
                }
                if nullable.as_ref().is_some_and(|c| c.from && !c.to) {
                    why.push(format!(
                        "makes '{table}.{column}' NOT NULL; fails if any row holds NULL"
                    ));
                }
                (!why.is_empty()).then(|| why.join("; "))
            }
            _ => None,
        }
    }

    /// Replays this op on `schema`, as the database would after running it. `sql` ops leave the
    /// schema as it is (their effect is unknown).
    pub fn apply(&self, schema: &mut Schema) -> Result<(), ReplayError> {
        // Index names a rename changes, for the unmodeled objects' own records.
        let renamed_names = if schema.unmodeled.is_empty() {
            Vec::new()
        } else {
            self.name_changes(schema)
        };
        fn table<'a>(s: &'a mut Schema, name: &str) -> Result<&'a mut Table, ReplayError> {
            s.table_mut(name)
                .ok_or_else(|| ReplayError::NoTable(name.into()))
        }
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
        match self {
            Op::CreateTable { table: t } => {
                if schema.table(&t.name).is_some() {
                    return Err(ReplayError::TableExists(t.name.clone()));
                }
                schema.insert(t.clone());
            }
            Op::DropTable { table: t } => {
                schema
                    .tables
                    .remove(&t.name)
                    .ok_or_else(|| ReplayError::NoTable(t.name.clone()))?;
            }
            Op::RenameTable { from, to } => {
                if schema.table(to).is_some() {
                    return Err(ReplayError::TableExists(to.clone()));
                }
                let changes = self.name_changes(schema);
                let mut t = schema
                    .tables
                    .remove(from)
                    .ok_or_else(|| ReplayError::NoTable(from.clone()))?;
                t.name = to.clone();
                for other in schema.tables.values_mut() {
                    for fk in &mut other.foreign_keys {
                        if fk.ref_table == *from {
                            fk.ref_table = to.clone();
                        }
                    }
                }
                for fk in &mut t.foreign_keys {
                    if fk.ref_table == *from {
                        fk.ref_table = to.clone();
                    }
                }
                schema.insert(t);
                names::apply_changes(schema, &changes);
            }
            Op::AddColumn {
                table: name,
                column,
            } => {
                let t = table(schema, name)?;
                if t.column(&column.name).is_some() {
                    return Err(ReplayError::ColumnExists {
                        table: name.clone(),
                        column: column.name.clone(),
                    });
                }
                t.columns.push(column.clone());
            }
            Op::DropColumn {
                table: name,
                column,
            } => {
                let t = table(schema, name)?;
                let before = t.columns.len();
                t.columns.retain(|c| c.name != column.name);
                if t.columns.len() == before {
                    return Err(ReplayError::NoColumn {
                        table: name.clone(),
                        column: column.name.clone(),
                    });
                }
            }
            Op::AlterColumn {
                table: name,
                column,
                rename,
                ty,
                nullable,
                default,
            } => {
                let changes = self.name_changes(schema);
                let t = table(schema, name)?;
                if let Some(new) = rename {
                    if t.column(new).is_some() {
                        return Err(ReplayError::ColumnExists {
                            table: name.clone(),
                            column: new.clone(),
                        });
                    }
                }
                let c = t.column_mut(column).ok_or_else(|| ReplayError::NoColumn {
                    table: name.clone(),
                    column: column.clone(),
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
                    c.name = new.clone();
                    rename_column_refs(t, column, new);
                    for other in schema.tables.values_mut() {
                        for fk in &mut other.foreign_keys {
                            if fk.ref_table == *name {
                                for rc in &mut fk.ref_columns {
                                    if rc == column {
                                        *rc = new.clone();
                                    }
                                }
                            }
                        }
                    }
                }
                names::apply_changes(schema, &changes);
            }
            Op::AlterPrimaryKey {
                table: name, to, ..
            } => {
                table(schema, name)?.primary_key = to.clone();
            }
            Op::CreateIndex { table: name, index } => {
                table(schema, name)?.indexes.push(index.clone())
            }
            Op::DropIndex { table: name, index } => {
                let t = table(schema, name)?;
                let found = self.existing_name(t).unwrap_or_else(|| index.name.clone());
                remove(&mut t.indexes, "index", name, &found, |x| &x.name)?
            }
            Op::AddUnique {
                table: name,
                unique,
            } => table(schema, name)?.uniques.push(unique.clone()),
            Op::DropUnique {
                table: name,
                unique,
            } => {
                let t = table(schema, name)?;
                let found = self.existing_name(t).unwrap_or_else(|| unique.name.clone());
                remove(&mut t.uniques, "unique constraint", name, &found, |x| {
                    &x.name
                })?
            }
            Op::AddForeignKey {
                table: name,
                foreign_key,
            } => table(schema, name)?.foreign_keys.push(foreign_key.clone()),
            Op::DropForeignKey {
                table: name,
                foreign_key,
            } => {
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
                        table: name.clone(),
                        name: foreign_key.name.clone(),
                    });
                }
            }
            Op::AddCheck { table: name, check } => table(schema, name)?.checks.push(check.clone()),
            Op::DropCheck { table: name, check } => {
                let t = table(schema, name)?;
                let found = self.existing_name(t).unwrap_or_else(|| check.name.clone());
                remove(&mut t.checks, "check constraint", name, &found, |x| &x.name)?
            }
            Op::Sql { .. } => {}
        }
        follow_unmodeled(self, &renamed_names, &mut schema.unmodeled);
        Ok(())
    }
}

/// Keeps the objects Strata does not model in step with `op` (see [`crate::schema::unmodeled`]).
/// `names` are the constraint and index names the op renames ([`Op::name_changes`], computed
/// on the schema before it).
pub(crate) fn follow_unmodeled(
    op: &Op,
    names: &[NameChange],
    objects: &mut Vec<crate::schema::Unmodeled>,
) {
    use crate::schema::unmodeled as u;
    if objects.is_empty() {
        return;
    }
    follow_unmodeled_renames(op, objects);
    for c in names.iter().filter(|c| c.kind == NameKind::Index) {
        u::rename_index(objects, &c.table, &c.from, &c.to);
    }
}

fn follow_unmodeled_renames(op: &Op, objects: &mut Vec<crate::schema::Unmodeled>) {
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
    t.indexes.iter_mut().for_each(|i| fix(&mut i.columns));
    t.foreign_keys.iter_mut().for_each(|f| fix(&mut f.columns));
    // Both databases rewrite check expressions on a column rename; so does the replay, or a
    // later SQLite rebuild in the same migration would recreate the check with the old name.
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

/// The downgrade of `ops`: each op reversed, in reverse order.
pub fn reverse_all(ops: &[Op]) -> Result<Vec<Op>, Irreversible> {
    ops.iter().rev().map(Op::reverse).collect()
}

/// Replays `ops` on `schema` in order.
pub fn apply_all(schema: &mut Schema, ops: &[Op]) -> Result<(), ReplayError> {
    ops.iter().try_for_each(|op| op.apply(schema))
}

#[cfg(test)]
mod tests;
