//! Stage 5, ops: the exhaustive set of schema operations, their reversal, and their effect on a [`Schema`].
//!
//! An [`Op`] is plain data: no I/O, no SQL. Every op carries enough to be reversed
//! ([`Op::DropColumn`] keeps the full column, [`Op::DropTable`] the full table), so a downgrade
//! is always the reversed list of reversed upgrade ops ([`reverse_all`]). [`Op::apply`] replays an
//! op on a schema value, which lets rendering know the table a SQLite rebuild must recreate
//! without a database, and lets tests check a diff's `Changes` by replaying them.
//!
//! Ops serialize with serde in a readable, tagged form (`op = "add_column"`) that migration
//! files store.

mod describe;
mod names;
mod replay;

pub use crate::schema::naming::{NameChange, NameKind};
pub(crate) use replay::follow_unmodeled;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dialect::DialectKind;
use crate::schema::{
    split_table, Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, Schema, SqlType,
    Table, Unique,
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
    /// Change a column's comment (Alembic's `alter_column(..., comment=...)`); a dialect
    /// without comments (SQLite) renders nothing.
    AlterColumnComment {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// The comment before and after (absent: no comment).
        comment: Change<Option<String>>,
    },
    /// Change a table's comment (Alembic's `create_table_comment` / `drop_table_comment`); a
    /// dialect without comments (SQLite) renders nothing.
    AlterTableComment {
        /// The table.
        table: String,
        /// The comment before and after (absent: no comment).
        comment: Change<Option<String>>,
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
    /// Create the PostgreSQL schema (namespace) that tables of `#[model(schema = "...")]`
    /// go in. Autogenerate writes it for a schema the models use and the database lacks,
    /// when strata.toml says `create_schemas = true`.
    CreateSchema {
        /// The schema.
        schema: String,
    },
    /// Drop an empty schema (the reverse of [`Op::CreateSchema`]). Never its contents: the
    /// server refuses to drop a schema that still holds anything (a view, a function, a table
    /// Strata does not model), and the step fails with nothing changed.
    DropSchema {
        /// The schema.
        schema: String,
    },
    /// Hand-written SQL (data migrations and anything the ops do not cover).
    Sql {
        /// The statement(s) to run.
        sql: String,
        /// The statement(s) that undo `sql`; without it the step cannot be downgraded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reverse: Option<String>,
        /// Run only on the dialect of this name (a built-in one, compared with the connected
        /// dialect's [`Syntax::name`](crate::dialect::Syntax::name)), skipped on the others;
        /// absent: every dialect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dialect: Option<DialectKind>,
        /// Run in batches: the text says `{batch_size}` where it limits the rows one run
        /// changes (`... WHERE id IN (SELECT id FROM t WHERE x IS NULL LIMIT {batch_size})`),
        /// and runs again and again, with this number there, until it changes no rows. Outside
        /// a transaction (`transactional = false`, `online = true`, MySQL) each batch commits
        /// on its own. Applies to `reverse` too when it says `{batch_size}`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        batch_size: Option<u32>,
        /// `migrate squash` may leave the step out (it only fixed data the squashed revision
        /// never meets, as Django's `elidable`); otherwise a squash keeps it, in order.
        #[serde(default, skip_serializing_if = "is_false")]
        elidable: bool,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The placeholder an `sql` step with `batch_size` writes where it limits its rows.
pub const BATCH_SIZE: &str = "{batch_size}";

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
#[non_exhaustive]
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
    /// The op creates a schema that already exists.
    #[error("schema `{0}` already exists")]
    SchemaExists(String),
    /// The op drops a schema that does not exist.
    #[error("schema `{0}` does not exist at this point")]
    NoSchema(String),
    /// The op drops a schema that still holds a table.
    #[error("schema `{schema}` still holds table `{table}`; drop or move its tables first")]
    SchemaNotEmpty {
        /// The schema.
        schema: String,
        /// A table it holds.
        table: String,
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
            Op::AlterColumnComment {
                table,
                column,
                comment,
            } => Op::AlterColumnComment {
                table,
                column,
                comment: comment.reversed(),
            },
            Op::AlterTableComment { table, comment } => Op::AlterTableComment {
                table,
                comment: comment.reversed(),
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
            Op::CreateSchema { schema } => Op::DropSchema { schema },
            Op::DropSchema { schema } => Op::CreateSchema { schema },
            Op::Sql {
                sql,
                reverse,
                dialect,
                batch_size,
                elidable,
            } => match reverse {
                Some(reverse) => Op::Sql {
                    sql: reverse,
                    reverse: Some(sql),
                    dialect,
                    batch_size,
                    elidable,
                },
                None => return Err(Irreversible { sql }),
            },
        })
    }

    /// The table this op works on (the new name for a rename); `None` for `sql` and the
    /// schema ops.
    pub fn table(&self) -> Option<&str> {
        match self {
            Op::CreateTable { table } | Op::DropTable { table } => Some(&table.name),
            Op::RenameTable { to, .. } => Some(to),
            Op::AddColumn { table, .. }
            | Op::DropColumn { table, .. }
            | Op::AlterColumn { table, .. }
            | Op::AlterColumnComment { table, .. }
            | Op::AlterTableComment { table, .. }
            | Op::AlterPrimaryKey { table, .. }
            | Op::CreateIndex { table, .. }
            | Op::DropIndex { table, .. }
            | Op::AddUnique { table, .. }
            | Op::DropUnique { table, .. }
            | Op::AddForeignKey { table, .. }
            | Op::DropForeignKey { table, .. }
            | Op::AddCheck { table, .. }
            | Op::DropCheck { table, .. } => Some(table),
            Op::Sql { .. } | Op::CreateSchema { .. } | Op::DropSchema { .. } => None,
        }
    }

    /// Every table this op names: the one it works on, the old name of a rename, and the
    /// tables its foreign keys reference.
    pub fn tables_named(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.table().into_iter().collect();
        match self {
            Op::CreateTable { table } | Op::DropTable { table } => {
                out.extend(table.foreign_keys.iter().map(|fk| fk.ref_table.as_str()));
            }
            Op::RenameTable { from, .. } => out.push(from),
            Op::AddForeignKey { foreign_key, .. } | Op::DropForeignKey { foreign_key, .. } => {
                out.push(&foreign_key.ref_table);
            }
            _ => {}
        }
        out
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
    /// schema as it is (their effect is unknown). One function per op, in `ops/replay.rs`.
    pub fn apply(&self, schema: &mut Schema) -> Result<(), ReplayError> {
        // Index names a rename changes, for the unmodeled objects' own records.
        let renamed_names = if schema.unmodeled.is_empty() {
            Vec::new()
        } else {
            self.name_changes(schema)
        };
        let s = &mut *schema;
        match self {
            Op::CreateTable { table } => replay::create_table(s, table),
            Op::DropTable { table } => replay::drop_table(s, table),
            Op::RenameTable { from, to } => replay::rename_table(s, self, from, to),
            Op::AddColumn { table, column } => replay::add_column(s, table, column),
            Op::DropColumn { table, column } => replay::drop_column(s, table, column),
            Op::AlterColumn {
                table,
                column,
                rename,
                ty,
                nullable,
                default,
            } => {
                let alter = replay::AlterColumn {
                    table,
                    column,
                    rename: rename.as_deref(),
                    ty: ty.as_ref(),
                    nullable: nullable.as_ref(),
                    default: default.as_ref(),
                };
                replay::alter_column(s, self, alter)
            }
            Op::AlterColumnComment {
                table,
                column,
                comment,
            } => replay::alter_column_comment(s, table, column, comment.to.as_deref()),
            Op::AlterTableComment { table, comment } => {
                replay::alter_table_comment(s, table, comment.to.as_deref())
            }
            Op::AlterPrimaryKey { table, to, .. } => replay::alter_primary_key(s, table, to),
            Op::CreateIndex { table, index } => replay::create_index(s, table, index),
            Op::DropIndex { table, index } => replay::drop_index(s, self, table, index),
            Op::AddUnique { table, unique } => replay::add_unique(s, table, unique),
            Op::DropUnique { table, unique } => replay::drop_unique(s, self, table, unique),
            Op::AddForeignKey { table, foreign_key } => {
                replay::add_foreign_key(s, table, foreign_key)
            }
            Op::DropForeignKey { table, foreign_key } => {
                replay::drop_foreign_key(s, table, foreign_key)
            }
            Op::AddCheck { table, check } => replay::add_check(s, table, check),
            Op::DropCheck { table, check } => replay::drop_check(s, self, table, check),
            Op::CreateSchema { schema } => replay::create_schema(s, schema),
            Op::DropSchema { schema } => replay::drop_schema(s, schema),
            Op::Sql { .. } => Ok(()),
        }?;
        follow_unmodeled(self, &renamed_names, &mut schema.unmodeled);
        Ok(())
    }
}

/// The schemas other than the default one that `ops` name: those they create or drop, and
/// those of the tables they touch or reference ([`Op::tables_named`]; `audit` for
/// `audit.events`).
pub fn schemas_named<'a>(ops: impl IntoIterator<Item = &'a Op>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for op in ops {
        if let Op::CreateSchema { schema } | Op::DropSchema { schema } = op {
            out.insert(schema.clone());
        }
        for table in op.tables_named() {
            if let (Some(schema), _) = split_table(table) {
                out.insert(schema.to_owned());
            }
        }
    }
    out
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
