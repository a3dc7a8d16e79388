//! Property test (stages 2-7 end to end, live): random schema pairs A -> B migrated with rows on
//! real SQLite and PostgreSQL.
//!
//! A case is a random model set A (1-3 tables; columns of every neutral type, nullability,
//! literal and SQL defaults, single, composite and autoincrement primary keys, indexes,
//! uniques, foreign keys between the tables with actions (cycles too), checks, identifiers
//! that need quoting), rows for A that satisfy A's constraints, and B: A changed by 1-6 random
//! edits (add/drop/rename table, add/drop/rename column with `renamed_from` hints, type changes
//! the data survives, widening a key with its referencing columns, nullability, defaults,
//! primary-key changes, add/drop index, unique, foreign key, check, foreign-key actions).
//! Every edit keeps B a consistent model whose upgrade fits A's rows and whose downgrade fits
//! them again (a NOT NULL only where no row is NULL, a new unique only where the values are
//! distinct, a dropped column only when re-adding it cannot break a constraint, ...).
//!
//! Per case and dialect, on a fresh database through the real executor:
//! 1. create A (`diff(empty, A)`), introspect: diffs empty against the normalised A and equals
//!    it structurally, names included; insert the rows;
//! 2. upgrade with `diff(introspected, B)`, its ops written to a migration file's TOML and read
//!    back; introspect: diffs empty against the normalised B (hints and all, as `check` would)
//!    and equals it structurally (constraint names aside: a kept constraint keeps the
//!    database's name); every surviving table keeps its rows and every surviving column its
//!    values;
//! 3. downgrade with the plan's downgrade, introspect: A again, names included; the rows of
//!    every column that exists before and after the round trip are as they were.
//!
//! Seeded (ChaCha, fixed seed) and bounded: [`DEFAULT_CASES`] cases per dialect, no failure
//! file; the run must exercise every kind of op (a generator that degenerated would pass
//! forever). `STRATA_PROPTEST_SEED` and `STRATA_PROPTEST_CASES` explore further. A failure
//! prints the seed and the shrunk case as a `#[test]` to paste at the end of this file, where
//! every case found so far is kept.

mod roundtrip_common;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::vec;
use proptest::prelude::any;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestCaseError, TestError, TestRunner};
use roundtrip_common::{
    assert_matches, assert_rows_carried, carried, normalized, parents_first, Live, Rows,
};
use serde::{Deserialize, Serialize};
use strata::apply::StepKind;
use strata::dialect::{Dialect, DialectKind};
use strata::diff::{diff, diff_on, DiffOptions};
use strata::ops::Op;
use strata::schema::{
    naming, Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, Schema,
    SqlType, Table, Unique,
};
use strata::testing::{canonical, dangling};

/// Cases per dialect in CI.
const DEFAULT_CASES: u32 = 64;
/// The fixed seed of CI runs.
const DEFAULT_SEED: u64 = 0x5354_5241_5441_0011;
/// Random choices per case (the generator reads them in order; past the end it reads zeros,
/// the simplest choice everywhere).
const CHOICES: usize = 600;

/// Whether B may create a table (or column) under the old name of a table (or column) it
/// renames (`users` -> `people` plus a new `users`): the renamed table's constraint and index
/// names follow it, so the new table's do not collide (see
/// [`regression_new_table_takes_a_renamed_tables_name`]).
const REUSE_RENAMED_NAMES: bool = true;

// ---- The case ----

/// One row: column name -> value as text (`None` is NULL). Numbers are decimal, booleans
/// `true`/`false`, bytes lower-case hex, everything else the literal's text.
type Row = BTreeMap<String, Option<String>>;

/// A generated case, in a form that can be printed and pasted back as a regression test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Case {
    /// The models before.
    a: Schema,
    /// Rows of A's tables, inserted parents first, in list order.
    rows: BTreeMap<String, Vec<Row>>,
    /// The models after (with `renamed_from` hints).
    b: Schema,
}

/// Reads random choices in order; zero (the simplest choice) past the end.
struct Chooser<'a> {
    data: &'a [u16],
    pos: usize,
}

impl Chooser<'_> {
    fn next(&mut self) -> usize {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        usize::from(v)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        let v = self.next();
        if n == 0 {
            0
        } else {
            v % n
        }
    }

    /// True with `percent` % probability; false for a zero choice.
    fn chance(&mut self, percent: usize) -> bool {
        self.next() % 100 >= 100 - percent.min(100)
    }

    fn pick<'v, T>(&mut self, items: &'v [T]) -> Option<&'v T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
}

// ---- Types, values, defaults ----

fn gen_type(ch: &mut Chooser<'_>) -> SqlType {
    match ch.below(16) {
        0 => SqlType::Integer,
        1 => SqlType::Text,
        2 => SqlType::SmallInt,
        3 => SqlType::BigInt,
        4 => SqlType::Real,
        5 => SqlType::Double,
        6 => SqlType::Boolean,
        7 => SqlType::Varchar([8, 20, 255][ch.below(3)]),
        8 => SqlType::Bytes,
        9 => SqlType::Date,
        10 => SqlType::Time,
        11 => SqlType::Timestamp,
        12 => SqlType::TimestampTz,
        13 => SqlType::Uuid,
        14 => SqlType::Json,
        _ => {
            let (precision, scale) =
                [(None, None), (Some(10), Some(2)), (Some(12), Some(0))][ch.below(3)];
            SqlType::Decimal { precision, scale }
        }
    }
}

/// A type a primary key, unique constraint or foreign key can use with distinct values
/// (PostgreSQL has no equality on `json`; a boolean has two values).
fn keyable(ty: &SqlType) -> bool {
    !matches!(ty, SqlType::Json | SqlType::Boolean)
}

/// A type an index can use.
fn indexable(ty: &SqlType) -> bool {
    !matches!(ty, SqlType::Json)
}

fn numeric(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::SmallInt
            | SqlType::Integer
            | SqlType::BigInt
            | SqlType::Real
            | SqlType::Double
            | SqlType::Decimal { .. }
    )
}

fn textual(ty: &SqlType) -> bool {
    matches!(ty, SqlType::Text | SqlType::Varchar(_))
}

/// Row `i`'s value of a column of type `ty` (`salt` tells columns apart): distinct per row,
/// non-negative, non-empty, exact in binary floating point, short enough for `varchar(8)`.
fn value(ty: &SqlType, i: usize, salt: usize) -> String {
    let n = i * 3 + salt % 3;
    match ty {
        SqlType::SmallInt | SqlType::Integer => n.to_string(),
        SqlType::BigInt => (5_000_000_000u64 + n as u64).to_string(),
        SqlType::Real | SqlType::Double => format!("{n}.25"),
        SqlType::Decimal { scale: Some(0), .. } => n.to_string(),
        SqlType::Decimal { .. } => format!("{n}.5"),
        SqlType::Boolean => if (i + salt) % 2 == 0 { "true" } else { "false" }.into(),
        SqlType::Text if salt % 4 == 0 => format!("it's {n}"),
        SqlType::Text if salt % 4 == 1 => format!("é\u{1F600} {n}"),
        SqlType::Text | SqlType::Varchar(_) | SqlType::Custom(_) => format!("v{n}"),
        SqlType::Bytes => format!("{:02x}{:02x}ff", i % 256, salt % 256),
        SqlType::Date => format!("2024-01-{:02}", n % 28 + 1),
        SqlType::Time => format!("12:34:{:02}", n % 60),
        SqlType::Timestamp => format!("2024-01-{:02} 12:34:56", n % 28 + 1),
        SqlType::TimestampTz => format!("2024-01-{:02} 12:34:56+00", n % 28 + 1),
        SqlType::Uuid => format!("00000000-0000-4000-8000-{n:012}"),
        SqlType::Json => format!("{{\"n\": {n}}}"),
        // Not generated (the enum scenarios cover them); a value the column takes.
        SqlType::Enum { values, .. } => values.first().cloned().unwrap_or_default(),
    }
}

/// `v` (see [`Row`]) as a SQL literal for a column of type `ty`.
fn literal(d: &dyn Dialect, ty: &SqlType, v: Option<&str>) -> String {
    let Some(v) = v else {
        return "NULL".into();
    };
    match ty {
        _ if numeric(ty) => v.to_string(),
        SqlType::Boolean => if v == "true" { "TRUE" } else { "FALSE" }.into(),
        SqlType::Bytes => match d.name() {
            "postgres" => format!("decode('{v}', 'hex')"),
            _ => format!("X'{v}'"),
        },
        _ => d.quote_str(v),
    }
}

/// The defaults a model may give a column of type `ty`, valid on both dialects. Some break
/// the checks this generator writes (`-1`, `''`): rows filled from them are checked.
fn defaults_for(ty: &SqlType) -> Vec<ColumnDefault> {
    let sql = |s: &str| ColumnDefault::Sql { sql: s.into() };
    let s = |s: &str| ColumnDefault::Str(s.into());
    match ty {
        SqlType::SmallInt | SqlType::Integer | SqlType::BigInt => vec![
            ColumnDefault::Int(0),
            ColumnDefault::Int(7),
            ColumnDefault::Int(-1),
            sql("1 + 2"),
        ],
        SqlType::Real | SqlType::Double => {
            vec![
                ColumnDefault::Float(0.5),
                ColumnDefault::Float(-2.25),
                ColumnDefault::Int(3),
            ]
        }
        SqlType::Decimal { scale: Some(0), .. } => {
            vec![ColumnDefault::Int(0), ColumnDefault::Int(12)]
        }
        SqlType::Decimal { .. } => vec![ColumnDefault::Int(0), ColumnDefault::Float(1.5)],
        SqlType::Boolean => vec![ColumnDefault::Bool(true), ColumnDefault::Bool(false)],
        SqlType::Text => vec![s("x"), s("it's"), s(""), sql("lower('ABC')")],
        SqlType::Varchar(_) => vec![s("x"), s("dflt")],
        SqlType::Date => vec![s("2024-01-01"), sql("CURRENT_DATE")],
        SqlType::Time => vec![s("12:00:00")],
        SqlType::Timestamp => vec![s("2024-01-01 00:00:00"), sql("CURRENT_TIMESTAMP")],
        SqlType::TimestampTz => vec![sql("CURRENT_TIMESTAMP"), s("2024-01-01 00:00:00+00")],
        SqlType::Uuid => vec![s("00000000-0000-0000-0000-000000000000")],
        SqlType::Json => vec![s("{}")],
        SqlType::Bytes | SqlType::Custom(_) | SqlType::Enum { .. } => Vec::new(),
    }
}

/// What a row holds in a column after a change that fills it from its default.
fn default_value(d: Option<&ColumnDefault>) -> Val {
    match d {
        None => Val::Null,
        Some(ColumnDefault::Int(i)) => Val::Known(i.to_string()),
        Some(ColumnDefault::Float(f)) => Val::Known(f.to_string()),
        Some(ColumnDefault::Bool(b)) => Val::Known(b.to_string()),
        Some(ColumnDefault::Str(s)) => Val::Known(s.clone()),
        Some(ColumnDefault::Sql { .. }) => Val::Unknown,
    }
}

fn gen_default(ch: &mut Chooser<'_>, ty: &SqlType) -> Option<ColumnDefault> {
    ch.pick(&defaults_for(ty)).cloned()
}

/// The types a column of type `from` may change to with its values surviving (read back as
/// the same text, numbers compared by value).
fn conversions(from: &SqlType) -> Vec<SqlType> {
    use SqlType::*;
    let dec = |p, s| Decimal {
        precision: Some(p),
        scale: Some(s),
    };
    match from {
        SmallInt => vec![Integer, BigInt, Real, Double, dec(10, 2), Text],
        Integer => vec![BigInt, Double, dec(12, 0), Text],
        BigInt => vec![dec(20, 0), Text],
        Real => vec![Double, Text],
        Double => vec![Text],
        Decimal {
            precision: Some(p),
            scale: Some(s),
        } => vec![dec(p + 4, s + 1), Text],
        Decimal { .. } => vec![Text],
        Varchar(n) => vec![Varchar(n + 40), Text],
        Text => vec![Varchar(255)],
        Boolean | Date | Time | Uuid | Json => vec![Text],
        Timestamp => vec![TimestampTz, Text],
        TimestampTz => vec![Text],
        Bytes | Custom(_) | Enum { .. } => Vec::new(),
    }
}

// ---- Generating A ----

/// Numbering of new names within one case; with `odd`, names that need quoting (spaces,
/// upper case, keywords, embedded quotes).
#[derive(Default)]
struct Names {
    odd: bool,
    table: usize,
    column: usize,
    check: usize,
}

impl Names {
    fn name(odd: bool, n: usize, plain: &str, odd_forms: [&str; 3]) -> String {
        if odd {
            format!("{}{n}", odd_forms[n % 3])
        } else {
            format!("{plain}{n}")
        }
    }
    fn table(&mut self) -> String {
        self.table += 1;
        Self::name(
            self.odd,
            self.table,
            "t",
            ["Order Items ", "select", "it's \"t\" "],
        )
    }
    fn column(&mut self) -> String {
        self.column += 1;
        Self::name(
            self.odd,
            self.column,
            "c",
            ["Mixed Case ", "from", "a\"b'c "],
        )
    }
    fn check(&mut self) -> String {
        self.check += 1;
        format!("k{}", self.check)
    }
}

fn gen_column(ch: &mut Chooser<'_>, names: &mut Names) -> Column {
    let ty = gen_type(ch);
    let mut c = Column::new(names.column(), ty);
    c.nullable = ch.chance(40);
    if ch.chance(40) {
        c.default = gen_default(ch, &c.ty);
    }
    c
}

/// The column lists of `t` a foreign key can reference: its primary key and its uniques.
fn key_sets(t: &Table) -> Vec<Vec<String>> {
    t.primary_key
        .iter()
        .map(|pk| pk.columns.clone())
        .chain(t.uniques.iter().map(|u| u.columns.clone()))
        .collect()
}

fn gen_action(ch: &mut Chooser<'_>, nullable: bool) -> ReferentialAction {
    let mut actions = vec![
        ReferentialAction::NoAction,
        ReferentialAction::Cascade,
        ReferentialAction::Restrict,
    ];
    if nullable {
        actions.push(ReferentialAction::SetNull);
    }
    *ch.pick(&actions).unwrap_or(&ReferentialAction::NoAction)
}

/// New nullable-or-not columns of `t` referencing `cols` of `parent`, and the foreign key.
fn add_fk_columns(
    ch: &mut Chooser<'_>,
    names: &mut Names,
    t: &mut Table,
    parent: &Table,
    cols: &[String],
    nullable: bool,
) {
    let mut mine = Vec::new();
    for rc in cols {
        let Some(pc) = parent.column(rc) else { return };
        let c = Column {
            nullable,
            ..Column::new(names.column(), pc.ty.clone())
        };
        mine.push(c.name.clone());
        t.columns.push(c);
    }
    t.foreign_keys.push(ForeignKey {
        name: String::new(),
        columns: mine,
        ref_table: parent.name.clone(),
        ref_columns: cols.to_vec(),
        on_delete: gen_action(ch, nullable),
        on_update: gen_action(ch, nullable),
    });
}

/// Whether `cols` already has a key, unique constraint or index on `t` (by column list).
fn has_column_list(t: &Table, cols: &[String]) -> bool {
    t.primary_key.as_ref().is_some_and(|pk| pk.columns == cols)
        || t.uniques.iter().any(|u| u.columns == cols)
        || t.indexes.iter().any(|i| i.columns == cols)
}

fn gen_table(ch: &mut Chooser<'_>, names: &mut Names, others: &Schema, name: String) -> Table {
    let mut t = Table {
        name,
        ..Table::default()
    };
    let key_types = [
        SqlType::Integer,
        SqlType::Text,
        SqlType::BigInt,
        SqlType::Varchar(20),
        SqlType::Uuid,
        SqlType::Date,
    ];
    let pk_cols: Vec<String> = match ch.below(4) {
        0 => {
            let ty = [SqlType::Integer, SqlType::BigInt, SqlType::SmallInt][ch.below(3)].clone();
            t.columns.push(Column {
                autoincrement: true,
                ..Column::new("id", ty)
            });
            vec!["id".into()]
        }
        1 | 2 => {
            let n = if ch.below(4) == 2 { 2 } else { 1 };
            (0..n)
                .map(|_| {
                    let ty = ch.pick(&key_types).cloned().unwrap_or(SqlType::Integer);
                    let c = Column::new(names.column(), ty);
                    let name = c.name.clone();
                    t.columns.push(c);
                    name
                })
                .collect()
        }
        _ => Vec::new(),
    };
    if !pk_cols.is_empty() {
        t.primary_key = Some(PrimaryKey {
            name: String::new(),
            columns: pk_cols,
        });
    }
    // A reference to an earlier table.
    let parents: Vec<&Table> = others
        .tables
        .values()
        .filter(|p| !key_sets(p).is_empty())
        .collect();
    if ch.chance(50) {
        if let Some(parent) = ch.pick(&parents).copied() {
            let sets = key_sets(parent);
            if let Some(cols) = ch.pick(&sets).cloned() {
                let nullable = ch.chance(50);
                add_fk_columns(ch, names, &mut t, parent, &cols, nullable);
            }
        }
    }
    for _ in 0..=ch.below(4) {
        let c = gen_column(ch, names);
        t.columns.push(c);
    }
    // A self-reference.
    if ch.chance(15) {
        if let Some([one]) = t
            .primary_key
            .as_ref()
            .map(|pk| pk.columns.clone())
            .as_deref()
        {
            let me = t.clone();
            add_fk_columns(ch, names, &mut t, &me, std::slice::from_ref(one), true);
        }
    }
    let plain: Vec<Column> = t
        .columns
        .iter()
        .filter(|c| {
            !t.primary_key
                .as_ref()
                .is_some_and(|pk| pk.columns.contains(&c.name))
        })
        .cloned()
        .collect();
    if ch.chance(35) {
        let cols = pick_columns(ch, &plain, keyable);
        if !cols.is_empty() && !has_column_list(&t, &cols) {
            t.uniques.push(Unique {
                name: String::new(),
                columns: cols,
            });
        }
    }
    if ch.chance(45) {
        let unique = ch.chance(30);
        let cols = pick_columns(ch, &plain, if unique { keyable } else { indexable });
        // Sometimes on the columns of a unique constraint, which both databases allow.
        let twin = t.uniques.iter().any(|u| u.columns == cols) && ch.chance(50);
        if !cols.is_empty() && (twin || !has_column_list(&t, &cols)) {
            t.indexes.push(Index {
                name: String::new(),
                columns: cols,
                unique,
                ..Index::default()
            });
        }
    }
    if ch.chance(35) {
        let fk_cols: BTreeSet<&String> = t.foreign_keys.iter().flat_map(|f| &f.columns).collect();
        let candidates: Vec<&Column> = plain
            .iter()
            .filter(|c| (numeric(&c.ty) || textual(&c.ty)) && !fk_cols.contains(&c.name))
            .collect();
        if let Some(c) = ch.pick(&candidates) {
            t.checks.push(Check {
                name: names.check(),
                expr: check_expr(&c.name, &c.ty),
            });
        }
    }
    t
}

/// One or two distinct columns of `from` whose type passes `ok`.
fn pick_columns(ch: &mut Chooser<'_>, from: &[Column], ok: fn(&SqlType) -> bool) -> Vec<String> {
    let fit: Vec<&Column> = from.iter().filter(|c| ok(&c.ty)).collect();
    let mut out = Vec::new();
    for _ in 0..=ch.below(2) {
        if let Some(c) = ch.pick(&fit) {
            if !out.contains(&c.name) {
                out.push(c.name.clone());
            }
        }
    }
    out
}

/// `name` double-quoted (a quoted identifier on both dialects).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The check this generator writes on a column: `"c" >= 0`, or `length("c") > 0` for text.
fn check_expr(column: &str, ty: &SqlType) -> String {
    if numeric(ty) {
        format!("{} >= 0", quoted(column))
    } else {
        format!("length({}) > 0", quoted(column))
    }
}

/// The column a generated check is about (its one quoted identifier).
fn check_column(expr: &str) -> String {
    let mut out = String::new();
    let mut chars = expr.chars().skip_while(|c| *c != '"').skip(1).peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
            } else {
                break;
            }
        }
        out.push(c);
    }
    out
}

/// Whether a row value satisfies a generated check (NULL does; the SQL defaults written on
/// checked types, `1 + 2` and `lower('ABC')`, do).
fn check_holds(expr: &str, v: &Val) -> bool {
    match v {
        Val::Null | Val::Unknown => true,
        Val::Known(s) if expr.starts_with("length(") => !s.is_empty(),
        Val::Known(s) => s.parse::<f64>().is_ok_and(|f| f >= 0.0),
    }
}

/// A generated check about column `from`, now about `to`.
fn rename_check(expr: &str, from: &str, to: &str) -> String {
    expr.replacen(&quoted(from), &quoted(to), 1)
}

/// Gives every key, constraint and index the name the models would give it
/// ([`naming`]); a check keeps its label (`ck_<table>_<label>`).
fn name_constraints(s: &mut Schema) {
    for t in s.tables.values_mut() {
        let name = t.name.clone();
        if let Some(pk) = &mut t.primary_key {
            pk.name = naming::primary_key(&name);
        }
        for u in &mut t.uniques {
            u.name = naming::unique(&name, &u.columns);
        }
        for i in &mut t.indexes {
            i.name = naming::index(&name, &i.columns);
        }
        for f in &mut t.foreign_keys {
            f.name = naming::foreign_key(&name, &f.columns, &f.ref_table);
        }
        for c in &mut t.checks {
            let label = c.name.rsplit('_').next().unwrap_or_default().to_string();
            c.name = naming::check(&name, &label);
        }
    }
}

/// Rows for A: 0-4 per table, parents first; foreign keys point at existing parent rows
/// (or are NULL), uniques hold, checks hold.
fn gen_rows(ch: &mut Chooser<'_>, a: &Schema, max_rows: usize) -> BTreeMap<String, Vec<Row>> {
    let mut out: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for name in parents_first(a) {
        let t = &a.tables[&name];
        let want = max_rows - ch.below(max_rows / 2 + 1);
        let fk_cols: BTreeSet<&String> = t.foreign_keys.iter().flat_map(|f| &f.columns).collect();
        let in_key = |c: &str| {
            t.primary_key
                .as_ref()
                .is_some_and(|pk| pk.columns.iter().any(|x| x == c))
        };
        let mut rows: Vec<Row> = Vec::new();
        'rows: for i in 0..want {
            let mut row = Row::new();
            for (salt, c) in t.columns.iter().enumerate() {
                if fk_cols.contains(&c.name) {
                    continue;
                }
                let null = c.nullable && !in_key(&c.name) && ch.chance(25);
                row.insert(c.name.clone(), (!null).then(|| value(&c.ty, i, salt)));
            }
            for fk in &t.foreign_keys {
                // A foreign key whose columns are unique must point at distinct parents.
                let unique = key_sets(t)
                    .iter()
                    .chain(t.indexes.iter().filter(|x| x.unique).map(|x| &x.columns))
                    .any(|k| k.iter().all(|c| fk.columns.contains(c)));
                let nullable = fk
                    .columns
                    .iter()
                    .all(|c| t.column(c).is_some_and(|c| c.nullable));
                let parent_rows: &[Row] = if fk.ref_table == t.name {
                    // Only the first row, complete already, can be pointed at.
                    &rows[..rows.len().min(1)]
                } else {
                    out.get(&fk.ref_table).map_or(&[], Vec::as_slice)
                };
                let j = if unique {
                    i
                } else {
                    ch.below(parent_rows.len().max(1))
                };
                let target = parent_rows.get(j).filter(|_| !(nullable && ch.chance(25)));
                match target {
                    Some(p) => {
                        for (c, rc) in fk.columns.iter().zip(&fk.ref_columns) {
                            let v = p.get(rc).cloned().flatten();
                            if v.is_none() && !t.column(c).is_some_and(|c| c.nullable) {
                                break 'rows;
                            }
                            row.insert(c.clone(), v);
                        }
                    }
                    None if nullable => {
                        for c in &fk.columns {
                            row.insert(c.clone(), None);
                        }
                    }
                    None => break 'rows,
                }
            }
            rows.push(row);
        }
        out.insert(name, rows);
    }
    out
}

// ---- Generating B ----

/// A value as B's rows hold it once the upgrade ran.
#[derive(Debug, Clone, PartialEq)]
enum Val {
    Null,
    Known(String),
    /// Filled by a SQL default: the same for every row, not known here.
    Unknown,
}

/// B while it is being edited, with what its rows will hold and where it came from.
struct Editing<'a> {
    a: &'a Schema,
    b: Schema,
    rows: BTreeMap<String, Vec<BTreeMap<String, Val>>>,
    /// B table name -> A table name, for the tables B keeps.
    origin: BTreeMap<String, String>,
}

impl Editing<'_> {
    fn a_table(&self, b_table: &str) -> Option<&Table> {
        self.origin.get(b_table).and_then(|a| self.a.table(a))
    }

    /// The A column a B column comes from (through a rename hint), if any.
    fn a_column(&self, b_table: &str, b_col: &str) -> Option<&Column> {
        let bt = self.b.table(b_table)?;
        let bc = bt.column(b_col)?;
        let at = self.a_table(b_table)?;
        at.column(bc.renamed_from.as_deref().unwrap_or(b_col))
            .filter(|_| bc.renamed_from.is_some() || at.column(b_col).is_some())
    }

    /// Whether a foreign key of `s` other than in `except` references `table.col` (or, with
    /// `col` `None`, anything of `table`).
    fn referenced(s: &Schema, table: &str, col: Option<&str>) -> bool {
        s.tables.values().any(|t| {
            t.foreign_keys.iter().any(|f| {
                f.ref_table == table
                    && t.name != table
                    && col.is_none_or(|c| f.ref_columns.iter().any(|x| x == c))
            })
        })
    }

    fn in_any_fk(&self, table: &str, col: &str) -> bool {
        let a_table = self.origin.get(table).map(String::as_str);
        let a_col = self.a_column(table, col).map(|c| c.name.as_str());
        let in_schema = |s: &Schema, t: Option<&str>, c: Option<&str>| {
            let (Some(t), Some(c)) = (t, c) else {
                return false;
            };
            s.tables.values().any(|x| {
                x.foreign_keys.iter().any(|f| {
                    (x.name == t && f.columns.iter().any(|y| y == c))
                        || (f.ref_table == t && f.ref_columns.iter().any(|y| y == c))
                })
            })
        };
        in_schema(&self.b, Some(table), Some(col)) || in_schema(self.a, a_table, a_col)
    }

    fn values(&self, table: &str, cols: &[String]) -> Vec<Vec<Val>> {
        self.rows
            .get(table)
            .map(|rows| {
                rows.iter()
                    .map(|r| {
                        cols.iter()
                            .map(|c| r.get(c).cloned().unwrap_or(Val::Null))
                            .collect()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether the non-NULL tuples of `cols` are distinct (an unknown default counts as one
    /// value shared by every row).
    fn distinct(&self, table: &str, cols: &[String]) -> bool {
        let mut seen = BTreeSet::new();
        for tuple in self.values(table, cols) {
            if tuple.contains(&Val::Null) {
                continue;
            }
            if !seen.insert(format!("{tuple:?}")) {
                return false;
            }
        }
        true
    }

    fn edit(&mut self, ch: &mut Chooser<'_>, names: &mut Names) {
        let tables: Vec<String> = self.b.tables.keys().cloned().collect();
        let Some(tname) = ch.pick(&tables).cloned() else {
            return;
        };
        // Kinds whose preconditions often fail on a random table are drawn more often.
        const KINDS: [u8; 28] = [
            0, 1, 1, 2, 3, 4, 4, 5, 6, 7, 8, 8, 9, 9, 10, 10, 11, 12, 13, 14, 15, 16, 17, 17, 18,
            18, 19, 19,
        ];
        match KINDS[ch.below(KINDS.len())] {
            0 => self.add_column(ch, names, &tname),
            1 => self.drop_column(ch, &tname),
            2 => self.rename_column(ch, &tname),
            3 => self.change_type(ch, &tname),
            4 => self.change_nullability(ch, &tname),
            5 => self.change_default(ch, &tname),
            6 => self.add_index(ch, &tname, false),
            7 => self.add_index(ch, &tname, true),
            8 => self.drop_index_or_unique(ch, &tname),
            9 => self.add_foreign_key(ch, names, &tname),
            10 => self.drop_foreign_key(ch, &tname),
            11 => self.change_fk_action(ch, &tname),
            12 => self.add_check(ch, names, &tname),
            13 => self.drop_check(ch, &tname),
            14 | 15 => self.add_table(ch, names),
            16 => self.drop_table(&tname),
            17 => self.rename_table(&tname),
            18 => self.change_primary_key(ch, &tname),
            _ => self.widen_key(ch),
        }
    }

    fn add_column(&mut self, ch: &mut Chooser<'_>, names: &mut Names, t: &str) {
        let mut c = gen_column(ch, names);
        // The old name of a column B renamed, taken by the new column.
        if let Some(bt) = self.b.table(t) {
            let renamed_away: Vec<String> = bt
                .columns
                .iter()
                .filter_map(|x| x.renamed_from.clone())
                .filter(|old| bt.column(old).is_none())
                .collect();
            if let Some(old) = ch.pick(&renamed_away) {
                if REUSE_RENAMED_NAMES && ch.chance(50) {
                    c.name.clone_from(old);
                }
            }
        }
        let has_rows = self.rows.get(t).is_some_and(|r| !r.is_empty());
        if !c.nullable && c.default.is_none() && has_rows {
            c.default = gen_default(ch, &c.ty);
            if c.default.is_none() {
                c.nullable = true;
            }
        }
        let v = default_value(c.default.as_ref());
        for r in self.rows.entry(t.to_string()).or_default() {
            r.insert(c.name.clone(), v.clone());
        }
        if let Some(bt) = self.b.table_mut(t) {
            bt.columns.push(c);
        }
    }

    /// Whether column `col` of B's table `t` can go: nothing references it, it is not part of
    /// the key, and the downgrade can add A's column back, filled with its default (or NULL),
    /// without breaking A's constraints on it.
    fn droppable(&self, t: &str, col: &str) -> bool {
        let Some(bt) = self.b.table(t) else {
            return false;
        };
        let Some(c) = bt.column(col) else {
            return false;
        };
        if c.autoincrement
            || bt
                .primary_key
                .as_ref()
                .is_some_and(|pk| pk.columns.iter().any(|x| x == col))
            || Self::referenced(&self.b, t, Some(col))
        {
            return false;
        }
        let Some(ac) = self.a_column(t, col) else {
            return true;
        };
        let Some(at) = self.a_table(t) else {
            return true;
        };
        if Self::referenced(self.a, &at.name, Some(&ac.name)) {
            return false;
        }
        let lists = |cols: &[String]| cols.contains(&ac.name);
        let refill = default_value(ac.default.as_ref());
        let constrained = at.uniques.iter().any(|u| lists(&u.columns))
            || at.indexes.iter().any(|i| i.unique && lists(&i.columns))
            || at.foreign_keys.iter().any(|f| lists(&f.columns))
            || at
                .checks
                .iter()
                .any(|k| check_column(&k.expr) == ac.name && !check_holds(&k.expr, &refill));
        (ac.nullable && ac.default.is_none()) || (ac.default.is_some() && !constrained)
    }

    fn drop_column(&mut self, ch: &mut Chooser<'_>, t: &str) {
        let Some(bt) = self.b.table(t) else { return };
        if bt.columns.len() < 2 {
            return;
        }
        let candidates: Vec<String> = bt
            .columns
            .iter()
            .map(|c| c.name.clone())
            .filter(|c| self.droppable(t, c))
            .collect();
        let Some(col) = ch.pick(&candidates).cloned() else {
            return;
        };
        let bt = self.b.table_mut(t).expect("table");
        bt.columns.retain(|x| x.name != col);
        let lists = |cols: &[String]| cols.contains(&col);
        bt.uniques.retain(|u| !lists(&u.columns));
        bt.indexes.retain(|i| !lists(&i.columns));
        bt.foreign_keys.retain(|f| !lists(&f.columns));
        bt.checks.retain(|k| check_column(&k.expr) != col);
        for r in self.rows.entry(t.to_string()).or_default() {
            r.remove(&col);
        }
    }

    fn rename_column(&mut self, ch: &mut Chooser<'_>, t: &str) {
        let Some(bt) = self.b.table(t) else { return };
        let Some(c) = ch.pick(&bt.columns).cloned() else {
            return;
        };
        if c.renamed_from.is_some() || c.name.ends_with("_r") {
            return;
        }
        let old = c.name.clone();
        let new = format!("{old}_r");
        let hint = self.a_column(t, &old).map(|ac| ac.name.clone());
        let fix = |cols: &mut Vec<String>| {
            for x in cols.iter_mut() {
                if *x == old {
                    x.clone_from(&new);
                }
            }
        };
        for other in self.b.tables.values_mut() {
            for f in &mut other.foreign_keys {
                if f.ref_table == t {
                    fix(&mut f.ref_columns);
                }
            }
        }
        let bt = self.b.table_mut(t).expect("table");
        let col = bt.column_mut(&old).expect("column");
        col.name.clone_from(&new);
        col.renamed_from = hint;
        if let Some(pk) = &mut bt.primary_key {
            fix(&mut pk.columns);
        }
        bt.uniques.iter_mut().for_each(|u| fix(&mut u.columns));
        bt.indexes.iter_mut().for_each(|i| fix(&mut i.columns));
        bt.foreign_keys.iter_mut().for_each(|f| fix(&mut f.columns));
        for k in &mut bt.checks {
            if check_column(&k.expr) == old {
                k.expr = rename_check(&k.expr, &old, &new);
            }
        }
        for r in self.rows.entry(t.to_string()).or_default() {
            if let Some(v) = r.remove(&old) {
                r.insert(new.clone(), v);
            }
        }
    }

    fn change_type(&mut self, ch: &mut Chooser<'_>, t: &str) {
        let Some(bt) = self.b.table(t) else { return };
        let candidates: Vec<Column> = bt
            .columns
            .iter()
            .filter(|c| {
                !c.autoincrement
                    && !conversions(&c.ty).is_empty()
                    && !bt.checks.iter().any(|k| check_column(&k.expr) == c.name)
                    && !self.in_any_fk(t, &c.name)
            })
            .cloned()
            .collect();
        let Some(c) = ch.pick(&candidates).cloned() else {
            return;
        };
        let Some(to) = ch.pick(&conversions(&c.ty)).cloned() else {
            return;
        };
        let default = if c.default.is_some() || ch.chance(30) {
            gen_default(ch, &to)
        } else {
            None
        };
        self.set_column(t, &c.name, Some(to), default);
    }

    /// Gives B's column `t.col` type `ty` (when given) and default `default`. A column B adds
    /// is filled from its default (as finally written), so for one of those the change is
    /// refused when its rows could no longer be filled or would break a foreign key.
    fn set_column(
        &mut self,
        t: &str,
        col: &str,
        ty: Option<SqlType>,
        default: Option<ColumnDefault>,
    ) {
        let new_in_b = self.a_column(t, col).is_none();
        if new_in_b {
            let Some(c) = self.b.table(t).and_then(|bt| bt.column(col)) else {
                return;
            };
            let has_rows = self.rows.get(t).is_some_and(|r| !r.is_empty());
            let v = default_value(default.as_ref());
            let checked = self.b.table(t).is_some_and(|bt| {
                bt.checks
                    .iter()
                    .any(|k| check_column(&k.expr) == col && !check_holds(&k.expr, &v))
            });
            if (has_rows && !c.nullable && default.is_none())
                || self.in_any_fk(t, col)
                || (has_rows && checked)
            {
                return;
            }
            for r in self.rows.entry(t.to_string()).or_default() {
                r.insert(col.to_string(), v.clone());
            }
        }
        let c = self
            .b
            .table_mut(t)
            .and_then(|bt| bt.column_mut(col))
            .expect("column");
        if let Some(ty) = ty {
            c.ty = ty;
        }
        c.default = default;
    }

    fn change_nullability(&mut self, ch: &mut Chooser<'_>, t: &str) {
        let Some(bt) = self.b.table(t) else { return };
        let in_pk = |c: &Column| {
            bt.primary_key
                .as_ref()
                .is_some_and(|pk| pk.columns.contains(&c.name))
        };
        // NOT NULL only where no row holds NULL.
        let set_not_null = ch.chance(50);
        let candidates: Vec<String> = bt
            .columns
            .iter()
            .filter(|c| !c.autoincrement && !in_pk(c) && c.nullable == set_not_null)
            .filter(|c| {
                !c.nullable
                    || self
                        .values(t, std::slice::from_ref(&c.name))
                        .iter()
                        .all(|v| v[0] != Val::Null)
            })
            .map(|c| c.name.clone())
            .collect();
        let Some(name) = ch.pick(&candidates).cloned() else {
            return;
        };
        let col = self
            .b
            .table_mut(t)
            .and_then(|bt| bt.column_mut(&name))
            .expect("column");
        col.nullable = !col.nullable;
    }

    fn change_default(&mut self, ch: &mut Chooser<'_>, t: &str) {
        let Some(bt) = self.b.table(t) else { return };
        let Some(c) = ch.pick(&bt.columns).cloned() else {
            return;
        };
        if c.autoincrement {
            return;
        }
        let new = if ch.chance(30) {
            None
        } else {
            gen_default(ch, &c.ty)
        };
        self.set_column(t, &c.name, None, new);
    }

    fn add_index(&mut self, ch: &mut Chooser<'_>, t: &str, constraint: bool) {
        let Some(bt) = self.b.table(t) else { return };
        let unique = constraint || ch.chance(30);
        let cols = pick_columns(ch, &bt.columns, if unique { keyable } else { indexable });
        if cols.is_empty() || has_column_list(bt, &cols) || (unique && !self.distinct(t, &cols)) {
            return;
        }
        let bt = self.b.table_mut(t).expect("table");
        if constraint {
            bt.uniques.push(Unique {
                name: String::new(),
                columns: cols,
            });
        } else {
            bt.indexes.push(Index {
                name: String::new(),
                columns: cols,
                unique,
                ..Index::default()
            });
        }
    }

    fn drop_index_or_unique(&mut self, ch: &mut Chooser<'_>, t: &str) {
        let b = &self.b;
        let Some(bt) = b.table(t) else { return };
        let referenced = |cols: &[String]| {
            b.tables.values().any(|x| {
                x.foreign_keys
                    .iter()
                    .any(|f| f.ref_table == t && f.ref_columns == cols)
            })
        };
        let n = bt.uniques.len() + bt.indexes.len();
        let i = ch.below(n);
        if i < bt.uniques.len() {
            if referenced(&bt.uniques[i].columns) {
                return;
            }
            self.b.table_mut(t).expect("table").uniques.remove(i);
        } else if i - bt.uniques.len() < bt.indexes.len() {
            let j = i - bt.uniques.len();
            self.b.table_mut(t).expect("table").indexes.remove(j);
        }
    }

    fn add_foreign_key(&mut self, ch: &mut Chooser<'_>, names: &mut Names, t: &str) {
        let parents: Vec<Table> = self
            .b
            .tables
            .values()
            .filter(|p| p.name != t && !key_sets(p).is_empty())
            .cloned()
            .collect();
        let Some(parent) = ch.pick(&parents).cloned() else {
            return;
        };
        let sets = key_sets(&parent);
        let Some(cols) = ch.pick(&sets).cloned() else {
            return;
        };
        let Some(bt) = self.b.table(t) else { return };
        // Existing columns of the same types whose values all have a parent row, else new
        // nullable columns.
        let used: BTreeSet<&String> = bt.foreign_keys.iter().flat_map(|f| &f.columns).collect();
        let mut mine = Vec::new();
        for rc in &cols {
            let ty = parent.column(rc).map(|c| c.ty.clone());
            let found = bt.columns.iter().find(|c| {
                Some(&c.ty) == ty.as_ref()
                    && !used.contains(&c.name)
                    && !c.autoincrement
                    && !mine.contains(&c.name)
            });
            match found {
                Some(c) => mine.push(c.name.clone()),
                None => break,
            }
        }
        let parent_tuples: BTreeSet<String> = self
            .values(&parent.name, &cols)
            .iter()
            .filter(|tuple| tuple.iter().all(|v| matches!(v, Val::Known(_))))
            .map(|tuple| format!("{tuple:?}"))
            .collect();
        let fits = mine.len() == cols.len()
            && self.values(t, &mine).iter().all(|tuple| {
                tuple.contains(&Val::Null) || parent_tuples.contains(&format!("{tuple:?}"))
            });
        if fits {
            let nullable = mine
                .iter()
                .all(|c| bt.column(c).is_some_and(|c| c.nullable));
            let fk = ForeignKey {
                name: String::new(),
                columns: mine,
                ref_table: parent.name.clone(),
                ref_columns: cols,
                on_delete: gen_action(ch, nullable),
                on_update: gen_action(ch, nullable),
            };
            self.b.table_mut(t).expect("table").foreign_keys.push(fk);
        } else {
            let bt = self.b.table_mut(t).expect("table");
            let before = bt.columns.len();
            add_fk_columns(ch, names, bt, &parent, &cols, true);
            let added: Vec<String> = bt.columns[before..]
                .iter()
                .map(|c| c.name.clone())
                .collect();
            for r in self.rows.entry(t.to_string()).or_default() {
                for c in &added {
                    r.insert(c.clone(), Val::Null);
                }
            }
        }
    }

    /// Drops the primary key, or moves it to columns whose values are known, non-NULL and
    /// distinct (made NOT NULL). Not when a foreign key of B references the key, nor for an
    /// autoincrement key.
    fn change_primary_key(&mut self, ch: &mut Chooser<'_>, t: &str) {
        let Some(bt) = self.b.table(t) else { return };
        if bt.columns.iter().any(|c| c.autoincrement) {
            return;
        }
        if let Some(pk) = &bt.primary_key {
            let referenced = self.b.tables.values().any(|x| {
                x.foreign_keys
                    .iter()
                    .any(|f| f.ref_table == t && f.ref_columns == pk.columns)
            });
            if referenced {
                return;
            }
            if ch.chance(40) {
                let old = pk.columns.clone();
                let loosen = ch.chance(50);
                let bt = self.b.table_mut(t).expect("table");
                bt.primary_key = None;
                // Often the old key columns may now be empty too.
                for c in bt
                    .columns
                    .iter_mut()
                    .filter(|c| loosen && old.contains(&c.name))
                {
                    c.nullable = true;
                }
                return;
            }
        }
        let cols = pick_columns(ch, &bt.columns, keyable);
        let known = self
            .values(t, &cols)
            .iter()
            .all(|tuple| tuple.iter().all(|v| matches!(v, Val::Known(_))));
        if cols.is_empty()
            || !known
            || !self.distinct(t, &cols)
            || bt.primary_key.as_ref().is_some_and(|pk| pk.columns == cols)
        {
            return;
        }
        let old = bt.primary_key.as_ref().map(|pk| pk.columns.clone());
        let loosen = ch.chance(50);
        let bt = self.b.table_mut(t).expect("table");
        for c in &mut bt.columns {
            if cols.contains(&c.name) {
                c.nullable = false;
            } else if loosen && old.as_ref().is_some_and(|o| o.contains(&c.name)) {
                c.nullable = true;
            }
        }
        bt.primary_key = Some(PrimaryKey {
            name: String::new(),
            columns: cols,
        });
    }

    /// Widens a single-column integer key (of any table) and every column referencing it
    /// (`integer` to `bigint`), as a model does when a table outgrows its ids.
    fn widen_key(&mut self, ch: &mut Chooser<'_>) {
        let keys: Vec<(String, String)> = self
            .b
            .tables
            .values()
            .flat_map(|bt| {
                key_sets(bt).into_iter().filter_map(|k| match k.as_slice() {
                    [one]
                        if bt.column(one).is_some_and(|c| {
                            matches!(c.ty, SqlType::SmallInt | SqlType::Integer)
                        }) =>
                    {
                        Some((bt.name.clone(), one.clone()))
                    }
                    _ => None,
                })
            })
            .collect();
        let Some((t, key)) = ch.pick(&keys).cloned() else {
            return;
        };
        let t = t.as_str();
        let Some(bt) = self.b.table(t) else { return };
        let to = if ch.chance(50) || bt.column(&key).is_some_and(|c| c.ty == SqlType::Integer) {
            SqlType::BigInt
        } else {
            SqlType::Integer
        };
        // Every referencing column, which must be in no other foreign key and referenced by none.
        let mut columns = vec![(t.to_string(), key.clone())];
        for x in self.b.tables.values() {
            for f in &x.foreign_keys {
                if f.ref_table == t && f.ref_columns.contains(&key) {
                    if f.ref_columns.len() != 1 {
                        return;
                    }
                    columns.push((x.name.clone(), f.columns[0].clone()));
                }
            }
        }
        for (ct, cc) in &columns[1..] {
            let in_others = self.b.tables.values().any(|x| {
                x.foreign_keys.iter().any(|f| {
                    (x.name == *ct && f.columns.contains(cc) && f.ref_table != t)
                        || (f.ref_table == *ct && f.ref_columns.contains(cc))
                })
            });
            let auto = self
                .b
                .table(ct)
                .and_then(|x| x.column(cc))
                .is_none_or(|c| c.autoincrement);
            if in_others || auto {
                return;
            }
        }
        for (ct, cc) in columns {
            if let Some(c) = self.b.table_mut(&ct).and_then(|x| x.column_mut(&cc)) {
                c.ty = to.clone();
            }
        }
    }

    fn drop_foreign_key(&mut self, ch: &mut Chooser<'_>, t: &str) {
        let Some(bt) = self.b.table_mut(t) else {
            return;
        };
        if !bt.foreign_keys.is_empty() {
            let i = ch.below(bt.foreign_keys.len());
            bt.foreign_keys.remove(i);
        }
    }

    fn change_fk_action(&mut self, ch: &mut Chooser<'_>, t: &str) {
        let Some(bt) = self.b.table(t) else { return };
        if bt.foreign_keys.is_empty() {
            return;
        }
        let i = ch.below(bt.foreign_keys.len());
        let nullable = bt.foreign_keys[i]
            .columns
            .iter()
            .all(|c| bt.column(c).is_some_and(|c| c.nullable));
        let on_delete = ch.chance(50);
        let action = gen_action(ch, nullable);
        let fk = &mut self.b.table_mut(t).expect("table").foreign_keys[i];
        if on_delete {
            fk.on_delete = action;
        } else {
            fk.on_update = action;
        }
    }

    fn add_check(&mut self, ch: &mut Chooser<'_>, names: &mut Names, t: &str) {
        let Some(bt) = self.b.table(t) else { return };
        let candidates: Vec<&Column> = bt
            .columns
            .iter()
            .filter(|c| numeric(&c.ty) || textual(&c.ty))
            .collect();
        let Some(c) = ch.pick(&candidates).copied() else {
            return;
        };
        let check = Check {
            name: names.check(),
            expr: check_expr(&c.name, &c.ty),
        };
        let holds = self
            .values(t, std::slice::from_ref(&c.name))
            .iter()
            .all(|v| check_holds(&check.expr, &v[0]));
        if !holds {
            return;
        }
        self.b.table_mut(t).expect("table").checks.push(check);
    }

    fn drop_check(&mut self, ch: &mut Chooser<'_>, t: &str) {
        let Some(bt) = self.b.table_mut(t) else {
            return;
        };
        if !bt.checks.is_empty() {
            let i = ch.below(bt.checks.len());
            bt.checks.remove(i);
        }
    }

    fn add_table(&mut self, ch: &mut Chooser<'_>, names: &mut Names) {
        let renamed_away: Vec<String> = self
            .origin
            .iter()
            .filter(|(b, a)| b != a && self.b.table(a).is_none())
            .map(|(_, a)| a.clone())
            .collect();
        let name = match ch.pick(&renamed_away) {
            Some(old) if REUSE_RENAMED_NAMES && ch.chance(50) => old.clone(),
            _ => names.table(),
        };
        let t = gen_table(ch, names, &self.b.clone(), name);
        self.rows.insert(t.name.clone(), Vec::new());
        self.b.insert(t);
    }

    fn drop_table(&mut self, t: &str) {
        let kept_from_a = self.origin.len();
        let from_a = self.origin.get(t).cloned();
        if Self::referenced(&self.b, t, None) {
            return;
        }
        if let Some(a_name) = &from_a {
            // The downgrade creates it again, empty: nothing may point at its rows, and the
            // plan must keep some table (or the diff refuses to drop everything).
            if kept_from_a < 2 || Self::referenced(self.a, a_name, None) {
                return;
            }
        }
        self.b.tables.remove(t);
        self.rows.remove(t);
        self.origin.remove(t);
    }

    fn rename_table(&mut self, t: &str) {
        let Some(a_name) = self.origin.get(t).cloned() else {
            return;
        };
        if a_name != t {
            return;
        }
        let new = format!("{t}_r");
        if self.b.table(&new).is_some() {
            return;
        }
        let Some(mut bt) = self.b.tables.remove(t) else {
            return;
        };
        bt.name.clone_from(&new);
        bt.renamed_from = Some(a_name.clone());
        for f in &mut bt.foreign_keys {
            if f.ref_table == t {
                f.ref_table.clone_from(&new);
            }
        }
        for other in self.b.tables.values_mut() {
            for f in &mut other.foreign_keys {
                if f.ref_table == t {
                    f.ref_table.clone_from(&new);
                }
            }
        }
        self.b.insert(bt);
        if let Some(r) = self.rows.remove(t) {
            self.rows.insert(new.clone(), r);
        }
        self.origin.remove(t);
        self.origin.insert(new, a_name);
    }
}

/// What proptest generates and shrinks: the counts that shape a case first (they shrink
/// first, and fast), then the stream of choices the generator reads.
type Spec = (usize, usize, usize, Vec<u16>);

fn spec() -> impl Strategy<Value = Spec> {
    (
        1..=3usize,
        1..=6usize,
        0..=5usize,
        vec(any::<u16>(), CHOICES),
    )
}

/// The case `spec` describes: `tables` tables in A, `edits` edits to B, at most `max_rows`
/// rows per table. Always a consistent pair (checked).
fn generate(spec: &Spec) -> Case {
    let (tables, edits, max_rows, choices) = spec;
    let mut ch = Chooser {
        data: choices,
        pos: 0,
    };
    let mut names = Names {
        odd: ch.chance(20),
        ..Names::default()
    };
    let mut a = Schema::new();
    for _ in 0..*tables {
        let name = names.table();
        let t = gen_table(&mut ch, &mut names, &a, name);
        a.insert(t);
    }
    // Sometimes a reference from an earlier table to a later one: a cycle, or a table created
    // before the one it references.
    let first = a.tables.keys().next().cloned();
    let last = a.tables.keys().next_back().cloned();
    if let (Some(first), Some(last)) = (first, last) {
        let parent = a.tables[&last].clone();
        let sets = key_sets(&parent);
        if ch.chance(20) {
            if let Some(cols) = ch.pick(&sets).cloned() {
                let t = a.table_mut(&first).expect("table");
                add_fk_columns(&mut ch, &mut names, t, &parent, &cols, true);
            }
        }
    }
    name_constraints(&mut a);
    let rows = gen_rows(&mut ch, &a, *max_rows);
    let mut e = Editing {
        a: &a,
        b: a.clone(),
        rows: rows
            .iter()
            .map(|(t, rs)| {
                let rs = rs
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|(c, v)| (c.clone(), v.clone().map_or(Val::Null, Val::Known)))
                            .collect()
                    })
                    .collect();
                (t.clone(), rs)
            })
            .collect(),
        origin: a.tables.keys().map(|n| (n.clone(), n.clone())).collect(),
    };
    for _ in 0..*edits {
        e.edit(&mut ch, &mut names);
    }
    let mut b = e.b;
    name_constraints(&mut b);
    let case = Case { a, rows, b };
    assert_eq!(
        dangling(&case.a),
        Vec::<String>::new(),
        "generated A: {case:?}"
    );
    assert_eq!(
        dangling(&case.b),
        Vec::<String>::new(),
        "generated B: {case:?}"
    );
    case
}

// ---- Running a case ----

/// What the cases covered, for the coverage assertion and the summary.
#[derive(Debug, Default)]
struct Stats {
    cases: usize,
    rows: usize,
    ops: BTreeMap<&'static str, usize>,
}

fn op_kinds(op: &Op) -> Vec<&'static str> {
    match op {
        Op::CreateTable { .. } => vec!["create_table"],
        Op::DropTable { .. } => vec!["drop_table"],
        Op::RenameTable { .. } => vec!["rename_table"],
        Op::AddColumn { .. } => vec!["add_column"],
        Op::DropColumn { .. } => vec!["drop_column"],
        Op::AlterColumn {
            rename,
            ty,
            nullable,
            default,
            ..
        } => {
            let mut v = Vec::new();
            if rename.is_some() {
                v.push("rename_column");
            }
            if ty.is_some() {
                v.push("alter_type");
            }
            if let Some(n) = nullable {
                v.push(if n.to {
                    "drop_not_null"
                } else {
                    "set_not_null"
                });
            }
            if default.is_some() {
                v.push("alter_default");
            }
            v
        }
        Op::AlterColumnComment { .. } => vec!["alter_column_comment"],
        Op::AlterTableComment { .. } => vec!["alter_table_comment"],
        Op::AlterPrimaryKey { .. } => vec!["alter_primary_key"],
        Op::CreateIndex { .. } => vec!["create_index"],
        Op::DropIndex { .. } => vec!["drop_index"],
        Op::AddUnique { .. } => vec!["add_unique"],
        Op::DropUnique { .. } => vec!["drop_unique"],
        Op::AddForeignKey { .. } => vec!["add_foreign_key"],
        Op::DropForeignKey { .. } => vec!["drop_foreign_key"],
        Op::AddCheck { .. } => vec!["add_check"],
        Op::DropCheck { .. } => vec!["drop_check"],
        Op::CreateSchema { .. } => vec!["create_schema"],
        Op::DropSchema { .. } => vec!["drop_schema"],
        Op::Sql { .. } => vec!["sql"],
    }
}

/// `s` for structural comparison: [`canonical`], comments and check expressions (which the
/// databases rewrite) left out, and with `names` false the names of keys, uniques, indexes
/// and foreign keys too (the diff does not compare them; a kept one keeps its name).
fn structure(s: &Schema, names: bool) -> Schema {
    let mut s = s.clone();
    for t in s.tables.values_mut() {
        t.comment = None;
        for c in &mut t.columns {
            c.comment = None;
            // The diff compares expressions leniently (PostgreSQL reads `lower('ABC')` back
            // as `lower('ABC'::text)`); here only that a default is an expression counts.
            if let Some(ColumnDefault::Sql { sql }) = &mut c.default {
                sql.clear();
            }
        }
        for k in &mut t.checks {
            k.expr.clear();
        }
        if !names {
            if let Some(pk) = &mut t.primary_key {
                pk.name.clear();
            }
            t.uniques.iter_mut().for_each(|u| u.name.clear());
            t.indexes.iter_mut().for_each(|i| i.name.clear());
            t.foreign_keys.iter_mut().for_each(|f| f.name.clear());
            t.checks.iter_mut().for_each(|k| k.name.clear());
        }
    }
    canonical(&s)
}

fn assert_structure(got: &Schema, want: &Schema, names: bool, context: &str) -> Result<(), String> {
    let (g, w) = (structure(got, names), structure(want, names));
    if g == w {
        return Ok(());
    }
    let mut lines = Vec::new();
    for name in g
        .tables
        .keys()
        .chain(w.tables.keys())
        .collect::<BTreeSet<_>>()
    {
        let (x, y) = (g.table(name), w.table(name));
        if x != y {
            lines.push(format!(
                "table {name}:\n    database: {x:?}\n    expected: {y:?}"
            ));
        }
    }
    Err(format!(
        "{context}: the database differs structurally from what was asked for:\n  {}",
        lines.join("\n  ")
    ))
}

/// The index names of every table are the same in `got` and `want`.
fn assert_index_names(got: &Schema, want: &Schema, context: &str) -> Result<(), String> {
    let names = |s: &Schema| -> BTreeSet<(String, String)> {
        s.tables
            .values()
            .flat_map(|t| t.indexes.iter().map(|i| (t.name.clone(), i.name.clone())))
            .collect()
    };
    if names(got) == names(want) {
        return Ok(());
    }
    Err(format!(
        "{context}: index names differ:\n    database: {:?}\n    expected: {:?}",
        names(got),
        names(want)
    ))
}

/// Columns whose text form legitimately changes with the upgrade (`timestamp` to
/// `timestamptz` on PostgreSQL prints the zone): their values are compared only after the
/// round trip.
fn relaxed(kind: DialectKind, plan: &[Op]) -> BTreeSet<(String, String)> {
    plan.iter()
        .filter_map(|op| match op {
            Op::AlterColumn {
                table,
                column,
                rename,
                ty: Some(ch),
                ..
            } if kind == DialectKind::Postgres
                && ch.from == SqlType::Timestamp
                && ch.to == SqlType::TimestampTz =>
            {
                Some((
                    table.clone(),
                    rename.clone().unwrap_or_else(|| column.clone()),
                ))
            }
            _ => None,
        })
        .collect()
}

fn describe(ops: &[Op]) -> String {
    let lines: Vec<String> = ops.iter().flat_map(Op::describe).collect();
    if lines.is_empty() {
        "(no ops)".into()
    } else {
        lines.join("\n    ")
    }
}

/// The ops of a migration file, as written and read back.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct FileOps {
    upgrade: Vec<Op>,
    downgrade: Vec<Op>,
}

/// `plan` with its ops written as a migration file's TOML and parsed back (they must come back
/// equal).
fn through_toml(mut plan: strata::diff::Changes) -> Result<strata::diff::Changes, String> {
    let ops = FileOps {
        upgrade: std::mem::take(&mut plan.upgrade),
        downgrade: std::mem::take(&mut plan.downgrade),
    };
    let text = toml::to_string(&ops).map_err(|e| format!("ops do not serialize: {e}"))?;
    let back: FileOps = toml::from_str(&text).map_err(|e| {
        format!(
            "ops do not parse back: {e}
{text}"
        )
    })?;
    if back != ops {
        return Err(format!(
            "ops change through TOML:
{text}"
        ));
    }
    plan.upgrade = back.upgrade;
    plan.downgrade = back.downgrade;
    Ok(plan)
}

/// The inserts of the case's rows, parents first.
fn inserts(d: &dyn Dialect, case: &Case) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for name in parents_first(&case.a) {
        let t = &case.a.tables[&name];
        for row in case.rows.get(&name).into_iter().flatten() {
            let mut cols = Vec::new();
            let mut vals = Vec::new();
            for (c, v) in row {
                let col = t
                    .column(c)
                    .ok_or_else(|| format!("row of {name} names missing column {c}"))?;
                cols.push(d.quote_ident(c));
                vals.push(literal(d, &col.ty, v.as_deref()));
            }
            out.push(format!(
                "INSERT INTO {} ({}) VALUES ({})",
                d.quote_ident(&name),
                cols.join(", "),
                vals.join(", ")
            ));
        }
    }
    Ok(out)
}

fn row_counts(rows: &Rows) -> BTreeMap<String, usize> {
    rows.iter().map(|(t, r)| (t.clone(), r.len())).collect()
}

/// Runs one case on a fresh database of `kind` (see the module docs).
async fn run_case(kind: DialectKind, case: &Case, stats: &RefCell<Stats>) -> Result<(), String> {
    let mut live = Live::new(kind, "prop").await;
    let d = live.dialect;
    let all = DiffOptions::default();
    let norm_a = normalized(d, &case.a);
    let norm_b = normalized(d, &case.b);

    // 1. A, with rows.
    let create = diff(&Schema::new(), &norm_a, &all).map_err(|e| format!("creating A: {e}"))?;
    live.apply(
        "a",
        StepKind::Up,
        Some("a"),
        &create.upgrade,
        &Schema::new(),
    )
    .await?;
    let got_a = live.introspect().await.schema;
    assert_matches(d, &got_a, &norm_a, &all, "after creating A")?;
    assert_structure(&got_a, &norm_a, true, "after creating A")?;
    for sql in inserts(d, case)? {
        live.exec(&sql).await?;
    }
    let rows_a = live.rows(&got_a).await?;
    let inserted: BTreeMap<String, usize> = case
        .a
        .tables
        .keys()
        .map(|t| (t.clone(), case.rows.get(t).map_or(0, Vec::len)))
        .collect();
    if row_counts(&rows_a) != inserted {
        return Err(format!(
            "rows read back {:?}, inserted {inserted:?}",
            row_counts(&rows_a)
        ));
    }

    // 2. Upgrade to B, autogenerated against the database as introspected, and stored in a
    //    migration file's TOML and read back as `upgrade` would.
    let plan =
        diff_on(d, &got_a, &norm_b, &all).map_err(|e| format!("diff A -> B refused: {e}"))?;
    let plan = through_toml(plan)?;
    let context = |what: &str| format!("{what}\n  upgrade:\n    {}", describe(&plan.upgrade));
    let after_up = live
        .apply("b", StepKind::Up, Some("b"), &plan.upgrade, &got_a)
        .await
        .map_err(|e| format!("{}\n  {e}", context("upgrade failed")))?;
    let got_b = live.introspect().await.schema;
    assert_matches(d, &got_b, &norm_b, &all, &context("after the upgrade"))?;
    assert_structure(&got_b, &norm_b, false, &context("after the upgrade"))?;
    let rows_b = live.rows(&got_b).await?;
    let relaxed = relaxed(kind, &plan.upgrade);
    assert_rows_carried(
        &rows_a,
        &rows_b,
        &carried(&got_a, &plan.upgrade),
        |t, c| !relaxed.contains(&(t.to_string(), c.to_string())),
        &context("upgrade"),
    )?;

    // 3. Downgrade back to A.
    live.apply("b", StepKind::Down, Some("a"), &plan.downgrade, &after_up)
        .await
        .map_err(|e| {
            format!(
                "{}\n  downgrade:\n    {}\n  {e}",
                context("downgrade failed"),
                describe(&plan.downgrade)
            )
        })?;
    let got_back = live.introspect().await.schema;
    assert_matches(d, &got_back, &norm_a, &all, &context("after the downgrade"))?;
    // SQLite keeps the key, unique, foreign-key and check names written inside `CREATE TABLE`
    // when a table is renamed (they are scoped to the table there; only a rebuild rewrites
    // them), so after a round trip through a rename only its index names are compared.
    let renames_table = plan
        .upgrade
        .iter()
        .any(|op| matches!(op, Op::RenameTable { .. }));
    if kind == DialectKind::Sqlite && renames_table {
        assert_structure(&got_back, &norm_a, false, &context("after the downgrade"))?;
        assert_index_names(&got_back, &norm_a, &context("after the downgrade"))?;
    } else {
        assert_structure(&got_back, &norm_a, true, &context("after the downgrade"))?;
    }
    let rows_back = live.rows(&got_back).await?;
    let round_trip = [plan.upgrade.as_slice(), plan.downgrade.as_slice()].concat();
    assert_rows_carried(
        &rows_a,
        &rows_back,
        &carried(&got_a, &round_trip),
        |_, _| true,
        &context("round trip"),
    )?;

    let mut s = stats.borrow_mut();
    s.cases += 1;
    s.rows += rows_a.values().map(Vec::len).sum::<usize>();
    for op in &plan.upgrade {
        for k in op_kinds(op) {
            *s.ops.entry(k).or_default() += 1;
        }
    }
    Ok(())
}

fn run_blocking(kind: DialectKind, case: &Case, stats: &RefCell<Stats>) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(run_case(kind, case, stats))
}

/// The regression test to paste for a failing case.
fn regression_text(kind: DialectKind, seed: u64, case: &Case) -> String {
    let json = serde_json::to_string_pretty(case).expect("case serializes");
    format!(
        "#[test]\nfn regression_{kind}_{seed:x}() {{\n    regression(\n        \
         DialectKind::{kind:?},\n        r#\"{json}\"#,\n    );\n}}"
    )
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => v.parse().ok(),
    }
}

/// The property on `kind`: every generated case passes [`run_case`].
fn property(kind: DialectKind) {
    let seed = env_number("STRATA_PROPTEST_SEED").unwrap_or(DEFAULT_SEED);
    let cases = env_number("STRATA_PROPTEST_CASES").map_or(DEFAULT_CASES, |n| n as u32);
    let config = Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters: 200,
        max_shrink_time: 60_000,
        ..Config::default()
    };
    let stats = RefCell::new(Stats::default());
    let mut runner = TestRunner::new(config);
    let started = std::time::Instant::now();
    let result = runner.run(&spec(), |spec| {
        let case = generate(&spec);
        run_blocking(kind, &case, &stats).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, spec)) => {
            let case = generate(&spec);
            panic!(
                "{kind}: property fails (seed {seed:#x}; rerun with STRATA_PROPTEST_SEED={seed:#x} \
                 STRATA_PROPTEST_CASES={cases}). Shrunk case:\n{reason}\n\n\
                 Keep it as a regression case at the end of runtime/tests/property.rs:\n\n{}\n",
                regression_text(kind, seed, &case)
            );
        }
        Err(e) => panic!("{kind}: seed {seed:#x}: {e}"),
    }
    let stats = stats.into_inner();
    eprintln!(
        "{kind}: {} cases, {} rows, in {:.1?} (seed {seed:#x}); upgrade ops: {:?}",
        stats.cases,
        stats.rows,
        started.elapsed(),
        stats.ops
    );
    // The generator must keep reaching every kind of change; a generator that degenerated into
    // trivial pairs would pass forever.
    if seed == DEFAULT_SEED && cases >= DEFAULT_CASES {
        let missing: Vec<&str> = [
            "create_table",
            "drop_table",
            "rename_table",
            "add_column",
            "drop_column",
            "rename_column",
            "alter_type",
            "drop_not_null",
            "set_not_null",
            "alter_default",
            "create_index",
            "drop_index",
            "add_unique",
            "drop_unique",
            "add_foreign_key",
            "drop_foreign_key",
            "add_check",
            "drop_check",
            "alter_primary_key",
        ]
        .into_iter()
        .filter(|k| !stats.ops.contains_key(k))
        .collect();
        assert!(
            missing.is_empty(),
            "{kind}: no case exercised {missing:?}: {:?}",
            stats.ops
        );
    }
}

#[test]
fn random_schema_pairs_round_trip_on_sqlite() {
    property(DialectKind::Sqlite);
}

#[test]
fn random_schema_pairs_round_trip_on_postgres() {
    property(DialectKind::Postgres);
}

/// The generator is deterministic and its cases survive being printed and pasted back.
#[test]
fn cases_are_deterministic_and_print_back() {
    let mut runner = TestRunner::new(Config {
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(DEFAULT_SEED),
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = spec();
    for _ in 0..200 {
        let spec = strategy.new_tree(&mut runner).expect("tree").current();
        let case = generate(&spec);
        assert_eq!(generate(&spec), case);
        let json = serde_json::to_string_pretty(&case).expect("serializes");
        let back: Case = serde_json::from_str(&json).expect("parses back");
        assert_eq!(back, case);
    }
}

// ---- Regression cases (shrunk failures; each passes unless marked) ----

/// Runs one kept case on `kind`.
fn regression(kind: DialectKind, json: &str) {
    let case: Case = serde_json::from_str(json).expect("the regression case parses");
    let stats = RefCell::new(Stats::default());
    if let Err(e) = run_blocking(kind, &case, &stats) {
        panic!("{kind}: {e}");
    }
}

/// PostgreSQL reads SQL defaults back in its own spelling (`(1 + 2)`, `lower('ABC'::text)`):
/// the first cases the property found, on the harness's own structural comparison, which now
/// leaves default expressions to the diff. Kept on both dialects.
#[test]
fn regression_sql_default_spelling_with_a_table_rename() {
    for kind in [DialectKind::Sqlite, DialectKind::Postgres] {
        regression(
            kind,
            r#"{
  "a": {
    "tables": {
      "t1": {
        "name": "t1",
        "columns": [
          {
            "name": "c1",
            "type": "integer"
          },
          {
            "name": "c2",
            "type": "smallint"
          }
        ],
        "primary_key": {
          "name": "pk_t1",
          "columns": [
            "c1"
          ]
        },
        "uniques": [
          {
            "name": "uq_t1_c2",
            "columns": [
              "c2"
            ]
          }
        ],
        "checks": [
          {
            "name": "ck_t1_k1",
            "expr": "c2 >= 0"
          }
        ]
      }
    }
  },
  "rows": {
    "t1": [
      {
        "c1": "0",
        "c2": "1"
      },
      {
        "c1": "3",
        "c2": "4"
      },
      {
        "c1": "6",
        "c2": "7"
      }
    ]
  },
  "b": {
    "tables": {
      "t1_r": {
        "name": "t1_r",
        "columns": [
          {
            "name": "c1",
            "type": "integer"
          },
          {
            "name": "c2",
            "type": "smallint",
            "nullable": true
          },
          {
            "name": "c3",
            "type": "text",
            "default": {
              "sql": "lower('ABC')"
            }
          }
        ],
        "primary_key": {
          "name": "pk_t1_r",
          "columns": [
            "c1"
          ]
        },
        "uniques": [
          {
            "name": "uq_t1_r_c2",
            "columns": [
              "c2"
            ]
          },
          {
            "name": "uq_t1_r_c2_c3",
            "columns": [
              "c2",
              "c3"
            ]
          }
        ],
        "checks": [
          {
            "name": "ck_t1_r_k1",
            "expr": "c2 >= 0"
          }
        ],
        "renamed_from": "t1"
      }
    }
  }
}"#,
        );
    }
}

/// A table renamed while a new table takes its old name: the renamed table's key and index keep
/// their old names (`pk_t1`, `ix_t1_c2`), so creating the new table's collides on PostgreSQL
/// (`relation "pk_t1" already exists`) and SQLite (`index ix_t1_c2 already exists`). Found
/// with [`REUSE_RENAMED_NAMES`] on (seed 0x1); passes since names follow renames.
#[test]
fn regression_new_table_takes_a_renamed_tables_name() {
    for kind in [DialectKind::Sqlite, DialectKind::Postgres] {
        regression(
            kind,
            r#"{
  "a": {"tables": {
    "t1": {"name": "t1",
      "columns": [{"name": "c1", "type": "integer"}, {"name": "c2", "type": "integer"}],
      "primary_key": {"name": "pk_t1", "columns": ["c1"]},
      "indexes": [{"name": "ix_t1_c2", "columns": ["c2"]}]}
  }},
  "rows": {"t1": [{"c1": "0", "c2": "1"}, {"c1": "3", "c2": "4"}]},
  "b": {"tables": {
    "t1_r": {"name": "t1_r", "renamed_from": "t1",
      "columns": [{"name": "c1", "type": "integer"}, {"name": "c2", "type": "integer"}],
      "primary_key": {"name": "pk_t1_r", "columns": ["c1"]},
      "indexes": [{"name": "ix_t1_r_c2", "columns": ["c2"]}]},
    "t1": {"name": "t1",
      "columns": [{"name": "c1", "type": "integer"}, {"name": "c2", "type": "integer"}],
      "primary_key": {"name": "pk_t1", "columns": ["c1"]},
      "indexes": [{"name": "ix_t1_c2", "columns": ["c2"]}]}
  }}
}"#,
        );
    }
}

/// The key moves off a column that becomes nullable: the plan dropped NOT NULL before the key
/// change, which PostgreSQL refuses (`column "c1" is in a primary key`). The diff now drops
/// NOT NULL after the key change (and restores it before the key in the downgrade).
#[test]
fn regression_key_moves_off_a_column_that_becomes_nullable() {
    for kind in [DialectKind::Sqlite, DialectKind::Postgres] {
        regression(
            kind,
            r#"{
  "a": {"tables": {
    "t1": {"name": "t1",
      "columns": [{"name": "c1", "type": "integer"}, {"name": "c2", "type": "text"}],
      "primary_key": {"name": "pk_t1", "columns": ["c1"]}}
  }},
  "rows": {"t1": [{"c1": "0", "c2": "a"}, {"c1": "3", "c2": "b"}]},
  "b": {"tables": {
    "t1": {"name": "t1",
      "columns": [{"name": "c1", "type": "integer", "nullable": true}, {"name": "c2", "type": "text"}],
      "primary_key": {"name": "pk_t1", "columns": ["c2"]}}
  }}
}"#,
        );
    }
}

/// B drops a table whose foreign key relies on a unique constraint of a kept table, and that
/// constraint too: the plan dropped the constraint first, which PostgreSQL refuses (`cannot drop
/// constraint uq_t1_c1 on table t1 because other objects depend on it`), and its downgrade
/// re-created the table before the constraint. The diff now drops tables before the
/// constraints of kept tables. Found by the default seed.
#[test]
fn regression_dropped_table_relied_on_a_dropped_unique() {
    for kind in [DialectKind::Sqlite, DialectKind::Postgres] {
        regression(
            kind,
            r#"{
  "a": {"tables": {
    "t1": {"name": "t1",
      "columns": [{"name": "c1", "type": "integer", "default": 0}, {"name": "c2", "type": "varchar(8)"}],
      "uniques": [{"name": "uq_t1_c1", "columns": ["c1"]}]},
    "t2": {"name": "t2",
      "columns": [{"name": "c3", "type": "uuid"}, {"name": "c4", "type": "integer"}],
      "primary_key": {"name": "pk_t2", "columns": ["c3"]},
      "foreign_keys": [{"name": "fk_t2_c4_t1", "columns": ["c4"], "ref_table": "t1",
        "ref_columns": ["c1"], "on_delete": "cascade", "on_update": "restrict"}]}
  }},
  "rows": {
    "t1": [{"c1": "0", "c2": "v1"}, {"c1": "3", "c2": "v4"}],
    "t2": [{"c3": "00000000-0000-4000-8000-000000000000", "c4": "3"}]
  },
  "b": {"tables": {
    "t1": {"name": "t1",
      "columns": [{"name": "c1", "type": "integer", "default": 0}, {"name": "c2", "type": "varchar(8)"}],
      "primary_key": {"name": "pk_t1", "columns": ["c2"]}}
  }}
}"#,
        );
    }
}
