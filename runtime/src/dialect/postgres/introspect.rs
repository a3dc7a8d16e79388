//! Dialect: postgres, catalog queries and schema assembly.
//!
//! Four bulk queries over `pg_catalog`, whatever the number of tables: tables (with comments),
//! columns (type via `format_type`, default via `pg_get_expr`, identity, comment), constraints
//! (`pg_constraint`, one row per key column in key order) and indexes that back no constraint
//! (`pg_index`, one row per key column in order). Every value is cast to `text`, `int8` or
//! `bool` because the `Any` driver cannot decode `name`, `oid`, `"char"` or arrays.
//!
//! What the neutral schema cannot hold is read as closely as it can be, or left out: an
//! index's key columns are read in order with their `DESC`, then at most one expression
//! (`pg_get_indexdef`), its predicate (`pg_get_expr`) and method (`pg_am`); an index of
//! another shape (expressions before columns, several expressions) is left out (so a diff
//! never drops it); operator classes and `INCLUDE` columns are ignored; a generated
//! column is read as a plain column without default. Needs PostgreSQL 12 or later
//! (`attgenerated`).
//!
//! Tables of the default schema (strata.toml's `schema`, else `current_schema()`) are named
//! as they are; tables of the other schemas asked for ([`IntrospectOptions::schemas`]) are
//! named `schema.table`, and so is a foreign key's table in any other schema. With other
//! schemas asked for, a fifth query lists those that exist.

use std::collections::BTreeMap;

use crate::dialect::catalog::CatalogValues;
use crate::dialect::check_text::{self, Tok};

use super::Postgres;
use crate::dialect::catalog::{expect_results, CatalogRow};
use crate::dialect::catalog::{IntrospectError, IntrospectOptions};
use crate::dialect::sql_text::{
    bool_default, is_numeric, number, parse_type, sort_constraints, string_literal,
    strip_outer_parens,
};
use crate::dialect::Syntax;
use crate::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, Schema,
    SqlType, Table, Unique,
};

const QUERY_NAMES: [&str; 4] = ["tables", "columns", "constraints", "indexes"];

/// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1); longer ones are cut.
const MAX_IDENT: usize = 63;

/// The schema whose tables are named without it: the configured one, else the
/// connection's current schema.
fn default_schema(opts: &IntrospectOptions) -> String {
    opts.schema
        .as_deref()
        .map_or_else(|| "current_schema()".to_string(), |s| Postgres.quote_str(s))
}

/// The other schemas read (`#[model(schema = ...)]` and the migration files' `schema.table`
/// names), as a quoted list, or `None`.
fn other_schemas(opts: &IntrospectOptions) -> Option<String> {
    (!opts.schemas.is_empty()).then(|| {
        let quoted: Vec<String> = opts.schemas.iter().map(|s| Postgres.quote_str(s)).collect();
        quoted.join(", ")
    })
}

/// The tables read: ordinary and partitioned tables (partitions are part of their parent
/// and not listed) of the default schema, without a `.` in their name (Strata would read it
/// as `schema.table`: such a table is left alone), and of the other schemas asked for.
fn tables_of(opts: &IntrospectOptions) -> String {
    let default = default_schema(opts);
    let namespaces = match other_schemas(opts) {
        Some(list) => format!(
            "((n.nspname = {default} AND strpos(c.relname, '.') = 0) OR \
             (n.nspname IN ({list}) AND n.nspname <> {default}))"
        ),
        None => format!("n.nspname = {default} AND strpos(c.relname, '.') = 0"),
    };
    format!("{namespaces} AND c.relkind IN ('r', 'p') AND NOT c.relispartition")
}

/// The name Strata gives the table `rel` of the namespace `nsp` (two SQL expressions):
/// its own name in the default schema, `schema.table` in another.
fn table_key(opts: &IntrospectOptions, nsp: &str, rel: &str) -> String {
    format!(
        "CASE WHEN {nsp} = {} THEN {rel}::text ELSE {nsp}::text || '.' || {rel}::text END",
        default_schema(opts)
    )
}

pub(super) fn catalog_queries(opts: &IntrospectOptions) -> Vec<String> {
    let tables = tables_of(opts);
    let name = table_key(opts, "n.nspname", "c.relname");
    let ref_table = table_key(opts, "fn.nspname", "ft.relname");
    let mut queries = vec![
        format!(
            "SELECT c.oid::int8 AS oid, {name} AS name, \
             obj_description(c.oid, 'pg_class') AS comment \
             FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE {tables} ORDER BY c.relname"
        ),
        format!(
            "SELECT a.attrelid::int8 AS oid, a.attname::text AS name, \
             format_type(a.atttypid, a.atttypmod) AS col_type, a.attnotnull AS not_null, \
             pg_get_expr(d.adbin, d.adrelid) AS dflt, a.attidentity::text AS identity, \
             a.attgenerated::text AS generated, \
             col_description(a.attrelid, a.attnum::int4) AS comment, \
             (SELECT et.typname::text FROM pg_catalog.pg_type et \
               WHERE et.oid = a.atttypid AND et.typtype = 'e') AS enum_name, \
             (SELECT json_agg(e.enumlabel::text ORDER BY e.enumsortorder)::text \
               FROM pg_catalog.pg_enum e WHERE e.enumtypid = a.atttypid) AS enum_values \
             FROM pg_catalog.pg_attribute a \
             JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
             WHERE {tables} AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attrelid, a.attnum"
        ),
        format!(
            "SELECT con.oid::int8 AS con_oid, con.conrelid::int8 AS oid, \
             con.conname::text AS name, con.contype::text AS kind, k.ord::int8 AS ord, \
             a.attname::text AS col, fa.attname::text AS ref_col, \
             {ref_table} AS ref_table, con.confdeltype::text AS on_delete, \
             con.confupdtype::text AS on_update, \
             CASE WHEN con.contype = 'c' THEN pg_get_constraintdef(con.oid) END AS def \
             FROM pg_catalog.pg_constraint con \
             JOIN pg_catalog.pg_class c ON c.oid = con.conrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY \
               AS k(attnum, fattnum, ord) ON con.contype <> 'c' \
             LEFT JOIN pg_catalog.pg_attribute a \
               ON a.attrelid = con.conrelid AND a.attnum = k.attnum \
             LEFT JOIN pg_catalog.pg_attribute fa \
               ON fa.attrelid = con.confrelid AND fa.attnum = k.fattnum \
             LEFT JOIN pg_catalog.pg_class ft ON ft.oid = con.confrelid \
             LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = ft.relnamespace \
             WHERE {tables} AND con.contype IN ('p', 'u', 'f', 'c') \
             ORDER BY con.conrelid, con.conname, con.oid, k.ord"
        ),
        format!(
            "SELECT i.indrelid::int8 AS oid, ic.relname::text AS name, \
             i.indisunique AS is_unique, am.amname::text AS method, \
             pg_catalog.pg_get_expr(i.indpred, i.indrelid, true) AS pred, \
             k.ord::int8 AS ord, a.attname::text AS col, \
             pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int4, true) AS keydef, \
             (coalesce(k.opt, 0) & 1) = 1 AS descending \
             FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid \
             JOIN pg_catalog.pg_am am ON am.oid = ic.relam \
             JOIN pg_catalog.pg_class c ON c.oid = i.indrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indoption::int2[]) \
               WITH ORDINALITY AS k(attnum, opt, ord) \
             LEFT JOIN pg_catalog.pg_attribute a \
               ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
             WHERE {tables} AND k.ord <= i.indnkeyatts \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con \
               WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid \
               AND con.contype IN ('p', 'u', 'x')) \
             ORDER BY i.indrelid, ic.relname, k.ord"
        ),
    ];
    if let Some(list) = other_schemas(opts) {
        queries.push(format!(
            "SELECT nspname::text AS name, (nspname = {}) AS is_default \
             FROM pg_catalog.pg_namespace WHERE nspname IN ({list}) ORDER BY nspname",
            default_schema(opts)
        ));
    }
    queries
}

/// A constraint's rows gathered.
struct RawConstraint {
    table_oid: i64,
    name: String,
    kind: String,
    columns: Vec<String>,
    ref_columns: Vec<String>,
    ref_table: Option<String>,
    on_delete: String,
    on_update: String,
    def: Option<String>,
}

/// An index's rows gathered.
struct RawIndex {
    table_oid: i64,
    name: String,
    unique: bool,
    /// The index method (`btree`, `gin`, ...).
    method: String,
    /// The predicate of a partial index, as the server prints it.
    pred: Option<String>,
    /// Per key column: its name (`None` for an expression), its definition as the server
    /// prints it, whether it is descending.
    keys: Vec<(Option<String>, String, bool)>,
}

pub(super) fn assemble(
    results: Vec<Vec<CatalogValues>>,
    opts: &IntrospectOptions,
) -> Result<Schema, IntrospectError> {
    let asked = usize::from(!opts.schemas.is_empty());
    let mut results = expect_results(results, QUERY_NAMES.len() + asked)?;
    let mut schemas = std::collections::BTreeSet::new();
    if asked == 1 {
        for row in results.pop().unwrap_or_default() {
            let r = CatalogRow::new("schemas", &row);
            let name = r.text("name")?;
            if r.flag("is_default")? {
                return Err(IntrospectError::DefaultSchemaNamed { schema: name });
            }
            schemas.insert(name);
        }
    }
    let [tables, columns, constraints, indexes]: [Vec<CatalogValues>; 4] = results
        .try_into()
        .map_err(|_| IntrospectError::Decode("wrong number of catalog results".into()))?;

    let mut by_oid: BTreeMap<i64, Table> = BTreeMap::new();
    for row in &tables {
        let r = CatalogRow::new(QUERY_NAMES[0], row);
        by_oid.insert(
            r.int("oid")?,
            Table {
                name: r.text("name")?,
                comment: r.opt_text("comment")?,
                ..Table::default()
            },
        );
    }

    for row in &columns {
        let r = CatalogRow::new(QUERY_NAMES[1], row);
        let Some(table) = by_oid.get_mut(&r.int("oid")?) else {
            continue;
        };
        let ty = match (r.opt_text("enum_name")?, r.opt_text("enum_values")?) {
            (Some(name), Some(values)) => SqlType::Enum {
                name,
                values: serde_json::from_str(&values).map_err(|e| {
                    IntrospectError::Decode(format!("the values of an enum type: {e}"))
                })?,
            },
            _ => parse_pg_type(&r.text("col_type")?),
        };
        let identity = r.opt_text("identity")?.unwrap_or_default();
        let generated = r.opt_text("generated")?.unwrap_or_default();
        let parsed = match r.opt_text("dflt")? {
            // A generated column's expression is not a default; the neutral schema has no
            // generated columns, so it is read as a plain column.
            Some(_) if !generated.is_empty() => ParsedDefault::default(),
            Some(text) => parse_default(&text, &ty),
            None => ParsedDefault::default(),
        };
        table.columns.push(Column {
            nullable: !r.flag("not_null")?,
            default: parsed.default,
            autoincrement: parsed.autoincrement || matches!(identity.as_str(), "a" | "d"),
            comment: r.opt_text("comment")?,
            ..Column::new(r.text("name")?, ty)
        });
    }

    let mut raw: Vec<RawConstraint> = Vec::new();
    let mut last_oid = None;
    for row in &constraints {
        let r = CatalogRow::new(QUERY_NAMES[2], row);
        let con_oid = r.int("con_oid")?;
        if last_oid != Some(con_oid) {
            last_oid = Some(con_oid);
            raw.push(RawConstraint {
                table_oid: r.int("oid")?,
                name: r.text("name")?,
                kind: r.text("kind")?,
                columns: Vec::new(),
                ref_columns: Vec::new(),
                ref_table: r.opt_text("ref_table")?,
                on_delete: r.opt_text("on_delete")?.unwrap_or_default(),
                on_update: r.opt_text("on_update")?.unwrap_or_default(),
                def: r.opt_text("def")?,
            });
        }
        if let Some(c) = raw.last_mut() {
            c.columns.extend(r.opt_text("col")?);
            c.ref_columns.extend(r.opt_text("ref_col")?);
        }
    }
    for c in raw {
        let Some(table) = by_oid.get_mut(&c.table_oid) else {
            continue;
        };
        add_constraint(table, c)?;
    }

    let mut raw_ix: Vec<RawIndex> = Vec::new();
    for row in &indexes {
        let r = CatalogRow::new(QUERY_NAMES[3], row);
        let table_oid = r.int("oid")?;
        let name = r.text("name")?;
        let same = raw_ix
            .last()
            .is_some_and(|ix| ix.table_oid == table_oid && ix.name == name);
        if !same {
            raw_ix.push(RawIndex {
                table_oid,
                name,
                unique: r.flag("is_unique")?,
                method: r.text("method")?,
                pred: r.opt_text("pred")?,
                keys: Vec::new(),
            });
        }
        if let Some(ix) = raw_ix.last_mut() {
            ix.keys
                .push((r.opt_text("col")?, r.text("keydef")?, r.flag("descending")?));
        }
    }
    for ix in raw_ix {
        let oid = ix.table_oid;
        if let (Some(index), Some(table)) = (modeled_index(ix), by_oid.get_mut(&oid)) {
            table.indexes.push(index);
        }
    }

    let mut schema = Schema::new();
    schema.schemas = schemas;
    for (_, mut table) in by_oid {
        sort_constraints(&mut table);
        schema.insert(table);
    }
    Ok(schema)
}

fn add_constraint(table: &mut Table, c: RawConstraint) -> Result<(), IntrospectError> {
    match c.kind.as_str() {
        "p" => {
            table.primary_key = Some(PrimaryKey {
                name: c.name,
                columns: c.columns,
            })
        }
        "u" => table.uniques.push(Unique {
            name: c.name,
            columns: c.columns,
        }),
        "f" => {
            let action = |what: &str, code: &str| {
                referential_action(code).ok_or_else(|| {
                    IntrospectError::Decode(format!(
                        "table `{}`, foreign key `{}`: unknown ON {what} action code `{code}`",
                        table.name, c.name
                    ))
                })
            };
            let on_delete = action("DELETE", &c.on_delete)?;
            let on_update = action("UPDATE", &c.on_update)?;
            let ref_table = c.ref_table.ok_or_else(|| {
                IntrospectError::Decode(format!(
                    "table `{}`, foreign key `{}`: the referenced table was not found",
                    table.name, c.name
                ))
            })?;
            table.foreign_keys.push(ForeignKey {
                name: c.name,
                columns: c.columns,
                ref_table,
                ref_columns: c.ref_columns,
                on_delete,
                on_update,
            });
        }
        "c" => table.checks.push(Check {
            expr: check_expr(c.def.as_deref().unwrap_or_default()),
            name: c.name,
        }),
        _ => {}
    }
    Ok(())
}

fn referential_action(code: &str) -> Option<ReferentialAction> {
    Some(match code {
        "a" | "" => ReferentialAction::NoAction,
        "r" => ReferentialAction::Restrict,
        "c" => ReferentialAction::Cascade,
        "n" => ReferentialAction::SetNull,
        "d" => ReferentialAction::SetDefault,
        _ => return None,
    })
}

/// The expression of a `pg_get_constraintdef` check (`CHECK ((a > 0)) NOT VALID` -> `a > 0`).
fn check_expr(def: &str) -> String {
    let d = def.trim();
    let d = d.strip_suffix("NOT VALID").map_or(d, str::trim_end);
    let d = d.strip_suffix("NO INHERIT").map_or(d, str::trim_end);
    let d = d.strip_prefix("CHECK").map_or(d, str::trim_start);
    strip_outer_parens(d).to_string()
}

fn empty_comment_is_none(comment: &mut Option<String>) {
    if comment.as_deref() == Some("") {
        *comment = None;
    }
}

/// Type names PostgreSQL writes after `::` that go on with another word
/// (`character varying`, `timestamp without time zone`, `double precision`).
const TYPE_WORDS: [&str; 6] = ["varying", "precision", "with", "without", "time", "zone"];

/// Numeric types: a string literal cast to one is the number (`'-1'::integer` is `-1`).
const NUMERIC_TYPES: [&str; 13] = [
    "smallint",
    "integer",
    "bigint",
    "int",
    "int2",
    "int4",
    "int8",
    "numeric",
    "decimal",
    "real",
    "double precision",
    "float4",
    "float8",
];

/// The index `ix` as the neutral schema describes it: key columns (some descending), then at
/// most one expression, an optional predicate and the method. An index of another shape (an
/// expression before a column, two expressions) is left out, so a diff never drops it.
fn modeled_index(ix: RawIndex) -> Option<Index> {
    let mut index = Index {
        name: ix.name,
        unique: ix.unique,
        where_: ix.pred,
        using: Some(ix.method).filter(|m| m != "btree"),
        ..Index::default()
    };
    for (col, def, descending) in ix.keys {
        if index.expr.is_some() {
            return None;
        }
        match col {
            Some(col) => {
                if descending {
                    index.desc.push(col.clone());
                }
                index.columns.push(col);
            }
            None if descending => return None,
            None => index.expr = Some(def),
        }
    }
    Some(index)
}

/// A check expression as a comparison key ([`Catalog::check_expr_key`]): PostgreSQL stores
/// checks deparsed, so what it adds is taken out before the shared key
/// ([`check_text::canonical`]): casts (`(username)::text`, `'a'::character varying`,
/// `(ARRAY[...])::text[]`), with a string literal cast to a number type read as the number
/// (`'-1'::integer`, `('1500'::numeric)::double precision`) and a literal cast to a
/// timestamp without its midnight time (`'2000-01-01 00:00:00'::timestamp`); and `~~`,
/// `!~~`, `~~*`, `!~~*` are `LIKE`, `NOT LIKE`, `ILIKE`, `NOT ILIKE`.
///
/// [`Catalog::check_expr_key`]: crate::dialect::Catalog::check_expr_key
pub(super) fn check_expr_key(expr: &str) -> String {
    match check_text::tokens(expr, false) {
        Some(toks) => check_text::canonical(without_casts(toks)),
        None => expr.to_string(),
    }
}

fn without_casts(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        let word = |w: &str| Tok::Word(w.to_string());
        match &toks[i] {
            Tok::Punct(p) if p == "::" => {
                let Some(Tok::Word(first)) = toks.get(i + 1) else {
                    out.push(toks[i].clone());
                    i += 1;
                    continue;
                };
                let mut ty = first.clone();
                let mut j = i + 2;
                while let Some(Tok::Word(w)) = toks.get(j) {
                    if !TYPE_WORDS.contains(&w.as_str()) {
                        break;
                    }
                    ty.push(' ');
                    ty.push_str(w);
                    j += 1;
                }
                if toks.get(j) == Some(&Tok::Punct("(".into())) {
                    j = check_text::closing(&toks, j).map_or(toks.len(), |c| c + 1);
                }
                while toks.get(j) == Some(&Tok::Punct("[".into()))
                    && toks.get(j + 1) == Some(&Tok::Punct("]".into()))
                {
                    j += 2;
                }
                if let Some(Tok::Str(s)) = out.last() {
                    if NUMERIC_TYPES.contains(&ty.as_str()) && number(s).is_some() {
                        let n = Tok::Num(s.trim().to_string());
                        out.pop();
                        out.push(n);
                    } else if ty.starts_with("timestamp") {
                        if let Some(day) = s.strip_suffix(" 00:00:00") {
                            let day = Tok::Str(day.to_string());
                            out.pop();
                            out.push(day);
                        }
                    }
                }
                i = j;
                continue;
            }
            Tok::Punct(p) if p == "~~" => out.push(word("like")),
            Tok::Punct(p) if p == "~~*" => out.push(word("ilike")),
            Tok::Punct(p) if p == "!~~" || p == "!~~*" => {
                out.push(word("not"));
                out.push(word(if p == "!~~" { "like" } else { "ilike" }));
            }
            t => out.push(t.clone()),
        }
        i += 1;
    }
    out
}

/// A PostgreSQL type name as `format_type` spells it, as a neutral type. Besides the shared
/// synonyms: `float(p)` is `real` up to 24 binary digits and `double` above.
pub(super) fn parse_pg_type(s: &str) -> SqlType {
    match parse_type(s) {
        SqlType::Custom(c) => {
            let lower = c.to_ascii_lowercase();
            let float_digits = lower
                .strip_prefix("float(")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|p| p.trim().parse::<u32>().ok());
            match float_digits {
                Some(p) if p <= 24 => SqlType::Real,
                Some(_) => SqlType::Double,
                None => SqlType::Custom(c),
            }
        }
        t => t,
    }
}

/// How `format_type` spells a neutral type (for the element of an array type).
fn pg_spelling(t: &SqlType) -> String {
    match t {
        SqlType::Double => "double precision".into(),
        SqlType::Varchar(n) => format!("character varying({n})"),
        SqlType::Bytes => "bytea".into(),
        SqlType::Time => "time without time zone".into(),
        SqlType::Timestamp => "timestamp without time zone".into(),
        SqlType::TimestampTz => "timestamp with time zone".into(),
        SqlType::Decimal {
            precision: Some(p),
            scale,
        } => format!("numeric({p},{})", scale.unwrap_or(0)),
        other => other.to_string(),
    }
}

/// A custom type as `format_type` would report it: unquoted names in lower case, and the
/// common SQL spellings PostgreSQL rewrites (`varchar` -> `character varying`, `char(n)` ->
/// `character(n)`, `timestamp(3)` -> `timestamp(3) without time zone`, `int[]` ->
/// `integer[]`, ...). Returns the type and whether it is a `serial` pseudo-type (an
/// autoincrement integer).
fn canonical_custom(s: &str) -> (SqlType, bool) {
    let t = s.trim();
    if t.contains('"') {
        return (SqlType::Custom(t.to_string()), false);
    }
    let lower = t
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(elem) = lower.strip_suffix("[]") {
        let (inner, _) = canonical_custom(elem);
        let inner = match inner {
            SqlType::Custom(c) => c,
            neutral => pg_spelling(&neutral),
        };
        return (SqlType::Custom(format!("{inner}[]")), false);
    }
    match lower.as_str() {
        "serial" | "serial4" => return (SqlType::Integer, true),
        "bigserial" | "serial8" => return (SqlType::BigInt, true),
        "smallserial" | "serial2" => return (SqlType::SmallInt, true),
        _ => {}
    }
    let neutral = parse_pg_type(&lower);
    if !matches!(neutral, SqlType::Custom(_)) {
        return (neutral, false);
    }
    let (head, args) = match lower.find('(') {
        Some(i) if lower.ends_with(')') => (&lower[..i], Some(&lower[i..])),
        _ => (lower.as_str(), None),
    };
    let spelled = match (head.trim(), args) {
        ("varchar", None) => "character varying".to_string(),
        ("char" | "character" | "bpchar", None) => "character(1)".to_string(),
        ("char" | "bpchar", Some(a)) => format!("character{a}"),
        ("timestamp", Some(a)) => format!("timestamp{a} without time zone"),
        ("timestamptz", Some(a)) => format!("timestamp{a} with time zone"),
        ("time", Some(a)) => format!("time{a} without time zone"),
        ("timetz", None) => "time with time zone".to_string(),
        ("timetz", Some(a)) => format!("time{a} with time zone"),
        ("decimal", Some(a)) => format!("numeric{a}"),
        _ => lower.clone(),
    };
    (SqlType::Custom(spelled), false)
}

/// A default read from `pg_get_expr`.
#[derive(Debug, Default, PartialEq)]
pub(super) struct ParsedDefault {
    /// The default, if it is one.
    pub(super) default: Option<ColumnDefault>,
    /// Whether it was a sequence (`nextval(...)`): a serial column.
    pub(super) autoincrement: bool,
}

/// The SQL value functions PostgreSQL deparses in upper case, whatever the spelling.
const VALUE_FUNCTIONS: [&str; 9] = [
    "CURRENT_TIMESTAMP",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "LOCALTIMESTAMP",
    "LOCALTIME",
    "CURRENT_USER",
    "CURRENT_ROLE",
    "SESSION_USER",
    "CURRENT_CATALOG",
];

/// A column default as `pg_get_expr` deparses it: `nextval(...)` is a serial column (no
/// default, autoincrement); `NULL` is no default; `true`/`false` are booleans; numbers
/// (`42`, `(-1)`, `1.5`) and numeric literals cast to the column's numeric type (`'-1'::integer`)
/// are numbers; other string literals with casts (`'abc'::character varying`) are strings;
/// `current_timestamp` and the other SQL value functions are upper-cased as PostgreSQL prints
/// them; anything else is a raw SQL expression, verbatim.
pub(super) fn parse_default(text: &str, ty: &SqlType) -> ParsedDefault {
    let t = text.trim();
    let default = |d| ParsedDefault {
        default: d,
        autoincrement: false,
    };
    if t.to_ascii_lowercase().starts_with("nextval(") {
        return ParsedDefault {
            default: None,
            autoincrement: true,
        };
    }
    let inner = strip_outer_parens(t);
    let lower = inner.to_ascii_lowercase();
    if lower == "null" || lower.starts_with("null::") {
        return default(None);
    }
    if lower == "true" || lower == "false" {
        return default(Some(ColumnDefault::Bool(lower == "true")));
    }
    if let Some(n) = number(inner) {
        return default(Some(bool_default(ty, n)));
    }
    if let Some((s, rest)) = string_literal(inner) {
        let only_casts = rest.is_empty()
            || (rest.starts_with("::")
                && rest.chars().all(|c| {
                    c.is_alphanumeric()
                        || matches!(c, '_' | ' ' | '"' | '(' | ')' | ',' | '[' | ']' | '.' | ':')
                }));
        if only_casts {
            if is_numeric(ty) {
                if let Some(n) = number(&s) {
                    return default(Some(n));
                }
            }
            if *ty == SqlType::Boolean {
                match s.to_ascii_lowercase().as_str() {
                    "true" | "t" => return default(Some(ColumnDefault::Bool(true))),
                    "false" | "f" => return default(Some(ColumnDefault::Bool(false))),
                    _ => {}
                }
            }
            return default(Some(ColumnDefault::Str(s)));
        }
    }
    if let Some(f) = VALUE_FUNCTIONS
        .iter()
        .find(|f| f.eq_ignore_ascii_case(inner))
    {
        return default(Some(ColumnDefault::Sql { sql: f.to_string() }));
    }
    default(Some(ColumnDefault::Sql { sql: t.to_string() }))
}

/// Cuts an identifier to PostgreSQL's 63 bytes, as the server does.
fn truncate_ident(s: &mut String) {
    if s.len() > MAX_IDENT {
        let mut cut = MAX_IDENT;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

/// Rewrites a model-built schema into what introspecting PostgreSQL yields:
///
/// - a `Custom` type is re-read as `format_type` reports it: neutral when it spells one
///   (`int4` is `integer`, `float8` is `double`, `float(10)` is `real`), else lower-cased
///   with PostgreSQL's own spelling (`varchar` -> `character varying`, `timestamp(3)` ->
///   `timestamp(3) without time zone`, `int[]` -> `integer[]`); `serial`, `bigserial` and
///   `smallserial` are the integer type with autoincrement;
/// - `numeric(P)` is `numeric(P,0)` (PostgreSQL stores the scale);
/// - a raw SQL default is re-read as `pg_get_expr` reports it (`Sql("'x'")` is the string
///   `x`, `Sql("(-1)")` the integer -1, `current_timestamp` is `CURRENT_TIMESTAMP`,
///   `nextval(...)` is autoincrement without a default); an integer default on a boolean
///   column is a boolean; a numeric string default on a numeric column is the number;
/// - only `smallint`, `integer` and `bigint` columns autoincrement (identity columns), and an
///   autoincrement column has no default (an identity column cannot have one);
/// - primary-key columns are NOT NULL (PostgreSQL forces it);
/// - table, column, constraint and index names longer than 63 bytes are cut to 63 bytes, as
///   the server does;
/// - an empty comment is no comment (`COMMENT ON ... IS ''` removes it);
/// - constraint and index lists are sorted by name, as introspection lists them.
///
/// Check expressions are not rewritten: PostgreSQL stores them deparsed (`a > 0` reads back as
/// `(a > 0)`, `x > '2000-01-01'` with casts), which only the server can compute; the diff
/// compares them by [`check_expr_key`] instead.
pub(super) fn normalize(schema: &mut Schema) {
    let tables = std::mem::take(&mut schema.tables);
    for (_, mut table) in tables {
        truncate_ident(&mut table.name);
        empty_comment_is_none(&mut table.comment);
        let pk_cols: Vec<String> = table
            .primary_key
            .as_ref()
            .map(|p| p.columns.clone())
            .unwrap_or_default();
        for col in &mut table.columns {
            empty_comment_is_none(&mut col.comment);
            if let SqlType::Custom(s) = &col.ty {
                let (ty, serial) = canonical_custom(s);
                col.ty = ty;
                col.autoincrement |= serial;
            }
            if let SqlType::Decimal {
                precision: Some(_),
                scale: scale @ None,
            } = &mut col.ty
            {
                *scale = Some(0);
            }
            if pk_cols.contains(&col.name) {
                col.nullable = false;
            }
            col.default = match col.default.take() {
                Some(ColumnDefault::Sql { sql }) => {
                    let parsed = parse_default(&sql, &col.ty);
                    col.autoincrement |= parsed.autoincrement;
                    parsed.default
                }
                Some(ColumnDefault::Str(s)) if is_numeric(&col.ty) && number(&s).is_some() => {
                    number(&s)
                }
                Some(d) => Some(bool_default(&col.ty, d)),
                None => None,
            };
            if !matches!(
                col.ty,
                SqlType::SmallInt | SqlType::Integer | SqlType::BigInt
            ) {
                col.autoincrement = false;
            }
            if col.autoincrement {
                col.default = None;
            }
            truncate_ident(&mut col.name);
        }
        if let Some(pk) = &mut table.primary_key {
            truncate_ident(&mut pk.name);
            pk.columns.iter_mut().for_each(truncate_ident);
        }
        for u in &mut table.uniques {
            truncate_ident(&mut u.name);
            u.columns.iter_mut().for_each(truncate_ident);
        }
        for ix in &mut table.indexes {
            truncate_ident(&mut ix.name);
            ix.columns.iter_mut().for_each(truncate_ident);
            ix.desc.iter_mut().for_each(truncate_ident);
            ix.using = ix.method();
        }
        for fk in &mut table.foreign_keys {
            truncate_ident(&mut fk.name);
            truncate_ident(&mut fk.ref_table);
            fk.columns.iter_mut().for_each(truncate_ident);
            fk.ref_columns.iter_mut().for_each(truncate_ident);
        }
        for ck in &mut table.checks {
            truncate_ident(&mut ck.name);
        }
        sort_constraints(&mut table);
        schema.insert(table);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::naming;

    fn d(text: &str, ty: &SqlType) -> Option<ColumnDefault> {
        parse_default(text, ty).default
    }

    #[test]
    fn defaults_as_pg_get_expr_prints_them() {
        let int = SqlType::Integer;
        assert_eq!(
            d("'x''y'::character varying", &SqlType::Varchar(3)),
            Some(ColumnDefault::Str("x'y".into()))
        );
        assert_eq!(d("'-1'::integer", &int), Some(ColumnDefault::Int(-1)));
        assert_eq!(d("(-1)", &int), Some(ColumnDefault::Int(-1)));
        assert_eq!(d("42", &int), Some(ColumnDefault::Int(42)));
        assert_eq!(
            d("'-2.5'::numeric", &SqlType::Double),
            Some(ColumnDefault::Float(-2.5))
        );
        assert_eq!(
            d("'5'::character varying", &SqlType::Varchar(3)),
            Some(ColumnDefault::Str("5".into()))
        );
        assert_eq!(
            d("true", &SqlType::Boolean),
            Some(ColumnDefault::Bool(true))
        );
        assert_eq!(d("NULL::text", &SqlType::Text), None);
        assert_eq!(
            d("current_timestamp", &SqlType::Timestamp),
            Some(ColumnDefault::Sql {
                sql: "CURRENT_TIMESTAMP".into()
            })
        );
        assert_eq!(
            d("('a'::text || 'b'::text)", &SqlType::Text),
            Some(ColumnDefault::Sql {
                sql: "('a'::text || 'b'::text)".into()
            })
        );
        assert_eq!(
            parse_default("nextval('t_id_seq'::regclass)", &int),
            ParsedDefault {
                default: None,
                autoincrement: true
            }
        );
    }

    #[test]
    fn custom_types_take_pg_spelling() {
        assert_eq!(canonical_custom("int4"), (SqlType::Integer, false));
        assert_eq!(canonical_custom("BIGSERIAL"), (SqlType::BigInt, true));
        assert_eq!(canonical_custom("float(10)"), (SqlType::Real, false));
        assert_eq!(
            canonical_custom("VARCHAR"),
            (SqlType::Custom("character varying".into()), false)
        );
        assert_eq!(
            canonical_custom("char(3)"),
            (SqlType::Custom("character(3)".into()), false)
        );
        assert_eq!(
            canonical_custom("timestamp(3)"),
            (
                SqlType::Custom("timestamp(3) without time zone".into()),
                false
            )
        );
        assert_eq!(
            canonical_custom("int[]"),
            (SqlType::Custom("integer[]".into()), false)
        );
        assert_eq!(
            canonical_custom("JSONB"),
            (SqlType::Custom("jsonb".into()), false)
        );
    }

    /// (as a model writes it, as PostgreSQL 15 stores it: `pg_get_constraintdef` read
    /// through [`check_expr`]), every pair read back from a live server.
    const STORED_CHECKS: [(&str, &str); 42] = [
        ("length(username) > 2", "(length((username)::text) > 2)"),
        ("price >= 0 AND price < 1000", "((price >= (0)::numeric) AND (price < (1000)::numeric))"),
        ("status IN ('a', 'b')", "((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))"),
        ("x BETWEEN 1 AND 10", "((x >= 1) AND (x <= 10))"),
        ("name <> ''", "(name <> ''::text)"),
        ("created_at > '2000-01-01'", "(created_at > '2000-01-01 00:00:00'::timestamp without time zone)"),
        ("a > 0 OR b IS NULL", "((a > 0) OR (b IS NULL))"),
        ("lower(email) = email", "(lower((email)::text) = (email)::text)"),
        ("\"order\" > 0", "(\"order\" > 0)"),
        ("NOT (a = b)", "(NOT (a = b))"),
        ("price * 2 > 1.5", "((price * (2)::numeric) > 1.5)"),
        ("coalesce(x, 0) >= 0", "(COALESCE(x, 0) >= 0)"),
        ("a + b * c > 0", "((a + (b * c)) > 0)"),
        ("(a + b) * c > 0", "(((a + b) * c) > 0)"),
        ("status = 'a' OR status = 'b'", "(((status)::text = 'a'::text) OR ((status)::text = 'b'::text))"),
        ("char_length(code) = 3", "(char_length(code) = 3)"),
        ("x IS NOT NULL", "(x IS NOT NULL)"),
        ("length(name) BETWEEN 1 AND 5", "((length(name) >= 1) AND (length(name) <= 5))"),
        ("flag = true", "(flag = true)"),
        ("a > -1", "(a > '-1'::integer)"),
        ("a > 0 AND b > 0 AND c > 0", "((a > 0) AND (b > 0) AND (c > 0))"),
        ("username LIKE 'u%'", "((username)::text ~~ 'u%'::text)"),
        ("status NOT IN ('x')", "((status)::text <> 'x'::text)"),
        ("a > 0 AND (b > 0 OR c > 0)", "((a > 0) AND ((b > 0) OR (c > 0)))"),
        ("email = 'It''s'", "((email)::text = 'It''s'::text)"),
        ("upper(code) = code", "(upper((code)::text) = (code)::text)"),
        ("a >= 0 and b <= 10", "((a >= 0) AND (b <= 10))"),
        ("d >= '2020-01-01'", "(d >= '2020-01-01'::date)"),
        ("length(username) >= length(name)", "(length((username)::text) >= length(name))"),
        ("a != b", "(a <> b)"),
        ("price = 0.50", "(price = 0.50)"),
        ("NOT (a > b)", "(NOT (a > b))"),
        ("x NOT BETWEEN 1 AND 5", "((x < 1) OR (x > 5))"),
        ("status NOT IN ('a', 'b')", "((status)::text <> ALL ((ARRAY['a'::character varying, 'b'::character varying])::text[]))"),
        ("x % 2 = 0", "((x % 2) = 0)"),
        ("x IN (1, 2, 3)", "(x = ANY (ARRAY[1, 2, 3]))"),
        ("lower(name) LIKE 'a%'", "(lower((name)::text) ~~ 'a%'::text)"),
        ("CASE WHEN a > 0 THEN b > 0 ELSE true END", "\nCASE\n    WHEN (a > 0) THEN (b > 0)\n    ELSE true\nEND"),
        ("NOT flag", "(NOT flag)"),
        ("f > 1.5e3", "(f > ('1500'::numeric)::double precision)"),
        ("x IN (7)", "(x = 7)"),
        ("name NOT LIKE 'z%'", "((name)::text !~~ 'z%'::text)"),
    ];

    #[test]
    fn stored_checks_compare_equal_to_the_model_text() {
        for (model, stored) in STORED_CHECKS {
            let stored = check_expr(&format!("CHECK ({stored})"));
            assert_eq!(
                check_expr_key(model),
                check_expr_key(&stored),
                "{model}  vs  {stored}"
            );
        }
    }

    #[test]
    fn changed_checks_do_not() {
        for (model, stored) in [
            ("length(username) > 3", "(length((username)::text) > 2)"),
            ("status IN ('a', 'c')", "((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))"),
            ("a > -2", "(a > '-1'::integer)"),
            ("created_at > '2000-01-02'", "(created_at > '2000-01-01 00:00:00'::timestamp without time zone)"),
            ("username LIKE 'v%'", "((username)::text ~~ 'u%'::text)"),
        ] {
            assert_ne!(check_expr_key(model), check_expr_key(stored), "{model}");
        }
    }

    #[test]
    fn check_definitions() {
        assert_eq!(check_expr("CHECK ((a > 0))"), "a > 0");
        assert_eq!(
            check_expr("CHECK (((a > 0) AND (b > 0))) NOT VALID"),
            "(a > 0) AND (b > 0)"
        );
        assert_eq!(check_expr("CHECK (flag)"), "flag");
    }

    #[test]
    fn normalize_rules() {
        let mut s = Schema::new();
        s.insert(Table {
            name: "t".into(),
            primary_key: Some(PrimaryKey {
                name: naming::primary_key("t"),
                columns: vec!["id".into()],
            }),
            columns: vec![
                Column::new("id", SqlType::Custom("serial".into())).nullable(),
                Column {
                    default: Some(ColumnDefault::Sql {
                        sql: "current_timestamp".into(),
                    }),
                    ..Column::new("at", SqlType::Custom("timestamp".into()))
                },
                Column::new(
                    "n",
                    SqlType::Decimal {
                        precision: Some(10),
                        scale: None,
                    },
                ),
                Column {
                    default: Some(ColumnDefault::Str("7".into())),
                    ..Column::new("i", SqlType::Integer)
                },
                Column::new("x".repeat(70), SqlType::Text),
                Column {
                    autoincrement: true,
                    ..Column::new("not_int", SqlType::Text)
                },
                Column {
                    autoincrement: true,
                    default: Some(ColumnDefault::Int(1)),
                    ..Column::new("ident", SqlType::BigInt)
                },
            ],
            ..Table::default()
        });
        normalize(&mut s);
        let t = s.table("t").expect("t");
        assert_eq!(t.columns[0].ty, SqlType::Integer);
        assert!(t.columns[0].autoincrement);
        assert!(!t.columns[0].nullable);
        assert_eq!(t.columns[1].ty, SqlType::Timestamp);
        assert_eq!(
            t.columns[1].default,
            Some(ColumnDefault::Sql {
                sql: "CURRENT_TIMESTAMP".into()
            })
        );
        assert_eq!(
            t.columns[2].ty,
            SqlType::Decimal {
                precision: Some(10),
                scale: Some(0)
            }
        );
        assert_eq!(t.columns[3].default, Some(ColumnDefault::Int(7)));
        assert_eq!(t.columns[4].name.len(), 63);
        assert!(!t.columns[5].autoincrement);
        assert!(t.columns[6].autoincrement);
        assert_eq!(t.columns[6].default, None);
    }

    /// What `pg_get_expr` prints (read on PostgreSQL 15) for defaults an Alembic project
    /// declares, against the Strata model's spelling of the same default, normalised: the
    /// diff must see no change; and a real change still shows.
    #[test]
    fn alembic_defaults_compare_equal_to_the_models() {
        use crate::dialect::sql_text::same_default;
        let sql = |s: &str| ColumnDefault::Sql { sql: s.into() };
        let dec = SqlType::Decimal {
            precision: Some(10),
            scale: Some(2),
        };
        let cases = [
            ("now()", SqlType::Timestamp, sql("CURRENT_TIMESTAMP")),
            ("transaction_timestamp()", SqlType::Timestamp, sql("now()")),
            ("CURRENT_TIMESTAMP", SqlType::TimestampTz, sql("now()")),
            (
                "'x'::character varying",
                SqlType::Varchar(10),
                ColumnDefault::Str("x".into()),
            ),
            ("'x'::text", SqlType::Text, sql("'x'")),
            (
                "'x'::text",
                SqlType::Varchar(3),
                ColumnDefault::Str("x".into()),
            ),
            ("0", SqlType::Integer, ColumnDefault::Str("0".into())),
            ("'0'::numeric", dec.clone(), ColumnDefault::Int(0)),
            ("0.00", dec.clone(), ColumnDefault::Int(0)),
            ("0.00", dec, ColumnDefault::Str("0".into())),
            (
                "'0'::double precision",
                SqlType::Double,
                ColumnDefault::Float(0.0),
            ),
            ("'-1'::integer", SqlType::BigInt, ColumnDefault::Int(-1)),
            ("false", SqlType::Boolean, ColumnDefault::Int(0)),
            ("true", SqlType::Boolean, ColumnDefault::Str("1".into())),
        ];
        crate::dialect::sql_text::assert_same_defaults(&cases, normalize, d);
        for (printed, ty, model) in [
            ("now()", SqlType::Timestamp, sql("statement_timestamp()")),
            (
                "LOCALTIMESTAMP",
                SqlType::Timestamp,
                sql("CURRENT_TIMESTAMP"),
            ),
            ("0.00", SqlType::Double, ColumnDefault::Float(0.5)),
            ("'x'::text", SqlType::Text, ColumnDefault::Str("X".into())),
        ] {
            assert!(
                !same_default(&ty, d(printed, &ty).as_ref(), Some(&model)),
                "{printed} vs {model:?}"
            );
        }
    }
}
