//! Dialect: mysql, catalog queries and schema assembly.
//!
//! Five `information_schema` queries, whatever the number of tables: tables (with comments),
//! columns, index columns (`STATISTICS`), foreign-key columns with their actions, and check
//! constraints. MariaDB and MySQL differ in what they print and are both read here:
//!
//! - `COLUMN_DEFAULT`: MariaDB quotes string literals (`'it''s'`, backslash escapes) and
//!   prints `NULL` for "no default"; MySQL 8 prints the bare text and marks expressions with
//!   `DEFAULT_GENERATED` in `EXTRA`;
//! - JSON: MySQL has the type; MariaDB's `JSON` is `LONGTEXT` with a `json_valid(col)` check
//!   named after the column, read back as `json` without the check;
//! - integer display widths (`int(11)` on MariaDB, `int` on MySQL 8.0.19+): read by type
//!   name; `tinyint(1)` is a boolean on both;
//! - CHECK constraints: MariaDB's `CHECK_CONSTRAINTS` has `TABLE_NAME`, MySQL's has not (it
//!   is joined through `TABLE_CONSTRAINTS`); MySQL before 8.0.16 has no checks at all.
//!
//! Descending index columns are read (`COLLATION` `D`), and on MySQL 8 one functional key part
//! after the columns (`EXPRESSION`); a unique index with either is an index, not a unique
//! constraint. What the neutral schema cannot hold is left out, so a diff never drops it:
//! prefix indexes, other functional ones, `FULLTEXT` and `SPATIAL` indexes, and the index the server made
//! for a foreign key (named after it). Triggers, views and generated expressions need no
//! record: `ALTER TABLE` keeps them.

use std::collections::BTreeMap;

use super::{is_current_timestamp, PRIMARY};
use super::{Flavor, Mysql};
use crate::dialect::catalog::{expect_results, CatalogRow, CatalogValues};
use crate::dialect::catalog::{IntrospectError, IntrospectOptions};
use crate::dialect::check_text::{self, Tok};
use crate::dialect::sql_text::{bool_default, is_numeric, number, sort_constraints};
use crate::dialect::Syntax;
use crate::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, Schema,
    SqlType, Table, Unique,
};

const QUERY_NAMES: [&str; 5] = ["tables", "columns", "indexes", "foreign keys", "checks"];

fn schema_of(d: &Mysql, opts: &IntrospectOptions) -> String {
    opts.schema
        .as_deref()
        .map_or_else(|| "DATABASE()".to_string(), |s| d.quote_str(s))
}

pub(super) fn catalog_queries(d: &Mysql, opts: &IntrospectOptions) -> Vec<String> {
    let db = schema_of(d, opts);
    let checks = if !d.server.checks {
        "SELECT '' AS table_name, '' AS name, '' AS clause FROM DUAL WHERE FALSE".to_string()
    } else {
        let same_table = if d.server.flavor == Flavor::MariaDb {
            " AND cc.TABLE_NAME = tc.TABLE_NAME"
        } else {
            ""
        };
        format!(
            "SELECT tc.TABLE_NAME AS table_name, tc.CONSTRAINT_NAME AS name, \
             cc.CHECK_CLAUSE AS clause \
             FROM information_schema.TABLE_CONSTRAINTS tc \
             JOIN information_schema.CHECK_CONSTRAINTS cc \
               ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA \
              AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME{same_table} \
             WHERE tc.TABLE_SCHEMA = {db} AND tc.CONSTRAINT_TYPE = 'CHECK' \
             ORDER BY tc.TABLE_NAME, tc.CONSTRAINT_NAME"
        )
    };
    // Functional key parts (MySQL 8.0.13+, the servers `Flavor::MySql` with checks): their
    // text is in `EXPRESSION`, which MariaDB does not have.
    let expression = if functional_indexes(d) {
        "EXPRESSION"
    } else {
        "NULL"
    };
    vec![
        format!(
            "SELECT TABLE_NAME AS name, TABLE_COMMENT AS comment \
             FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = {db} AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
        ),
        format!(
            "SELECT c.TABLE_NAME AS table_name, c.COLUMN_NAME AS name, c.COLUMN_TYPE AS col_type, \
             c.IS_NULLABLE AS nullable, c.COLUMN_DEFAULT AS dflt, c.EXTRA AS extra, \
             c.COLUMN_COMMENT AS comment \
             FROM information_schema.COLUMNS c \
             JOIN information_schema.TABLES t \
               ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
             WHERE c.TABLE_SCHEMA = {db} AND t.TABLE_TYPE = 'BASE TABLE' \
             ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"
        ),
        format!(
            "SELECT TABLE_NAME AS table_name, INDEX_NAME AS name, \
             CAST(NON_UNIQUE AS SIGNED) AS non_unique, CAST(SEQ_IN_INDEX AS SIGNED) AS seq, \
             COLUMN_NAME AS col, CAST(SUB_PART AS SIGNED) AS sub_part, INDEX_TYPE AS kind, \
             COLLATION AS collation, {expression} AS expr \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = {db} \
             ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        ),
        format!(
            "SELECT k.TABLE_NAME AS table_name, k.CONSTRAINT_NAME AS name, \
             k.COLUMN_NAME AS col, k.REFERENCED_TABLE_NAME AS ref_table, \
             k.REFERENCED_COLUMN_NAME AS ref_col, rc.UPDATE_RULE AS on_update, \
             rc.DELETE_RULE AS on_delete \
             FROM information_schema.KEY_COLUMN_USAGE k \
             JOIN information_schema.REFERENTIAL_CONSTRAINTS rc \
               ON rc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND rc.TABLE_NAME = k.TABLE_NAME \
              AND rc.CONSTRAINT_NAME = k.CONSTRAINT_NAME \
             WHERE k.TABLE_SCHEMA = {db} AND k.REFERENCED_TABLE_NAME IS NOT NULL \
             ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
        ),
        checks,
    ]
}

/// An index's rows gathered.
struct RawIndex {
    table: String,
    name: String,
    unique: bool,
    /// Something the neutral schema cannot describe: a prefix or functional part, a
    /// FULLTEXT or SPATIAL index.
    special: bool,
    columns: Vec<String>,
    /// The columns kept descending (`COLLATION` `D`).
    desc: Vec<String>,
    /// A functional key part's expression (MySQL 8), keyed after the columns.
    expr: Option<String>,
}

/// Whether the server has functional key parts: MySQL 8.0.13 and later, taken as the MySQL
/// servers with CHECK constraints (8.0.16+); MariaDB and offline SQL have none.
pub(super) fn functional_indexes(d: &Mysql) -> bool {
    d.server.flavor == Flavor::MySql && d.server.checks
}

pub(super) fn assemble(
    d: &Mysql,
    results: Vec<Vec<CatalogValues>>,
    _opts: &IntrospectOptions,
) -> Result<Schema, IntrospectError> {
    let results = expect_results(results, QUERY_NAMES.len())?;
    let [tables, columns, indexes, fks, checks]: [Vec<CatalogValues>; 5] = results
        .try_into()
        .map_err(|_| IntrospectError::Decode("wrong number of catalog results".into()))?;

    let mut by_name: BTreeMap<String, Table> = BTreeMap::new();
    for row in &tables {
        let r = CatalogRow::new(QUERY_NAMES[0], row);
        let name = r.text("name")?;
        by_name.insert(
            name.clone(),
            Table {
                name,
                comment: r.opt_text("comment")?.filter(|c| !c.is_empty()),
                ..Table::default()
            },
        );
    }

    for row in &columns {
        let r = CatalogRow::new(QUERY_NAMES[1], row);
        let Some(table) = by_name.get_mut(&r.text("table_name")?) else {
            continue;
        };
        let ty = parse_mysql_type(&r.text("col_type")?);
        let extra = r
            .opt_text("extra")?
            .unwrap_or_default()
            .to_ascii_lowercase();
        let generated = extra.contains("generated") && !extra.contains("default_generated");
        let default = match r.opt_text("dflt")? {
            _ if generated => None,
            Some(text) => parse_default(d, &text, &ty, extra.contains("default_generated")),
            None => None,
        };
        table.columns.push(Column {
            nullable: r.text("nullable")?.eq_ignore_ascii_case("YES"),
            default,
            autoincrement: extra.contains("auto_increment"),
            comment: r.opt_text("comment")?.filter(|c| !c.is_empty()),
            ..Column::new(r.text("name")?, ty)
        });
    }

    for row in &checks {
        let r = CatalogRow::new(QUERY_NAMES[4], row);
        let Some(table) = by_name.get_mut(&r.text("table_name")?) else {
            continue;
        };
        let name = r.text("name")?;
        let clause = r.text("clause")?;
        // MariaDB's JSON: a LONGTEXT column with `json_valid(col)` named after it.
        if let Some(col) = table.columns.iter_mut().find(|c| c.name == name) {
            let plain = clause.replace('`', "");
            if plain.eq_ignore_ascii_case(&format!("json_valid({name})"))
                && matches!(&col.ty, SqlType::Custom(t) if t == "longtext")
            {
                col.ty = SqlType::Json;
                continue;
            }
        }
        table.checks.push(Check {
            name,
            expr: clause.trim().to_string(),
        });
    }

    let mut raw_fks: Vec<(String, ForeignKey)> = Vec::new();
    for row in &fks {
        let r = CatalogRow::new(QUERY_NAMES[3], row);
        let table = r.text("table_name")?;
        let name = r.text("name")?;
        let same = raw_fks
            .last()
            .is_some_and(|(t, fk)| *t == table && fk.name == name);
        if !same {
            let action = |what: &str, rule: Option<String>| {
                let rule = rule.unwrap_or_default();
                referential_action(&rule).ok_or_else(|| {
                    IntrospectError::Decode(format!(
                        "table `{table}`, foreign key `{name}`: unknown ON {what} rule `{rule}`"
                    ))
                })
            };
            let fk = ForeignKey {
                name: name.clone(),
                columns: Vec::new(),
                ref_table: r.text("ref_table")?,
                ref_columns: Vec::new(),
                on_delete: action("DELETE", r.opt_text("on_delete")?)?,
                on_update: action("UPDATE", r.opt_text("on_update")?)?,
            };
            raw_fks.push((table.clone(), fk));
        }
        if let Some((_, fk)) = raw_fks.last_mut() {
            fk.columns.push(r.text("col")?);
            fk.ref_columns.extend(r.opt_text("ref_col")?);
        }
    }
    for (table, fk) in raw_fks {
        if let Some(t) = by_name.get_mut(&table) {
            t.foreign_keys.push(fk);
        }
    }

    let mut raw_ix: Vec<RawIndex> = Vec::new();
    for row in &indexes {
        let r = CatalogRow::new(QUERY_NAMES[2], row);
        let table = r.text("table_name")?;
        let name = r.text("name")?;
        let same = raw_ix
            .last()
            .is_some_and(|ix| ix.table == table && ix.name == name);
        if !same {
            let kind = r.opt_text("kind")?.unwrap_or_default();
            raw_ix.push(RawIndex {
                table,
                name,
                unique: r.int("non_unique")? == 0,
                special: !kind.eq_ignore_ascii_case("BTREE"),
                columns: Vec::new(),
                desc: Vec::new(),
                expr: None,
            });
        }
        let Some(ix) = raw_ix.last_mut() else {
            continue;
        };
        let descending = r.opt_text("collation")?.as_deref() == Some("D");
        if ix.expr.is_some() {
            // The neutral schema keys one expression, after the columns.
            ix.special = true;
        }
        match r.opt_text("col")? {
            None => match r.opt_text("expr")? {
                Some(expr) if !descending => ix.expr = Some(expr),
                _ => ix.special = true,
            },
            Some(col) if r.opt_int("sub_part")?.is_none() => {
                if descending {
                    ix.desc.push(col.clone());
                }
                ix.columns.push(col);
            }
            _ => ix.special = true,
        }
    }
    for ix in raw_ix {
        let Some(table) = by_name.get_mut(&ix.table) else {
            continue;
        };
        if ix.special {
            continue;
        }
        if ix.name == PRIMARY {
            table.primary_key = Some(PrimaryKey {
                name: PRIMARY.into(),
                columns: ix.columns,
            });
        } else if ix.unique && ix.desc.is_empty() && ix.expr.is_none() {
            table.uniques.push(Unique {
                name: ix.name,
                columns: ix.columns,
            });
        } else if !table.foreign_keys.iter().any(|fk| fk.name == ix.name) {
            table.indexes.push(Index {
                name: ix.name,
                columns: ix.columns,
                unique: ix.unique,
                desc: ix.desc,
                expr: ix.expr,
                ..Index::default()
            });
        }
    }

    let mut schema = Schema::new();
    for (_, mut table) in by_name {
        sort_constraints(&mut table);
        schema.insert(table);
    }
    Ok(schema)
}

/// `NO ACTION` and `RESTRICT` are the same on InnoDB (both check at once), and MariaDB reports
/// an unspecified action as `RESTRICT`: both read as `NO ACTION`.
fn referential_action(rule: &str) -> Option<ReferentialAction> {
    Some(match rule.to_ascii_uppercase().as_str() {
        "NO ACTION" | "RESTRICT" | "" => ReferentialAction::NoAction,
        "CASCADE" => ReferentialAction::Cascade,
        "SET NULL" => ReferentialAction::SetNull,
        "SET DEFAULT" => ReferentialAction::SetDefault,
        _ => return None,
    })
}

/// A type as `COLUMN_TYPE` spells it (or a model's custom type), as a neutral type:
/// `tinyint(1)`/`bool` boolean, integer types whatever their display width, `float` real,
/// `double` double, `decimal(p,s)`, `varchar(n)`, `text`, `blob`, `date`, `time(6)` time,
/// `datetime(6)` timestamp, `char(36)` uuid, `json`, `enum('a','b')` an enum without a type
/// name. Anything else is custom, lower-cased (verbatim when it holds quotes: `set('a')`).
pub(super) fn parse_mysql_type(spelled: &str) -> SqlType {
    let verbatim = spelled.trim();
    if let Some(SqlType::Enum { values, .. }) = crate::schema::types::parse_enum(verbatim) {
        // MySQL keeps no type name.
        return SqlType::Enum {
            name: String::new(),
            values,
        };
    }
    if verbatim.contains('\'') {
        return SqlType::Custom(verbatim.to_string());
    }
    let lower = verbatim
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let (head, args) = match lower.find('(') {
        Some(i) if lower.ends_with(')') => {
            (lower[..i].trim(), Some(&lower[i + 1..lower.len() - 1]))
        }
        _ => (lower.as_str(), None),
    };
    let nums: Vec<u32> = args
        .map(|a| a.split(',').filter_map(|p| p.trim().parse().ok()).collect())
        .unwrap_or_default();
    match (head, nums.as_slice()) {
        ("tinyint", [1]) | ("bool" | "boolean", []) => SqlType::Boolean,
        ("smallint", [] | [_]) => SqlType::SmallInt,
        ("int" | "integer", [] | [_]) => SqlType::Integer,
        ("bigint", [] | [_]) => SqlType::BigInt,
        ("float", []) | ("real", []) => SqlType::Real,
        ("float", [p]) if *p <= 24 => SqlType::Real,
        ("float", [_]) | ("double" | "double precision", []) => SqlType::Double,
        ("decimal" | "numeric" | "dec" | "fixed", [p]) => SqlType::Decimal {
            precision: Some(*p),
            scale: Some(0),
        },
        ("decimal" | "numeric" | "dec" | "fixed", [p, s]) => SqlType::Decimal {
            precision: Some(*p),
            scale: Some(*s),
        },
        ("varchar", [n]) => SqlType::Varchar(*n),
        ("text", []) => SqlType::Text,
        ("blob", []) => SqlType::Bytes,
        ("date", []) => SqlType::Date,
        ("time", [6]) => SqlType::Time,
        ("datetime", [6]) => SqlType::Timestamp,
        ("char", [36]) => SqlType::Uuid,
        ("json", []) => SqlType::Json,
        _ => SqlType::Custom(lower),
    }
}

/// A MariaDB string literal as `COLUMN_DEFAULT` prints it (`'it''s'`, `'a\\b'`), unescaped;
/// `None` unless `s` is exactly one literal.
fn mariadb_literal(s: &str) -> Option<String> {
    let body = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => match chars.next() {
                Some('\'') => out.push('\''),
                _ => return None,
            },
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                '0' => out.push('\0'),
                'Z' => out.push('\u{1a}'),
                'b' => out.push('\u{8}'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    Some(out)
}

/// A literal default's value on a column of type `ty`: a number on a numeric column (a
/// boolean on a boolean one), else the text.
fn literal_default(text: String, ty: &SqlType) -> ColumnDefault {
    if is_numeric(ty) || *ty == SqlType::Boolean {
        if let Some(n) = number(&text) {
            return bool_default(ty, n);
        }
    }
    ColumnDefault::Str(text)
}

/// A default as `COLUMN_DEFAULT` prints it, on MariaDB (literals quoted, `NULL` for none,
/// expressions bare) or MySQL 8 (literals bare, expressions flagged `DEFAULT_GENERATED`).
fn parse_default(
    d: &Mysql,
    text: &str,
    ty: &SqlType,
    generated_default: bool,
) -> Option<ColumnDefault> {
    let t = text.trim();
    if is_current_timestamp(t) {
        return Some(ColumnDefault::Sql {
            sql: "CURRENT_TIMESTAMP".into(),
        });
    }
    if let Some(canonical) = current_date_or_time(crate::dialect::sql_text::strip_outer_parens(t)) {
        return Some(ColumnDefault::Sql {
            sql: canonical.into(),
        });
    }
    let mariadb = d.server.flavor != Flavor::MySql;
    if mariadb {
        if t.eq_ignore_ascii_case("null") {
            return None;
        }
        if let Some(s) = mariadb_literal(t) {
            return Some(literal_default(s, ty));
        }
        if let Some(n) = number(t) {
            return Some(bool_default(ty, n));
        }
        return Some(ColumnDefault::Sql {
            sql: crate::dialect::sql_text::strip_outer_parens(t).to_string(),
        });
    }
    if generated_default {
        let inner = crate::dialect::sql_text::strip_outer_parens(t);
        // MySQL 8 keeps a literal given to a TEXT/BLOB column as the expression `('x')`,
        // printed with its character set: `_utf8mb4\'x\'`.
        let unprefixed = inner
            .strip_prefix("_utf8mb4")
            .or_else(|| inner.strip_prefix("_utf8mb3"))
            .map(|s| s.replace("\\'", "'"));
        if let Some(s) = unprefixed.as_deref().and_then(mariadb_literal) {
            return Some(literal_default(s, ty));
        }
        return Some(ColumnDefault::Sql {
            sql: inner.to_string(),
        });
    }
    Some(literal_default(t.to_string(), ty))
}

/// MySQL's and MariaDB's names for functions the models may spell otherwise, as the
/// standard spelling (MariaDB stores `lower(x)` as `lcase(x)`, `length(x)` as
/// `octet_length(x)`).
const FUNCTION_SYNONYMS: [(&str, &str); 3] = [
    ("lcase", "lower"),
    ("ucase", "upper"),
    ("octet_length", "length"),
];

/// A check expression as a comparison key ([`Catalog::check_expr_key`]): MySQL and MariaDB
/// store checks rewritten, so what they change is taken out before the shared key
/// ([`check_text::canonical`]): string literals read with backslash escapes (`'it\'s'`)
/// and without a character set introducer (`_utf8mb4'a'`); function synonyms
/// ([`FUNCTION_SYNONYMS`]); `MOD` is `%`; `TRUE` and `FALSE` are `1` and `0`; a negated
/// comparison is the opposite comparison (`NOT (a > b)` is `a <= b`) and a negated name is
/// a comparison with 0 (`NOT flag` is `flag = 0`), as MariaDB stores them.
///
/// [`Catalog::check_expr_key`]: crate::dialect::Catalog::check_expr_key
pub(super) fn check_expr_key(expr: &str) -> String {
    match check_text::tokens(expr, true) {
        Some(toks) => check_text::canonical(negations(mysql_words(toks))),
        None => expr.to_string(),
    }
}

fn mysql_words(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out = Vec::with_capacity(toks.len());
    let mut it = toks.into_iter().peekable();
    while let Some(t) = it.next() {
        let call = it.peek() == Some(&Tok::Punct("(".into()));
        let t = match t {
            Tok::Word(w) if w.starts_with('_') && matches!(it.peek(), Some(Tok::Str(_))) => {
                continue
            }
            Tok::Word(w) if call => Tok::Word(
                FUNCTION_SYNONYMS
                    .iter()
                    .find(|(mine, _)| *mine == w)
                    .map_or(w, |(_, standard)| (*standard).to_string()),
            ),
            Tok::Word(w) if w == "mod" => Tok::Punct("%".into()),
            Tok::Word(w) if w == "true" => Tok::Num("1".into()),
            Tok::Word(w) if w == "false" => Tok::Num("0".into()),
            other => other,
        };
        out.push(t);
    }
    out
}

/// The comparison that is true when `op` is false.
fn negated(op: &str) -> Option<&'static str> {
    Some(match op {
        "=" => "<>",
        "<>" | "!=" => "=",
        "<" => ">=",
        ">" => "<=",
        "<=" => ">",
        ">=" => "<",
        _ => return None,
    })
}

/// `NOT (a op b)` and `NOT a op b` as `a op' b`; `NOT name` as `name = 0`.
fn negations(toks: Vec<Tok>) -> Vec<Tok> {
    let is = |i: usize, s: &str| {
        toks.get(i)
            .is_some_and(|t| matches!(t, Tok::Word(w) | Tok::Punct(w) if w == s))
    };
    let boundary = |i: usize| toks.get(i).is_none_or(check_text::ends_operand);
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        if is(i, "not") {
            let open = is(i + 1, "(");
            let a = if open { i + 2 } else { i + 1 };
            let comparison = check_text::operand_end(&toks, a).and_then(|a_end| {
                let Some(Tok::Punct(op)) = toks.get(a_end) else {
                    return None;
                };
                let op = negated(op)?;
                let b_end = check_text::operand_end(&toks, a_end + 1)?;
                let end = if open {
                    is(b_end, ")").then_some(b_end + 1)?
                } else {
                    boundary(b_end).then_some(b_end)?
                };
                Some((a_end, op, b_end, end))
            });
            if let Some((a_end, op, b_end, end)) = comparison {
                out.extend_from_slice(&toks[a..a_end]);
                out.push(Tok::Punct(op.into()));
                out.extend_from_slice(&toks[a_end + 1..b_end]);
                i = end;
                continue;
            }
            if !open
                && matches!(toks.get(i + 1), Some(Tok::Word(_)))
                && check_text::operand_end(&toks, i + 1) == Some(i + 2)
                && boundary(i + 2)
            {
                out.push(toks[i + 1].clone());
                out.push(Tok::Punct("=".into()));
                out.push(Tok::Num("0".into()));
                i += 2;
                continue;
            }
        }
        out.push(toks[i].clone());
        i += 1;
    }
    out
}

/// Rewrites a model-built schema into what introspecting MySQL yields:
///
/// - custom types are re-read as `COLUMN_TYPE` spells them (`int` is `integer`, `tinyint(1)` a
///   boolean, others lower-cased); `timestamptz` is `timestamp` (both are `DATETIME(6)`);
///   `numeric(P)` is `numeric(P,0)`;
/// - the primary key is named `PRIMARY` and its columns are NOT NULL;
/// - a unique index is a unique constraint (MySQL has one kind of unique key);
/// - `RESTRICT` is `NO ACTION` (the same on InnoDB);
/// - defaults: `now()` and the other spellings of `CURRENT_TIMESTAMP` are `CURRENT_TIMESTAMP`,
///   `curdate()` and `curtime()` (as the server stores them) are `CURRENT_DATE` and
///   `CURRENT_TIME`,
///   a numeric string on a numeric column is the number, an integer on a boolean column the
///   boolean, a boolean on a numeric column the integer; an autoincrement column (integer
///   types only) has none;
/// - an empty comment is no comment;
/// - constraint and index lists are sorted by name.
pub(super) fn normalize(schema: &mut Schema) {
    let tables = std::mem::take(&mut schema.tables);
    for (_, mut table) in tables {
        let pk_cols: Vec<String> = table
            .primary_key
            .as_ref()
            .map(|p| p.columns.clone())
            .unwrap_or_default();
        for col in &mut table.columns {
            col.ty = match std::mem::replace(&mut col.ty, SqlType::Text) {
                SqlType::Custom(s) => parse_mysql_type(&s),
                SqlType::TimestampTz => SqlType::Timestamp,
                SqlType::Enum { values, .. } => SqlType::Enum {
                    name: String::new(),
                    values,
                },
                SqlType::Decimal {
                    precision: Some(p),
                    scale: None,
                } => SqlType::Decimal {
                    precision: Some(p),
                    scale: Some(0),
                },
                ty => ty,
            };
            if pk_cols.contains(&col.name) {
                col.nullable = false;
            }
            col.default = match col.default.take() {
                Some(ColumnDefault::Sql { sql }) if is_current_timestamp(&sql) => {
                    Some(ColumnDefault::Sql {
                        sql: "CURRENT_TIMESTAMP".into(),
                    })
                }
                Some(ColumnDefault::Sql { sql }) => {
                    let inner = crate::dialect::sql_text::strip_outer_parens(&sql);
                    if let Some(canonical) = current_date_or_time(inner) {
                        Some(ColumnDefault::Sql {
                            sql: canonical.into(),
                        })
                    } else {
                        match number(inner) {
                            Some(n) => Some(bool_default(&col.ty, n)),
                            None => Some(ColumnDefault::Sql {
                                sql: pipes_to_concat(inner).unwrap_or(sql),
                            }),
                        }
                    }
                }
                Some(ColumnDefault::Str(s)) => Some(literal_default(s, &col.ty)),
                Some(ColumnDefault::Bool(b)) if col.ty != SqlType::Boolean => {
                    Some(ColumnDefault::Int(i64::from(b)))
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
            if col.comment.as_deref() == Some("") {
                col.comment = None;
            }
        }
        if table.comment.as_deref() == Some("") {
            table.comment = None;
        }
        if let Some(pk) = &mut table.primary_key {
            pk.name = PRIMARY.into();
        }
        let indexes = std::mem::take(&mut table.indexes);
        for ix in indexes {
            if ix.unique && ix.is_plain() {
                table.uniques.push(Unique {
                    name: ix.name,
                    columns: ix.columns,
                });
            } else {
                table.indexes.push(ix);
            }
        }
        for fk in &mut table.foreign_keys {
            for a in [&mut fk.on_delete, &mut fk.on_update] {
                if *a == ReferentialAction::Restrict {
                    *a = ReferentialAction::NoAction;
                }
            }
        }
        sort_constraints(&mut table);
        schema.insert(table);
    }
}

/// `CURRENT_DATE` or `CURRENT_TIME` when `sql` is one of their spellings (the server stores
/// a default `(CURRENT_DATE)` as `curdate()`, `(CURRENT_TIME)` as `curtime()`).
fn current_date_or_time(sql: &str) -> Option<&'static str> {
    let s = sql
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    match s.as_str() {
        "curdate()" | "current_date" | "current_date()" => Some("CURRENT_DATE"),
        "curtime()" | "current_time" | "current_time()" => Some("CURRENT_TIME"),
        _ => None,
    }
}

/// `a || b || c` as the server stores it under `PIPES_AS_CONCAT` (the session's mode):
/// `concat(a,b,c)`; `None` when `sql` has no `||` outside quotes and parentheses.
fn pipes_to_concat(sql: &str) -> Option<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    let bytes: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let mut byte_at = Vec::with_capacity(bytes.len() + 1);
    let mut acc = 0;
    for c in &bytes {
        byte_at.push(acc);
        acc += c.len_utf8();
    }
    byte_at.push(acc);
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                '|' if depth == 0 && bytes.get(i + 1) == Some(&'|') => {
                    parts.push(sql[byte_at[start]..byte_at[i]].trim());
                    i += 1;
                    start = i + 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    if parts.is_empty() {
        return None;
    }
    parts.push(sql[byte_at[start]..].trim());
    Some(format!("concat({})", parts.join(",")))
}

#[cfg(test)]
mod tests {
    use super::super::{MARIADB, MYSQL8};
    use super::*;

    /// (as a model writes it, as MariaDB 10.11 stores it in
    /// `information_schema.CHECK_CONSTRAINTS`), every pair read back from a live server.
    const STORED_CHECKS: [(&str, &str); 45] = [
        ("length(username) > 2", "octet_length(`username`) > 2"),
        (
            "price >= 0 AND price < 1000",
            "`price` >= 0 and `price` < 1000",
        ),
        ("status IN ('a', 'b')", "`status` in ('a','b')"),
        ("x BETWEEN 1 AND 10", "`x` between 1 and 10"),
        ("name <> ''", "`name` <> ''"),
        ("created_at > '2000-01-01'", "`created_at` > '2000-01-01'"),
        ("a > 0 OR b IS NULL", "`a` > 0 or `b` is null"),
        ("lower(email) = email", "lcase(`email`) = `email`"),
        ("\"order\" > 0", "`order` > 0"),
        ("NOT (a = b)", "`a` <> `b`"),
        ("price * 2 > 1.5", "`price` * 2 > 1.5"),
        ("coalesce(x, 0) >= 0", "coalesce(`x`,0) >= 0"),
        ("a + b * c > 0", "`a` + `b` * `c` > 0"),
        ("(a + b) * c > 0", "(`a` + `b`) * `c` > 0"),
        (
            "status = 'a' OR status = 'b'",
            "`status` = 'a' or `status` = 'b'",
        ),
        ("char_length(code) = 3", "char_length(`code`) = 3"),
        ("x IS NOT NULL", "`x` is not null"),
        (
            "length(name) BETWEEN 1 AND 5",
            "octet_length(`name`) between 1 and 5",
        ),
        ("flag = true", "`flag` = 1"),
        ("a > -1", "`a` > -1"),
        (
            "a > 0 AND b > 0 AND c > 0",
            "`a` > 0 and `b` > 0 and `c` > 0",
        ),
        ("username LIKE 'u%'", "`username` like 'u%'"),
        ("status NOT IN ('x')", "`status` <> 'x'"),
        (
            "a > 0 AND (b > 0 OR c > 0)",
            "`a` > 0 and (`b` > 0 or `c` > 0)",
        ),
        ("email = 'It''s'", "`email` = 'It\\'s'"),
        ("upper(code) = code", "ucase(`code`) = `code`"),
        ("a >= 0 and b <= 10", "`a` >= 0 and `b` <= 10"),
        ("d >= '2020-01-01'", "`d` >= '2020-01-01'"),
        (
            "length(username) >= length(name)",
            "octet_length(`username`) >= octet_length(`name`)",
        ),
        ("a != b", "`a` <> `b`"),
        ("price = 0.50", "`price` = 0.50"),
        ("NOT (a > b)", "`a` <= `b`"),
        ("x NOT BETWEEN 1 AND 5", "`x` not between 1 and 5"),
        ("status NOT IN ('a', 'b')", "`status` not in ('a','b')"),
        ("x % 2 = 0", "`x` MOD 2 = 0"),
        ("x IN (1, 2, 3)", "`x` in (1,2,3)"),
        ("lower(name) LIKE 'a%'", "lcase(`name`) like 'a%'"),
        ("abs(x) < 5", "abs(`x`) < 5"),
        (
            "CASE WHEN a > 0 THEN b > 0 ELSE true END",
            "case when `a` > 0 then `b` > 0 else 1 end",
        ),
        ("NOT flag", "`flag` = 0"),
        ("f > 1.5e3", "`f` > 1.5e3"),
        ("x IN (7)", "`x` = 7"),
        ("NOT (a = b) AND x > 0", "`a` <> `b` and `x` > 0"),
        ("name NOT LIKE 'z%'", "`name`  not like 'z%'"),
        (
            "status = 'a' AND NOT (a <> b)",
            "`status` = 'a' and `a` = `b`",
        ),
    ];

    #[test]
    fn stored_checks_compare_equal_to_the_model_text() {
        for (model, stored) in STORED_CHECKS {
            assert_eq!(
                check_expr_key(model),
                check_expr_key(stored),
                "{model}  vs  {stored}"
            );
        }
        // MySQL 8 writes a character set before string literals (from its manual).
        assert_eq!(
            check_expr_key("status IN ('a', 'b')"),
            check_expr_key("(`status` in (_utf8mb4'a',_utf8mb4'b'))")
        );
    }

    #[test]
    fn changed_checks_do_not() {
        for (model, stored) in [
            ("length(username) > 3", "octet_length(`username`) > 2"),
            ("NOT (a > b)", "`a` < `b`"),
            ("flag = false", "`flag` = 1"),
            ("email = 'It''s'", "`email` = 'Its'"),
            ("x BETWEEN 1 AND 9", "`x` between 1 and 10"),
        ] {
            assert_ne!(check_expr_key(model), check_expr_key(stored), "{model}");
        }
    }

    #[test]
    fn current_date_and_time_spellings() {
        for s in ["curdate()", "CURRENT_DATE", "current_date ( )"] {
            assert_eq!(current_date_or_time(s), Some("CURRENT_DATE"), "{s}");
        }
        for s in ["curtime()", "CURRENT_TIME", "current_time()"] {
            assert_eq!(current_date_or_time(s), Some("CURRENT_TIME"), "{s}");
        }
        for s in ["curdate() + 1", "'curdate()'", "now()"] {
            assert_eq!(current_date_or_time(s), None, "{s}");
        }
    }

    #[test]
    fn pipes_are_concat() {
        assert_eq!(
            pipes_to_concat("'n/' || 'a'"),
            Some("concat('n/','a')".into())
        );
        assert_eq!(
            pipes_to_concat("a || (b || 'x||y')"),
            Some("concat(a,(b || 'x||y'))".into())
        );
        assert_eq!(pipes_to_concat("'a||b'"), None);
    }

    #[test]
    fn column_types() {
        for (s, t) in [
            ("int(11)", SqlType::Integer),
            ("int", SqlType::Integer),
            ("tinyint(1)", SqlType::Boolean),
            ("smallint(6)", SqlType::SmallInt),
            ("bigint(20)", SqlType::BigInt),
            ("float", SqlType::Real),
            ("double", SqlType::Double),
            (
                "decimal(10,2)",
                SqlType::Decimal {
                    precision: Some(10),
                    scale: Some(2),
                },
            ),
            ("varchar(255)", SqlType::Varchar(255)),
            ("datetime(6)", SqlType::Timestamp),
            ("time(6)", SqlType::Time),
            ("char(36)", SqlType::Uuid),
            ("longtext", SqlType::Custom("longtext".into())),
            ("datetime", SqlType::Custom("datetime".into())),
            (
                "int(10) unsigned",
                SqlType::Custom("int(10) unsigned".into()),
            ),
            (
                "enum('A','it''s')",
                SqlType::Enum {
                    name: String::new(),
                    values: vec!["A".into(), "it's".into()],
                },
            ),
        ] {
            assert_eq!(parse_mysql_type(s), t, "{s}");
        }
    }

    #[test]
    fn defaults_on_both_servers() {
        let text = SqlType::Varchar(10);
        let int = SqlType::Integer;
        let m = &MARIADB;
        assert_eq!(parse_default(m, "NULL", &text, false), None);
        assert_eq!(
            parse_default(m, "'NULL'", &text, false),
            Some(ColumnDefault::Str("NULL".into()))
        );
        assert_eq!(
            parse_default(m, r"'it''s a\\b'", &text, false),
            Some(ColumnDefault::Str(r"it's a\b".into()))
        );
        assert_eq!(
            parse_default(m, "42", &int, false),
            Some(ColumnDefault::Int(42))
        );
        assert_eq!(
            parse_default(m, "1", &SqlType::Boolean, false),
            Some(ColumnDefault::Bool(true))
        );
        assert_eq!(
            parse_default(m, "current_timestamp(6)", &SqlType::Timestamp, false),
            Some(ColumnDefault::Sql {
                sql: "CURRENT_TIMESTAMP".into()
            })
        );
        assert_eq!(
            parse_default(m, "(1 + 2)", &int, false),
            Some(ColumnDefault::Sql {
                sql: "1 + 2".into()
            })
        );
        let y = &MYSQL8;
        assert_eq!(
            parse_default(y, "it's", &text, false),
            Some(ColumnDefault::Str("it's".into()))
        );
        assert_eq!(
            parse_default(y, "42", &int, false),
            Some(ColumnDefault::Int(42))
        );
        assert_eq!(
            parse_default(y, "_utf8mb4\\'x\\'", &SqlType::Text, true),
            Some(ColumnDefault::Str("x".into()))
        );
        assert_eq!(
            parse_default(y, "CURRENT_TIMESTAMP(6)", &SqlType::Timestamp, true),
            Some(ColumnDefault::Sql {
                sql: "CURRENT_TIMESTAMP".into()
            })
        );
    }

    /// What MariaDB 10.11 prints in `COLUMN_DEFAULT` (read from the server) for defaults an
    /// Alembic project declares, against the Strata model's spelling, normalised: the diff
    /// sees no change; a real change still shows.
    #[test]
    fn alembic_defaults_compare_equal_to_the_models() {
        use crate::dialect::sql_text::same_default;
        let sql = |s: &str| ColumnDefault::Sql { sql: s.into() };
        let dec = SqlType::Decimal {
            precision: Some(10),
            scale: Some(2),
        };
        let m = &MARIADB;
        let cases = [
            ("current_timestamp()", SqlType::Timestamp, sql("now()")),
            (
                "current_timestamp()",
                SqlType::Timestamp,
                sql("CURRENT_TIMESTAMP"),
            ),
            (
                "current_timestamp(6)",
                SqlType::Timestamp,
                sql("CURRENT_TIMESTAMP"),
            ),
            ("'x'", SqlType::Varchar(10), ColumnDefault::Str("x".into())),
            ("'x'", SqlType::Varchar(10), sql("'x'")),
            ("0", SqlType::Integer, ColumnDefault::Str("0".into())),
            ("0.00", dec.clone(), ColumnDefault::Int(0)),
            ("0.00", dec, ColumnDefault::Str("0".into())),
            ("0", SqlType::Real, ColumnDefault::Float(0.0)),
            ("-1", SqlType::BigInt, ColumnDefault::Int(-1)),
            ("0", SqlType::Boolean, sql("false")),
            ("1", SqlType::Boolean, ColumnDefault::Bool(true)),
            ("1", SqlType::Boolean, sql("true")),
            ("1", SqlType::Boolean, ColumnDefault::Str("1".into())),
            ("1", SqlType::Boolean, sql("'1'")),
        ];
        crate::dialect::sql_text::assert_same_defaults(&cases, normalize, |p, ty| {
            parse_default(m, p, ty, false)
        });
        for (printed, ty, model) in [
            (
                "current_timestamp()",
                SqlType::Timestamp,
                sql("CURRENT_DATE"),
            ),
            ("1", SqlType::Boolean, ColumnDefault::Bool(false)),
            ("0.00", SqlType::Double, ColumnDefault::Float(0.5)),
        ] {
            assert!(
                !same_default(
                    &ty,
                    parse_default(m, printed, &ty, false).as_ref(),
                    Some(&model)
                ),
                "{printed} vs {model:?}"
            );
        }
    }

    #[test]
    fn functional_and_descending_key_parts_are_read_on_mysql_8() {
        let ix = |name: &str, seq: &str, col: Option<&str>, collation: &str, expr: Option<&str>| {
            CatalogValues::for_test(&[
                ("table_name", Some("users")),
                ("name", Some(name)),
                ("non_unique", Some("1")),
                ("seq", Some(seq)),
                ("col", col),
                ("sub_part", None),
                ("kind", Some("BTREE")),
                ("collation", Some(collation)),
                ("expr", expr),
            ])
        };
        let tables = vec![CatalogValues::for_test(&[
            ("name", Some("users")),
            ("comment", Some("")),
        ])];
        let indexes = vec![
            ix("ix_a_lower", "1", Some("a"), "D", None),
            ix("ix_a_lower", "2", None, "A", Some("lower(`email`)")),
            // An expression before a column: left out.
            ix("ix_odd", "1", None, "A", Some("lower(`email`)")),
            ix("ix_odd", "2", Some("a"), "A", None),
        ];
        let results = vec![tables, Vec::new(), indexes, Vec::new(), Vec::new()];
        let schema = assemble(&MYSQL8, results, &IntrospectOptions::default()).expect("assemble");
        let t = &schema.tables["users"];
        assert_eq!(t.indexes.len(), 1, "{:?}", t.indexes);
        assert_eq!(t.indexes[0].name, "ix_a_lower");
        assert_eq!(t.indexes[0].columns, ["a"]);
        assert_eq!(t.indexes[0].desc, ["a"]);
        assert_eq!(t.indexes[0].expr.as_deref(), Some("lower(`email`)"));
        assert_eq!(
            check_expr_key("lower(`email`)"),
            check_expr_key("lower(email)"),
            "the model's expression and the server's compare equal"
        );
        assert!(catalog_queries(&MYSQL8, &IntrospectOptions::default())[2].contains("EXPRESSION"));
        assert!(!catalog_queries(&MARIADB, &IntrospectOptions::default())[2].contains("EXPRESSION"));
    }
}
