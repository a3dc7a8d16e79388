//! Dialects: the only place that writes SQL or names system catalogs, one module per database.
//!
//! Each dialect implements [`Dialect`]; the trait's defaults are standard SQL, and a dialect
//! overrides what it does differently. Rendering ([`Dialect::render`]) and introspection
//! ([`Dialect::catalog_queries`] + [`Dialect::assemble`]) are driven by the `render` and
//! `introspect` stages, which never write SQL themselves.

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::introspect::{CatalogValues, IntrospectError, IntrospectOptions};
use crate::ops::Op;
use crate::schema::{
    Check, Column, Default, ForeignKey, Index, PrimaryKey, ReferentialAction, Schema, SqlType,
    Table, Unique,
};

/// Which database a dialect is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DialectKind {
    /// SQLite 3.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL / MariaDB (not implemented yet).
    Mysql,
}

impl fmt::Display for DialectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DialectKind::Sqlite => "sqlite",
            DialectKind::Postgres => "postgres",
            DialectKind::Mysql => "mysql",
        })
    }
}

/// A dialect name that is not one of `sqlite`, `postgres`, `mysql`.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown dialect `{0}`; expected one of: sqlite, postgres, mysql")]
pub struct UnknownDialect(pub String);

impl FromStr for DialectKind {
    type Err = UnknownDialect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sqlite" | "sqlite3" => Ok(DialectKind::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(DialectKind::Postgres),
            "mysql" | "mariadb" => Ok(DialectKind::Mysql),
            _ => Err(UnknownDialect(s.into())),
        }
    }
}

impl DialectKind {
    /// The dialect a database URL points at (`sqlite:...`, `postgres://...`, `mysql://...`).
    pub fn from_url(url: &str) -> Result<Self, UnknownDialect> {
        let scheme = url.split(':').next().unwrap_or_default();
        scheme.parse().map_err(|_| UnknownDialect(scheme.into()))
    }

    /// The implementation of this dialect.
    pub fn dialect(self) -> Result<&'static dyn Dialect, RenderError> {
        match self {
            #[cfg(feature = "sqlite")]
            DialectKind::Sqlite => Ok(&sqlite::Sqlite),
            #[cfg(feature = "postgres")]
            DialectKind::Postgres => Ok(&postgres::Postgres),
            #[allow(unreachable_patterns)]
            other => Err(RenderError::DialectNotBuilt(other)),
        }
    }
}

/// Something a dialect cannot render.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RenderError {
    /// The operation has no equivalent on this dialect.
    #[error("{what} is not supported on {dialect}{}", hint.as_ref().map(|h| format!("; {h}")).unwrap_or_default())]
    Unsupported {
        /// The dialect.
        dialect: DialectKind,
        /// What was asked for.
        what: String,
        /// How to get there another way, if there is one.
        hint: Option<String>,
    },
    /// The op does not fit the schema it applies to (for instance a hand-edited file that
    /// alters a column that does not exist at that point).
    #[error("{0}")]
    Inconsistent(String),
    /// Strata was built without this dialect's cargo feature.
    #[error("dialect {0} is not built into this binary; enable the `strata` feature `{0}`")]
    DialectNotBuilt(DialectKind),
}

/// A database's SQL dialect: quoting, type names, DDL, and catalog queries.
pub trait Dialect: Send + Sync + fmt::Debug {
    /// Which database this is.
    fn kind(&self) -> DialectKind;

    /// Quotes an identifier (table, column, constraint or index name).
    fn quote_ident(&self, ident: &str) -> String {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }

    /// Quotes a string literal.
    fn quote_str(&self, s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    /// The longest identifier the database keeps.
    fn max_identifier_len(&self) -> usize {
        63
    }

    /// Whether DDL runs inside transactions (and rolls back with them).
    fn transactional_ddl(&self) -> bool {
        true
    }

    /// The type as this dialect spells it in DDL.
    fn type_sql(&self, ty: &SqlType) -> Result<String, RenderError>;

    /// The default as this dialect spells it in DDL. A raw SQL expression is parenthesised:
    /// `DEFAULT` takes only a restricted expression (no `AND`, `OR`, `IS`, ...) unparenthesised.
    fn default_sql(&self, d: &Default) -> String {
        match d {
            Default::Int(i) => i.to_string(),
            Default::Float(f) => float_literal(*f, self),
            Default::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Default::Str(s) => self.quote_str(s),
            Default::Sql { sql } => format!("({sql})"),
        }
    }

    /// The statements that perform `op` on a database whose schema is `before`.
    fn render(&self, op: &Op, before: &Schema) -> Result<Vec<String>, RenderError>;

    /// The catalog queries introspection runs: a fixed list, whatever the number of tables.
    fn catalog_queries(&self, opts: &IntrospectOptions) -> Vec<String>;

    /// Builds the schema from the rows of [`Dialect::catalog_queries`], one `Vec` per query,
    /// in the same order. Read a row's columns by name through
    /// [`CatalogRow`](crate::introspect::CatalogRow).
    fn assemble(
        &self,
        results: Vec<Vec<CatalogValues>>,
        opts: &IntrospectOptions,
    ) -> Result<Schema, IntrospectError>;

    /// Rewrites a schema built from models into the spelling introspection yields on this
    /// dialect (type synonyms, default expressions, affinity), so the two compare like for like.
    fn normalize(&self, schema: &mut Schema) {
        let _ = schema;
    }

    // ---- Shared DDL pieces (standard SQL; dialects override what they spell differently) ----

    /// A parenthesised, comma-separated list of quoted identifiers: `("a", "b")`.
    fn ident_list(&self, names: &[String]) -> String {
        let quoted: Vec<String> = names.iter().map(|n| self.quote_ident(n)).collect();
        format!("({})", quoted.join(", "))
    }

    /// One column definition as written in `CREATE TABLE` and `ADD COLUMN`:
    /// `"name" type [NOT NULL] [DEFAULT value]`. `table` is the table the column belongs to
    /// (as it is once the statement has run), for dialects whose spelling depends on the key.
    fn column_sql(&self, table: &Table, column: &Column) -> Result<String, RenderError> {
        let _ = table;
        standard_column_sql(self, column)
    }

    /// The keyword of a referential action: `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL`,
    /// `SET DEFAULT`.
    fn referential_action_sql(&self, action: ReferentialAction) -> &'static str {
        match action {
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
        }
    }

    /// A named primary-key clause: `CONSTRAINT "pk_t" PRIMARY KEY ("id")`.
    fn primary_key_sql(&self, pk: &PrimaryKey) -> String {
        format!(
            "CONSTRAINT {} PRIMARY KEY {}",
            self.quote_ident(&pk.name),
            self.ident_list(&pk.columns)
        )
    }

    /// The primary-key clause `CREATE TABLE` writes for `table`, if any. The default is the
    /// named table constraint; SQLite writes none when the key is an AUTOINCREMENT column,
    /// whose definition carries it.
    fn table_primary_key_sql(&self, table: &Table) -> Option<String> {
        table
            .primary_key
            .as_ref()
            .map(|pk| self.primary_key_sql(pk))
    }

    /// A named unique clause: `CONSTRAINT "uq_t_a" UNIQUE ("a")`.
    fn unique_sql(&self, unique: &Unique) -> String {
        format!(
            "CONSTRAINT {} UNIQUE {}",
            self.quote_ident(&unique.name),
            self.ident_list(&unique.columns)
        )
    }

    /// A named foreign-key clause:
    /// `CONSTRAINT "fk" FOREIGN KEY ("a") REFERENCES "t" ("id") [ON DELETE ..] [ON UPDATE ..]`;
    /// the actions are written only when they are not `NO ACTION`.
    fn foreign_key_sql(&self, fk: &ForeignKey) -> String {
        let mut sql = format!(
            "CONSTRAINT {} FOREIGN KEY {} REFERENCES {} {}",
            self.quote_ident(&fk.name),
            self.ident_list(&fk.columns),
            self.quote_ident(&fk.ref_table),
            self.ident_list(&fk.ref_columns)
        );
        if fk.on_delete != ReferentialAction::NoAction {
            sql.push_str(" ON DELETE ");
            sql.push_str(self.referential_action_sql(fk.on_delete));
        }
        if fk.on_update != ReferentialAction::NoAction {
            sql.push_str(" ON UPDATE ");
            sql.push_str(self.referential_action_sql(fk.on_update));
        }
        sql
    }

    /// A named check clause: `CONSTRAINT "ck_t_x" CHECK (expr)`; the expression is verbatim.
    fn check_sql(&self, check: &Check) -> String {
        format!(
            "CONSTRAINT {} CHECK ({})",
            self.quote_ident(&check.name),
            check.expr
        )
    }

    /// `CREATE TABLE` with every column and named constraint inline (primary key, uniques,
    /// foreign keys, checks), one item per line. Indexes and comments are separate statements.
    fn create_table_sql(&self, table: &Table) -> Result<String, RenderError> {
        let mut items = Vec::new();
        for c in &table.columns {
            items.push(self.column_sql(table, c)?);
        }
        items.extend(self.table_primary_key_sql(table));
        items.extend(table.uniques.iter().map(|u| self.unique_sql(u)));
        items.extend(table.foreign_keys.iter().map(|f| self.foreign_key_sql(f)));
        items.extend(table.checks.iter().map(|c| self.check_sql(c)));
        Ok(format!(
            "CREATE TABLE {} (\n    {}\n)",
            self.quote_ident(&table.name),
            items.join(",\n    ")
        ))
    }

    /// `CREATE [UNIQUE] INDEX "name" ON "table" ("a", "b")`.
    fn create_index_sql(&self, table: &str, index: &Index) -> String {
        format!(
            "CREATE {}INDEX {} ON {} {}",
            if index.unique { "UNIQUE " } else { "" },
            self.quote_ident(&index.name),
            self.quote_ident(table),
            self.ident_list(&index.columns)
        )
    }

    /// `DROP INDEX "name"` (index names are per schema on both built-in dialects).
    fn drop_index_sql(&self, table: &str, index: &Index) -> String {
        let _ = table;
        format!("DROP INDEX {}", self.quote_ident(&index.name))
    }

    // ---- Hooks for the apply stage, around the migration transaction ----

    /// Statements to run on the connection BEFORE the migration transaction begins, for settings
    /// that cannot change inside a transaction. SQLite: `PRAGMA foreign_keys = OFF`, so a table
    /// rebuild's `DROP TABLE` neither fails on nor cascades to referencing rows. Default: none.
    fn run_prologue(&self) -> Vec<String> {
        Vec::new()
    }

    /// Queries to run INSIDE the migration transaction after the last migration statement and
    /// before `COMMIT`; any row one of them returns is a violation, and the transaction must be
    /// rolled back. SQLite: `PRAGMA foreign_key_check` (foreign keys are not enforced while the
    /// prologue has them off). Default: none.
    fn run_epilogue_checks(&self) -> Vec<String> {
        Vec::new()
    }

    /// Statements to run AFTER the transaction ends, whether it committed or rolled back,
    /// undoing [`Dialect::run_prologue`]. SQLite: `PRAGMA foreign_keys = ON`. Default: none.
    fn run_finally(&self) -> Vec<String> {
        Vec::new()
    }

    /// The SQL that runs `statements` (each one complete statement, no trailing semicolon) in
    /// one call to the server; it must produce exactly `statements.len()` results. The apply
    /// stage sends a step's statements this way, inside the savepoint
    /// [`Dialect::savepoint_sql`] opens, only where DDL is transactional: a failed batch is
    /// undone to the savepoint and replayed one statement at a time to name the failing one.
    fn batch_sql(&self, statements: &[String]) -> String {
        let mut sql = String::with_capacity(statements.iter().map(|s| s.len() + 3).sum());
        for statement in statements {
            sql.push_str(statement);
            // A newline first: a statement ending in a `--` comment cannot swallow the `;`.
            sql.push_str("\n;\n");
        }
        sql
    }

    /// Opens the savepoint a batch runs in. Sent on its own: PostgreSQL parses a whole batch
    /// before running any of it, so a savepoint inside a batch with a syntax error would never
    /// be set.
    fn savepoint_sql(&self) -> String {
        format!("SAVEPOINT {}", self.quote_ident(self.batch_savepoint()))
    }

    /// The name of the savepoint a batch runs in.
    fn batch_savepoint(&self) -> &'static str {
        "strata_step"
    }

    /// Undoes a failed batch to its savepoint, inside the still-open transaction.
    fn rollback_batch_sql(&self) -> String {
        format!(
            "ROLLBACK TO SAVEPOINT {}",
            self.quote_ident(self.batch_savepoint())
        )
    }

    /// Releases the batch's savepoint (after the batch, or after a failed batch was replayed
    /// one statement at a time).
    fn release_batch_sql(&self) -> String {
        format!(
            "RELEASE SAVEPOINT {}",
            self.quote_ident(self.batch_savepoint())
        )
    }

    // ---- Applying: the migration lock and the bookkeeping tables ----

    /// The statement that makes `schema` the default for unqualified names; `None` where the
    /// dialect has no schemas.
    fn use_schema_sql(&self, schema: &str) -> Option<String> {
        let _ = schema;
        None
    }

    /// A query that returns a row when `schema` exists; `None` where the dialect has no
    /// schemas.
    fn schema_exists_sql(&self, schema: &str) -> Option<String> {
        let _ = schema;
        None
    }

    /// The statement that opens a migration transaction.
    fn begin_sql(&self) -> &'static str {
        "BEGIN"
    }

    /// A query returning one boolean: whether the migration lock `key` was taken without
    /// waiting. `None` when the dialect locks another way (SQLite's `BEGIN IMMEDIATE`).
    fn try_lock_sql(&self, key: i64) -> Option<String> {
        let _ = key;
        None
    }

    /// The statement that releases the migration lock `key`.
    fn unlock_sql(&self, key: i64) -> Option<String> {
        let _ = key;
        None
    }

    /// A query returning one text row describing who holds the migration lock `key`.
    fn lock_holder_sql(&self, key: i64) -> Option<String> {
        let _ = key;
        None
    }

    /// A query returning one int8: 1 when the table named `table` exists, else 0.
    fn table_exists_sql(&self, table: &str) -> String;

    /// The query that lists the version rows (one text column).
    fn select_versions_sql(&self, table: &str) -> String {
        format!(
            "SELECT {} FROM {}",
            self.quote_ident("version_num"),
            self.quote_ident(table)
        )
    }

    /// The statement that records `revision` as a current head.
    fn insert_version_sql(&self, table: &str, revision: &str) -> String {
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.quote_ident(table),
            self.quote_ident("version_num"),
            self.quote_str(revision)
        )
    }

    /// The statement that removes `revision` from the current heads.
    fn delete_version_sql(&self, table: &str, revision: &str) -> String {
        format!(
            "DELETE FROM {} WHERE {} = {}",
            self.quote_ident(table),
            self.quote_ident("version_num"),
            self.quote_str(revision)
        )
    }

    /// The statement that removes every version row.
    fn purge_versions_sql(&self, table: &str) -> String {
        format!("DELETE FROM {}", self.quote_ident(table))
    }

    /// The statement that appends a row to the audit log; every value is a literal.
    fn insert_log_sql(&self, table: &str, row: &[(&str, Option<String>)]) -> String {
        let cols: Vec<String> = row.iter().map(|(c, _)| self.quote_ident(c)).collect();
        let vals: Vec<String> = row
            .iter()
            .map(|(_, v)| {
                v.as_deref()
                    .map_or_else(|| "NULL".to_string(), |v| self.quote_str(v))
            })
            .collect();
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.quote_ident(table),
            cols.join(", "),
            vals.join(", ")
        )
    }

    /// The query that reads the audit log's checksum per applied revision: rows of
    /// (revision text, checksum text), oldest first.
    fn select_checksums_sql(&self, table: &str) -> String {
        format!(
            "SELECT {}, {} FROM {} WHERE {} IN ('up', 'stamp') ORDER BY {}",
            self.quote_ident("revision"),
            self.quote_ident("checksum"),
            self.quote_ident(table),
            self.quote_ident("direction"),
            self.quote_ident("seq")
        )
    }
}

/// `ALTER TABLE "table" <action>`.
pub(crate) fn alter_table<D: Dialect + ?Sized>(
    d: &D,
    table: &str,
    action: impl fmt::Display,
) -> String {
    format!("ALTER TABLE {} {action}", d.quote_ident(table))
}

/// The ops every dialect so far renders the same standard way: drop and rename a table,
/// create and drop an index, and hand-written `sql` (skipped on other dialects). Dialects
/// send exactly these ops here; any other op is a bug reported as an error, never a panic.
pub(crate) fn standard_render<D: Dialect + ?Sized>(
    d: &D,
    op: &Op,
    before: &Schema,
) -> Result<Vec<String>, RenderError> {
    use crate::render::{existing_table, inconsistent, sql_statements, table_after};
    let one = |sql: String| Ok(vec![sql]);
    match op {
        Op::DropTable { table } => existing_table(before, &table.name)
            .and_then(|_| one(format!("DROP TABLE {}", d.quote_ident(&table.name)))),
        Op::RenameTable { from, to } => existing_table(before, from).and_then(|_| {
            if before.table(to).is_some() {
                return Err(inconsistent(format_args!(
                    "cannot rename table `{from}` to `{to}`: `{to}` already exists"
                )));
            }
            one(alter_table(
                d,
                from,
                format_args!("RENAME TO {}", d.quote_ident(to)),
            ))
        }),
        Op::CreateIndex { table, index } => {
            table_after(op, before, table).and_then(|_| one(d.create_index_sql(table, index)))
        }
        Op::DropIndex { table, index } => {
            table_after(op, before, table).and_then(|_| one(d.drop_index_sql(table, index)))
        }
        Op::Sql { sql, dialect, .. } => Ok(if dialect.is_none_or(|k| k == d.kind()) {
            sql_statements(sql)
        } else {
            Vec::new()
        }),
        other => Err(RenderError::Unsupported {
            dialect: d.kind(),
            what: format!("{other:?} as a standard op"),
            hint: Some("the dialect must render this op itself".into()),
        }),
    }
}

/// The standard column definition `"name" type [NOT NULL] [DEFAULT value]`, which
/// [`Dialect::column_sql`] writes by default; overrides call it for ordinary columns.
pub fn standard_column_sql<D: Dialect + ?Sized>(
    dialect: &D,
    column: &Column,
) -> Result<String, RenderError> {
    let mut sql = format!(
        "{} {}",
        dialect.quote_ident(&column.name),
        dialect.type_sql(&column.ty)?
    );
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(d) = &column.default {
        sql.push_str(" DEFAULT ");
        sql.push_str(&dialect.default_sql(d));
    }
    Ok(sql)
}

/// A float default as a SQL literal that always has a decimal point (`1.0`, `2.5e20` as
/// `2.5e20`, `1e20` as `1.0e20`); non-finite values become quoted strings (`'NaN'`,
/// `'Infinity'`, `'-Infinity'`), which PostgreSQL casts to a float column.
pub fn float_literal<D: Dialect + ?Sized>(f: f64, dialect: &D) -> String {
    if f.is_nan() {
        return dialect.quote_str("NaN");
    }
    if f.is_infinite() {
        return dialect.quote_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    }
    let s = format!("{f:?}");
    if s.contains('.') {
        return s;
    }
    match s.find(['e', 'E']) {
        Some(i) => format!("{}.0{}", &s[..i], &s[i..]),
        None => format!("{s}.0"),
    }
}
