//! Dialect: sqlite, rendering ops to DDL.
//!
//! SQLite's `ALTER TABLE` can rename a table or a column, add a plain column and drop an unused
//! one; everything else (type, nullability, default, keys, uniques, foreign keys, checks) is a
//! table rebuild ([`super::rebuild`]).

use super::ddl::mentions;
use super::rebuild::{current_text, rebuild};
use super::Sqlite;
use crate::dialect::{
    alter_table, float_literal, standard_column_sql, standard_render, Dialect, DialectKind,
    RenderError,
};
use crate::ops::{NameChange, NameKind, Op};
use crate::render::{existing_table, inconsistent, table_after};
use crate::schema::{Column, Default, Schema, SqlType, Table, Unmodeled, UnmodeledKind};

/// The SQLite spelling of a neutral type (the introspection contract reads these back).
pub(super) fn type_sql(ty: &SqlType) -> Result<String, RenderError> {
    Ok(match ty {
        SqlType::SmallInt => "SMALLINT".into(),
        SqlType::Integer => "INTEGER".into(),
        SqlType::BigInt => "BIGINT".into(),
        SqlType::Real => "REAL".into(),
        SqlType::Double => "DOUBLE".into(),
        SqlType::Boolean => "BOOLEAN".into(),
        SqlType::Text => "TEXT".into(),
        SqlType::Varchar(n) => format!("VARCHAR({n})"),
        SqlType::Bytes => "BLOB".into(),
        SqlType::Date => "DATE".into(),
        SqlType::Time => "TIME".into(),
        SqlType::Timestamp => "TIMESTAMP".into(),
        SqlType::TimestampTz => "TIMESTAMPTZ".into(),
        SqlType::Uuid => "UUID".into(),
        SqlType::Json => "JSON".into(),
        SqlType::Decimal {
            precision: None, ..
        } => "NUMERIC".into(),
        SqlType::Decimal {
            precision: Some(p),
            scale: None,
        } => format!("NUMERIC({p})"),
        SqlType::Decimal {
            precision: Some(p),
            scale: Some(s),
        } => format!("NUMERIC({p},{s})"),
        SqlType::Custom(s) => s.clone(),
    })
}

/// Defaults: booleans are `1`/`0`; a raw SQL expression is parenthesised, as SQLite requires
/// for anything but a literal (`PRAGMA table_info` reads it back without the parentheses);
/// infinite floats are `9.0e999`, NaN (which SQLite cannot store) is `NULL`.
pub(super) fn default_sql(d: &Sqlite, v: &Default) -> String {
    match v {
        Default::Int(i) => i.to_string(),
        Default::Float(f) if f.is_nan() => "NULL".into(),
        Default::Float(f) if f.is_infinite() => {
            if *f > 0.0 { "9.0e999" } else { "-9.0e999" }.into()
        }
        Default::Float(f) => float_literal(*f, d),
        Default::Bool(b) => if *b { "1" } else { "0" }.into(),
        Default::Str(s) => d.quote_str(s),
        Default::Sql { sql } => format!("({sql})"),
    }
}

/// Whether `c` is an AUTOINCREMENT column written as the table's rowid key.
fn is_rowid_key(table: &Table, c: &Column) -> bool {
    c.autoincrement
        && table
            .primary_key
            .as_ref()
            .is_some_and(|pk| pk.columns.len() == 1 && pk.columns[0] == c.name)
}

/// A column definition; the AUTOINCREMENT key is `"id" INTEGER NOT NULL PRIMARY KEY
/// AUTOINCREMENT` whatever its neutral integer type, since only `INTEGER` is a rowid alias.
pub(super) fn column_sql(d: &Sqlite, table: &Table, c: &Column) -> Result<String, RenderError> {
    if !c.autoincrement {
        return standard_column_sql(d, c);
    }
    let unsupported = |what: String, hint: &str| RenderError::Unsupported {
        dialect: DialectKind::Sqlite,
        what,
        hint: Some(hint.into()),
    };
    if !is_rowid_key(table, c) {
        return Err(unsupported(
            format!(
                "autoincrement on column `{}.{}`, which is not the table's only primary-key column",
                table.name, c.name
            ),
            "SQLite generates values only for a single-column INTEGER PRIMARY KEY; make it \
             the whole key or set `autoincrement = false`",
        ));
    }
    if c.default.is_some() {
        return Err(unsupported(
            format!(
                "a default on autoincrement column `{}.{}`",
                table.name, c.name
            ),
            "the database generates its values; remove the default or `autoincrement = false`",
        ));
    }
    Ok(format!(
        "{} INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT",
        d.quote_ident(&c.name)
    ))
}

/// No table-level key clause when the AUTOINCREMENT column definition carries the key.
pub(super) fn table_primary_key_sql(d: &Sqlite, table: &Table) -> Option<String> {
    let pk = table.primary_key.as_ref()?;
    if table.columns.iter().any(|c| is_rowid_key(table, c)) {
        return None;
    }
    Some(d.primary_key_sql(pk))
}

/// Whether `ALTER TABLE ADD COLUMN` can add `c`: SQLite refuses a key column, a NOT NULL
/// column without a default, and a non-constant default (an expression in parentheses).
fn can_add_natively(c: &Column) -> bool {
    let constant_default = match &c.default {
        None => true,
        Some(Default::Sql { .. }) => false,
        Some(_) => true,
    };
    !c.autoincrement && constant_default && (c.nullable || c.default.is_some())
}

/// Whether `ALTER TABLE DROP COLUMN` can drop `name` from `t`: not when a key, unique
/// constraint, index or foreign key lists it, nor when a check might use it, nor when an
/// index, trigger or generated column Strata does not model names it (SQLite would refuse;
/// a rebuild keeps what can be kept and refuses the rest by name).
fn can_drop_natively(t: &Table, name: &str, objects: &[Unmodeled]) -> bool {
    let lists = |cols: &[String]| cols.iter().any(|c| c == name);
    !(t.primary_key.as_ref().is_some_and(|pk| lists(&pk.columns))
        || t.uniques.iter().any(|u| lists(&u.columns))
        || t.indexes.iter().any(|i| lists(&i.columns))
        || t.foreign_keys.iter().any(|f| lists(&f.columns))
        || !t.checks.is_empty()
        || objects.iter().any(|o| {
            o.kind != UnmodeledKind::Collation
                && (o.belongs_to(&t.name) || o.kind == UnmodeledKind::View)
                && mentions(&o.sql, name)
        }))
}

/// The unmodeled objects as they are once `op` has run (see [`crate::schema::unmodeled`]).
fn objects_after(op: &Op, before: &Schema) -> Vec<Unmodeled> {
    let mut objects = before.unmodeled.clone();
    if !objects.is_empty() {
        crate::ops::follow_unmodeled(op, &op.name_changes(before), &mut objects);
    }
    objects
}

/// Index renames (SQLite has no `ALTER INDEX ... RENAME`): each index is dropped and created
/// under its new name; one the database wrote with its own text (`DESC`, `COLLATE`) is
/// re-created from that text, not from the model.
pub(super) fn rename_names_sql(d: &Sqlite, changes: &[NameChange], after: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for c in changes.iter().filter(|c| c.kind == NameKind::Index) {
        let own = after
            .unmodeled
            .iter()
            .find(|o| o.kind == UnmodeledKind::Index && o.table == c.table && o.name == c.to);
        let model = after
            .table(&c.table)
            .and_then(|t| t.indexes.iter().find(|i| i.name == c.to));
        let create = match (own, model) {
            (Some(o), _) => current_text(d, o),
            (None, Some(ix)) => d.create_index_sql(&c.table, ix),
            (None, None) => continue,
        };
        out.push(format!("DROP INDEX {}", d.quote_ident(&c.from)));
        out.push(create);
    }
    out
}

/// The table `op` rebuilds, if SQLite's `ALTER TABLE` cannot perform it in place.
pub(super) fn rebuilt_table(op: &Op, before: &Schema) -> Option<String> {
    match op {
        Op::AddColumn { table, column } if !can_add_natively(column) => Some(table.clone()),
        Op::DropColumn { table, column } => {
            let t = before.table(table)?;
            (!can_drop_natively(t, &column.name, &before.unmodeled)).then(|| table.clone())
        }
        Op::AlterColumn {
            table,
            ty,
            nullable,
            default,
            ..
        } => {
            let changes = ty.as_ref().is_some_and(|c| c.from != c.to)
                || nullable.as_ref().is_some_and(|c| c.from != c.to)
                || default.as_ref().is_some_and(|c| c.from != c.to);
            changes.then(|| table.clone())
        }
        Op::AlterPrimaryKey { table, .. }
        | Op::AddUnique { table, .. }
        | Op::DropUnique { table, .. }
        | Op::AddForeignKey { table, .. }
        | Op::DropForeignKey { table, .. }
        | Op::AddCheck { table, .. }
        | Op::DropCheck { table, .. } => Some(table.clone()),
        _ => None,
    }
}

pub(super) fn render(d: &Sqlite, op: &Op, before: &Schema) -> Result<Vec<String>, RenderError> {
    let mut out = Vec::new();
    match op {
        Op::CreateTable { table } => {
            if before.table(&table.name).is_some() {
                return Err(inconsistent(format_args!(
                    "cannot create table `{}`: it already exists at this point",
                    table.name
                )));
            }
            out.push(d.create_table_sql(table)?);
            for ix in &table.indexes {
                out.push(d.create_index_sql(&table.name, ix));
            }
        }
        Op::DropTable { .. }
        | Op::RenameTable { .. }
        | Op::CreateIndex { .. }
        | Op::DropIndex { .. }
        | Op::Sql { .. } => {
            out = standard_render(d, op, before)?;
        }
        Op::AddColumn { table, column } => {
            let after = table_after(op, before, table)?;
            if rebuilt_table(op, before).is_none() {
                out.push(alter_table(
                    d,
                    table,
                    format_args!("ADD COLUMN {}", column_sql(d, &after, column)?),
                ));
            } else {
                let objects = objects_after(op, before);
                out = rebuild(d, existing_table(before, table)?, &after, &objects)?;
            }
        }
        Op::DropColumn { table, column } => {
            let mut after = table_after(op, before, table)?;
            let t = existing_table(before, table)?;
            if rebuilt_table(op, before).is_none() {
                out.push(alter_table(
                    d,
                    table,
                    format_args!("DROP COLUMN {}", d.quote_ident(&column.name)),
                ));
            } else {
                // As on PostgreSQL, keys, uniques, indexes and foreign keys over the column go
                // with it.
                let name = &column.name;
                let lists = |cols: &[String]| cols.iter().any(|c| c == name);
                if after
                    .primary_key
                    .as_ref()
                    .is_some_and(|pk| lists(&pk.columns))
                {
                    after.primary_key = None;
                }
                after.uniques.retain(|u| !lists(&u.columns));
                after.indexes.retain(|i| !lists(&i.columns));
                after.foreign_keys.retain(|f| !lists(&f.columns));
                out = rebuild(d, t, &after, &objects_after(op, before))?;
            }
        }
        Op::AlterColumn {
            table,
            column,
            rename,
            ..
        } => {
            let after = table_after(op, before, table)?;
            let mut current = existing_table(before, table)?.clone();
            let changes = rebuilt_table(op, before).is_some();
            if let Some(new) = rename.as_ref().filter(|n| *n != column) {
                // Natively, so references from other tables' foreign keys follow the rename.
                out.push(alter_table(
                    d,
                    table,
                    format_args!(
                        "RENAME COLUMN {} TO {}",
                        d.quote_ident(column),
                        d.quote_ident(new)
                    ),
                ));
                current = table_after(
                    &Op::AlterColumn {
                        table: table.clone(),
                        column: column.clone(),
                        rename: Some(new.clone()),
                        ty: None,
                        nullable: None,
                        default: None,
                    },
                    before,
                    table,
                )?;
                // Indexes named after the old column take the new name (Op::name_changes);
                // a rebuild below re-creates them under it anyway.
                if !changes {
                    let mut renamed = Schema::new();
                    renamed.insert(current.clone());
                    renamed.unmodeled = objects_after(op, before);
                    out.extend(d.rename_names_sql(&op.name_changes(before), &renamed));
                }
            }
            if changes {
                out.extend(rebuild(d, &current, &after, &objects_after(op, before))?);
            }
        }
        Op::AlterPrimaryKey { table, .. }
        | Op::AddUnique { table, .. }
        | Op::DropUnique { table, .. }
        | Op::AddForeignKey { table, .. }
        | Op::DropForeignKey { table, .. }
        | Op::AddCheck { table, .. }
        | Op::DropCheck { table, .. } => {
            let after = table_after(op, before, table)?;
            let objects = objects_after(op, before);
            out = rebuild(d, existing_table(before, table)?, &after, &objects)?;
        }
    }
    Ok(out)
}
