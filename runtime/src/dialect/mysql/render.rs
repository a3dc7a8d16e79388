//! Dialect: mysql, rendering ops to DDL.
//!
//! Every op renders to one statement, so that a revision stopped halfway (MySQL commits each
//! DDL statement on its own) stops between two ops, never inside one: a table is created
//! with its indexes and comments inline, a column is restated whole by `MODIFY COLUMN` /
//! `CHANGE COLUMN`, and the names a rename carries along ride in the same `ALTER TABLE`.
//!
//! MySQL keeps an index behind every foreign key. When no declared key covers a foreign key's
//! columns, the server creates one named after the constraint (and drops it again when a
//! covering index appears); introspection leaves such an index out. Dropping the foreign key
//! drops that index with it, and dropping the last declared key a foreign key leans on (an
//! index, a unique constraint, the primary key) replaces it by the index the server would have
//! made, so the two never fail (error 1553) or leave an index behind. Dropping a column drops
//! the foreign keys that use it, as PostgreSQL does.

use super::Mysql;
use super::{is_current_timestamp, PRIMARY};
use crate::dialect::{
    alter_table, check_autoincrement, index_keys_sql, ColumnChange, DialectKind, OpContext,
    RenderError, Statements,
};
use crate::dialect::{Ddl, Syntax};
use crate::schema::naming::{NameChange, NameKind};
use crate::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, SqlType, Table,
    Unique,
};

/// The longest identifier MySQL and MariaDB accept (longer ones are an error, not cut).
const MAX_IDENT: usize = 64;
/// InnoDB's limit on an index key, in bytes (`DYNAMIC` row format).
const MAX_KEY_BYTES: u32 = 3072;

fn unsupported(what: impl Into<String>, hint: impl Into<String>) -> RenderError {
    RenderError::Unsupported {
        dialect: DialectKind::Mysql.name(),
        what: what.into(),
        hint: Some(hint.into()),
    }
}

/// The MySQL spelling of a neutral type.
///
/// As SQLAlchemy's MySQL dialect writes them, except where that would lose data: `timestamp`
/// and `time` keep microseconds (`DATETIME(6)`, `TIME(6)`; SQLAlchemy writes `DATETIME`,
/// which rounds them away), `timestamptz` is `DATETIME(6)` too (MySQL has no zoned type and
/// `TIMESTAMP` ends in 2038: store UTC), `uuid` is `CHAR(36)` (the hyphenated text;
/// SQLAlchemy's `CHAR(32)` cannot hold it), and a `numeric` without precision is refused
/// (MySQL would make it `DECIMAL(10,0)` and round every value).
pub(super) fn type_sql(ty: &SqlType) -> Result<String, RenderError> {
    Ok(match ty {
        SqlType::SmallInt => "SMALLINT".into(),
        SqlType::Integer => "INTEGER".into(),
        SqlType::BigInt => "BIGINT".into(),
        SqlType::Real => "FLOAT".into(),
        SqlType::Double => "DOUBLE".into(),
        SqlType::Boolean => "BOOL".into(),
        SqlType::Text => "TEXT".into(),
        SqlType::Varchar(n) => format!("VARCHAR({n})"),
        SqlType::Bytes => "BLOB".into(),
        SqlType::Date => "DATE".into(),
        SqlType::Time => "TIME(6)".into(),
        SqlType::Timestamp | SqlType::TimestampTz => "DATETIME(6)".into(),
        SqlType::Uuid => "CHAR(36)".into(),
        SqlType::Json => "JSON".into(),
        SqlType::Decimal {
            precision: None, ..
        } => {
            return Err(unsupported(
                "`numeric` without a precision",
                "MySQL would store it as DECIMAL(10,0) and round every value; give a \
                 precision and scale, e.g. `numeric(20,6)`",
            ))
        }
        SqlType::Decimal {
            precision: Some(p),
            scale,
        } => format!("DECIMAL({p},{})", scale.unwrap_or(0)),
        SqlType::Enum { values, .. } => {
            let values: Vec<String> = values.iter().map(|v| string_literal(v)).collect();
            format!("ENUM({})", values.join(", "))
        }
        SqlType::Custom(s) => s.clone(),
    })
}

/// A string literal as MySQL reads it (a backslash escapes by default, so it is doubled too).
pub(super) fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

/// Whether the column type holds text or bytes of unbounded length (no default literal, no
/// index without a prefix length).
fn is_lob(ty: &SqlType) -> bool {
    match ty {
        SqlType::Text | SqlType::Bytes | SqlType::Json => true,
        SqlType::Custom(s) => {
            let s = s.trim().to_ascii_lowercase();
            s.ends_with("text") || s.ends_with("blob") || s == "json"
        }
        _ => false,
    }
}

/// A default as MySQL takes it for a column of type `ty` (when known): a literal on a
/// TEXT/BLOB/JSON column is an expression `('x')` (MySQL 8 takes no literal there), and
/// `CURRENT_TIMESTAMP` carries the column's fractional digits (MySQL 8 refuses a mismatch).
pub(super) fn default_sql(d: &Mysql, default: &ColumnDefault, ty: Option<&SqlType>) -> String {
    let literal = match default {
        ColumnDefault::Int(i) => i.to_string(),
        ColumnDefault::Float(f) => crate::dialect::float_literal(*f, d),
        ColumnDefault::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        ColumnDefault::Str(s) => d.quote_str(s),
        ColumnDefault::Sql { sql } if is_current_timestamp(sql) => {
            return match ty {
                Some(SqlType::Timestamp | SqlType::TimestampTz | SqlType::Time) => {
                    "CURRENT_TIMESTAMP(6)".into()
                }
                _ => "CURRENT_TIMESTAMP".into(),
            };
        }
        ColumnDefault::Sql { sql } => return format!("({sql})"),
    };
    if ty.is_some_and(is_lob) {
        format!("({literal})")
    } else {
        literal
    }
}

/// An identifier MySQL accepts: at most 64 characters, not ending in a space.
fn check_ident(what: &str, name: &str) -> Result<(), RenderError> {
    if name.chars().count() > MAX_IDENT {
        return Err(unsupported(
            format!("{what} name `{name}` ({} characters)", name.chars().count()),
            "MySQL and MariaDB allow at most 64; give it a shorter name (`name = \"...\"` in \
             #[model(...)], or `rename` the table or column)",
        ));
    }
    if name.ends_with(' ') || name.is_empty() {
        return Err(unsupported(
            format!("{what} name `{name}`"),
            "MySQL names cannot be empty or end with a space",
        ));
    }
    Ok(())
}

/// Every name of `table`, checked.
fn check_table_names(table: &Table) -> Result<(), RenderError> {
    check_ident("table", &table.name)?;
    for c in &table.columns {
        check_ident("column", &c.name)?;
    }
    for u in &table.uniques {
        check_ident("unique constraint", &u.name)?;
    }
    for i in &table.indexes {
        check_ident("index", &i.name)?;
    }
    for f in &table.foreign_keys {
        check_ident("foreign key", &f.name)?;
    }
    for c in &table.checks {
        check_ident("check constraint", &c.name)?;
    }
    Ok(())
}

/// Refuses a key MySQL cannot build: over a TEXT/BLOB/JSON column (it would need a prefix
/// length, and a prefix unique key is not unique), or longer than InnoDB's 3072 bytes.
fn check_key(table: &Table, what: &str, name: &str, columns: &[String]) -> Result<(), RenderError> {
    let mut bytes = 0u32;
    for c in columns {
        let Some(col) = table.column(c) else { continue };
        if is_lob(&col.ty) {
            return Err(unsupported(
                format!(
                    "{what} `{name}` over column `{}.{c}` of type `{}`",
                    table.name, col.ty
                ),
                "MySQL indexes TEXT, BLOB and JSON columns only by a prefix, which would not \
                 enforce uniqueness or match the model; make the column a varchar (a `String` \
                 field with `#[model(max_length = N)]`, N up to 768), or index it with a \
                 hand-written `sql` step",
            ));
        }
        // utf8mb4: up to 4 bytes a character.
        bytes = bytes.saturating_add(match &col.ty {
            SqlType::Varchar(n) => n.saturating_mul(4),
            SqlType::Uuid => 144,
            _ => 8,
        });
    }
    if bytes > MAX_KEY_BYTES {
        return Err(unsupported(
            format!(
                "{what} `{name}` on `{}` ({} bytes in utf8mb4)",
                table.name, bytes
            ),
            "InnoDB keys hold at most 3072 bytes (768 utf8mb4 characters); shorten the \
             varchar columns it covers",
        ));
    }
    Ok(())
}

/// Every key of `table` checked with [`check_key`].
fn check_keys(table: &Table) -> Result<(), RenderError> {
    if let Some(pk) = &table.primary_key {
        check_key(table, "primary key", &pk.name, &pk.columns)?;
    }
    for u in &table.uniques {
        check_key(table, "unique constraint", &u.name, &u.columns)?;
    }
    for i in &table.indexes {
        check_key(table, "index", &i.name, &i.columns)?;
    }
    for f in &table.foreign_keys {
        check_key(table, "foreign key", &f.name, &f.columns)?;
    }
    Ok(())
}

/// A column definition: `` `name` type [NOT NULL] [DEFAULT v] [AUTO_INCREMENT] [COMMENT 'c'] ``.
pub(super) fn column_sql(d: &Mysql, table: &Table, c: &Column) -> Result<String, RenderError> {
    check_ident("column", &c.name)?;
    let mut sql = format!("{} {}", d.quote_ident(&c.name), type_sql(&c.ty)?);
    if !c.nullable {
        sql.push_str(" NOT NULL");
    }
    if c.autoincrement {
        check_autoincrement(
            d,
            table,
            c,
            "AUTO_INCREMENT columns must be smallint, integer or bigint",
        )?;
        let keyed = table
            .primary_key
            .as_ref()
            .is_some_and(|pk| pk.columns.first() == Some(&c.name))
            || table
                .uniques
                .iter()
                .any(|u| u.columns.first() == Some(&c.name))
            || table
                .indexes
                .iter()
                .any(|i| i.columns.first() == Some(&c.name));
        if !keyed {
            return Err(unsupported(
                format!(
                    "autoincrement column `{}.{}` that no key starts with",
                    table.name, c.name
                ),
                "MySQL requires an AUTO_INCREMENT column to be the first column of a key; \
                 make it the primary key",
            ));
        }
        sql.push_str(" AUTO_INCREMENT");
    } else if let Some(v) = &c.default {
        sql.push_str(" DEFAULT ");
        sql.push_str(&default_sql(d, v, Some(&c.ty)));
    }
    if let Some(text) = &c.comment {
        sql.push_str(" COMMENT ");
        sql.push_str(&d.quote_str(text));
    }
    Ok(sql)
}

/// A check clause. Check expressions are standard SQL, where `"x"` is an identifier; on
/// MySQL that is a string, so double-quoted identifiers become backtick-quoted.
pub(super) fn check_sql(d: &Mysql, check: &Check) -> String {
    format!(
        "CONSTRAINT {} CHECK ({})",
        d.quote_ident(&check.name),
        backtick_identifiers(&check.expr)
    )
}

/// `expr` with every `"identifier"` written `` `identifier` `` (string literals untouched).
pub(crate) fn backtick_identifiers(expr: &str) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut chars = expr.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '`' => {
                out.push(c);
                while let Some(n) = chars.next() {
                    out.push(n);
                    if n == '\\' && c == '\'' {
                        if let Some(esc) = chars.next() {
                            out.push(esc);
                        }
                    } else if n == c {
                        if chars.peek() == Some(&c) {
                            out.push(c);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
            }
            '"' => {
                let mut name = String::new();
                while let Some(n) = chars.next() {
                    if n == '"' {
                        if chars.peek() == Some(&'"') {
                            name.push('"');
                            chars.next();
                        } else {
                            break;
                        }
                    } else {
                        name.push(n);
                    }
                }
                out.push('`');
                out.push_str(&name.replace('`', "``"));
                out.push('`');
            }
            c => out.push(c),
        }
    }
    out
}

/// A foreign-key clause; `SET DEFAULT` is refused (InnoDB rejects it).
fn foreign_key_sql(d: &Mysql, table: &str, fk: &ForeignKey) -> Result<String, RenderError> {
    check_ident("foreign key", &fk.name)?;
    for (what, a) in [("DELETE", fk.on_delete), ("UPDATE", fk.on_update)] {
        if a == ReferentialAction::SetDefault {
            return Err(unsupported(
                format!("ON {what} SET DEFAULT on foreign key `{table}.{}`", fk.name),
                "InnoDB does not support SET DEFAULT; use SET NULL, CASCADE or RESTRICT",
            ));
        }
    }
    Ok(d.foreign_key_sql(fk))
}

fn index_clause(d: &Mysql, index: &Index) -> String {
    format!(
        "{}INDEX {} {}",
        if index.unique { "UNIQUE " } else { "" },
        d.quote_ident(&index.name),
        index_keys_sql(d, index)
    )
}

/// Refuses what MySQL and MariaDB cannot index: a predicate (no partial indexes), a method
/// other than B-tree, and an expression except on MySQL 8.0.16 and later (functional key
/// parts exist from 8.0.13; MariaDB and offline SQL have none). Descending columns are
/// written (MySQL 8 and MariaDB 10.8 keep them; older servers parse and ignore `DESC`).
pub(super) fn check_index(d: &Mysql, table: &str, index: &Index) -> Result<(), RenderError> {
    let name = &index.name;
    if index.where_.is_some() {
        return Err(unsupported(
            format!("partial index `{name}` on `{table}` (`where`)"),
            "MySQL and MariaDB have no partial indexes; drop `where` (index every row), or \
             keep the index out of the model and create it in a hand-written `sql` step for \
             the other dialects",
        ));
    }
    if let Some(method) = index.method() {
        return Err(unsupported(
            format!("index `{name}` on `{table}` with `using = \"{method}\"`"),
            "index methods other than B-tree exist on PostgreSQL only; leave `using` out",
        ));
    }
    if index.expr.is_some() && !super::introspect::functional_indexes(d) {
        return Err(unsupported(
            format!("expression index `{name}` on `{table}` (`expr`)"),
            "functional indexes need MySQL 8.0.13 or later (MariaDB and offline SQL have \
             none); index a generated column holding the expression instead",
        ));
    }
    Ok(())
}

/// `CREATE TABLE` with everything inline: columns, primary key, uniques, indexes, foreign
/// keys, checks, and the table comment.
pub(super) fn create_table_sql(d: &Mysql, table: &Table) -> Result<String, RenderError> {
    check_table_names(table)?;
    check_keys(table)?;
    let mut items = Vec::new();
    for c in &table.columns {
        items.push(column_sql(d, table, c)?);
    }
    if let Some(pk) = &table.primary_key {
        items.push(format!("PRIMARY KEY {}", d.ident_list(&pk.columns)));
    }
    items.extend(table.uniques.iter().map(|u| d.unique_sql(u)));
    for i in &table.indexes {
        check_index(d, &table.name, i)?;
        items.push(index_clause(d, i));
    }
    for f in &table.foreign_keys {
        items.push(foreign_key_sql(d, &table.name, f)?);
    }
    if !table.checks.is_empty() {
        checks_supported(d, &table.name)?;
    }
    items.extend(table.checks.iter().map(|c| check_sql(d, c)));
    let mut sql = format!(
        "CREATE TABLE {} (\n    {}\n)",
        d.quote_ident(&table.name),
        items.join(",\n    ")
    );
    if let Some(text) = &table.comment {
        sql.push_str(" COMMENT = ");
        sql.push_str(&d.quote_str(text));
    }
    Ok(sql)
}

fn checks_supported(d: &Mysql, table: &str) -> Result<(), RenderError> {
    if d.server.checks {
        Ok(())
    } else {
        Err(unsupported(
            format!("a CHECK constraint on `{table}` on MySQL before 8.0.16"),
            "this server parses CHECK and ignores it; upgrade the server, or enforce the \
             rule in a trigger with a hand-written `sql` step",
        ))
    }
}

pub(super) fn create_index_sql(d: &Mysql, table: &str, index: &Index) -> String {
    format!(
        "CREATE {}INDEX {} ON {} {}",
        if index.unique { "UNIQUE " } else { "" },
        d.quote_ident(&index.name),
        d.quote_ident(table),
        index_keys_sql(d, index)
    )
}

/// Whether some key of `table` other than `except` starts with `columns`, in order.
fn covered(table: &Table, columns: &[String], except: Option<&str>) -> bool {
    let starts = |name: &str, cols: &[String]| {
        Some(name) != except && cols.len() >= columns.len() && cols[..columns.len()] == *columns
    };
    table
        .primary_key
        .as_ref()
        .is_some_and(|pk| starts(PRIMARY, &pk.columns))
        || table.uniques.iter().any(|u| starts(&u.name, &u.columns))
        || table.indexes.iter().any(|i| starts(&i.name, &i.columns))
}

/// The `ALTER TABLE` clauses that give the names of `changes` on `table` their new names;
/// `defs` is the table as it is afterwards (for the constraints MySQL can only drop and add
/// again: foreign keys and checks).
fn name_clauses(
    d: &Mysql,
    changes: &[&NameChange],
    defs: &Table,
) -> Result<Vec<String>, RenderError> {
    let mut out = Vec::new();
    for c in changes {
        check_ident("constraint", &c.to)?;
        match c.kind {
            // MySQL's primary key is always named PRIMARY.
            NameKind::PrimaryKey => {}
            NameKind::Index | NameKind::Unique => out.push(format!(
                "RENAME INDEX {} TO {}",
                d.quote_ident(&c.from),
                d.quote_ident(&c.to)
            )),
            NameKind::ForeignKey => {
                let Some(fk) = defs.foreign_keys.iter().find(|f| f.name == c.to) else {
                    continue;
                };
                if !covered(defs, &fk.columns, None) {
                    out.push(format!(
                        "RENAME INDEX {} TO {}",
                        d.quote_ident(&c.from),
                        d.quote_ident(&c.to)
                    ));
                }
                out.push(format!("DROP FOREIGN KEY {}", d.quote_ident(&c.from)));
                out.push(format!("ADD {}", foreign_key_sql(d, &defs.name, fk)?));
            }
            NameKind::Check => {
                let Some(ck) = defs.checks.iter().find(|k| k.name == c.to) else {
                    continue;
                };
                out.push(format!("DROP CONSTRAINT {}", d.quote_ident(&c.from)));
                out.push(format!("ADD {}", check_sql(d, ck)));
            }
        }
    }
    Ok(out)
}

/// The statements renaming the names of `changes` on tables other than `main`, one
/// `ALTER TABLE` per table; `table_after` finds a table as it is once the op has run.
fn other_tables_names(
    d: &Mysql,
    changes: &[NameChange],
    main: &str,
    table_after: impl Fn(&str) -> Option<Table>,
) -> Result<Vec<String>, RenderError> {
    let mut tables: Vec<&str> = Vec::new();
    for c in changes.iter().filter(|c| c.table != main) {
        if !tables.contains(&c.table.as_str()) {
            tables.push(&c.table);
        }
    }
    let mut out = Vec::new();
    for t in tables {
        let Some(defs) = table_after(t) else { continue };
        let mine: Vec<&NameChange> = changes.iter().filter(|c| c.table == t).collect();
        let clauses = name_clauses(d, &mine, &defs)?;
        if !clauses.is_empty() {
            out.push(alter_table(d, t, clauses.join(", ")));
        }
    }
    Ok(out)
}

/// `rename_table`: one `ALTER TABLE ... RENAME TO` carrying the renamed table's names along.
pub(super) fn rename_table(
    d: &Mysql,
    from: &str,
    to: &str,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    check_ident("table", to)?;
    let after = cx.after()?;
    let mine: Vec<&NameChange> = cx.names.iter().filter(|c| c.table == to).collect();
    let mut clauses = vec![format!("RENAME TO {}", d.quote_ident(to))];
    clauses.extend(name_clauses(d, &mine, after)?);
    let mut out = vec![alter_table(d, from, clauses.join(", "))];
    out.extend(other_tables_names(d, cx.names, to, |t| {
        let mut table = cx.before.table(t)?.clone();
        for fk in &mut table.foreign_keys {
            if fk.ref_table == from {
                fk.ref_table = to.to_string();
            }
            if let Some(c) = cx.names.iter().find(|c| c.table == t && c.from == fk.name) {
                fk.name = c.to.clone();
            }
        }
        Some(table)
    })?);
    Ok(out.into())
}

/// `add_column`: `ALTER TABLE ... ADD COLUMN` with its comment inline.
pub(super) fn add_column(
    d: &Mysql,
    table: &str,
    column: &Column,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    Ok(vec![alter_table(
        d,
        table,
        format_args!("ADD COLUMN {}", column_sql(d, cx.after()?, column)?),
    )]
    .into())
}

/// `alter_column`: `RENAME COLUMN` for a rename alone where the server has it; otherwise
/// `CHANGE COLUMN` (a rename) or `MODIFY COLUMN` restating the whole column as it is after
/// the op; the names a rename carries along in the same statement.
pub(super) fn alter_column(
    d: &Mysql,
    table: &str,
    column: &str,
    change: &ColumnChange<'_>,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let after = cx.after()?;
    let name = change.rename.unwrap_or(column);
    let col = after.column(name).ok_or_else(|| {
        RenderError::inconsistent(format!(
            "column `{table}.{name}` is missing after the change"
        ))
    })?;
    if let Some((_, to)) = change.ty {
        if let Some(key) = after
            .indexes
            .iter()
            .map(|i| ("index", &i.name, &i.columns))
            .chain(
                after
                    .uniques
                    .iter()
                    .map(|u| ("unique constraint", &u.name, &u.columns)),
            )
            .find(|(_, _, cols)| cols.iter().any(|c| c == name))
        {
            if is_lob(to) {
                check_key(after, key.0, key.1, key.2)?;
            }
        }
    }
    if let Some((from, to)) = change.ty {
        if from != to {
            refuse_foreign_key_type_change(cx, table, column)?;
        }
    }
    let mut clauses = Vec::new();
    match change.rename {
        Some(new) if !change.changes_definition() && d.server.rename_column => {
            check_ident("column", new)?;
            clauses.push(format!(
                "RENAME COLUMN {} TO {}",
                d.quote_ident(column),
                d.quote_ident(new)
            ));
        }
        Some(_) => clauses.push(format!(
            "CHANGE COLUMN {} {}",
            d.quote_ident(column),
            column_sql(d, after, col)?
        )),
        None => clauses.push(format!("MODIFY COLUMN {}", column_sql(d, after, col)?)),
    }
    let mine: Vec<&NameChange> = cx.names.iter().filter(|c| c.table == table).collect();
    clauses.extend(name_clauses(d, &mine, after)?);
    Ok(vec![alter_table(d, table, clauses.join(", "))].into())
}

/// `alter_column_comment`: `MODIFY COLUMN` restating the whole column as it is after the op,
/// its new comment included (MySQL has no statement that changes a comment alone).
pub(super) fn alter_column_comment(
    d: &Mysql,
    table: &str,
    column: &str,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let after = cx.after()?;
    let col = after.column(column).ok_or_else(|| {
        RenderError::inconsistent(format!("column `{table}.{column}` does not exist"))
    })?;
    Ok(vec![alter_table(
        d,
        table,
        format_args!("MODIFY COLUMN {}", column_sql(d, after, col)?),
    )]
    .into())
}

/// `ALTER TABLE ... COMMENT = '...'`; an empty comment is no comment on MySQL.
pub(super) fn table_comment_sql(d: &Mysql, table: &str, comment: Option<&str>) -> String {
    alter_table(
        d,
        table,
        format_args!("COMMENT = {}", d.quote_str(comment.unwrap_or_default())),
    )
}

/// MySQL refuses to change the type of a column a foreign key uses, on either side (error
/// 1832, even with `foreign_key_checks` off); refused here, before anything runs, with the
/// order of ops that works.
fn refuse_foreign_key_type_change(
    cx: &OpContext<'_>,
    table: &str,
    column: &str,
) -> Result<(), RenderError> {
    let uses = |fk: &ForeignKey, child: &str| {
        (child == table && fk.columns.iter().any(|c| c == column))
            || (fk.ref_table == table && fk.ref_columns.iter().any(|c| c == column))
    };
    let found = cx.before.tables.values().find_map(|t| {
        t.foreign_keys
            .iter()
            .find(|fk| uses(fk, &t.name))
            .map(|fk| (t.name.clone(), fk.name.clone()))
    });
    match found {
        None => Ok(()),
        Some((child, fk)) => Err(unsupported(
            format!(
                "changing the type of `{table}.{column}`, which foreign key `{child}.{fk}` uses,"
            ),
            "MySQL refuses it while the foreign key exists; in the migration file, put a \
             `drop_foreign_key` op before the type changes and an `add_foreign_key` op after \
             them (both columns must end with the same type)",
        )),
    }
}

/// `alter_primary_key`: `DROP PRIMARY KEY, ADD PRIMARY KEY (...)` in one statement, with
/// the index a foreign key keeps when the old key was the last one serving it
/// ([`kept_foreign_key_indexes`]) and without the one a new key takes over from
/// ([`takeover_clauses`]).
pub(super) fn alter_primary_key(
    d: &Mysql,
    table: &str,
    from: Option<&PrimaryKey>,
    to: Option<&PrimaryKey>,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let before = cx.table()?;
    let mut clauses = Vec::new();
    if let Some(old) = from {
        clauses.push("DROP PRIMARY KEY".to_string());
        clauses.extend(kept_foreign_key_indexes(
            d,
            before,
            PRIMARY,
            &old.columns,
            to.map(|pk| pk.columns.as_slice()),
        ));
    }
    if let Some(pk) = to {
        check_key(cx.after()?, "primary key", &pk.name, &pk.columns)?;
        clauses.push(format!("ADD PRIMARY KEY {}", d.ident_list(&pk.columns)));
        clauses.extend(takeover_clauses(d, before, &pk.columns));
    }
    if clauses.is_empty() {
        return Ok(Statements::default());
    }
    Ok(vec![alter_table(d, table, clauses.join(", "))].into())
}

/// `add_unique`: `ALTER TABLE ... ADD CONSTRAINT ... UNIQUE`.
pub(super) fn add_unique(
    d: &Mysql,
    table: &str,
    unique: &Unique,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    check_ident("unique constraint", &unique.name)?;
    check_key(
        cx.after()?,
        "unique constraint",
        &unique.name,
        &unique.columns,
    )?;
    let mut clauses = vec![format!("ADD {}", d.unique_sql(unique))];
    clauses.extend(takeover_clauses(d, cx.table()?, &unique.columns));
    Ok(vec![alter_table(d, table, clauses.join(", "))].into())
}

/// `create_index`: `CREATE [UNIQUE] INDEX`, or `ALTER TABLE ... ADD INDEX` taking over from
/// the index of a foreign key it now covers ([`takeover_clauses`]).
pub(super) fn create_index(
    d: &Mysql,
    table: &str,
    index: &Index,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    check_ident("index", &index.name)?;
    check_index(d, table, index)?;
    check_key(cx.after()?, "index", &index.name, &index.columns)?;
    let takeover = takeover_clauses(d, cx.table()?, &index.columns);
    if takeover.is_empty() {
        return Ok(vec![create_index_sql(d, table, index)].into());
    }
    let mut clauses = vec![format!("ADD {}", index_clause(d, index))];
    clauses.extend(takeover);
    Ok(vec![alter_table(d, table, clauses.join(", "))].into())
}

/// The `DROP INDEX` clauses for the foreign-key indexes a new key over `columns` makes
/// redundant: each foreign key no declared key covered has an index named after it (made by
/// the server, or by [`drop_key`]); once a declared key covers it, that index goes, so that
/// "a foreign-key index exists exactly when no declared key covers the foreign key" holds
/// whichever made it (the server drops only the ones it made itself).
fn takeover_clauses(d: &Mysql, before: &Table, columns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for fk in &before.foreign_keys {
        let clause = format!("DROP INDEX {}", d.quote_ident(&fk.name));
        if columns.len() >= fk.columns.len()
            && columns[..fk.columns.len()] == *fk.columns
            && !covered(before, &fk.columns, None)
            && !shares_index(before, fk)
            && !out.contains(&clause)
        {
            out.push(clause);
        }
    }
    out
}

/// Whether another foreign key of `table` starts with `fk`'s columns (and so the index MySQL
/// keeps for that one serves `fk` too, and none is named after `fk`).
fn shares_index(table: &Table, fk: &ForeignKey) -> bool {
    table.foreign_keys.iter().any(|other| {
        other.name != fk.name
            && other.columns.len() >= fk.columns.len()
            && other.columns[..fk.columns.len()] == *fk.columns
    })
}

/// `drop_unique` and `drop_index`: `DROP INDEX`; when the key is the last one a foreign key
/// leans on, it is replaced in the same statement by the index MySQL itself would have made
/// for the foreign key (named after it), instead of failing with error 1553.
pub(super) fn drop_key(
    d: &Mysql,
    table: &str,
    name: &str,
    columns: &[String],
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let kept = kept_foreign_key_indexes(d, cx.table()?, name, columns, None);
    if kept.is_empty() {
        return Ok(vec![format!(
            "DROP INDEX {} ON {}",
            d.quote_ident(name),
            d.quote_ident(table)
        )]
        .into());
    }
    let mut clauses = vec![format!("DROP INDEX {}", d.quote_ident(name))];
    clauses.extend(kept);
    Ok(vec![alter_table(d, table, clauses.join(", "))].into())
}

/// The `ADD INDEX` clauses replacing the key `name` over `columns` of `before`, dropped in the
/// same statement, for the foreign keys it is the last to serve: the index MySQL itself would
/// have made for each, named after it (without one the server refuses the drop, error 1553, or
/// for the primary key error 150). `replaced_by`: the columns of a key added in the same
/// statement, which serves them instead.
fn kept_foreign_key_indexes(
    d: &Mysql,
    before: &Table,
    name: &str,
    columns: &[String],
    replaced_by: Option<&[String]>,
) -> Vec<String> {
    let starts = |key: &[String], fk: &[String]| key.len() >= fk.len() && key[..fk.len()] == *fk;
    let mut made: Vec<&[String]> = Vec::new();
    let mut out = Vec::new();
    for fk in &before.foreign_keys {
        if !starts(columns, &fk.columns)
            || covered(before, &fk.columns, Some(name))
            || replaced_by.is_some_and(|key| starts(key, &fk.columns))
            || made.iter().any(|m| m.starts_with(&fk.columns))
        {
            continue;
        }
        made.push(&fk.columns);
        out.push(format!(
            "ADD INDEX {} {}",
            d.quote_ident(&fk.name),
            d.ident_list(&fk.columns)
        ));
    }
    out
}

/// `add_foreign_key`: `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY`.
pub(super) fn add_foreign_key(
    d: &Mysql,
    table: &str,
    fk: &ForeignKey,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    check_key(cx.after()?, "foreign key", &fk.name, &fk.columns)?;
    Ok(vec![alter_table(
        d,
        table,
        format_args!("ADD {}", foreign_key_sql(d, table, fk)?),
    )]
    .into())
}

/// `drop_foreign_key`: `DROP FOREIGN KEY`, and the index MySQL made for it when no declared
/// key covers its columns.
pub(super) fn drop_foreign_key(
    d: &Mysql,
    table: &str,
    fk: &ForeignKey,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let name = cx.dropped(&fk.name);
    let mut action = format!("DROP FOREIGN KEY {}", d.quote_ident(name));
    if !covered(cx.table()?, &fk.columns, None) && !shares_index(cx.table()?, fk) {
        action.push_str(&format!(", DROP INDEX {}", d.quote_ident(name)));
    }
    Ok(vec![alter_table(d, table, action)].into())
}

/// `drop_column`: `ALTER TABLE ... DROP COLUMN`, dropping first, in the same statement, the
/// foreign keys of the table that use the column (and the index MySQL made for one), as
/// PostgreSQL drops them with the column and SQLite's rebuild leaves them out; MySQL refuses
/// to drop a column a foreign key needs (error 1553).
pub(super) fn drop_column(
    d: &Mysql,
    table: &str,
    column: &Column,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let before = cx.table()?;
    let mut clauses = Vec::new();
    for fk in before
        .foreign_keys
        .iter()
        .filter(|fk| fk.columns.contains(&column.name))
    {
        clauses.push(format!("DROP FOREIGN KEY {}", d.quote_ident(&fk.name)));
        if !covered(before, &fk.columns, None) && !shares_index(before, fk) {
            clauses.push(format!("DROP INDEX {}", d.quote_ident(&fk.name)));
        }
    }
    clauses.push(format!("DROP COLUMN {}", d.quote_ident(&column.name)));
    Ok(vec![alter_table(d, table, clauses.join(", "))].into())
}

/// `add_check`: `ALTER TABLE ... ADD CONSTRAINT ... CHECK`.
pub(super) fn add_check(
    d: &Mysql,
    table: &str,
    check: &Check,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let _ = cx;
    check_ident("check constraint", &check.name)?;
    checks_supported(d, table)?;
    Ok(vec![alter_table(
        d,
        table,
        format_args!("ADD {}", check_sql(d, check)),
    )]
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_quoted_identifiers_become_backticks() {
        assert_eq!(
            backtick_identifiers(r#""order" > 0 AND name <> 'say "hi"' AND "a""b" = 'it''s'"#),
            r#"`order` > 0 AND name <> 'say "hi"' AND `a"b` = 'it''s'"#
        );
        assert_eq!(
            backtick_identifiers(r"x = 'a\'b' OR `q` = 1"),
            r"x = 'a\'b' OR `q` = 1"
        );
    }

    #[test]
    fn current_timestamp_spellings() {
        for s in [
            "CURRENT_TIMESTAMP",
            "current_timestamp()",
            "now()",
            "(CURRENT_TIMESTAMP(6))",
        ] {
            assert!(is_current_timestamp(s), "{s}");
        }
        for s in ["current_timestamp + 1", "now() - interval 1 day", "'now'"] {
            assert!(!is_current_timestamp(s), "{s}");
        }
    }

    #[test]
    fn indexes_mysql_cannot_write_are_refused_by_server() {
        use crate::dialect::mysql::{MARIADB, MYSQL, MYSQL8};
        let lower = Index {
            expr: Some("lower(email)".into()),
            desc: vec!["name".into()],
            ..Index::new("ix_users_name_lower_email", vec!["name".into()], false)
        };
        assert_eq!(
            create_index_sql(&MYSQL8, "users", &lower),
            "CREATE INDEX `ix_users_name_lower_email` ON `users` (`name` DESC, (lower(email)))"
        );
        assert!(check_index(&MYSQL8, "users", &lower).is_ok());
        for d in [&MARIADB, &MYSQL] {
            let err = check_index(d, "users", &lower)
                .expect_err("refused")
                .to_string();
            assert!(
                err.contains("expression index `ix_users_name_lower_email` on `users`"),
                "{err}"
            );
            assert!(err.contains("not supported on mysql"), "{err}");
        }
        let partial = Index {
            where_: Some("deleted = 0".into()),
            ..Index::new("ux_live", vec!["name".into()], true)
        };
        let err = check_index(&MYSQL8, "users", &partial)
            .expect_err("refused")
            .to_string();
        assert!(err.contains("partial index `ux_live`"), "{err}");
        let gin = Index {
            using: Some("gin".into()),
            ..Index::new("ix_tags", vec!["tags".into()], false)
        };
        assert!(check_index(&MYSQL8, "users", &gin).is_err());
        let btree = Index {
            using: Some("BTREE".into()),
            ..gin
        };
        assert!(check_index(&MYSQL8, "users", &btree).is_ok());
    }
}
