//! Stage 1, model: the `#[derive(Model)]` macro of Strata. Depend on `strata`, which
//! re-exports it; the generated code only names `::strata::__private::...`.
//!
//! The derive runs in three steps, like `serde_derive`: `ast` parses the struct and its
//! `#[model(...)]` attributes, `check` validates them together and resolves the table, and
//! `expand` writes the `impl Model` and the registry entry. Every mistake is collected in a
//! `ctxt::Ctxt` and reported in one compile, each on the token to change; when there is any,
//! the derive emits the errors plus an empty `impl Model`, so one mistake gives one error.

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

mod ast;
mod check;
mod ctxt;
mod embed;
mod enums;
mod expand;
mod ty;
mod util;

/// Derives `strata::Model`: the struct's table metadata as a `const`, registered so that
/// `strata::registry::models()` (and the `migrate` command) finds it.
///
/// ```ignore
/// // (compiled as a doctest of `strata::model`; this crate cannot depend on `strata`)
/// use strata::Model;
///
/// /// A registered user.
/// #[derive(Model)]
/// #[model(table = "users")]
/// pub struct User {
///     #[model(primary_key)]
///     pub id: i32,
///     #[model(max_length = 120, unique)]
///     pub email: String,
///     pub bio: Option<String>,
/// }
///
/// const _: () = assert!(User::TABLE.column("email").unwrap().unique);
/// ```
///
/// # Struct attributes: `#[model(...)]` on the struct
///
/// | attribute | meaning |
/// | --- | --- |
/// | `table = "users"` | the table name; default: the struct name in snake_case (`BlogPost` -> `blog_post`) |
/// | `schema = "audit"` | the PostgreSQL schema holding the table (default: the connection's); references and messages then name it `audit.<table>` |
/// | `index(columns("a", "b"))` | a multi-column index; add `name = "ix_..."` for an explicit name, `unique` for a unique index; repeatable |
/// | `unique(columns("a", "b"))` | a multi-column unique constraint; add `name = "uq_..."`; repeatable |
/// | `check(name = "positive_price", expr = "price > 0")` | a check constraint (the SQL is written verbatim); repeatable |
/// | `renamed_from = "old_table"` | the table's previous name: the diff renames instead of dropping and creating |
/// | `pk_name = "users_pkey"` | the primary key's name (default: the naming convention, `pk_<table>`) |
///
/// Column names in `columns(...)` are column names (after `column = ...`), not field names.
///
/// # Field attributes: `#[model(...)]` on a field
///
/// | attribute | meaning |
/// | --- | --- |
/// | `primary_key` | part of the primary key; several fields make a composite key, in field order |
/// | `autoincrement = false` | an integer (`i16`/`i32`/`i64`) single-column primary key is autoincrement by default; this turns it off (`= true` is allowed only where it applies) |
/// | `column = "name"` | the column name; default: the field name |
/// | `max_length = 80` | `String` only: `varchar(80)` instead of unbounded text |
/// | `unique` | a single-column unique constraint |
/// | `index` | a single-column index |
/// | `default = 0` | a literal default: integer (also negative), float, bool or string |
/// | `default_sql = "CURRENT_TIMESTAMP"` | an SQL expression default, written verbatim; not together with `default` |
/// | `references = "users.id"` | a foreign key; `references = "users"` references the table's primary key; `references = "audit.events.id"` a table in a schema |
/// | `references = User::id` | a typed foreign key: a model struct (any path, `Self` included) and one of its fields (see below) |
/// | `on_delete = "cascade"`, `on_update = "..."` | with `references` only (either form): `"cascade"`, `"set_null"` (nullable fields), `"set_default"`, `"restrict"` or `"no_action"` (the default) |
/// | `fk_name = "posts_user_id_fkey"` | with `references` only: the foreign key's name (default: the naming convention) |
/// | `sql_type = "citext"` | the column's SQL type, verbatim: the escape hatch for any Rust type |
/// | `precision = 10, scale = 2` | decimals only: `numeric(10, 2)`; `scale <= precision` |
/// | `renamed_from = "old"` | the column's previous name: the diff renames instead of dropping and adding |
/// | `skip` | the field is not a column (no other attribute is allowed with it) |
///
/// Doc comments on the struct and its fields become table and column comments.
///
/// # Typed references
///
/// `#[model(references = User::id)]` takes the table name from `User`'s own
/// (`<User as Model>::TABLE_NAME`) and the column name from its field `id` (its
/// `column = "..."`, through `<User as Model>::FIELD_COLUMNS`), both in `const` context, so the
/// field's `ForeignKeyDef` holds names exactly as the string form does. The derive emits code
/// that the compiler checks, each mistake as one error on the user's token:
///
/// - a model that does not exist: "cannot find type `Usr`", with the compiler's similar-name
///   help; a struct without the derive: "`Tag` is not a model";
/// - a field that does not exist: "no field `idd` on type `User`", with its similar-name help;
///   a `skip` field (not a column): a compile-time error naming it;
/// - a type mismatch: the referencing field's type must be the referenced field's, or an
///   `Option` of it (either way round), else "this field's type `i64` does not match the type
///   `i32` of the field it references", on the referencing field's type.
///
/// Two models may reference each other, and a model itself (`Self::id`): only the referenced
/// model's `TABLE_NAME` and `FIELD_COLUMNS` are read, never its `TABLE`. The referenced field
/// must be visible from the referencing struct's module, as for any field access.
///
/// # Types
///
/// Recognised by the last segment of the path (with or without the crate prefix); the
/// derive does not depend on these crates. `Option<T>` makes the column nullable.
///
/// | Rust type | column type |
/// | --- | --- |
/// | `i16`, `i32`, `i64` | smallint, integer, bigint |
/// | `f32`, `f64` | real, double |
/// | `bool` | boolean |
/// | `String` | text (varchar with `max_length`) |
/// | `Vec<u8>` | bytes |
/// | `chrono::NaiveDate`, `time::Date` | date |
/// | `chrono::NaiveTime`, `time::Time` | time |
/// | `chrono::NaiveDateTime`, `time::PrimitiveDateTime` | timestamp |
/// | `chrono::DateTime<Utc / FixedOffset / Local>`, `time::OffsetDateTime` | timestamp with time zone |
/// | `uuid::Uuid` | uuid |
/// | `serde_json::Value` (spelled so, or `JsonValue`), `sqlx::types::Json<T>` | json |
/// | `rust_decimal::Decimal`, `bigdecimal::BigDecimal` | decimal (`precision`, `scale`) |
/// | an enum with `#[derive(strata::Enum)]` | enum (any other type of your own without it is a compile error on the field's type) |
///
/// Anything else (unsigned integers included) needs `#[model(sql_type = "...")]`; a bare
/// `Value` is rejected as ambiguous (write `serde_json::Value`).
///
/// # Shape
///
/// Only structs with named fields and no generic parameters. Attributes other than
/// `#[model(...)]` (serde's, sqlx's, ...) are ignored, so the derive sits next to others.
#[proc_macro_derive(Model, attributes(model))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input).into()
}

fn derive(input: &DeriveInput) -> proc_macro2::TokenStream {
    let cx = ctxt::Ctxt::new();
    let table = ast::Container::from_ast(&cx, input).map(|cont| check::check(&cx, &cont));
    match (cx.check(), table) {
        (Ok(()), Some(table)) => expand::expand(input, &table),
        (Err(errors), _) => expand::stub(input, errors),
        (Ok(()), None) => expand::stub(
            input,
            syn::Error::new_spanned(&input.ident, "`#[derive(Model)]` could not read this item"),
        ),
    }
}

/// Derives `strata::Enum`: a fieldless Rust enum becomes a column type, so a `#[derive(Model)]`
/// field of that type (or `Option` of it) is an enum column.
///
/// ```ignore
/// #[derive(strata::Enum)]
/// #[model(enum_name = "mood")] // optional; default: the enum's name in snake_case
/// pub enum Mood {
///     Happy,                     // value "happy"
///     #[model(rename = "meh")]   // value "meh"
///     SoSo,
/// }
/// ```
///
/// PostgreSQL stores it as a named `CREATE TYPE ... AS ENUM`, MySQL as `ENUM(...)`, SQLite as
/// text with a check constraint. Enums with fields or generics, empty enums and two variants
/// with the same value are compile errors.
#[proc_macro_derive(Enum, attributes(model))]
pub fn derive_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    enums::derive(&input).into()
}

/// Embeds a migrations directory in the binary: `strata::embed_migrations!("migrations")`
/// (the path relative to the crate's Cargo.toml) is a `strata::embed::Embedded` holding
/// `strata.toml` and every file of `versions/`, for `strata::Migrator::from_embedded`.
///
/// Edits to embedded files rebuild the crate (they are `include_str!`ed). Cargo does not
/// watch the directory for new files by itself, so add this `build.rs` to pick up a new
/// migration on the next build:
///
/// ```ignore
/// fn main() { println!("cargo:rerun-if-changed=migrations"); }
/// ```
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let lit = parse_macro_input!(input as syn::LitStr);
    embed::expand(&lit).into()
}
