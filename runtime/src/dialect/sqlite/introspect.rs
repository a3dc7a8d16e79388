//! Dialect: sqlite, catalog queries and schema assembly.
//!
//! Four queries, whatever the number of tables: `sqlite_master` itself (names and `CREATE`
//! text of tables, indexes, triggers and views), then `sqlite_master` joined with the
//! table-valued pragmas `pragma_table_xinfo`,
//! `pragma_index_list` + `pragma_index_info`, and `pragma_foreign_key_list`. What the pragmas
//! do not report (constraint names, check constraints, `AUTOINCREMENT`) is read from the
//! `CREATE TABLE` text ([`super::ddl`]); an unnamed constraint gets its conventional name by
//! the naming convention of strata.toml ([`IntrospectOptions::naming`]), which is the name
//! Strata gives it in models too; an unnamed check constraint, which has no columns to name it
//! after, is named as a check whose own name is `<n>` (`ck_<table>_<n>` by default; n counting
//! the table's unnamed checks from 1, in declaration order).
//!
//! An index's `DESC` columns, expression and `WHERE` predicate are read from its `CREATE INDEX`
//! text; an index of a shape the neutral schema cannot describe (a `COLLATE`, expressions
//! before columns, several expressions) is left out of the tables (so a diff never drops it),
//! as are virtual tables. Those indexes, the triggers, views, generated columns (`pragma_table_xinfo` lists them, with
//! `hidden` 2 or 3), column collations and table options are recorded verbatim in
//! [`Schema::unmodeled`], for table rebuilds to carry over.

use std::collections::BTreeMap;

use crate::dialect::catalog::CatalogValues;

use super::ddl::{index_shape, parse_create_table, CreateTable, IndexShape};
use super::rebuild::REBUILD_PREFIX;
use crate::dialect::catalog::{expect_results, CatalogRow};
use crate::dialect::catalog::{IntrospectError, IntrospectOptions};
use crate::dialect::sql_text::{
    bool_default, number, parse_type, sort_constraints, string_literal, strip_outer_parens,
};
use crate::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, Naming, PrimaryKey, ReferentialAction, Schema,
    SqlType, Table, Unique, Unmodeled, UnmodeledKind,
};

/// The user tables: no `sqlite_*` internals (`sqlite_sequence`, `sqlite_stat1`), no virtual
/// tables (their shadow tables are ordinary tables and are kept).
const USER_TABLES: &str = "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     AND coalesce(m.sql, '') NOT LIKE 'CREATE VIRTUAL%'";

const QUERY_NAMES: [&str; 4] = ["tables", "columns", "indexes", "foreign keys"];

pub(super) fn catalog_queries(_opts: &IntrospectOptions) -> Vec<String> {
    vec![
        // Tables, and the indexes, triggers and views a table rebuild must carry over, in
        // creation order (a view is re-created after the views it reads).
        format!(
            "SELECT m.type AS kind, m.name AS tbl, m.tbl_name AS owner, m.sql AS sql \
             FROM sqlite_master m WHERE ({USER_TABLES}) \
             OR (m.type IN ('index', 'trigger', 'view') AND m.sql IS NOT NULL) \
             ORDER BY m.rowid"
        ),
        // `table_xinfo` lists generated columns too (`hidden` 2 and 3), which `table_info` hides.
        format!(
            "SELECT m.name AS tbl, p.cid AS cid, p.name AS name, p.type AS col_type, \
             p.\"notnull\" AS not_null, p.dflt_value AS dflt, p.pk AS pk, p.hidden AS hidden \
             FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p \
             WHERE {USER_TABLES} ORDER BY m.name, p.cid"
        ),
        format!(
            "SELECT m.name AS tbl, il.name AS name, il.\"unique\" AS is_unique, \
             il.origin AS origin, il.partial AS partial, ii.seqno AS seqno, ii.name AS col \
             FROM sqlite_master m JOIN pragma_index_list(m.name) il \
             JOIN pragma_index_info(il.name) ii \
             WHERE {USER_TABLES} ORDER BY m.name, il.name, ii.seqno"
        ),
        format!(
            "SELECT m.name AS tbl, f.id AS id, f.seq AS seq, f.\"table\" AS ref_table, \
             f.\"from\" AS col, f.\"to\" AS ref_col, f.on_update AS on_update, \
             f.on_delete AS on_delete \
             FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE {USER_TABLES} ORDER BY m.name, f.id, f.seq"
        ),
    ]
}

/// A table being assembled, with what its `CREATE TABLE` text declares.
struct Draft {
    table: Table,
    ddl: CreateTable,
    /// Primary-key columns with their key position.
    pk: Vec<(i64, String)>,
    /// Declared type text of each column, for the rowid-alias rule.
    declared: BTreeMap<String, String>,
    /// Generated columns: position and name.
    generated: Vec<(i64, String)>,
}

/// An index or unique constraint from the pragmas.
struct RawIndex {
    name: String,
    unique: bool,
    origin: String,
    partial: bool,
    /// `None` for an expression column.
    columns: Vec<Option<String>>,
}

/// A foreign key from the pragmas.
struct RawFk {
    ref_table: String,
    columns: Vec<String>,
    ref_columns: Vec<Option<String>>,
    on_update: String,
    on_delete: String,
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn same_list(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
}

pub(super) fn assemble(
    results: Vec<Vec<CatalogValues>>,
    opts: &IntrospectOptions,
) -> Result<Schema, IntrospectError> {
    let naming = &opts.naming;
    let results = expect_results(results, QUERY_NAMES.len())?;
    let [tables, columns, indexes, fks]: [Vec<CatalogValues>; 4] = results
        .try_into()
        .map_err(|_| IntrospectError::Decode("wrong number of catalog results".into()))?;

    let mut drafts: BTreeMap<String, Draft> = BTreeMap::new();
    // Indexes, triggers and views, read once all tables are known.
    let mut objects: Vec<(String, String, String, String)> = Vec::new();
    for row in &tables {
        let r = CatalogRow::new(QUERY_NAMES[0], row);
        let kind = r.text("kind")?;
        let name = r.text("tbl")?;
        let sql = r.opt_text("sql")?.unwrap_or_default();
        if kind != "table" {
            objects.push((kind, name, r.text("owner")?, sql));
            continue;
        }
        drafts.insert(
            name.clone(),
            Draft {
                table: Table {
                    name,
                    ..Table::default()
                },
                ddl: parse_create_table(&sql),
                pk: Vec::new(),
                declared: BTreeMap::new(),
                generated: Vec::new(),
            },
        );
    }

    for row in &columns {
        let r = CatalogRow::new(QUERY_NAMES[1], row);
        let Some(d) = drafts.get_mut(&r.text("tbl")?) else {
            continue;
        };
        let name = r.text("name")?;
        match r.int("hidden")? {
            0 => {}
            // A generated column: kept verbatim (models cannot declare one), not compared.
            2 | 3 => {
                d.generated.push((r.int("cid")?, name));
                continue;
            }
            _ => continue,
        }
        let declared = r.opt_text("col_type")?.unwrap_or_default();
        let ty = column_type(&declared);
        let default = r
            .opt_text("dflt")?
            .and_then(|text| parse_default(&text, &ty));
        let pk = r.int("pk")?;
        if pk > 0 {
            d.pk.push((pk, name.clone()));
        }
        d.declared.insert(name.clone(), declared);
        d.table.columns.push(Column {
            nullable: !r.flag("not_null")?,
            default,
            ..Column::new(name, ty)
        });
    }

    for d in drafts.values_mut() {
        primary_key(d, naming);
    }

    let mut raw_indexes: BTreeMap<(String, String), RawIndex> = BTreeMap::new();
    for row in &indexes {
        let r = CatalogRow::new(QUERY_NAMES[2], row);
        let tbl = r.text("tbl")?;
        let name = r.text("name")?;
        let entry = raw_indexes.entry((tbl, name.clone())).or_insert(RawIndex {
            name,
            unique: r.flag("is_unique")?,
            origin: r.text("origin")?,
            partial: r.flag("partial")?,
            columns: Vec::new(),
        });
        entry.columns.push(r.opt_text("col")?);
    }
    // The `CREATE INDEX` text of each index, for what the pragmas do not say.
    let index_sql: BTreeMap<&str, &str> = objects
        .iter()
        .filter(|(kind, ..)| kind == "index")
        .map(|(_, name, _, sql)| (name.as_str(), sql.as_str()))
        .collect();
    for ((tbl, _), ix) in raw_indexes {
        if let Some(d) = drafts.get_mut(&tbl) {
            let shape = index_sql.get(ix.name.as_str()).and_then(|s| index_shape(s));
            add_index(d, ix, shape, naming);
        }
    }

    let mut raw_fks: BTreeMap<(String, i64), RawFk> = BTreeMap::new();
    for row in &fks {
        let r = CatalogRow::new(QUERY_NAMES[3], row);
        let entry = raw_fks
            .entry((r.text("tbl")?, r.int("id")?))
            .or_insert(RawFk {
                ref_table: r.text("ref_table")?,
                columns: Vec::new(),
                ref_columns: Vec::new(),
                on_update: r.text("on_update")?,
                on_delete: r.text("on_delete")?,
            });
        entry.columns.push(r.text("col")?);
        entry
            .ref_columns
            .push(r.opt_text("ref_col")?.filter(|c| !c.is_empty()));
    }
    // Referenced tables and columns are spelled as the REFERENCES clause wrote them: resolve
    // them to the names the tables really have (SQLite identifiers ignore case).
    let lookup: BTreeMap<String, (String, Vec<String>, Vec<String>)> = drafts
        .values()
        .map(|d| {
            let cols = d.table.columns.iter().map(|c| c.name.clone()).collect();
            let pk = d
                .table
                .primary_key
                .as_ref()
                .map(|p| p.columns.clone())
                .unwrap_or_default();
            (
                d.table.name.to_lowercase(),
                (d.table.name.clone(), cols, pk),
            )
        })
        .collect();
    for ((tbl, _), fk) in raw_fks {
        let Some(d) = drafts.get_mut(&tbl) else {
            continue;
        };
        add_foreign_key(d, fk, &lookup, naming)?;
    }

    refuse_leftover_rebuild(&drafts)?;
    let mut schema = Schema::new();
    schema.unmodeled = unmodeled(&drafts, objects);
    for (_, mut d) in drafts {
        let mut unnamed = 0;
        for (name, expr) in std::mem::take(&mut d.ddl.checks) {
            if let Some(enum_name) = name
                .as_deref()
                .and_then(|n| n.strip_prefix(super::render::ENUM_CHECK_PREFIX))
            {
                if let Some((col, values)) = enum_check_values(&expr) {
                    let col = d
                        .table
                        .columns
                        .iter_mut()
                        .find(|c| c.name.eq_ignore_ascii_case(&col) && c.ty == SqlType::Text);
                    if let Some(col) = col {
                        col.ty = SqlType::Enum {
                            name: enum_name.to_string(),
                            values,
                        };
                        continue;
                    }
                }
            }
            let name = name.unwrap_or_else(|| {
                unnamed += 1;
                naming.check(&d.table.name, &unnamed.to_string())
            });
            d.table.checks.push(Check { name, expr });
        }
        sort_constraints(&mut d.table);
        schema.insert(d.table);
    }
    Ok(schema)
}

/// The column and values of an enum column's check, `"c" IN ('a', 'b')`.
fn enum_check_values(expr: &str) -> Option<(String, Vec<String>)> {
    let expr = expr.trim();
    let (col, rest) = match expr.strip_prefix('"') {
        Some(quoted) => {
            let mut col = String::new();
            let mut chars = quoted.char_indices().peekable();
            loop {
                match chars.next()? {
                    (i, '"') if quoted[i + 1..].starts_with('"') => {
                        chars.next();
                        col.push('"');
                    }
                    (i, '"') => break (col, &quoted[i + 1..]),
                    (_, c) => col.push(c),
                }
            }
        }
        None => {
            let end = expr.find(char::is_whitespace)?;
            (expr[..end].to_string(), &expr[end..])
        }
    };
    let rest = rest.trim_start();
    let list = rest
        .get(..2)
        .filter(|kw| kw.eq_ignore_ascii_case("in"))
        .map(|_| rest[2..].trim())?
        .strip_prefix('(')?
        .strip_suffix(')')?;
    let values = crate::schema::types::parse_string_list(list)?;
    Some((col, values))
}

/// Refuses a database holding a `_strata_new_<table>` table: a rebuild killed between its
/// statements by a Strata version that ran them outside one transaction. Today's rebuilds
/// cannot leave one; the advice depends on whether the original table is still there.
fn refuse_leftover_rebuild(drafts: &BTreeMap<String, Draft>) -> Result<(), IntrospectError> {
    let Some(leftover) = drafts.keys().find(|n| n.starts_with(REBUILD_PREFIX)) else {
        return Ok(());
    };
    let table = &leftover[REBUILD_PREFIX.len()..];
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let advice = if drafts.contains_key(table) {
        format!(
            "Table `{table}` still exists with its rows, so the rebuild never replaced it: \
             check that `{leftover}` holds nothing you need, drop it (DROP TABLE {}), and \
             run the command again.",
            q(leftover)
        )
    } else {
        format!(
            "Table `{table}` is missing and its rows are in `{leftover}`: rename it back \
             (ALTER TABLE {} RENAME TO {}), re-create the indexes and triggers `{table}` had \
             (from your migrations or a backup), check `current`, and run the command again.",
            q(leftover),
            q(table)
        )
    };
    Err(IntrospectError::InterruptedRebuild {
        leftover: leftover.clone(),
        advice,
    })
}

/// What a table rebuild must carry over and the neutral schema does not describe: indexes
/// that are not plain column lists, triggers and views (each in creation order, as the
/// database's own `CREATE` text), then per table its generated columns, column collations and
/// table options (`WITHOUT ROWID`, `STRICT`), as declared.
fn unmodeled(
    drafts: &BTreeMap<String, Draft>,
    objects: Vec<(String, String, String, String)>,
) -> Vec<Unmodeled> {
    let object = |kind, name: String, table: String, sql: String, position: usize| Unmodeled {
        kind,
        name,
        table,
        sql,
        position,
        renames: Vec::new(),
    };
    let mut out = Vec::new();
    for (kind, name, owner, sql) in objects {
        let kind = match kind.as_str() {
            "index" if drafts.contains_key(&owner) && index_shape(&sql).is_none() => {
                UnmodeledKind::Index
            }
            "trigger" if drafts.contains_key(&owner) => UnmodeledKind::Trigger,
            "view" => UnmodeledKind::View,
            _ => continue,
        };
        out.push(object(kind, name, owner, sql, 0));
    }
    for d in drafts.values() {
        let table = &d.table.name;
        for (position, name) in &d.generated {
            let text = d
                .ddl
                .columns
                .iter()
                .find(|c| same(&c.name, name))
                .map(|c| c.text.clone())
                .unwrap_or_default();
            let position = usize::try_from(*position).unwrap_or(usize::MAX);
            out.push(object(
                UnmodeledKind::GeneratedColumn,
                name.clone(),
                table.clone(),
                text,
                position,
            ));
        }
        for c in &d.ddl.columns {
            let (Some(collation), Some(col)) = (&c.collation, d.table.column(&c.name)) else {
                continue;
            };
            out.push(object(
                UnmodeledKind::Collation,
                col.name.clone(),
                table.clone(),
                collation.clone(),
                0,
            ));
        }
        if !d.ddl.options.is_empty() {
            out.push(object(
                UnmodeledKind::TableOptions,
                table.clone(),
                table.clone(),
                d.ddl.options.clone(),
                0,
            ));
        }
    }
    out
}

/// The neutral type of a declared column type: the shared spellings, `DATETIME` as a
/// timestamp; a column declared without a type has BLOB affinity (stores values as given),
/// which is [`SqlType::Bytes`].
pub(super) fn column_type(declared: &str) -> SqlType {
    if declared.trim().is_empty() {
        return SqlType::Bytes;
    }
    match parse_type(declared) {
        SqlType::Custom(c) if c.eq_ignore_ascii_case("datetime") => SqlType::Timestamp,
        other => other,
    }
}

/// Sets the primary key (name from the DDL, else the convention's, `pk_<table>` by default)
/// and the rowid-alias facts: the single `INTEGER PRIMARY KEY` column never holds NULL, and is
/// autoincrement when declared `AUTOINCREMENT`.
fn primary_key(d: &mut Draft, naming: &Naming) {
    if d.pk.is_empty() {
        return;
    }
    d.pk.sort();
    let columns: Vec<String> = d.pk.iter().map(|(_, c)| c.clone()).collect();
    if let [only] = columns.as_slice() {
        let rowid_alias = d
            .declared
            .get(only)
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("INTEGER"));
        let auto = d.ddl.autoincrement.iter().any(|c| same(c, only));
        if let Some(col) = d.table.column_mut(only) {
            if rowid_alias {
                col.nullable = false;
                col.autoincrement = auto;
            }
        }
    }
    d.table.primary_key = Some(PrimaryKey {
        name: d
            .ddl
            .pk_name
            .clone()
            .unwrap_or_else(|| naming.primary_key(&d.table.name, &columns)),
        columns,
    });
}

/// Adds a unique constraint (origin `u`) or an index (origin `c`, with what its `CREATE
/// INDEX` text `shape` says: `DESC` columns, an expression, a predicate). Primary-key indexes
/// (origin `pk`) are the key itself. A partial or expression index of another shape
/// ([`index_shape`] is `None`) is left out: the neutral schema cannot describe it, and leaving
/// it out means a diff never drops it.
fn add_index(d: &mut Draft, ix: RawIndex, shape: Option<IndexShape>, naming: &Naming) {
    let special = ix.partial || ix.columns.iter().any(Option::is_none);
    if ix.origin == "c" && (shape.is_some() || !special) {
        let shape = shape.unwrap_or_default();
        let columns: Vec<String> = ix.columns.into_iter().flatten().collect();
        let desc = columns
            .iter()
            .zip(&shape.desc)
            .filter(|(_, desc)| **desc)
            .map(|(c, _)| c.clone())
            .collect();
        d.table.indexes.push(Index {
            name: ix.name,
            columns,
            unique: ix.unique,
            expr: shape.expr,
            desc,
            where_: shape.where_,
            using: None,
        });
        return;
    }
    if special || ix.origin != "u" {
        return;
    }
    let columns: Vec<String> = ix.columns.into_iter().flatten().collect();
    let declared = d
        .ddl
        .uniques
        .iter()
        .position(|(_, cols)| same_list(cols, &columns));
    let name = declared
        .map(|i| d.ddl.uniques.remove(i))
        .and_then(|(name, _)| name)
        .unwrap_or_else(|| naming.unique(&d.table.name, &columns));
    d.table.uniques.push(Unique { name, columns });
}

fn add_foreign_key(
    d: &mut Draft,
    fk: RawFk,
    lookup: &BTreeMap<String, (String, Vec<String>, Vec<String>)>,
    naming: &Naming,
) -> Result<(), IntrospectError> {
    let target = lookup.get(&fk.ref_table.to_lowercase());
    let ref_table = target.map_or_else(|| fk.ref_table.clone(), |(name, _, _)| name.clone());
    let ref_columns: Vec<String> = if fk.ref_columns.iter().all(Option::is_none) {
        // `REFERENCES parent` without columns means the parent's primary key.
        target.map(|(_, _, pk)| pk.clone()).unwrap_or_default()
    } else {
        fk.ref_columns
            .iter()
            .flatten()
            .map(|c| {
                target
                    .and_then(|(_, cols, _)| cols.iter().find(|x| same(x, c)))
                    .cloned()
                    .unwrap_or_else(|| c.clone())
            })
            .collect()
    };
    let declared = d
        .ddl
        .foreign_keys
        .iter()
        .position(|(_, cols, t)| same_list(cols, &fk.columns) && same(t, &fk.ref_table));
    let name = declared
        .map(|i| d.ddl.foreign_keys.remove(i))
        .and_then(|(name, _, _)| name)
        .unwrap_or_else(|| naming.foreign_key(&d.table.name, &fk.columns, &ref_table));
    let action = |what: &str, s: &str| {
        referential_action(s).ok_or_else(|| {
            IntrospectError::Decode(format!(
                "table `{}`, foreign key `{name}`: unknown ON {what} action `{s}`",
                d.table.name
            ))
        })
    };
    let on_delete = action("DELETE", &fk.on_delete)?;
    let on_update = action("UPDATE", &fk.on_update)?;
    d.table.foreign_keys.push(ForeignKey {
        name,
        columns: fk.columns,
        ref_table,
        ref_columns,
        on_delete,
        on_update,
    });
    Ok(())
}

fn referential_action(s: &str) -> Option<ReferentialAction> {
    Some(match s.to_ascii_uppercase().as_str() {
        "NO ACTION" | "NONE" | "" => ReferentialAction::NoAction,
        "RESTRICT" => ReferentialAction::Restrict,
        "CASCADE" => ReferentialAction::Cascade,
        "SET NULL" => ReferentialAction::SetNull,
        "SET DEFAULT" => ReferentialAction::SetDefault,
        _ => return None,
    })
}

/// A column default as SQLite keeps it (`dflt_value`, the expression text as written, outer
/// parentheses removed): `NULL` is no default; `'abc'` is a string; `TRUE`/`FALSE` are
/// booleans; numbers are numbers (and `0`/`1` on a BOOLEAN column are booleans); anything
/// else (`CURRENT_TIMESTAMP`, `datetime('now')`) is a raw SQL expression.
pub(super) fn parse_default(text: &str, ty: &SqlType) -> Option<ColumnDefault> {
    let t = strip_outer_parens(text);
    if t.is_empty() || t.eq_ignore_ascii_case("NULL") {
        return None;
    }
    if t.eq_ignore_ascii_case("TRUE") {
        return Some(ColumnDefault::Bool(true));
    }
    if t.eq_ignore_ascii_case("FALSE") {
        return Some(ColumnDefault::Bool(false));
    }
    if let Some((s, "")) = string_literal(t) {
        return Some(ColumnDefault::Str(s));
    }
    if let Some(n) = number(t) {
        return Some(bool_default(ty, n));
    }
    Some(ColumnDefault::Sql { sql: t.to_string() })
}

/// Rewrites a model-built schema into what introspecting SQLite yields:
///
/// - a `Custom` type is re-read as SQLite would report it (`Custom("INT")` is `integer`,
///   `Custom("DATETIME")` is `timestamp`);
/// - a raw SQL default is re-read as SQLite reports it (`Sql("'x'")` is the string `x`,
///   `Sql("(1)")` the integer 1, outer parentheses dropped), and an integer default on a
///   boolean column is a boolean;
/// - only the single-column primary key can autoincrement (SQLite's `INTEGER PRIMARY KEY
///   AUTOINCREMENT`): a `bigint` or `smallint` autoincrement key becomes `integer` (a rowid
///   alias must be declared INTEGER), and autoincrement anywhere else is dropped;
/// - the single `integer` primary-key column is NOT NULL (a rowid alias never holds NULL);
/// - a unique constraint repeating an earlier one's columns, or the primary key's columns
///   (unless the key is a rowid alias), is dropped: SQLite creates no index for it, so it
///   cannot be read back;
/// - comments are dropped: SQLite has none;
/// - constraint and index lists are sorted by name, as introspection lists them.
pub(super) fn normalize(schema: &mut Schema) {
    for table in schema.tables.values_mut() {
        table.comment = None;
        let single_pk = match table.primary_key.as_ref().map(|p| p.columns.as_slice()) {
            Some([one]) => Some(one.clone()),
            _ => None,
        };
        for col in &mut table.columns {
            col.comment = None;
            if let SqlType::Custom(s) = &col.ty {
                col.ty = column_type(s);
            }
            let is_pk = single_pk.as_deref() == Some(col.name.as_str());
            if col.autoincrement && is_pk && matches!(col.ty, SqlType::BigInt | SqlType::SmallInt) {
                col.ty = SqlType::Integer;
            }
            if col.autoincrement && !(is_pk && col.ty == SqlType::Integer) {
                col.autoincrement = false;
            }
            if is_pk && col.ty == SqlType::Integer {
                col.nullable = false;
            }
            col.default = match col.default.take() {
                Some(ColumnDefault::Sql { sql }) => parse_default(&sql, &col.ty),
                Some(d) => Some(bool_default(&col.ty, d)),
                None => None,
            };
        }
        drop_redundant_uniques(table);
        sort_constraints(table);
    }
}

/// SQLite keeps one index per distinct unique column list, and none for a unique constraint on
/// exactly the primary-key columns (the key's own index serves), except for a rowid alias,
/// whose key has no index. Keeps the first declared of duplicates, as SQLite does.
fn drop_redundant_uniques(table: &mut Table) {
    let key = |cols: &[String]| -> Vec<String> { cols.iter().map(|c| c.to_lowercase()).collect() };
    let mut seen: Vec<Vec<String>> = Vec::new();
    if let Some(pk) = &table.primary_key {
        let rowid_alias = match pk.columns.as_slice() {
            [one] => table.column(one).is_some_and(|c| c.ty == SqlType::Integer),
            _ => false,
        };
        if !rowid_alias {
            seen.push(key(&pk.columns));
        }
    }
    table.uniques.retain(|u| {
        let k = key(&u.columns);
        if seen.contains(&k) {
            false
        } else {
            seen.push(k);
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let int = SqlType::Integer;
        assert_eq!(parse_default("NULL", &int), None);
        assert_eq!(
            parse_default("'it''s'", &SqlType::Text),
            Some(ColumnDefault::Str("it's".into()))
        );
        assert_eq!(parse_default("-1", &int), Some(ColumnDefault::Int(-1)));
        assert_eq!(parse_default("(7)", &int), Some(ColumnDefault::Int(7)));
        assert_eq!(
            parse_default("1.5", &SqlType::Real),
            Some(ColumnDefault::Float(1.5))
        );
        assert_eq!(
            parse_default("1", &SqlType::Boolean),
            Some(ColumnDefault::Bool(true))
        );
        assert_eq!(
            parse_default("false", &SqlType::Boolean),
            Some(ColumnDefault::Bool(false))
        );
        assert_eq!(
            parse_default("CURRENT_TIMESTAMP", &SqlType::Timestamp),
            Some(ColumnDefault::Sql {
                sql: "CURRENT_TIMESTAMP".into()
            })
        );
        assert_eq!(
            parse_default("'a' || 'b'", &SqlType::Text),
            Some(ColumnDefault::Sql {
                sql: "'a' || 'b'".into()
            })
        );
    }

    #[test]
    fn normalize_rules() {
        let mut t = Table {
            name: "t".into(),
            comment: Some("gone".into()),
            primary_key: Some(PrimaryKey {
                name: "pk_t".into(),
                columns: vec!["id".into()],
            }),
            columns: vec![
                Column {
                    autoincrement: true,
                    comment: Some("gone".into()),
                    ..Column::new("id", SqlType::BigInt)
                },
                Column {
                    autoincrement: true,
                    default: Some(ColumnDefault::Sql { sql: "'x'".into() }),
                    ..Column::new("other", SqlType::Custom("VARCHAR(3)".into()))
                },
                Column {
                    default: Some(ColumnDefault::Int(1)),
                    ..Column::new("flag", SqlType::Custom("BOOL".into()))
                },
            ],
            ..Table::default()
        };
        t.indexes = vec![
            Index {
                name: "b".into(),
                columns: vec!["flag".into()],
                unique: false,
                ..Index::default()
            },
            Index {
                name: "a".into(),
                columns: vec!["other".into()],
                unique: false,
                ..Index::default()
            },
        ];
        let mut s = Schema::new();
        s.insert(t);
        normalize(&mut s);
        let t = s.table("t").expect("t");
        assert_eq!(t.comment, None);
        assert_eq!(t.columns[0].ty, SqlType::Integer);
        assert!(t.columns[0].autoincrement);
        assert_eq!(t.columns[0].comment, None);
        assert_eq!(t.columns[1].ty, SqlType::Varchar(3));
        assert!(!t.columns[1].autoincrement);
        assert_eq!(t.columns[1].default, Some(ColumnDefault::Str("x".into())));
        assert_eq!(t.columns[2].ty, SqlType::Boolean);
        assert_eq!(t.columns[2].default, Some(ColumnDefault::Bool(true)));
        assert_eq!(t.indexes[0].name, "a");
    }

    #[test]
    fn redundant_uniques_are_dropped() {
        let uq = |name: &str, cols: &[&str]| Unique {
            name: name.into(),
            columns: cols.iter().map(|c| c.to_string()).collect(),
        };
        let mut t = Table {
            name: "t".into(),
            columns: vec![
                Column::new("a", SqlType::Text),
                Column::new("b", SqlType::Text),
            ],
            primary_key: Some(PrimaryKey {
                name: "pk_t".into(),
                columns: vec!["a".into()],
            }),
            uniques: vec![
                uq("z", &["B"]),
                uq("y", &["b"]),
                uq("x", &["a"]),
                uq("w", &["a", "b"]),
            ],
            ..Table::default()
        };
        drop_redundant_uniques(&mut t);
        let names: Vec<&str> = t.uniques.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["z", "w"]);
        // A rowid alias has no index of its own: a unique on it is kept.
        t.columns[0].ty = SqlType::Integer;
        t.uniques = vec![uq("x", &["a"])];
        drop_redundant_uniques(&mut t);
        assert_eq!(t.uniques.len(), 1);
    }

    /// What SQLite prints in `pragma_table_info` (read from the library) for defaults an
    /// Alembic project declares, against the Strata model's spelling, normalised: the diff
    /// sees no change; a real change still shows.
    #[test]
    fn alembic_defaults_compare_equal_to_the_models() {
        use crate::dialect::sql_text::same_default;
        let sql = |s: &str| ColumnDefault::Sql { sql: s.into() };
        let cases = [
            ("CURRENT_TIMESTAMP", SqlType::Timestamp, sql("now()")),
            ("'x'", SqlType::Varchar(10), ColumnDefault::Str("x".into())),
            ("'0'", SqlType::Integer, ColumnDefault::Int(0)),
            ("'0'", SqlType::Double, ColumnDefault::Float(0.0)),
            ("0", SqlType::Boolean, ColumnDefault::Bool(false)),
            ("'1'", SqlType::Boolean, ColumnDefault::Bool(true)),
            ("1", SqlType::Boolean, sql("true")),
            ("true", SqlType::Boolean, ColumnDefault::Int(1)),
        ];
        crate::dialect::sql_text::assert_same_defaults(&cases, normalize, parse_default);
        for (printed, ty, model) in [
            ("'0'", SqlType::Integer, ColumnDefault::Int(1)),
            ("datetime('now')", SqlType::Timestamp, sql("CURRENT_DATE")),
            ("'1'", SqlType::Text, ColumnDefault::Int(1)),
        ] {
            assert!(
                !same_default(&ty, parse_default(printed, &ty).as_ref(), Some(&model)),
                "{printed} vs {model:?}"
            );
        }
    }

    #[test]
    fn enum_checks_give_column_and_values() {
        assert_eq!(
            enum_check_values(r#""my ""col""" IN ('a', 'it''s')"#),
            Some((r#"my "col""#.to_string(), vec!["a".into(), "it's".into()]))
        );
        assert_eq!(
            enum_check_values("mood in ('a')"),
            Some(("mood".to_string(), vec!["a".into()]))
        );
        for not_enum in [
            "mood IN (1, 2)",
            "mood = 'a'",
            "\"mood\" IN ('a'",
            "length(x) > 2",
        ] {
            assert_eq!(enum_check_values(not_enum), None, "{not_enum}");
        }
    }
}
