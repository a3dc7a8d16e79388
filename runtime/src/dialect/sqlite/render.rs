//! Dialect: sqlite, rendering ops to DDL.
//!
//! SQLite's `ALTER TABLE` can rename a table or a column, add a plain column and drop an unused
//! one; everything else (type, nullability, default, keys, uniques, foreign keys, checks) is a
//! table rebuild ([`super::rebuild`]).

use super::ddl::mentions;
use super::rebuild::{current_text, rebuild};
use super::Sqlite;
use crate::dialect::{
    alter_table, float_literal, standard_column_sql, ColumnChange, Ddl, DialectKind, OpContext,
    RenderError, Statements, Syntax,
};
use crate::schema::naming::{NameChange, NameKind};
use crate::schema::{Column, ColumnDefault, SqlType, Table, Unmodeled, UnmodeledKind};

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
        // With the check of `enum_check`, written with the column.
        SqlType::Enum { .. } => "TEXT".into(),
        SqlType::Custom(s) => s.clone(),
    })
}

/// Defaults: booleans are `1`/`0`; a raw SQL expression is parenthesised, as SQLite requires
/// for anything but a literal (`PRAGMA table_info` reads it back without the parentheses);
/// infinite floats are `9.0e999`, NaN (which SQLite cannot store) is `NULL`.
pub(super) fn default_sql(d: &Sqlite, v: &ColumnDefault) -> String {
    match v {
        ColumnDefault::Int(i) => i.to_string(),
        ColumnDefault::Float(f) if f.is_nan() => "NULL".into(),
        ColumnDefault::Float(f) if f.is_infinite() => {
            if *f > 0.0 { "9.0e999" } else { "-9.0e999" }.into()
        }
        ColumnDefault::Float(f) => float_literal(*f, d),
        ColumnDefault::Bool(b) => if *b { "1" } else { "0" }.into(),
        ColumnDefault::Str(s) => d.quote_str(s),
        ColumnDefault::Sql { sql } => format!("({sql})"),
    }
}

/// The name prefix of the check that makes a text column an enum (`enum:mood`): the
/// introspection reads the column back as enum `mood` from it.
pub(super) const ENUM_CHECK_PREFIX: &str = "enum:";

/// The column constraint of an enum column `column` (SQLite has no enum type):
/// `CONSTRAINT "enum:mood" CHECK ("column" IN ('happy', 'sad'))`.
fn enum_check(d: &Sqlite, column: &str, name: &str, values: &[String]) -> String {
    let values: Vec<String> = values.iter().map(|v| d.quote_str(v)).collect();
    format!(
        "CONSTRAINT {} CHECK ({} IN ({}))",
        d.quote_ident(&format!("{ENUM_CHECK_PREFIX}{name}")),
        d.quote_ident(column),
        values.join(", ")
    )
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
        let mut sql = standard_column_sql(d, c)?;
        if let SqlType::Enum { name, values } = &c.ty {
            sql.push(' ');
            sql.push_str(&enum_check(d, &c.name, name, values));
        }
        return Ok(sql);
    }
    let unsupported = |what: String, hint: &str| RenderError::Unsupported {
        dialect: DialectKind::Sqlite.name(),
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
pub(super) fn can_add_natively(c: &Column) -> bool {
    let constant_default = match &c.default {
        None => true,
        Some(ColumnDefault::Sql { .. }) => false,
        Some(_) => true,
    };
    !c.autoincrement && constant_default && (c.nullable || c.default.is_some())
}

/// Whether `ALTER TABLE DROP COLUMN` can drop `name` from `t`: not when a key, unique
/// constraint, index or foreign key lists it, nor when a check might use it, nor when an
/// index, trigger or generated column Strata does not model names it (SQLite would refuse;
/// a rebuild keeps what can be kept and refuses the rest by name).
pub(super) fn can_drop_natively(t: &Table, name: &str, objects: &[Unmodeled]) -> bool {
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

/// Index renames (SQLite has no `ALTER INDEX ... RENAME`): each index is dropped and created
/// under its new name; one the database wrote with its own text (`DESC`, `COLLATE`) is
/// re-created from that text, not from the model.
pub(super) fn rename_names_sql(
    d: &Sqlite,
    changes: &[NameChange],
    after: &Table,
    objects: &[Unmodeled],
) -> Vec<String> {
    let mut out = Vec::new();
    for c in changes.iter().filter(|c| c.kind == NameKind::Index) {
        let own = objects
            .iter()
            .find(|o| o.kind == UnmodeledKind::Index && o.table == c.table && o.name == c.to);
        let model = after.indexes.iter().find(|i| i.name == c.to);
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

/// The rebuild of `cx`'s table into `after`, reported as such.
fn rebuilt(
    d: &Sqlite,
    before: &Table,
    after: &Table,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    Ok(Statements {
        sql: rebuild(d, before, after, cx.objects)?,
        rebuilt: Some(after.name.clone()),
    })
}

/// A change `ALTER TABLE` cannot make in place: the table is rebuilt as it is after the op.
pub(super) fn rebuild_op(d: &Sqlite, cx: &OpContext<'_>) -> Result<Statements, RenderError> {
    rebuilt(d, cx.table()?, cx.after()?, cx)
}

/// `ADD COLUMN` where SQLite can ([`can_add_natively`]), else a rebuild.
pub(super) fn add_column(
    d: &Sqlite,
    table: &str,
    column: &Column,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let after = cx.after()?;
    if can_add_natively(column) {
        return Ok(vec![alter_table(
            d,
            table,
            format_args!("ADD COLUMN {}", column_sql(d, after, column)?),
        )]
        .into());
    }
    rebuilt(d, cx.table()?, after, cx)
}

/// `DROP COLUMN` where SQLite can ([`can_drop_natively`]), else a rebuild in which, as on
/// PostgreSQL, keys, uniques, indexes and foreign keys over the column go with it.
pub(super) fn drop_column(
    d: &Sqlite,
    table: &str,
    column: &Column,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let t = cx.table()?;
    if can_drop_natively(t, &column.name, &cx.before.unmodeled) {
        return Ok(vec![alter_table(
            d,
            table,
            format_args!("DROP COLUMN {}", d.quote_ident(&column.name)),
        )]
        .into());
    }
    let mut after = cx.after()?.clone();
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
    rebuilt(d, t, &after, cx)
}

/// A rename natively (so other tables' foreign keys follow it), then, when the definition
/// changes, a rebuild from the renamed table.
pub(super) fn alter_column(
    d: &Sqlite,
    table: &str,
    column: &str,
    change: &ColumnChange<'_>,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let mut out = Vec::new();
    let mut current = cx.table()?;
    if let Some(new) = change.rename {
        out.push(alter_table(
            d,
            table,
            format_args!(
                "RENAME COLUMN {} TO {}",
                d.quote_ident(column),
                d.quote_ident(new)
            ),
        ));
        if let Some(renamed) = change.renamed {
            current = renamed;
        }
        // Indexes named after the old column take the new name; a rebuild below re-creates
        // them under it anyway.
        if !change.changes_definition() {
            out.extend(d.rename_names_sql(cx.names, current, cx.objects));
        }
    }
    if !change.changes_definition() {
        return Ok(out.into());
    }
    let mut done = rebuilt(d, current, cx.after()?, cx)?;
    out.append(&mut done.sql);
    Ok(Statements {
        sql: out,
        rebuilt: done.rebuilt,
    })
}
