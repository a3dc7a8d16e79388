//! Shared by the round-trip tests (scenarios, models, scale): a live database driven through the
//! real apply executor, introspection, a generic row seeder, and row snapshots compared across
//! migrations.
//!
//! The invariant these tests prove: applying the ops of `diff(db, models)` and introspecting
//! gives a schema that diffs EMPTY against the normalised models, on real SQLite and PostgreSQL.

#![allow(dead_code)] // each test crate uses a different part

use std::collections::BTreeMap;
use std::time::Duration;

use sqlx::{Executor, Row};
use strata::apply::{ApplyError, PlannedStep, StepKind, TxMode};
use strata::db::Db;
use strata::dialect::IntrospectOptions;
use strata::dialect::{Dialect, DialectKind};
use strata::diff::{diff_on, DiffOptions};
use strata::ops::Op;
use strata::schema::{Schema, SqlType, Table};
use strata::testing::TestDb;
use strata::testing::{execute, ExecuteOptions};
use strata::testing::{introspect, Introspected};

/// Every dialect, always.
#[allow(unused_imports)] // not every test that includes this module loops over the dialects
pub use strata::testing::DIALECTS;

/// A throwaway database and its dialect.
pub struct Live {
    pub db: Db,
    pub dialect: &'static dyn Dialect,
    /// The version-table heads after the last step run through [`Live::step`].
    pub heads: Vec<String>,
    /// The schemas other than the default one that introspection reads (`audit` for a
    /// scenario's `audit.events`).
    pub schemas: Vec<String>,
    _test: TestDb,
}

impl Live {
    pub async fn new(kind: DialectKind, tag: &str) -> Live {
        let test = TestDb::new(kind, tag).await;
        let db = test.connect().await;
        Live {
            // The dialect detected on the server (MariaDB or MySQL, and their versions).
            dialect: db.dialect(),
            db,
            heads: Vec::new(),
            schemas: Vec::new(),
            _test: test,
        }
    }

    pub fn kind(&self) -> DialectKind {
        self.dialect.name().parse().expect("a built-in dialect")
    }

    /// Runs `statements` as revision `revision` through the real executor (lock, prologue,
    /// transaction, epilogue foreign-key check, version rows, audit log). The planner returns
    /// the step while the version rows are the heads the previous step left, and nothing once
    /// they moved: exactly one step must run.
    pub async fn step(
        &mut self,
        revision: &str,
        kind: StepKind,
        new_head: Option<&str>,
        statements: Vec<String>,
    ) -> Result<(), String> {
        let remove = self.heads.clone();
        let add: Vec<String> = new_head.map(str::to_string).into_iter().collect();
        let step = PlannedStep {
            revision: revision.into(),
            message: format!("round trip: {revision}"),
            kind,
            remove_heads: remove.clone(),
            add_heads: add.clone(),
            statements: statements.clone(),
            transactional: true,
            batch: true,
            checksum: None,
            atomic: Vec::new(),
            rebuilt_tables: Vec::new(),
            replan_after: false,
            partial: None,
            timeouts: Default::default(),
            from_label: remove.first().cloned().unwrap_or_else(|| "<base>".into()),
            to_label: new_head.unwrap_or("<base>").into(),
        };
        let planner = async |_conn: &mut sqlx::AnyConnection,
                             heads: &[String]|
               -> Result<Vec<PlannedStep>, ApplyError> {
            Ok(if heads == remove.as_slice() {
                vec![step.clone()]
            } else {
                Vec::new()
            })
        };
        let opts = ExecuteOptions {
            tx_mode: TxMode::Whole,
            lock_timeout: Duration::from_secs(30),
            lock_key: 0x5354_5241_5441,
            ..ExecuteOptions::default()
        };
        let done = execute(self.db.conn(), self.dialect, opts, planner, &mut |_| {})
            .await
            .map_err(|e| {
                format!(
                    "{}: revision {revision} failed: {e}\n  all statements:\n{};",
                    self.kind(),
                    statements.join(";\n")
                )
            })?;
        if done.len() != 1 {
            return Err(format!(
                "{}: revision {revision}: the executor ran {} steps, expected 1",
                self.kind(),
                done.len()
            ));
        }
        let rows = self
            .db
            .conn()
            .fetch_all("SELECT version_num FROM strata_version")
            .await
            .map_err(|e| e.to_string())?;
        let heads: Vec<String> = rows
            .iter()
            .map(|r| r.try_get::<String, _>(0).expect("version_num"))
            .collect();
        if heads != add {
            return Err(format!(
                "{}: after revision {revision} the version rows are {heads:?}",
                self.kind()
            ));
        }
        self.heads = add;
        Ok(())
    }

    /// The statements of `ops` rendered from `before`, and the schema after them.
    pub fn render(&self, ops: &[Op], before: &Schema) -> Result<(Vec<String>, Schema), String> {
        let (rendered, after) = strata::testing::render_ops(ops, self.dialect, before)
            .map_err(|e| format!("{}: render failed: {e}", self.kind()))?;
        Ok((
            rendered.into_iter().flat_map(|r| r.statements).collect(),
            after,
        ))
    }

    /// Renders `ops` from `before` and runs them as one step of `revision` that leaves
    /// `new_head` as the only version row; returns the schema after.
    pub async fn apply(
        &mut self,
        revision: &str,
        direction: StepKind,
        new_head: Option<&str>,
        ops: &[Op],
        before: &Schema,
    ) -> Result<Schema, String> {
        let (statements, after) = self.render(ops, before)?;
        self.step(revision, direction, new_head, statements).await?;
        Ok(after)
    }

    /// The open interruption records (a revision left partially applied).
    #[allow(dead_code)] // not every test that includes this module reads them
    pub async fn interrupted(&mut self) -> Vec<strata::apply::Interruption> {
        strata::testing::read_interrupted(self.db.conn(), self.dialect)
            .await
            .unwrap_or_else(|e| panic!("{}: reading the records failed: {e}", self.kind()))
    }

    pub async fn introspect(&mut self) -> Introspected {
        let opts = IntrospectOptions {
            schemas: self.schemas.clone(),
            ..IntrospectOptions::default()
        };
        introspect(self.db.conn(), self.dialect, &opts)
            .await
            .unwrap_or_else(|e| panic!("{}: introspection failed: {e}", self.kind()))
    }

    /// Runs one statement (seeding, checks), with the simple query protocol.
    pub async fn exec(&mut self, sql: &str) -> Result<(), String> {
        self.db
            .conn()
            .execute(sqlx::raw_sql(sql))
            .await
            .map(|_| ())
            .map_err(|e| format!("{}: {e}\n  statement: {sql}", self.kind()))
    }

    /// Every row of every table of `schema` (read from the database), as text.
    pub async fn rows(&mut self, schema: &Schema) -> Result<Rows, String> {
        let mut out = Rows::new();
        for t in schema.tables.values() {
            let exprs: Vec<String> = t
                .columns
                .iter()
                .map(|c| text_expr(self.dialect, &c.name, &c.ty))
                .collect();
            let order: Vec<String> = (1..=exprs.len()).map(|i| i.to_string()).collect();
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {}",
                exprs.join(", "),
                self.dialect.quote_table(&t.name),
                order.join(", ")
            );
            let rows = self
                .db
                .conn()
                .fetch_all(sql.as_str())
                .await
                .map_err(|e| format!("{}: {e}\n  query: {sql}", self.kind()))?;
            let mut table_rows = Vec::new();
            for r in rows {
                let mut row = BTreeMap::new();
                for (i, c) in t.columns.iter().enumerate() {
                    // MySQL sends TEXT values as BLOB-typed text, which decodes as bytes.
                    let v: Option<String> = match r.try_get(i) {
                        Ok(v) => v,
                        Err(e) => r
                            .try_get::<Option<Vec<u8>>, _>(i)
                            .map_err(|_| format!("{}.{}: {e}", t.name, c.name))?
                            .map(|b| String::from_utf8_lossy(&b).into_owned()),
                    };
                    row.insert(c.name.clone(), v.map(canonical_number));
                }
                table_rows.push(row);
            }
            out.insert(t.name.clone(), table_rows);
        }
        Ok(out)
    }
}

/// A number's value as text (`1.50` and `1.5000` are `1.5`, `1.0` is `1`): a widened numeric
/// type prints the same value with more digits. Anything else is left as it is.
fn canonical_number(v: String) -> String {
    let numeric = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        && v.chars().any(|c| c.is_ascii_digit());
    match v.parse::<f64>() {
        Ok(f) if numeric => f.to_string(),
        _ => v,
    }
}

/// Rows per table; each row maps column name to its text form (`None` for NULL).
pub type Rows = BTreeMap<String, Vec<BTreeMap<String, Option<String>>>>;

/// A column read as text: blobs as hex, everything else cast.
fn text_expr(d: &dyn Dialect, column: &str, ty: &SqlType) -> String {
    let q = d.quote_ident(column);
    match (d.name(), ty) {
        ("postgres", SqlType::Bytes) => format!("encode({q}, 'hex')"),
        (_, SqlType::Bytes) => format!("lower(hex({q}))"),
        ("mysql", _) => format!("CAST({q} AS CHAR)"),
        _ => format!("CAST({q} AS TEXT)"),
    }
}

/// A schema as a dialect's introspection reads it back.
pub fn normalized(d: &dyn Dialect, schema: &Schema) -> Schema {
    let mut s = schema.clone();
    d.normalize(&mut s);
    s
}

/// Asserts that the database (`introspected`) matches `target` (normalised by the caller): the
/// diff has no ops and no notes. An empty target means the database has no covered tables.
pub fn assert_matches(
    dialect: &dyn Dialect,
    introspected: &Schema,
    target: &Schema,
    opts: &DiffOptions,
    context: &str,
) -> Result<(), String> {
    let covered = |s: &Schema| -> Vec<String> {
        s.tables
            .keys()
            .filter(|n| opts.covers(n))
            .cloned()
            .collect()
    };
    if covered(target).is_empty() {
        let left = covered(introspected);
        return if left.is_empty() {
            Ok(())
        } else {
            Err(format!("{context}: tables left in the database: {left:?}"))
        };
    }
    let plan = diff_on(dialect, introspected, target, opts)
        .map_err(|e| format!("{context}: diff refused: {e}"))?;
    if plan.upgrade.is_empty() && plan.notes.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = plan
        .upgrade
        .iter()
        .flat_map(|op| {
            let mut v = op.describe();
            v.push(format!("    {op:?}"));
            v
        })
        .chain(plan.notes.iter().map(|n| format!("note: {n}")))
        .collect();
    Err(format!(
        "{context}: the database does not match; a diff still finds:\n  {}",
        lines.join("\n  ")
    ))
}

// ---- Seeding ----

/// The text of row `i`'s value for a column of type `ty` named `name`, as a SQL literal.
pub fn literal(d: &dyn Dialect, ty: &SqlType, name: &str, i: usize) -> String {
    match ty {
        SqlType::SmallInt | SqlType::Integer | SqlType::BigInt => i.to_string(),
        SqlType::Real | SqlType::Double => format!("{i}.5"),
        SqlType::Decimal {
            precision: Some(p),
            scale: Some(s),
        } if *s > 0 && p > s => format!("{i}.5"),
        SqlType::Decimal { .. } => i.to_string(),
        SqlType::Boolean => if i % 2 == 1 { "TRUE" } else { "FALSE" }.into(),
        SqlType::Text => d.quote_str(&format!("{i}_{name}")),
        SqlType::Varchar(n) => {
            let s: String = format!("{i}_{name}").chars().take(*n as usize).collect();
            d.quote_str(&s)
        }
        SqlType::Bytes => match d.name() {
            "postgres" => format!("decode('0{i}ff', 'hex')"),
            _ => format!("X'0{i}FF'"),
        },
        SqlType::Date => d.quote_str(&format!("2024-01-0{i}")),
        SqlType::Time => d.quote_str(&format!("12:34:0{i}")),
        SqlType::Timestamp => d.quote_str(&format!("2024-01-0{i} 12:34:56")),
        SqlType::TimestampTz => d.quote_str(&format!("2024-01-0{i} 12:34:56+00:00")),
        SqlType::Uuid => d.quote_str(&format!("00000000-0000-4000-8000-00000000000{i}")),
        SqlType::Json => d.quote_str(&format!("{{\"n\": {i}}}")),
        // The first value: it survives the removal of any other.
        SqlType::Enum { values, .. } => d.quote_str(values.first().map_or("", String::as_str)),
        SqlType::Custom(c) => {
            let c = c.to_ascii_lowercase();
            let like = if c.starts_with("timestamp") {
                SqlType::Timestamp
            } else if c.contains("json") {
                SqlType::Json
            } else {
                SqlType::Varchar(1)
            };
            literal(d, &like, name, i)
        }
    }
}

/// How many rows the generic seeder writes per table.
pub const SEED_ROWS: usize = 3;

/// The INSERT statements of the generic seeder: [`SEED_ROWS`] rows per table, parents before
/// children. Every column gets a value (autoincrement keys too, explicitly), distinct per row
/// (so unique constraints hold); a foreign-key column copies the referenced column's value of
/// the same row number, so every reference resolves. A foreign key to a table not seeded yet
/// (a cycle) is NULL, which needs its columns nullable; otherwise the scenario needs a
/// `seed.<dialect>.sql`.
pub fn seed_statements(d: &dyn Dialect, schema: &Schema) -> Result<Vec<String>, String> {
    let order = parents_first(schema);
    let mut seeded: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for name in &order {
        let t = &schema.tables[name];
        let cols: Vec<String> = t.columns.iter().map(|c| d.quote_ident(&c.name)).collect();
        for i in 1..=SEED_ROWS {
            let mut vals = Vec::new();
            for c in &t.columns {
                let fk = t
                    .foreign_keys
                    .iter()
                    .find(|f| f.columns.contains(&c.name) && f.ref_table != t.name);
                let v = match fk {
                    Some(f) if !seeded.contains(&f.ref_table.as_str()) => {
                        if !c.nullable {
                            return Err(format!(
                                "cannot seed {}.{}: it references {}, which is not seeded yet \
                                 (a cycle through a NOT NULL column); add seed.{}.sql",
                                t.name,
                                c.name,
                                f.ref_table,
                                d.name()
                            ));
                        }
                        "NULL".to_string()
                    }
                    _ => value(d, schema, &t.name, &c.name, i, 0)?,
                };
                vals.push(v);
            }
            out.push(format!(
                "INSERT INTO {} ({}) VALUES ({})",
                d.quote_table(&t.name),
                cols.join(", "),
                vals.join(", ")
            ));
        }
        seeded.push(name);
    }
    Ok(out)
}

/// Row `i`'s value of `table.column`: a foreign-key column takes the referenced value.
fn value(
    d: &dyn Dialect,
    schema: &Schema,
    table: &str,
    column: &str,
    i: usize,
    depth: usize,
) -> Result<String, String> {
    let t = schema
        .table(table)
        .ok_or_else(|| format!("seeding: no table {table}"))?;
    let c = t
        .column(column)
        .ok_or_else(|| format!("seeding: no column {table}.{column}"))?;
    if depth < 16 {
        for f in &t.foreign_keys {
            if let Some(pos) = f.columns.iter().position(|x| x == column) {
                let ref_col = &f.ref_columns[pos];
                if !(f.ref_table == table && ref_col == column) {
                    return value(d, schema, &f.ref_table, ref_col, i, depth + 1);
                }
            }
        }
    }
    Ok(literal(d, &c.ty, &c.name, i))
}

/// Table names, each after the tables its foreign keys reference (cycles cut arbitrarily).
pub fn parents_first(schema: &Schema) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut visiting: Vec<String> = Vec::new();
    fn visit(s: &Schema, t: &Table, out: &mut Vec<String>, visiting: &mut Vec<String>) {
        if out.contains(&t.name) || visiting.contains(&t.name) {
            return;
        }
        visiting.push(t.name.clone());
        for f in &t.foreign_keys {
            if let Some(p) = s.table(&f.ref_table) {
                visit(s, p, out, visiting);
            }
        }
        visiting.pop();
        out.push(t.name.clone());
    }
    for t in schema.tables.values() {
        visit(schema, t, &mut out, &mut visiting);
    }
    out
}

// ---- Following rows through a migration ----

/// Where each table and column of the schema before `ops` is once they have run:
/// `(table before, column before) -> (table after, column after)`; dropped ones are absent.
pub fn carried(before: &Schema, ops: &[Op]) -> BTreeMap<(String, String), (String, String)> {
    // current table -> (original table, current column -> original column)
    let mut cur: BTreeMap<String, (String, BTreeMap<String, String>)> = before
        .tables
        .values()
        .map(|t| {
            (
                t.name.clone(),
                (
                    t.name.clone(),
                    t.columns
                        .iter()
                        .map(|c| (c.name.clone(), c.name.clone()))
                        .collect(),
                ),
            )
        })
        .collect();
    for op in ops {
        match op {
            Op::DropTable { table } => {
                cur.remove(&table.name);
            }
            Op::RenameTable { from, to } => {
                if let Some(v) = cur.remove(from) {
                    cur.insert(to.clone(), v);
                }
            }
            Op::DropColumn { table, column } => {
                if let Some((_, cols)) = cur.get_mut(table) {
                    cols.remove(&column.name);
                }
            }
            Op::AlterColumn {
                table,
                column,
                rename: Some(new),
                ..
            } => {
                if let Some((_, cols)) = cur.get_mut(table) {
                    if let Some(orig) = cols.remove(column) {
                        cols.insert(new.clone(), orig);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for (table, (orig_table, cols)) in cur {
        for (col, orig_col) in cols {
            out.insert((orig_table.clone(), orig_col), (table.clone(), col));
        }
    }
    out
}

/// Compares the rows before and after a migration: every table that survives keeps its row
/// count, and the columns that survive keep their values (`compare_values` false: counts only).
pub fn assert_rows_carried(
    before: &Rows,
    after: &Rows,
    map: &BTreeMap<(String, String), (String, String)>,
    compare_values: impl Fn(&str, &str) -> bool,
    context: &str,
) -> Result<(), String> {
    let mut errors = Vec::new();
    for (table, rows) in before {
        // The table after, and the surviving columns: (before name, after name).
        let cols: Vec<(&String, &String)> = map
            .iter()
            .filter(|((t, _), _)| t == table)
            .map(|((_, c), (_, c2))| (c, c2))
            .collect();
        let Some(new_table) = map
            .iter()
            .find(|((t, _), _)| t == table)
            .map(|(_, (t2, _))| t2)
        else {
            continue; // dropped (or lost every column)
        };
        let Some(after_rows) = after.get(new_table) else {
            continue;
        };
        if rows.len() != after_rows.len() {
            errors.push(format!(
                "{table} -> {new_table}: {} rows before, {} after",
                rows.len(),
                after_rows.len()
            ));
            continue;
        }
        let project = |rs: &Vec<BTreeMap<String, Option<String>>>, after_side: bool| {
            let mut v: Vec<Vec<Option<String>>> = rs
                .iter()
                .map(|r| {
                    cols.iter()
                        .filter(|(b, a)| compare_values(new_table, a) && !b.is_empty())
                        .map(|(b, a)| r.get(if after_side { *a } else { *b }).cloned().flatten())
                        .collect()
                })
                .collect();
            v.sort();
            v
        };
        let (b, a) = (project(rows, false), project(after_rows, true));
        if b != a {
            errors.push(format!(
                "{table} -> {new_table}: values changed\n    before: {b:?}\n    after:  {a:?}"
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{context}: rows not carried:\n  {}",
            errors.join("\n  ")
        ))
    }
}
