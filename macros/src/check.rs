//! Stage 1, model (derive): checking the parsed attributes together and resolving them into
//! the table description that `expand` turns into code.
//!
//! Every problem is recorded in the [`Ctxt`], spanned on the token the user should change.

use std::collections::BTreeMap;

use quote::ToTokens;
use syn::ext::IdentExt;
use syn::LitStr;

use crate::ast::{Container, DefaultLit, Field, Reference};
use crate::ctxt::Ctxt;
use crate::ty::{self, Ty};
use crate::util::{did_you_mean, snake_case};

/// PostgreSQL's identifier limit, in bytes (longer names are silently cut there).
pub const MAX_IDENT_LEN: usize = 63;

/// The valid `on_delete` / `on_update` values.
pub const ACTIONS: &[&str] = &[
    "cascade",
    "set_null",
    "set_default",
    "restrict",
    "no_action",
];

/// The resolved table (mirrors `strata::model::TableDef`).
pub struct Table {
    /// Table name.
    pub name: String,
    /// `schema = "..."`: the PostgreSQL schema (MySQL database) holding the table.
    pub schema: Option<String>,
    /// Doc comment.
    pub comment: Option<String>,
    /// Previous table name.
    pub renamed_from: Option<String>,
    /// Columns in field order.
    pub columns: Vec<Column>,
    /// Table-level indexes.
    pub indexes: Vec<Index>,
    /// Table-level unique constraints.
    pub uniques: Vec<Unique>,
    /// Check constraints.
    pub checks: Vec<Check>,
    /// `pk_name = "..."`.
    pub primary_key_name: Option<String>,
}

/// A resolved column type (mirrors `strata::model::ColumnType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnType {
    /// A recognised Rust type.
    Known(Ty),
    /// `String` with `max_length`.
    Varchar(u32),
    /// A decimal with optional precision and scale.
    Decimal(Option<u32>, Option<u32>),
    /// `sql_type = "..."`.
    Custom(String),
    /// A type the derive does not know (`Mood`): its `strata::Enum` impl gives the type.
    Enum(EnumType),
}

/// The field type of a [`ColumnType::Enum`] column, as written.
#[derive(Debug, Clone)]
pub struct EnumType(pub syn::Type);

impl PartialEq for EnumType {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_token_stream().to_string() == other.0.to_token_stream().to_string()
    }
}

impl Eq for EnumType {}

/// A resolved default (mirrors `strata::model::DefaultValue`).
pub enum Default {
    /// `default = <literal>`.
    Lit(DefaultLit),
    /// `default_sql = "..."`.
    Sql(String),
}

/// What a foreign key references.
pub enum Target {
    /// `references = "table[.column]"`: the names, checked when the models are read.
    Name {
        /// Referenced table.
        table: String,
        /// Referenced column, `None` for the primary key.
        column: Option<String>,
    },
    /// `references = User::id`: resolved by the compiler, in the code `expand` writes.
    Typed {
        /// The model struct, as written (`Self` included).
        model: syn::Path,
        /// The referenced field.
        field: syn::Ident,
        /// The whole `User::id` path, for errors about the pair.
        tokens: syn::Path,
        /// The referencing field.
        this_field: syn::Ident,
        /// The referencing field's type, where a type mismatch is reported.
        this_ty: Box<syn::Type>,
    },
}

/// A resolved foreign key.
pub struct ForeignKey {
    /// What it references.
    pub target: Target,
    /// `on_delete`, as a variant name of `ReferentialAction`.
    pub on_delete: &'static str,
    /// `on_update`, as a variant name of `ReferentialAction`.
    pub on_update: &'static str,
    /// `fk_name = "..."`.
    pub name: Option<String>,
}

/// A resolved column (mirrors `strata::model::ColumnDef`).
pub struct Column {
    /// Column name.
    pub name: String,
    /// Rust field name.
    pub field: String,
    /// Type.
    pub ty: ColumnType,
    /// `Option<T>`.
    pub nullable: bool,
    /// Default.
    pub default: Option<Default>,
    /// Database-generated.
    pub autoincrement: bool,
    /// Part of the primary key.
    pub primary_key: bool,
    /// Single-column unique.
    pub unique: bool,
    /// Single-column index.
    pub index: bool,
    /// Foreign key.
    pub references: Option<ForeignKey>,
    /// Doc comment.
    pub comment: Option<String>,
    /// Previous column name.
    pub renamed_from: Option<String>,
}

/// A resolved table-level index.
pub struct Index {
    /// Explicit name.
    pub name: Option<String>,
    /// Column names.
    pub columns: Vec<String>,
    /// Unique index.
    pub unique: bool,
    /// The expression keyed after the columns.
    pub expr: Option<String>,
    /// Descending columns.
    pub desc: Vec<String>,
    /// The predicate of a partial index.
    pub where_: Option<String>,
    /// The index method.
    pub using: Option<String>,
}

/// The index methods `using = "..."` takes (PostgreSQL's built-in access methods).
const INDEX_METHODS: &[&str] = &["btree", "hash", "gist", "spgist", "gin", "brin"];

/// A resolved table-level unique constraint.
pub struct Unique {
    /// Explicit name.
    pub name: Option<String>,
    /// Column names.
    pub columns: Vec<String>,
}

/// A resolved check constraint.
pub struct Check {
    /// Name.
    pub name: String,
    /// SQL expression.
    pub expr: String,
}

/// Checks a name given in a string literal: not empty, at most [`MAX_IDENT_LEN`] bytes.
fn check_name(cx: &Ctxt, lit: &LitStr, what: &str) -> String {
    let value = lit.value();
    if let Some(msg) = name_problem(&value, what) {
        cx.error_spanned_by(lit, msg);
    }
    value
}

/// A table or schema name: a valid identifier without `.`, which separates a schema from its
/// table (`audit.events`) everywhere Strata names a table.
fn check_unqualified(cx: &Ctxt, lit: &LitStr, what: &str, fix: &str) -> String {
    let value = lit.value();
    if let Some(msg) = name_problem(&value, what) {
        cx.error_spanned_by(lit, msg);
    } else if value.contains('.') {
        cx.error_spanned_by(
            lit,
            format!(
                "the {what} `{value}` contains `.`, which Strata reads as `schema.table`; {fix}"
            ),
        );
    }
    value
}

/// What is wrong with `name` as an SQL identifier, if anything.
pub fn name_problem(name: &str, what: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some(format!("the {what} is empty; write a name"));
    }
    if name.len() > MAX_IDENT_LEN {
        return Some(format!(
            "the {what} `{name}` is {} bytes long; databases cut identifiers at \
             {MAX_IDENT_LEN} bytes (PostgreSQL), so use a name of at most {MAX_IDENT_LEN}",
            name.len()
        ));
    }
    if name.contains('\0') {
        return Some(format!("the {what} contains a NUL character; remove it"));
    }
    None
}

/// Maps an `on_delete`/`on_update` string to a `ReferentialAction` variant name.
pub fn action_variant(value: &str) -> Option<&'static str> {
    Some(match value {
        "cascade" => "Cascade",
        "set_null" => "SetNull",
        "set_default" => "SetDefault",
        "restrict" => "Restrict",
        "no_action" => "NoAction",
        _ => return None,
    })
}

/// Splits `references = "table"` / `"table.column"` / `"schema.table.column"` into the
/// table (`schema.table` in the last form) and the column.
pub fn split_reference(value: &str) -> Option<(&str, Option<&str>)> {
    let parts: Vec<&str> = value.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    match parts.len() {
        1 => Some((value, None)),
        2 => Some((parts[0], Some(parts[1]))),
        3 => Some((&value[..value.len() - parts[2].len() - 1], Some(parts[2]))),
        _ => None,
    }
}

/// Whether a `default = <literal>` fits the column's type (a custom type accepts anything).
fn default_fits(lit: &DefaultLit, t: &ColumnType) -> bool {
    use ColumnType as C;
    match (lit, t) {
        (_, C::Custom(_)) => true,
        (DefaultLit::Int(_), C::Known(ty)) => {
            ty.is_integer() || matches!(ty, Ty::Real | Ty::Double | Ty::Decimal)
        }
        (DefaultLit::Int(_) | DefaultLit::Float(_), C::Decimal(..)) => true,
        (DefaultLit::Float(_), C::Known(ty)) => matches!(ty, Ty::Real | Ty::Double | Ty::Decimal),
        (DefaultLit::Bool(_), C::Known(ty)) => *ty == Ty::Boolean,
        (DefaultLit::Str(_), C::Known(ty)) => {
            !ty.is_integer() && !matches!(ty, Ty::Real | Ty::Double | Ty::Boolean | Ty::Bytes)
        }
        (DefaultLit::Str(_), C::Varchar(_) | C::Decimal(..) | C::Enum(_)) => true,
        _ => false,
    }
}

/// Resolves one field's type, reporting unsupported ones. `None` when it has an error.
fn field_type(cx: &Ctxt, f: &Field<'_>) -> Option<(ColumnType, bool)> {
    let a = &f.attrs;
    let (inner, nullable) = match ty::nullable(f.ty) {
        Ok(v) => v,
        Err(msg) => {
            cx.error_spanned_by(f.ty, msg);
            return None;
        }
    };
    if let Some(sql) = &a.sql_type {
        if sql.value().trim().is_empty() {
            cx.error_spanned_by(
                sql,
                "`sql_type` is empty; write the SQL type, like `\"citext\"`",
            );
        }
        for (given, name) in [
            (
                a.max_length.as_ref().map(|v| v.0.to_token_stream()),
                "max_length",
            ),
            (
                a.precision.as_ref().map(|v| v.0.to_token_stream()),
                "precision",
            ),
            (a.scale.as_ref().map(|v| v.0.to_token_stream()), "scale"),
        ] {
            if let Some(tokens) = given {
                cx.error_spanned_by(
                    tokens,
                    format!(
                        "`{name}` has no effect with `sql_type`; write it in the SQL type \
                         itself (for example `sql_type = \"varchar(80)\"`)"
                    ),
                );
            }
        }
        return Some((ColumnType::Custom(sql.value()), nullable));
    }
    let recognized = match ty::recognize(inner) {
        Ok(t) => t,
        Err(_) if ty::is_plain_path(inner) => {
            for (lit, name) in [
                (a.max_length.as_ref().map(|v| &v.0), "max_length"),
                (a.precision.as_ref().map(|v| &v.0), "precision"),
                (a.scale.as_ref().map(|v| &v.0), "scale"),
            ] {
                if let Some(lit) = lit {
                    cx.error_spanned_by(
                        lit,
                        format!(
                            "`{name}` does not apply to `{}` (an enum or other type of its \
                             own); remove it",
                            ty::type_name(inner)
                        ),
                    );
                }
            }
            return Some((ColumnType::Enum(EnumType(inner.clone())), nullable));
        }
        Err(msg) => {
            cx.error_spanned_by(inner, msg);
            return None;
        }
    };
    let mut out = ColumnType::Known(recognized);
    if let Some((lit, n)) = &a.max_length {
        if recognized != Ty::Text {
            cx.error_spanned_by(
                lit,
                format!(
                    "`max_length` applies to `String` fields only, and `{}` is not one; \
                     remove it",
                    ty::type_name(inner)
                ),
            );
        } else if *n == 0 {
            cx.error_spanned_by(
                lit,
                "`max_length = 0` allows no text at all; give the maximum length in \
                 characters (at least 1), or remove it for unbounded text",
            );
        } else {
            out = ColumnType::Varchar(*n);
        }
    }
    let precision = a.precision.as_ref();
    let scale = a.scale.as_ref();
    if recognized == Ty::Decimal {
        if let Some((lit, 0)) = precision {
            cx.error_spanned_by(
                lit,
                "`precision` must be at least 1 (the total number of digits)",
            );
        }
        match (precision, scale) {
            (None, Some((lit, _))) => cx.error_spanned_by(
                lit,
                "`scale` needs `precision`: write `precision = 10, scale = 2`",
            ),
            (Some((_, p)), Some((lit, s))) if s > p => cx.error_spanned_by(
                lit,
                format!(
                    "`scale = {s}` is larger than `precision = {p}`; the scale counts digits \
                     after the point among the precision's total, so it must be at most {p}"
                ),
            ),
            _ => {}
        }
        out = ColumnType::Decimal(precision.map(|v| v.1), scale.map(|v| v.1));
    } else {
        for (given, name) in [(precision, "precision"), (scale, "scale")] {
            if let Some((lit, _)) = given {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "`{name}` applies to decimal fields only (`rust_decimal::Decimal`), and \
                         `{}` is not one; remove it",
                        ty::type_name(inner)
                    ),
                );
            }
        }
    }
    Some((out, nullable))
}

/// Checks the container and resolves it. Errors are recorded in `cx`; the returned table is
/// only meaningful when `cx` has none. Each `check_*` below records its own errors, in the
/// order they are called, which is the order the user reads them.
pub fn check(cx: &Ctxt, cont: &Container<'_>) -> Table {
    let name = check_table_name(cx, cont);
    let schema = cont
        .attrs
        .schema
        .as_ref()
        .map(|l| check_unqualified(cx, l, "schema name", "a schema name is one name"));
    let renamed_from = cont
        .attrs
        .renamed_from
        .as_ref()
        .map(|l| check_name(cx, l, "previous table name"));
    let pk_count = check_has_primary_key(cx, cont);
    let primary_key_name = cont
        .attrs
        .pk_name
        .as_ref()
        .map(|l| check_name(cx, l, "primary key name"));
    let columns = check_columns(cx, cont, pk_count);
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let indexes = check_indexes(cx, cont, &names);
    let uniques = check_uniques(cx, cont, &names);
    let checks = check_checks(cx, cont);
    Table {
        name,
        schema,
        comment: cont.doc.clone(),
        renamed_from,
        columns,
        indexes,
        uniques,
        checks,
        primary_key_name,
    }
}

/// The table name: `table = "..."`, else the struct name in snake_case; either must be a
/// valid identifier.
fn check_table_name(cx: &Ctxt, cont: &Container<'_>) -> String {
    match &cont.attrs.table {
        Some(lit) => check_unqualified(
            cx,
            lit,
            "table name",
            "put the schema in `#[model(schema = \"...\")]`",
        ),
        None => {
            let name = snake_case(&cont.ident.unraw().to_string());
            if let Some(msg) = name_problem(&name, "table name") {
                cx.error_spanned_by(
                    cont.ident,
                    format!("{msg}; set one with `#[model(table = \"...\")]`"),
                );
            }
            name
        }
    }
}

/// Some field is the primary key (unless one misspelled it, which was reported already).
/// Returns the number of key fields.
fn check_has_primary_key(cx: &Ctxt, cont: &Container<'_>) -> usize {
    let pk_count = cont
        .fields
        .iter()
        .filter(|f| f.attrs.primary_key.is_some() && f.attrs.skip.is_none())
        .count();
    let misspelled = cont.fields.iter().any(|f| f.attrs.misspelled_primary_key);
    if pk_count == 0 && !misspelled {
        cx.error_spanned_by(
            cont.ident,
            format!(
                "`{}` has no primary key; mark its key field with `#[model(primary_key)]` \
                 (several fields make a composite key)",
                cont.ident
            ),
        );
    }
    pk_count
}

/// Every field that is not `skip` as a column, in field order.
fn check_columns(cx: &Ctxt, cont: &Container<'_>, pk_count: usize) -> Vec<Column> {
    let mut columns = Vec::new();
    // column name -> the field that has it
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for f in &cont.fields {
        if f.attrs.skip.is_some() {
            check_skipped_field(cx, f);
        } else {
            columns.push(check_column(cx, f, pk_count, &mut seen));
        }
    }
    columns
}

/// A `skip` field carries no other attribute: they would have no effect.
fn check_skipped_field(cx: &Ctxt, f: &Field<'_>) {
    for p in f.attrs.given.iter().filter(|p| !p.is_ident("skip")) {
        cx.error_spanned_by(
            p,
            format!(
                "`{}` has no effect on a `skip` field (it is not a column); remove it, or \
                 remove `skip`",
                p.to_token_stream()
            ),
        );
    }
}

/// One field's column: its name, type, key, default and foreign key.
fn check_column(
    cx: &Ctxt,
    f: &Field<'_>,
    pk_count: usize,
    seen: &mut BTreeMap<String, String>,
) -> Column {
    let a = &f.attrs;
    let field_name = f.ident.unraw().to_string();
    let name = check_column_name(cx, f, &field_name, seen);
    let renamed = a
        .renamed_from
        .as_ref()
        .map(|l| check_name(cx, l, "previous column name"));
    let resolved = field_type(cx, f);
    let nullable = resolved.as_ref().is_some_and(|r| r.1);
    let primary_key = a.primary_key.is_some();
    if primary_key && nullable {
        cx.error_spanned_by(
            f.ty,
            "a primary key column cannot be NULL; remove the `Option<...>` (or drop \
             `primary_key`)",
        );
    }
    let is_integer = matches!(&resolved, Some((ColumnType::Known(t), _)) if t.is_integer());
    let autoincrement = check_autoincrement(cx, f, pk_count, is_integer, resolved.is_some());
    let default = check_default(cx, f, resolved.as_ref().map(|r| &r.0));
    let references = check_references(cx, f, nullable, resolved.is_some());
    Column {
        name,
        field: field_name,
        ty: resolved
            .map(|r| r.0)
            .unwrap_or(ColumnType::Custom(String::new())),
        nullable,
        default,
        autoincrement,
        primary_key,
        unique: a.unique.is_some(),
        index: a.index.is_some(),
        references,
        comment: f.doc.clone(),
        renamed_from: renamed,
    }
}

/// The column name (`column = "..."`, else the field name) is a valid identifier that no
/// other field of the struct uses.
fn check_column_name(
    cx: &Ctxt,
    f: &Field<'_>,
    field_name: &str,
    seen: &mut BTreeMap<String, String>,
) -> String {
    let a = &f.attrs;
    let name = match &a.column {
        Some(lit) => check_name(cx, lit, "column name"),
        None => {
            if let Some(msg) = name_problem(field_name, "column name") {
                cx.error_spanned_by(
                    f.ident,
                    format!("{msg}; set one with `#[model(column = \"...\")]`"),
                );
            }
            field_name.to_string()
        }
    };
    if let Some(first) = seen.get(&name) {
        let tokens = match &a.column {
            Some(lit) => lit.to_token_stream(),
            None => f.ident.to_token_stream(),
        };
        cx.error_spanned_by(
            tokens,
            format!(
                "column `{name}` is already used by field `{first}`; give one of them another \
                 name with `#[model(column = \"...\")]`"
            ),
        );
    } else {
        seen.insert(name.clone(), field_name.to_string());
    }
    name
}

/// `autoincrement` only on a single-column integer primary key; without the attribute, such
/// a key auto-increments. `typed` is false when the field's type already has an error.
fn check_autoincrement(
    cx: &Ctxt,
    f: &Field<'_>,
    pk_count: usize,
    is_integer: bool,
    typed: bool,
) -> bool {
    let primary_key = f.attrs.primary_key.is_some();
    match &f.attrs.autoincrement {
        Some(b) if b.value => {
            if !primary_key {
                cx.error_spanned_by(
                    b,
                    "`autoincrement` applies to a primary key only; add `primary_key` or \
                     remove it",
                );
            } else if pk_count > 1 {
                cx.error_spanned_by(
                    b,
                    "`autoincrement` needs a single-column primary key, and this key has \
                     several columns; remove it",
                );
            } else if typed && !is_integer {
                cx.error_spanned_by(
                    b,
                    "`autoincrement` needs an integer key (`i16`, `i32` or `i64`); remove it",
                );
            }
            true
        }
        Some(b) => {
            if !primary_key {
                cx.error_spanned_by(
                    b,
                    "`autoincrement` applies to a primary key only; remove it",
                );
            }
            false
        }
        None => primary_key && pk_count == 1 && is_integer,
    }
}

/// Either `default` (a literal that fits the column's type) or `default_sql` (a non-empty
/// expression), not both.
fn check_default(cx: &Ctxt, f: &Field<'_>, resolved: Option<&ColumnType>) -> Option<Default> {
    let a = &f.attrs;
    match (&a.default, &a.default_sql) {
        (Some(_), Some(sql)) => {
            cx.error_spanned_by(
                sql,
                "give either `default` (a literal value) or `default_sql` (an SQL expression), \
                 not both; remove one",
            );
            None
        }
        (Some((expr, lit)), None) => {
            if let Some(t) = resolved {
                if !default_fits(lit, t) {
                    let shown = match t {
                        ColumnType::Custom(_) => ty::type_name(f.ty),
                        _ => ty::type_name(ty::nullable(f.ty).map_or(f.ty, |v| v.0)),
                    };
                    cx.error_spanned_by(
                        expr,
                        format!(
                            "this default does not fit the field's type `{shown}`; give a \
                             literal of that type, or use `default_sql = \"...\"`"
                        ),
                    );
                }
            }
            Some(Default::Lit(lit.clone()))
        }
        (None, Some(sql)) => {
            if sql.value().trim().is_empty() {
                cx.error_spanned_by(
                    sql,
                    "`default_sql` is empty; write an SQL expression such as \
                     `\"CURRENT_TIMESTAMP\"`",
                );
            }
            Some(Default::Sql(sql.value()))
        }
        (None, None) => None,
    }
}

/// `references` is `"table"` or `"table.column"` with valid names, or a typed `Model::field`
/// (checked by the compiler, see `expand`); `on_delete`/`on_update` are known actions, only
/// with `references`, and `set_null` only on a nullable column.
fn check_references(cx: &Ctxt, f: &Field<'_>, nullable: bool, typed: bool) -> Option<ForeignKey> {
    let a = &f.attrs;
    let Some(reference) = &a.references else {
        for (given, name) in [
            (&a.on_delete, "on_delete"),
            (&a.on_update, "on_update"),
            (&a.fk_name, "fk_name"),
        ] {
            if let Some(lit) = given {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "`{name}` needs `references`; add `references = \"table.column\"` to \
                         make this field a foreign key, or remove `{name}`"
                    ),
                );
            }
        }
        return None;
    };
    let target = match reference {
        Reference::Name(lit) => name_target(cx, lit),
        Reference::Typed {
            model,
            field,
            tokens,
        } => Target::Typed {
            model: model.clone(),
            field: field.clone(),
            tokens: tokens.clone(),
            this_field: f.ident.clone(),
            this_ty: Box::new(f.ty.clone()),
        },
    };
    let on_delete = check_action(cx, a.on_delete.as_ref(), "on_delete", nullable || !typed);
    let on_update = check_action(cx, a.on_update.as_ref(), "on_update", nullable || !typed);
    let name = a
        .fk_name
        .as_ref()
        .map(|l| check_name(cx, l, "foreign key name"));
    Some(ForeignKey {
        target,
        on_delete,
        on_update,
        name,
    })
}

/// `references = "table"` / `"table.column"` / `"schema.table.column"`: valid names.
fn name_target(cx: &Ctxt, lit: &LitStr) -> Target {
    let value = lit.value();
    let (table, column) = match split_reference(&value) {
        Some((t, c)) => {
            let (schema, bare) = t.split_once('.').map_or((None, t), |(s, b)| (Some(s), b));
            for (part, what) in [
                (schema, "referenced schema"),
                (Some(bare), "referenced table"),
                (c, "referenced column"),
            ] {
                if let Some(msg) = part.and_then(|p| name_problem(p, what)) {
                    cx.error_spanned_by(lit, msg);
                }
            }
            (t.to_owned(), c.map(str::to_owned))
        }
        None => {
            cx.error_spanned_by(
                lit,
                format!(
                    "`references` takes `\"table\"` (its primary key), `\"table.column\"` \
                     or `\"schema.table.column\"`, not `\"{value}\"`"
                ),
            );
            (String::new(), None)
        }
    };
    Target::Name { table, column }
}

/// One referential action (default `NoAction`): a known name, and `set_null` only where the
/// column may be NULL (`may_be_null` is also true when the type has an error of its own).
fn check_action(cx: &Ctxt, lit: Option<&LitStr>, what: &str, may_be_null: bool) -> &'static str {
    let Some(lit) = lit else {
        return "NoAction";
    };
    let v = lit.value();
    match action_variant(&v) {
        Some("SetNull") if !may_be_null => {
            cx.error_spanned_by(
                lit,
                format!(
                    "`{what} = \"set_null\"` needs a nullable column; make the field an \
                     `Option<...>` or choose another action"
                ),
            );
            "SetNull"
        }
        Some(variant) => variant,
        None => {
            let mut msg = format!(
                "unknown referential action `\"{v}\"`; `{what}` takes one of: {}",
                ACTIONS
                    .iter()
                    .map(|a| format!("\"{a}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if let Some(s) = did_you_mean(&v, ACTIONS) {
                msg.push_str(&format!("; did you mean `\"{s}\"`?"));
            }
            cx.error_spanned_by(lit, msg);
            "NoAction"
        }
    }
}

/// The columns of an `index(...)`/`unique(...)` list are column names of this struct, each
/// listed once.
fn check_column_list(
    cx: &Ctxt,
    cont: &Container<'_>,
    names: &[&str],
    cols: &[LitStr],
    what: &str,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for lit in cols {
        let v = lit.value();
        if out.contains(&v) {
            cx.error_spanned_by(
                lit,
                format!("column `{v}` is listed twice in this {what}; remove one"),
            );
        } else if !names.contains(&v.as_str()) {
            let mut msg = format!("`{}` has no column `{v}`", cont.ident);
            if let Some(s) = did_you_mean(&v, names) {
                msg.push_str(&format!("; did you mean `{s}`?"));
            } else {
                msg.push_str(&format!(
                    "; list column names (not field names) among: {}",
                    names.join(", ")
                ));
            }
            cx.error_spanned_by(lit, msg);
        }
        out.push(v);
    }
    out
}

/// Table-level indexes: valid names, known columns.
fn check_indexes(cx: &Ctxt, cont: &Container<'_>, names: &[&str]) -> Vec<Index> {
    cont.attrs
        .indexes
        .iter()
        .map(|ix| {
            let columns = check_column_list(cx, cont, names, &ix.columns, "index");
            let desc = check_column_list(cx, cont, names, &ix.desc, "desc list");
            for (lit, col) in ix.desc.iter().zip(&desc) {
                if names.contains(&col.as_str()) && !columns.contains(col) {
                    cx.error_spanned_by(
                        lit,
                        format!(
                            "`desc` names `{col}`, which `columns(...)` does not list; \
                             add it to `columns(...)` where it belongs in the key"
                        ),
                    );
                }
            }
            let sql = |lit: &Option<LitStr>, what: &str, example: &str| {
                let lit = lit.as_ref()?;
                if lit.value().trim().is_empty() {
                    cx.error_spanned_by(
                        lit,
                        format!("the {what} is empty; write SQL such as `\"{example}\"`"),
                    );
                }
                Some(lit.value())
            };
            let using = ix.using.as_ref().map(|lit| {
                let v = lit.value().to_ascii_lowercase();
                if !INDEX_METHODS.contains(&v.as_str()) {
                    let mut msg = format!("unknown index method `{}`", lit.value());
                    match did_you_mean(&v, INDEX_METHODS) {
                        Some(s) => msg.push_str(&format!("; did you mean `\"{s}\"`?")),
                        None => msg
                            .push_str(&format!("; expected one of: {}", INDEX_METHODS.join(", "))),
                    }
                    cx.error_spanned_by(lit, msg);
                }
                v
            });
            Index {
                name: ix.name.as_ref().map(|l| check_name(cx, l, "index name")),
                columns,
                unique: ix.unique,
                expr: sql(&ix.expr, "index expression", "lower(email)"),
                desc,
                where_: sql(
                    &ix.where_,
                    "index predicate (`where`)",
                    "deleted_at IS NULL",
                ),
                using,
            }
        })
        .collect()
}

/// Table-level unique constraints: valid names, known columns.
fn check_uniques(cx: &Ctxt, cont: &Container<'_>, names: &[&str]) -> Vec<Unique> {
    cont.attrs
        .uniques
        .iter()
        .map(|uq| Unique {
            name: uq
                .name
                .as_ref()
                .map(|l| check_name(cx, l, "unique constraint name")),
            columns: check_column_list(cx, cont, names, &uq.columns, "unique"),
        })
        .collect()
}

/// Check constraints: valid names, each used once, non-empty expressions.
fn check_checks(cx: &Ctxt, cont: &Container<'_>) -> Vec<Check> {
    let mut check_names: Vec<String> = Vec::new();
    cont.attrs
        .checks
        .iter()
        .filter_map(|ck| {
            let (name, expr) = (ck.name.as_ref()?, ck.expr.as_ref()?);
            let n = check_name(cx, name, "check constraint name");
            if check_names.contains(&n) {
                cx.error_spanned_by(
                    name,
                    format!("a check named `{n}` is already declared; give this one another name"),
                );
            }
            check_names.push(n.clone());
            if expr.value().trim().is_empty() {
                cx.error_spanned_by(
                    expr,
                    "the check expression is empty; write an SQL condition such as `\"price > 0\"`",
                );
            }
            Some(Check {
                name: n,
                expr: expr.value(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split() {
        assert_eq!(split_reference("users"), Some(("users", None)));
        assert_eq!(split_reference("users.id"), Some(("users", Some("id"))));
        assert_eq!(split_reference("a.b.c"), Some(("a.b", Some("c"))));
        assert_eq!(split_reference("a.b.c.d"), None);
        assert_eq!(split_reference("a..c"), None);
        assert_eq!(split_reference(".id"), None);
        assert_eq!(split_reference("users."), None);
        assert_eq!(split_reference(""), None);
    }

    #[test]
    fn actions_map_to_variants() {
        for a in ACTIONS {
            assert!(action_variant(a).is_some(), "{a}");
        }
        assert_eq!(action_variant("cascade"), Some("Cascade"));
        assert_eq!(action_variant("CASCADE"), None);
    }

    #[test]
    fn name_limits() {
        assert!(name_problem("users", "table name").is_none());
        assert!(name_problem("", "table name").is_some());
        assert!(name_problem(" ", "table name").is_some());
        assert!(name_problem(&"a".repeat(63), "table name").is_none());
        assert!(name_problem(&"a".repeat(64), "table name").is_some());
    }

    #[test]
    fn defaults_must_fit() {
        let int = ColumnType::Known(Ty::Integer);
        assert!(default_fits(&DefaultLit::Int(1), &int));
        assert!(!default_fits(&DefaultLit::Str("x".into()), &int));
        assert!(!default_fits(&DefaultLit::Float(1.5), &int));
        assert!(default_fits(
            &DefaultLit::Int(1),
            &ColumnType::Known(Ty::Double)
        ));
        assert!(default_fits(
            &DefaultLit::Bool(true),
            &ColumnType::Known(Ty::Boolean)
        ));
        assert!(default_fits(
            &DefaultLit::Str("x".into()),
            &ColumnType::Varchar(3)
        ));
        assert!(default_fits(
            &DefaultLit::Bool(true),
            &ColumnType::Custom("x".into())
        ));
    }
}
