//! Stage 1, model: the compile-time table metadata that `#[derive(Model)]` produces.
//!
//! Everything here is `const`-constructible and `'static`, so the derive can emit a
//! `const TABLE: &'static TableDef` and users can assert their schema in `const` context:
//!
//! ```
//! use strata::Model;
//!
//! #[derive(Model)]
//! #[model(table = "users")]
//! pub struct User {
//!     #[model(primary_key)]
//!     pub id: i32,
//!     #[model(max_length = 120, unique)]
//!     pub email: String,
//! }
//!
//! const _: () = assert!(User::TABLE.column("email").unwrap().unique);
//! const _: () = assert!(User::TABLE.has_column("id"));
//! ```

/// A struct that maps to a database table. Implemented by `#[derive(Model)]`; never by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model",
    label = "not a `#[derive(Model)]` struct",
    note = "a typed reference (`references = Model::field`) names a struct with \
            `#[derive(strata::Model)]`; derive it on `{Self}`, or reference a table by name \
            (`references = \"table.column\"`)"
)]
pub trait Model {
    /// The complete metadata of the table this struct maps to.
    const TABLE: &'static TableDef;
    /// The table as references name it: `TABLE.name`, or `schema.name` when the model has a
    /// schema ([`TableDef::key`]).
    ///
    /// Typed references (`references = User::id`) read this and [`Model::FIELD_COLUMNS`]
    /// rather than `TABLE`: two models that reference each other (or a model that references
    /// itself) would otherwise each need the other's `TABLE` to build their own, a cycle the
    /// compiler refuses.
    const TABLE_NAME: &'static str;
    /// `(field name, column name)` of each column, in field order (fields marked `skip` are
    /// absent); equal to the `field` and `name` of `TABLE.columns`. See [`Model::TABLE_NAME`].
    const FIELD_COLUMNS: &'static [(&'static str, &'static str)];
}

/// The column name of the field named `field` in a [`Model::FIELD_COLUMNS`] list, usable in
/// `const` context; `None` when no column has that field (it does not exist, or is `skip`).
pub const fn field_column(
    fields: &'static [(&'static str, &'static str)],
    field: &str,
) -> Option<&'static str> {
    let mut i = 0;
    while i < fields.len() {
        if str_eq(fields[i].0, field) {
            return Some(fields[i].1);
        }
        i += 1;
    }
    None
}

/// Whether a field of type `Self` may hold a foreign key to a field of type `T`: the same
/// type, or either of them in an `Option`. The check `#[derive(Model)]` emits for a typed
/// reference (`references = User::id`).
#[diagnostic::on_unimplemented(
    message = "this field's type `{Self}` does not match the type `{T}` of the field it \
               references",
    label = "the referenced field is `{T}`",
    note = "a foreign key field has the type of the field it references (`{T}`), or an \
            `Option` of it; change this field's type, or reference another field"
)]
pub trait ReferenceType<T> {}

impl<T> ReferenceType<T> for T {}
impl<T> ReferenceType<T> for Option<T> {}
impl<T> ReferenceType<Option<T>> for T {}

/// Compiles only when a field of type `R` may reference a field of type `T` (see
/// [`ReferenceType`]); never called, only type-checked, by the code `#[derive(Model)]` emits.
pub fn reference_type<T, R: ReferenceType<T>>(_referenced: &T, _referencing: &R) {}

/// The metadata of one table, as declared by a `#[derive(Model)]` struct.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableDef {
    /// The table name (`#[model(table = "...")]`, or the struct name in snake_case), without
    /// its schema.
    pub name: &'static str,
    /// `#[model(schema = "audit")]`: the PostgreSQL schema holding the table; `None` is the
    /// connection's current schema. Everywhere else the table is then named `audit.<name>`
    /// ([`TableDef::key`]).
    pub schema: Option<&'static str>,
    /// The Rust path of the struct (`my_app::models::User`), used in messages.
    pub rust_path: &'static str,
    /// The struct's doc comment, used as the table comment.
    pub comment: Option<&'static str>,
    /// `#[model(renamed_from = "old")]`: the table's previous name, a rename hint for the diff.
    pub renamed_from: Option<&'static str>,
    /// The columns, in field order (fields marked `skip` are absent).
    pub columns: &'static [ColumnDef],
    /// Table-level indexes: `#[model(index(columns("a", "b"), name = "...", unique))]`, with
    /// `desc("b")`, `where = "..."`, `expr = "..."`, `using = "gin"`.
    pub indexes: &'static [IndexDef],
    /// Table-level unique constraints: `#[model(unique(columns("a", "b"), name = "..."))]`.
    pub uniques: &'static [UniqueDef],
    /// Check constraints: `#[model(check(name = "...", expr = "..."))]`.
    pub checks: &'static [CheckDef],
    /// `#[model(pk_name = "...")]`: the primary key's name; `None` names it by the naming
    /// convention.
    pub primary_key_name: Option<&'static str>,
}

/// The metadata of one column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnDef {
    /// The column name (`#[model(column = "...")]`, or the field name).
    pub name: &'static str,
    /// The Rust field name, used in messages.
    pub field: &'static str,
    /// The dialect-neutral type.
    pub ty: ColumnType,
    /// `true` when the field is an `Option<T>`.
    pub nullable: bool,
    /// `#[model(default = ...)]` or `#[model(default_sql = "...")]`.
    pub default: Option<DefaultValue>,
    /// Whether the database generates values (integer single-column primary keys, unless
    /// `autoincrement = false`).
    pub autoincrement: bool,
    /// `#[model(primary_key)]`; several such columns make a composite key, in field order.
    pub primary_key: bool,
    /// `#[model(unique)]`: a single-column unique constraint.
    pub unique: bool,
    /// `#[model(index)]`: a single-column, non-unique index.
    pub index: bool,
    /// `#[model(references = "table.column", on_delete = ..., on_update = ...)]`, or a typed
    /// `references = User::id` (resolved to the table and column names at compile time).
    pub references: Option<ForeignKeyDef>,
    /// The field's doc comment, used as the column comment.
    pub comment: Option<&'static str>,
    /// `#[model(renamed_from = "old")]`: the column's previous name, a rename hint for the diff.
    pub renamed_from: Option<&'static str>,
}

/// A dialect-neutral column type. Each dialect maps it to its own spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// `i16`: smallint.
    SmallInt,
    /// `i32`: integer.
    Integer,
    /// `i64`: bigint.
    BigInt,
    /// `f32`: real (4-byte float).
    Real,
    /// `f64`: double precision.
    Double,
    /// `bool`: boolean.
    Boolean,
    /// `String`: unbounded text.
    Text,
    /// `String` with `max_length = N`: varchar(N).
    Varchar(u32),
    /// `Vec<u8>`: binary data.
    Bytes,
    /// A calendar date.
    Date,
    /// A time of day.
    Time,
    /// A timestamp without time zone.
    Timestamp,
    /// A timestamp with time zone.
    TimestampTz,
    /// A UUID.
    Uuid,
    /// A JSON document.
    Json,
    /// An exact decimal; `precision = P, scale = S`.
    Decimal {
        /// Total number of digits.
        precision: Option<u32>,
        /// Digits after the decimal point.
        scale: Option<u32>,
    },
    /// `#[model(sql_type = "...")]`: a verbatim column type.
    Custom(&'static str),
    /// A `#[derive(strata::Enum)]` enum: one of its values.
    Enum(&'static EnumDef),
}

/// A fieldless Rust enum used as a column type. Implemented by `#[derive(strata::Enum)]`;
/// never by hand.
#[diagnostic::on_unimplemented(
    message = "unsupported column type `{Self}`",
    label = "not a column type",
    note = "derive `strata::Enum` on `{Self}` if it is a fieldless enum; otherwise add \
            `#[model(sql_type = \"...\")]` to give its SQL type, or `#[model(skip)]` if the \
            field is not a column"
)]
pub trait Enum {
    /// The enum's type name and values.
    const ENUM: &'static EnumDef;
}

/// The type name and values of a `#[derive(strata::Enum)]` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumDef {
    /// The type name (`#[model(enum_name = "...")]`, or the enum's name in snake_case).
    pub name: &'static str,
    /// The Rust path of the enum, used in messages.
    pub rust_path: &'static str,
    /// The values, in variant order (each variant's name in snake_case, or its
    /// `#[model(rename = "...")]`).
    pub values: &'static [&'static str],
}

/// A column default, as declared on a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// `default = 42`.
    Int(i64),
    /// `default = 1.5`.
    Float(f64),
    /// `default = true`.
    Bool(bool),
    /// `default = "text"`: a string literal, quoted by the dialect.
    Str(&'static str),
    /// `default_sql = "CURRENT_TIMESTAMP"`: a raw SQL expression, written verbatim.
    Sql(&'static str),
}

/// What a foreign key does when the referenced row is deleted or updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferentialAction {
    /// `no_action` (the SQL default).
    #[default]
    NoAction,
    /// `restrict`.
    Restrict,
    /// `cascade`.
    Cascade,
    /// `set_null`.
    SetNull,
    /// `set_default`.
    SetDefault,
}

/// A single-column foreign key declared with `references`. The typed form
/// (`references = User::id`) is resolved to names when the model compiles: `table` is
/// `User`'s table name and `column` the column name of its field `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForeignKeyDef {
    /// The referenced table (`schema.table` when it is in a schema).
    pub table: &'static str,
    /// The referenced column; `None` means the referenced table's primary key.
    pub column: Option<&'static str>,
    /// `on_delete = ...`.
    pub on_delete: ReferentialAction,
    /// `on_update = ...`.
    pub on_update: ReferentialAction,
    /// `fk_name = "..."`: the foreign key's name; `None` names it by the naming convention.
    pub name: Option<&'static str>,
}

/// A table-level index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexDef {
    /// An explicit name; `None` uses the naming convention (`ix_<table>_<cols>`).
    pub name: Option<&'static str>,
    /// The indexed columns (column names, not field names), in order.
    pub columns: &'static [&'static str],
    /// Whether the index is unique.
    pub unique: bool,
    /// `expr = "lower(email)"`: one SQL expression keyed after the columns.
    pub expr: Option<&'static str>,
    /// `desc("a")`: the columns kept in descending order.
    pub desc: &'static [&'static str],
    /// `where = "deleted_at IS NULL"`: the predicate of a partial index.
    pub where_: Option<&'static str>,
    /// `using = "gin"`: the index method (PostgreSQL).
    pub using: Option<&'static str>,
}

impl IndexDef {
    /// An unnamed, non-unique index over no columns, with nothing else: the base of struct
    /// update syntax (`IndexDef { columns: &["a"], ..IndexDef::BASE }`).
    pub const BASE: IndexDef = IndexDef {
        name: None,
        columns: &[],
        unique: false,
        expr: None,
        desc: &[],
        where_: None,
        using: None,
    };
}

/// A table-level unique constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueDef {
    /// An explicit name; `None` uses the naming convention (`uq_<table>_<cols>`).
    pub name: Option<&'static str>,
    /// The columns (column names), in order.
    pub columns: &'static [&'static str],
}

/// A check constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckDef {
    /// The constraint's name (the convention prefixes it: `ck_<table>_<name>`).
    pub name: &'static str,
    /// The SQL boolean expression, written verbatim.
    pub expr: &'static str,
}

/// `const` string equality (`==` on `str` is not `const` yet).
const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl TableDef {
    /// The table's name everywhere Strata names a table (schemas, ops, migration files,
    /// references, messages): `name`, or `schema.name` when the table has a schema.
    pub fn key(&self) -> String {
        match self.schema {
            Some(schema) => format!("{schema}.{}", self.name),
            None => self.name.to_owned(),
        }
    }

    /// The column named `name` (the column name, not the field name), usable in `const` context.
    pub const fn column(&self, name: &str) -> Option<&ColumnDef> {
        let mut i = 0;
        while i < self.columns.len() {
            if str_eq(self.columns[i].name, name) {
                return Some(&self.columns[i]);
            }
            i += 1;
        }
        None
    }

    /// Whether a column named `name` exists, usable in `const` context.
    pub const fn has_column(&self, name: &str) -> bool {
        self.column(name).is_some()
    }

    /// How many primary-key columns the table has, usable in `const` context.
    pub const fn primary_key_len(&self) -> usize {
        let mut n = 0;
        let mut i = 0;
        while i < self.columns.len() {
            if self.columns[i].primary_key {
                n += 1;
            }
            i += 1;
        }
        n
    }

    /// Whether a table-level index covers exactly `columns`, in order, usable in `const` context.
    pub const fn has_index(&self, columns: &[&str]) -> bool {
        let mut i = 0;
        while i < self.indexes.len() {
            if str_slices_eq(self.indexes[i].columns, columns) {
                return true;
            }
            i += 1;
        }
        if columns.len() == 1 {
            if let Some(c) = self.column(columns[0]) {
                return c.index;
            }
        }
        false
    }

    /// The primary-key columns, in field order.
    pub fn primary_key(&self) -> impl Iterator<Item = &ColumnDef> {
        self.columns.iter().filter(|c| c.primary_key)
    }
}

const fn str_slices_eq(a: &[&str], b: &[&str]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !str_eq(a[i], b[i]) {
            return false;
        }
        i += 1;
    }
    true
}

impl ColumnDef {
    /// A NOT NULL column `name` (its field named the same) of type `ty`, with nothing else
    /// set: the starting point for building a definition by hand in `const` context
    /// (`ColumnDef { primary_key: true, ..ColumnDef::new("id", ColumnType::Integer) }`).
    pub const fn new(name: &'static str, ty: ColumnType) -> ColumnDef {
        ColumnDef {
            name,
            field: name,
            ty,
            nullable: false,
            default: None,
            autoincrement: false,
            primary_key: false,
            unique: false,
            index: false,
            references: None,
            comment: None,
            renamed_from: None,
        }
    }

    /// Whether the column's type is `ty`, usable in `const` context (`Custom` compares its text).
    pub const fn is_type(&self, ty: ColumnType) -> bool {
        match (self.ty, ty) {
            (ColumnType::SmallInt, ColumnType::SmallInt)
            | (ColumnType::Integer, ColumnType::Integer)
            | (ColumnType::BigInt, ColumnType::BigInt)
            | (ColumnType::Real, ColumnType::Real)
            | (ColumnType::Double, ColumnType::Double)
            | (ColumnType::Boolean, ColumnType::Boolean)
            | (ColumnType::Text, ColumnType::Text)
            | (ColumnType::Bytes, ColumnType::Bytes)
            | (ColumnType::Date, ColumnType::Date)
            | (ColumnType::Time, ColumnType::Time)
            | (ColumnType::Timestamp, ColumnType::Timestamp)
            | (ColumnType::TimestampTz, ColumnType::TimestampTz)
            | (ColumnType::Uuid, ColumnType::Uuid)
            | (ColumnType::Json, ColumnType::Json) => true,
            (ColumnType::Varchar(a), ColumnType::Varchar(b)) => a == b,
            (
                ColumnType::Decimal {
                    precision: p1,
                    scale: s1,
                },
                ColumnType::Decimal {
                    precision: p2,
                    scale: s2,
                },
            ) => opt_eq(p1, p2) && opt_eq(s1, s2),
            (ColumnType::Custom(a), ColumnType::Custom(b)) => str_eq(a, b),
            _ => false,
        }
    }
}

const fn opt_eq(a: Option<u32>, b: Option<u32>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: &[ColumnDef] = &[
        ColumnDef {
            name: "id",
            field: "id",
            ty: ColumnType::Integer,
            nullable: false,
            default: None,
            autoincrement: true,
            primary_key: true,
            unique: false,
            index: false,
            references: None,
            comment: None,
            renamed_from: None,
        },
        ColumnDef {
            name: "email",
            field: "email",
            ty: ColumnType::Varchar(120),
            nullable: false,
            default: None,
            autoincrement: false,
            primary_key: false,
            unique: true,
            index: true,
            references: None,
            comment: Some("Where we write."),
            renamed_from: None,
        },
    ];
    const T: TableDef = TableDef {
        name: "users",
        schema: None,
        rust_path: "app::User",
        comment: None,
        renamed_from: None,
        columns: COLS,
        indexes: &[IndexDef {
            name: None,
            columns: &["email", "id"],
            unique: false,
            ..IndexDef::BASE
        }],
        uniques: &[],
        checks: &[],
        primary_key_name: None,
    };

    const FIELDS: &[(&str, &str)] = &[("id", "person_id"), ("email", "email")];
    const _: () = assert!(matches!(field_column(FIELDS, "id"), Some(c) if str_eq(c, "person_id")));
    const _: () = assert!(field_column(FIELDS, "person_id").is_none());

    const _: () = assert!(T.has_column("email"));
    const _: () = assert!(!T.has_column("mail"));
    const _: () = assert!(T.primary_key_len() == 1);
    const _: () = assert!(T.has_index(&["email", "id"]));
    const _: () = assert!(T.has_index(&["email"]));
    const _: () = assert!(!T.has_index(&["id"]));

    #[test]
    fn lookups_work_at_run_time_too() {
        let email = T.column("email").expect("email column");
        assert!(email.unique);
        assert!(email.is_type(ColumnType::Varchar(120)));
        assert!(!email.is_type(ColumnType::Varchar(80)));
        assert_eq!(T.primary_key().map(|c| c.name).collect::<Vec<_>>(), ["id"]);
        assert!(T.column("nope").is_none());
    }
}
