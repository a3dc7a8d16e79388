//! Stage 2, schema: the dialect-neutral description of a database, built from models or from a live database.
//!
//! Both sides of a comparison are a [`Schema`]: [`Schema::from_models`] builds one from the
//! registered models, and introspection builds one from a database. The diff compares two of
//! them; operations carry pieces of them (a dropped table keeps its full [`Table`]).

pub mod diagram;
mod from_models;
pub mod naming;
pub mod snapshot;
pub(crate) mod types;
pub mod unmodeled;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use crate::model::ReferentialAction;
pub use from_models::{SchemaError, SchemaErrors};
pub use naming::Naming;
pub(crate) use types::closest;
pub use types::SqlType;
pub use unmodeled::{Unmodeled, UnmodeledKind};

/// Splits a table's name as Strata writes it (`events`, or `audit.events` for a table in the
/// PostgreSQL schema `audit`) into its schema and its own name. A table name never contains
/// `.` otherwise: the derive refuses one, and introspection leaves such tables alone.
pub fn split_table(table: &str) -> (Option<&str>, &str) {
    match table.split_once('.') {
        Some((schema, name)) => (Some(schema), name),
        None => (None, table),
    }
}

/// `name` in `schema`, as Strata writes it: `audit.events`, or `events` without a schema.
pub fn qualify(schema: Option<&str>, name: &str) -> String {
    match schema {
        Some(schema) => format!("{schema}.{name}"),
        None => name.to_owned(),
    }
}

/// The table's own name, without its schema: `events` for `audit.events`.
pub fn table_name(table: &str) -> &str {
    split_table(table).1
}

/// A set of tables, keyed by table name (so iteration is in name order).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "SchemaFile")]
pub struct Schema {
    /// The tables, keyed by name.
    pub tables: BTreeMap<String, Table>,
    /// What the database holds that Strata does not model (triggers, views, indexes with
    /// `COLLATE` columns, ...), read by introspection so a table rebuild can carry it over; empty for
    /// a schema built from models. Never written to migration files, never compared.
    #[serde(skip)]
    pub unmodeled: Vec<Unmodeled>,
    /// The naming convention (strata.toml's `[naming]`) that names this schema's constraints
    /// and indexes: what a table or column rename replayed on it follows
    /// ([`crate::ops::Op::name_changes`]). It travels with the schema from where it is made
    /// (the models, introspection, the replay of files start) through every op applied to it,
    /// so diff, ops and rendering need no extra argument. Not part of the schema's contents:
    /// never written, never compared (two schemas with the same tables are equal).
    #[serde(skip)]
    pub naming: Naming,
    /// The schemas other than the default one that are known to exist: for models, those
    /// their tables use (`#[model(schema = ...)]`); introspected, those asked for that the
    /// database has; replayed, those created by [`crate::ops::Op::CreateSchema`] or holding a
    /// table. [`Schema::insert`] adds a table's own. Never written.
    #[serde(skip)]
    pub schemas: BTreeSet<String>,
}

/// A schema as written (a snapshot, a scenario): its tables, each inserted with
/// [`Schema::insert`] so the schemas they are in are known.
#[derive(Deserialize)]
struct SchemaFile {
    #[serde(default)]
    tables: BTreeMap<String, Table>,
}

impl From<SchemaFile> for Schema {
    fn from(file: SchemaFile) -> Schema {
        let mut schema = Schema::new();
        for (_, table) in file.tables {
            schema.insert(table);
        }
        schema
    }
}

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.tables == other.tables
            && self.unmodeled == other.unmodeled
            && self.schemas == other.schemas
    }
}

impl Schema {
    /// An empty schema, on the built-in naming convention.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty schema whose constraints and indexes follow `naming`.
    pub fn with_naming(naming: Naming) -> Self {
        Schema {
            naming,
            ..Schema::default()
        }
    }

    /// Adds (or replaces) a table, and its schema to [`Schema::schemas`].
    pub fn insert(&mut self, table: Table) {
        if let (Some(schema), _) = split_table(&table.name) {
            if !self.schemas.contains(schema) {
                self.schemas.insert(schema.to_owned());
            }
        }
        self.tables.insert(table.name.clone(), table);
    }

    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// The table named `name`, mutably.
    pub fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        self.tables.get_mut(name)
    }
}

/// One table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// The table name.
    pub name: String,
    /// The columns, in order.
    pub columns: Vec<Column>,
    /// The primary key, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_key: Option<PrimaryKey>,
    /// Unique constraints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uniques: Vec<Unique>,
    /// Indexes (unique or not) that are not constraints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// Foreign keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign_keys: Vec<ForeignKey>,
    /// Check constraints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// The table comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// A rename hint from the models (`renamed_from`); never read from a database. The diff
    /// consumes it and never puts it in an op.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column named `name`, mutably.
    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }
}

/// One column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// The column name.
    pub name: String,
    /// The neutral type.
    #[serde(rename = "type")]
    pub ty: SqlType,
    /// Whether NULL is allowed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// The default value, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<ColumnDefault>,
    /// Whether the database generates the value (identity / AUTOINCREMENT).
    #[serde(default, skip_serializing_if = "is_false")]
    pub autoincrement: bool,
    /// The column comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// A rename hint from the models (`renamed_from`); never read from a database. The diff
    /// consumes it and never puts it in an op.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

impl Column {
    /// A NOT NULL column of type `ty` with no default.
    pub fn new(name: impl Into<String>, ty: SqlType) -> Self {
        Column {
            name: name.into(),
            ty,
            nullable: false,
            default: None,
            autoincrement: false,
            comment: None,
            renamed_from: None,
        }
    }

    /// This column, nullable.
    pub fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A column default. In migration files: `default = 0`, `default = "text"`,
/// `default = true`, or `default = { sql = "CURRENT_TIMESTAMP" }` for a raw expression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnDefault {
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A boolean literal.
    Bool(bool),
    /// A string literal (quoted by the dialect).
    Str(String),
    /// A raw SQL expression, written verbatim.
    Sql {
        /// The expression.
        sql: String,
    },
}

/// A primary key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrimaryKey {
    /// The constraint name.
    pub name: String,
    /// The columns, in key order.
    pub columns: Vec<String>,
}

/// A unique constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unique {
    /// The constraint name.
    pub name: String,
    /// The columns, in order.
    pub columns: Vec<String>,
}

/// An index. In migration files:
/// `{ name = "ix_users_email", columns = ["email"], unique = true, where = "deleted_at IS NULL" }`,
/// `{ name = "ix_users_lower_email", columns = [], expr = "lower(email)" }`,
/// `{ name = "ix_posts_created", columns = ["created_at"], desc = ["created_at"] }`,
/// `{ name = "ix_docs_body", columns = ["body"], using = "gin" }`. The fields after `unique`
/// are left out when empty, so files written before they existed read the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// The index name.
    pub name: String,
    /// The key columns, in order (empty for an index on an expression alone; may then be
    /// left out of a file).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Whether the index is unique.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unique: bool,
    /// One SQL expression keyed after the columns (`lower(email)`): an expression index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expr: Option<String>,
    /// The columns (a subset of `columns`) kept in descending order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub desc: Vec<String>,
    /// The predicate of a partial index (`deleted_at IS NULL`): only rows where it holds are
    /// indexed (and, for a unique index, must be unique).
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub where_: Option<String>,
    /// The index method (`gin`, `gist`, `brin`, `hash`; PostgreSQL only); `None` (or
    /// `btree`) is the default B-tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
}

impl Index {
    /// A B-tree index over `columns`, ascending, on every row.
    pub fn new(name: impl Into<String>, columns: Vec<String>, unique: bool) -> Self {
        Index {
            name: name.into(),
            columns,
            unique,
            ..Index::default()
        }
    }

    /// The method, lower-cased, `None` for the default B-tree.
    pub fn method(&self) -> Option<String> {
        self.using
            .as_deref()
            .map(|m| m.trim().to_ascii_lowercase())
            .filter(|m| m != "btree")
    }

    /// Whether the index is a plain list of ascending columns, the kind every dialect writes.
    pub fn is_plain(&self) -> bool {
        self.expr.is_none()
            && self.desc.is_empty()
            && self.where_.is_none()
            && self.method().is_none()
    }
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForeignKey {
    /// The constraint name.
    pub name: String,
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub ref_table: String,
    /// The referenced columns.
    pub ref_columns: Vec<String>,
    /// What happens on delete of the referenced row.
    #[serde(default, skip_serializing_if = "is_no_action")]
    pub on_delete: ReferentialAction,
    /// What happens on update of the referenced key.
    #[serde(default, skip_serializing_if = "is_no_action")]
    pub on_update: ReferentialAction,
}

fn is_no_action(a: &ReferentialAction) -> bool {
    *a == ReferentialAction::NoAction
}

/// A check constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The constraint name.
    pub name: String,
    /// The boolean SQL expression.
    pub expr: String,
}
