//! Stage 1, model (derive): parsing the struct and its `#[model(...)]` attributes.
//!
//! This module only reads syntax: it records each attribute with the tokens it was written
//! as (so later errors can point at them) and reports malformed, unknown and duplicate
//! attributes. Whether the attributes make sense together is decided in `check`.

use syn::meta::ParseNestedMeta;
use syn::parse::Parse;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ExprUnary, Lit, LitBool, LitInt, LitStr, Token, UnOp};

use crate::ctxt::Ctxt;
use crate::util::did_you_mean;

/// The attributes accepted on the struct.
pub const STRUCT_ATTRS: &[&str] = &[
    "table",
    "schema",
    "index",
    "unique",
    "check",
    "renamed_from",
    "pk_name",
];

/// The attributes accepted on a field.
pub const FIELD_ATTRS: &[&str] = &[
    "primary_key",
    "autoincrement",
    "column",
    "max_length",
    "unique",
    "index",
    "default",
    "default_sql",
    "references",
    "on_delete",
    "on_update",
    "sql_type",
    "precision",
    "scale",
    "renamed_from",
    "fk_name",
    "skip",
];

/// The struct being derived, with its parsed attributes.
pub struct Container<'a> {
    /// The struct's name.
    pub ident: &'a syn::Ident,
    /// `#[model(...)]` on the struct.
    pub attrs: ContainerAttrs,
    /// The struct's doc comment, cleaned up.
    pub doc: Option<String>,
    /// The named fields, in order.
    pub fields: Vec<Field<'a>>,
}

/// `#[model(...)]` on the struct.
#[derive(Default)]
pub struct ContainerAttrs {
    /// `table = "..."`.
    pub table: Option<LitStr>,
    /// `schema = "..."`.
    pub schema: Option<LitStr>,
    /// `renamed_from = "..."`.
    pub renamed_from: Option<LitStr>,
    /// `pk_name = "..."`.
    pub pk_name: Option<LitStr>,
    /// `index(...)`, in order.
    pub indexes: Vec<IndexAttr>,
    /// `unique(...)`, in order.
    pub uniques: Vec<UniqueAttr>,
    /// `check(...)`, in order.
    pub checks: Vec<CheckAttr>,
}

/// `index(columns("a", "b"), name = "...", unique, desc("b"), where = "...", expr = "...",
/// using = "...")` on the struct.
pub struct IndexAttr {
    /// `columns(...)`.
    pub columns: Vec<LitStr>,
    /// `name = "..."`.
    pub name: Option<LitStr>,
    /// `unique`.
    pub unique: bool,
    /// `desc(...)`: the columns kept descending.
    pub desc: Vec<LitStr>,
    /// `where = "..."`: the predicate of a partial index.
    pub where_: Option<LitStr>,
    /// `expr = "..."`: the expression keyed after the columns.
    pub expr: Option<LitStr>,
    /// `using = "..."`: the index method.
    pub using: Option<LitStr>,
}

/// `unique(columns("a", "b"), name = "...")` on the struct.
pub struct UniqueAttr {
    /// `columns(...)`.
    pub columns: Vec<LitStr>,
    /// `name = "..."`.
    pub name: Option<LitStr>,
}

/// `check(name = "...", expr = "...")` on the struct.
pub struct CheckAttr {
    /// The `check` keyword.
    pub path: syn::Path,
    /// `name = "..."`.
    pub name: Option<LitStr>,
    /// `expr = "..."`.
    pub expr: Option<LitStr>,
}

/// One named field.
pub struct Field<'a> {
    /// The field's name.
    pub ident: &'a syn::Ident,
    /// The field's type, as written.
    pub ty: &'a syn::Type,
    /// `#[model(...)]` on the field.
    pub attrs: FieldAttrs,
    /// The field's doc comment, cleaned up.
    pub doc: Option<String>,
}

/// A literal given to `default = ...`.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultLit {
    /// An integer, possibly negative.
    Int(i64),
    /// A float, possibly negative.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// A string literal.
    Str(String),
}

/// The value of `references = ...` on a field.
pub enum Reference {
    /// `references = "table"` or `"table.column"`.
    Name(LitStr),
    /// `references = User::id`: a model struct and one of its fields.
    Typed {
        /// The path to the model struct (`User`, `crate::models::User`, `Self`).
        model: syn::Path,
        /// The referenced field.
        field: syn::Ident,
        /// The whole path as written, for errors about the pair.
        tokens: syn::Path,
    },
}

/// `#[model(...)]` on a field. Flags keep their path so errors can point at them.
#[derive(Default)]
pub struct FieldAttrs {
    /// `primary_key`.
    pub primary_key: Option<syn::Path>,
    /// `autoincrement = true|false` (a bare `autoincrement` means `true`).
    pub autoincrement: Option<LitBool>,
    /// `column = "..."`.
    pub column: Option<LitStr>,
    /// `max_length = N`.
    pub max_length: Option<(LitInt, u32)>,
    /// `unique`.
    pub unique: Option<syn::Path>,
    /// `index`.
    pub index: Option<syn::Path>,
    /// `default = <literal>`, with the expression for spans.
    pub default: Option<(Expr, DefaultLit)>,
    /// `default_sql = "..."`.
    pub default_sql: Option<LitStr>,
    /// `references = "table[.column]"` or `references = Model::field`.
    pub references: Option<Reference>,
    /// `on_delete = "..."`.
    pub on_delete: Option<LitStr>,
    /// `on_update = "..."`.
    pub on_update: Option<LitStr>,
    /// `fk_name = "..."`.
    pub fk_name: Option<LitStr>,
    /// `sql_type = "..."`.
    pub sql_type: Option<LitStr>,
    /// `precision = P`.
    pub precision: Option<(LitInt, u32)>,
    /// `scale = S`.
    pub scale: Option<(LitInt, u32)>,
    /// `renamed_from = "..."`.
    pub renamed_from: Option<LitStr>,
    /// `skip`.
    pub skip: Option<syn::Path>,
    /// Every attribute given, in order (to report the ones that conflict with `skip`).
    pub given: Vec<syn::Path>,
    /// An unknown attribute looked like a misspelled `primary_key` (already reported, so a
    /// "no primary key" error would only repeat it).
    pub misspelled_primary_key: bool,
}

impl<'a> Container<'a> {
    /// Parses the derive input. Returns `None` when the input is not a struct with named,
    /// non-generic fields; the reason is recorded in `cx`.
    pub fn from_ast(cx: &Ctxt, input: &'a syn::DeriveInput) -> Option<Self> {
        let fields = match &input.data {
            syn::Data::Struct(data) => match &data.fields {
                syn::Fields::Named(named) => Some(&named.named),
                syn::Fields::Unnamed(_) => {
                    cx.error_spanned_by(
                        &input.ident,
                        "`#[derive(Model)]` needs named fields (one per column); a tuple \
                         struct has none: write `struct Name { id: i32, ... }`",
                    );
                    None
                }
                syn::Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        "`#[derive(Model)]` needs named fields (one per column); a unit \
                         struct has no columns: write `struct Name { id: i32, ... }`",
                    );
                    None
                }
            },
            syn::Data::Enum(data) => {
                cx.error_spanned_by(
                    data.enum_token,
                    "`#[derive(Model)]` works on structs only: a table is a struct with one \
                     field per column. To store an enum in a column, give that field \
                     `#[model(sql_type = \"...\")]`",
                );
                None
            }
            syn::Data::Union(data) => {
                cx.error_spanned_by(
                    data.union_token,
                    "`#[derive(Model)]` works on structs only: write `struct Name { ... }`",
                );
                None
            }
        };
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "`#[derive(Model)]` does not support generic structs: a table's columns must \
                 be known at compile time; remove the generic parameters",
            );
            return None;
        }
        let fields = fields?;

        let attrs = parse_container_attrs(cx, &input.attrs);
        let fields = fields
            .iter()
            .filter_map(|f| {
                // Named fields always have an ident.
                let ident = f.ident.as_ref()?;
                Some(Field {
                    ident,
                    ty: &f.ty,
                    attrs: parse_field_attrs(cx, &f.attrs),
                    doc: doc_comment(&f.attrs),
                })
            })
            .collect();
        Some(Container {
            ident: &input.ident,
            attrs,
            doc: doc_comment(&input.attrs),
            fields,
        })
    }
}

/// The doc comment in `attrs`: each line trimmed, leading and trailing blank lines dropped,
/// joined with `\n`; `None` when there is no text.
pub fn doc_comment(attrs: &[syn::Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
            {
                let text = s.value();
                lines.extend(text.split('\n').map(|l| l.trim().to_owned()));
            }
        }
    }
    clean_doc_lines(lines)
}

/// Drops leading and trailing blank lines and joins the rest with `\n`.
pub fn clean_doc_lines(lines: Vec<String>) -> Option<String> {
    let start = lines.iter().position(|l| !l.is_empty())?;
    let end = lines.iter().rposition(|l| !l.is_empty())?;
    Some(lines[start..=end].join("\n"))
}

fn model_attrs(attrs: &[syn::Attribute]) -> impl Iterator<Item = &syn::Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("model"))
}

fn path_name(path: &syn::Path) -> String {
    quote::ToTokens::to_token_stream(path)
        .to_string()
        .replace(' ', "")
}

/// Consumes whatever follows an attribute name we are not going to use (`= value` or `(...)`).
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

fn unknown(cx: &Ctxt, meta: &ParseNestedMeta<'_>, known: &[&str], other: &[&str], here: &str) {
    let name = path_name(&meta.path);
    let mut msg = format!("unknown {here} attribute `{name}`");
    if let Some(s) = did_you_mean(&name, known) {
        msg.push_str(&format!("; did you mean `{s}`?"));
    } else if other.contains(&name.as_str()) {
        let there = if here == "field" { "struct" } else { "field" };
        msg.push_str(&format!(
            "; `{name}` is a {there} attribute: move it to the {there}"
        ));
    } else {
        msg.push_str(&format!("; expected one of: {}", known.join(", ")));
    }
    cx.error_spanned_by(&meta.path, msg);
}

fn duplicate(cx: &Ctxt, path: &syn::Path) {
    cx.error_spanned_by(
        path,
        format!("duplicate `{}` attribute; remove this one", path_name(path)),
    );
}

fn set<T>(cx: &Ctxt, slot: &mut Option<T>, path: &syn::Path, value: T) {
    if slot.is_some() {
        duplicate(cx, path);
    } else {
        *slot = Some(value);
    }
}

/// Parses a flag (`name`, no value). A value after it is reported and skipped.
fn flag(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        let name = path_name(&meta.path);
        cx.error_spanned_by(
            &meta.path,
            format!("`{name}` is a flag and takes no value; write just `{name}`"),
        );
        skip_value(meta)?;
        // Reported; treat it as given so no follow-on error ("no primary key") appears.
        return Ok(true);
    }
    Ok(true)
}

/// Parses `= <expr>`; reports a missing `=`.
fn value_expr(cx: &Ctxt, meta: &ParseNestedMeta<'_>, example: &str) -> syn::Result<Option<Expr>> {
    if !meta.input.peek(Token![=]) {
        let name = path_name(&meta.path);
        cx.error_spanned_by(
            &meta.path,
            format!("`{name}` needs a value: write `{name} = {example}`"),
        );
        skip_value(meta)?;
        return Ok(None);
    }
    Ok(Some(meta.value()?.parse::<Expr>()?))
}

/// Parses `= "string"`.
fn string_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    example: &str,
) -> syn::Result<Option<LitStr>> {
    let name = path_name(&meta.path);
    let Some(expr) = value_expr(cx, meta, &format!("\"{example}\""))? else {
        return Ok(None);
    };
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Some(s)),
        other => {
            cx.error_spanned_by(
                &other,
                format!("`{name}` takes a string: write `{name} = \"{example}\"`"),
            );
            Ok(None)
        }
    }
}

/// How to write `references`, for errors about its value.
const REFERENCES_FORMS: &str = "a model and its field (`references = User::id`), or a table \
                                name as a string (`references = \"users.id\"`, or \
                                `\"users\"` for its primary key)";

/// Parses `references = "table[.column]"` or `references = Model::field`.
fn reference_value(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<Reference>> {
    let Some(expr) = value_expr(cx, meta, "User::id")? else {
        return Ok(None);
    };
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Some(Reference::Name(s))),
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() >= 2 => {
            let path = p.path;
            let generic = path
                .segments
                .iter()
                .find(|s| !matches!(s.arguments, syn::PathArguments::None));
            if let Some(seg) = generic {
                cx.error_spanned_by(
                    &seg.arguments,
                    "a typed reference names a model struct and its field, without generic \
                     arguments: write `references = User::id`",
                );
                return Ok(None);
            }
            let mut model = path.clone();
            let last = model.segments.pop().map(|p| p.into_value().ident);
            // `pop` leaves a trailing `::`; drop it so the path prints and resolves as written.
            if let Some(seg) = model.segments.pop() {
                model.segments.push(seg.into_value());
            }
            Ok(last.map(|field| Reference::Typed {
                model,
                field,
                tokens: path,
            }))
        }
        Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => {
            let name = path_name(&p.path);
            let msg = if name.starts_with(|c: char| c.is_ascii_lowercase()) {
                format!(
                    "write a table name as a string: `references = \"{name}\"`; or reference \
                     a model's field: `references = User::id`"
                )
            } else {
                format!(
                    "a typed reference names the model and its field: write `references = \
                     {name}::id`; or give a table name as a string: `references = \"{}\"`",
                    crate::util::snake_case(&name)
                )
            };
            cx.error_spanned_by(&p, msg);
            Ok(None)
        }
        other => {
            cx.error_spanned_by(&other, format!("`references` takes {REFERENCES_FORMS}"));
            Ok(None)
        }
    }
}

/// Parses `= N` where N is a non-negative integer that fits in `u32`.
fn u32_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    example: &str,
) -> syn::Result<Option<(LitInt, u32)>> {
    let name = path_name(&meta.path);
    let Some(expr) = value_expr(cx, meta, example)? else {
        return Ok(None);
    };
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => match i.base10_parse::<u32>() {
            Ok(v) => Ok(Some((i, v))),
            Err(_) => {
                cx.error_spanned_by(&i, format!("`{name}` must be between 0 and {}", u32::MAX));
                Ok(None)
            }
        },
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => {
            cx.error_spanned_by(
                &s,
                format!(
                    "`{name}` takes an integer, not a string: write `{name} = {}`",
                    s.value().trim()
                ),
            );
            Ok(None)
        }
        other => {
            cx.error_spanned_by(
                &other,
                format!("`{name}` takes an integer: write `{name} = {example}`"),
            );
            Ok(None)
        }
    }
}

/// Parses `= true|false`; a bare name means `true`.
fn bool_value(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<LitBool>> {
    let name = path_name(&meta.path);
    if !meta.input.peek(Token![=]) {
        if meta.input.peek(syn::token::Paren) {
            skip_value(meta)?;
            cx.error_spanned_by(&meta.path, format!("`{name}` takes `= true` or `= false`"));
            return Ok(None);
        }
        return Ok(Some(LitBool::new(true, meta.path.span())));
    }
    match meta.value()?.parse::<Expr>()? {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(Some(b)),
        other => {
            cx.error_spanned_by(
                &other,
                format!("`{name}` takes `true` or `false`: write `{name} = false`"),
            );
            Ok(None)
        }
    }
}

/// Reads a `default = ...` literal: an integer, float, bool or string, optionally negated.
pub fn default_lit(expr: &Expr) -> Result<DefaultLit, String> {
    const HOW: &str = "`default` takes a literal: a number (`default = 0`, `default = -1.5`), \
                       a bool (`default = false`) or a string (`default = \"draft\"`); for an \
                       SQL expression use `default_sql = \"...\"`";
    match expr {
        Expr::Lit(ExprLit { lit, .. }) => match lit {
            Lit::Int(i) => i
                .base10_parse::<i64>()
                .map(DefaultLit::Int)
                .map_err(|_| "this integer does not fit in an i64".to_owned()),
            Lit::Float(f) => float(f),
            Lit::Bool(b) => Ok(DefaultLit::Bool(b.value)),
            Lit::Str(s) => Ok(DefaultLit::Str(s.value())),
            _ => Err(HOW.to_owned()),
        },
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(ExprLit {
                lit: Lit::Int(i), ..
            }) => {
                let v: i128 = i
                    .base10_parse::<u64>()
                    .map_err(|_| "this integer does not fit in an i64".to_owned())?
                    .into();
                i64::try_from(-v)
                    .map(DefaultLit::Int)
                    .map_err(|_| "this integer does not fit in an i64".to_owned())
            }
            Expr::Lit(ExprLit {
                lit: Lit::Float(f), ..
            }) => match float(f)? {
                DefaultLit::Float(v) => Ok(DefaultLit::Float(-v)),
                other => Ok(other),
            },
            _ => Err(HOW.to_owned()),
        },
        Expr::Group(g) => default_lit(&g.expr),
        _ => Err(HOW.to_owned()),
    }
}

fn float(f: &syn::LitFloat) -> Result<DefaultLit, String> {
    match f.base10_parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(DefaultLit::Float(v)),
        _ => Err("this float does not fit in an f64".to_owned()),
    }
}

/// Parses `columns("a", "b")` (or `desc("a", "b")`: the keyword is the path's).
fn columns_list(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<LitStr>> {
    let k = path_name(&meta.path);
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{k}` lists column names in parentheses: write `{k}(\"a\", \"b\")`"),
        );
        skip_value(meta)?;
        return Ok(Vec::new());
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let items = content.parse_terminated(Expr::parse, Token![,])?;
    if items.is_empty() {
        cx.error_spanned_by(
            &meta.path,
            format!("`{k}(...)` needs at least one column: write `{k}(\"a\", \"b\")`"),
        );
    }
    let mut out = Vec::new();
    for item in items {
        match item {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => out.push(s),
            Expr::Path(p) if p.path.get_ident().is_some() => {
                let name = path_name(&p.path);
                cx.error_spanned_by(&p, format!("write column names as strings: `\"{name}\"`"));
            }
            other => cx.error_spanned_by(
                &other,
                format!("write column names as strings: `{k}(\"a\", \"b\")`"),
            ),
        }
    }
    Ok(out)
}

/// The struct attributes that list columns: `index(...)` and `unique(...)`, read by one parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ColumnsAttr {
    /// `index(columns(...), name = "...", unique)`.
    Index,
    /// `unique(columns(...), name = "...")`.
    Unique,
}

impl ColumnsAttr {
    fn keyword(self) -> &'static str {
        match self {
            ColumnsAttr::Index => "index",
            ColumnsAttr::Unique => "unique",
        }
    }

    /// What to write instead of the bare keyword on the struct.
    fn bare_message(self) -> &'static str {
        match self {
            ColumnsAttr::Index => {
                "on the struct, `index` needs its columns: write `index(columns(\"a\", \"b\"))`; \
                 to index one column, put `#[model(index)]` on its field"
            }
            ColumnsAttr::Unique => {
                "on the struct, `unique` needs its columns: write \
                 `unique(columns(\"a\", \"b\"))`; to make one column unique, put \
                 `#[model(unique)]` on its field"
            }
        }
    }

    /// The keys it takes.
    fn keys(self) -> &'static [&'static str] {
        match self {
            ColumnsAttr::Index => &[
                "columns", "name", "unique", "desc", "where", "expr", "using",
            ],
            ColumnsAttr::Unique => &["columns", "name"],
        }
    }

    /// The example name in error messages.
    fn name_example(self) -> &'static str {
        match self {
            ColumnsAttr::Index => "ix_name",
            ColumnsAttr::Unique => "uq_name",
        }
    }
}

/// `index(...)` or `unique(...)` on the struct; `None` when it is written bare (reported).
fn parse_columns_attr(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    kind: ColumnsAttr,
) -> syn::Result<Option<IndexAttr>> {
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(&meta.path, kind.bare_message());
        skip_value(meta)?;
        return Ok(None);
    }
    let mut ix = IndexAttr {
        columns: Vec::new(),
        name: None,
        unique: false,
        desc: Vec::new(),
        where_: None,
        expr: None,
        using: None,
    };
    let mut seen_columns = false;
    let mut seen_unique = false;
    let mut seen_desc = false;
    meta.parse_nested_meta(|m| {
        match path_name(&m.path).as_str() {
            "columns" => {
                if seen_columns {
                    duplicate(cx, &m.path);
                    return skip_value(&m);
                }
                seen_columns = true;
                ix.columns = columns_list(cx, &m)?;
            }
            "name" => {
                if let Some(s) = string_value(cx, &m, kind.name_example())? {
                    set(cx, &mut ix.name, &m.path, s);
                }
            }
            "unique" if kind == ColumnsAttr::Index => {
                if flag(cx, &m)? {
                    if seen_unique {
                        duplicate(cx, &m.path);
                    }
                    seen_unique = true;
                    ix.unique = true;
                }
            }
            "desc" if kind == ColumnsAttr::Index => {
                if seen_desc {
                    duplicate(cx, &m.path);
                    return skip_value(&m);
                }
                seen_desc = true;
                ix.desc = columns_list(cx, &m)?;
            }
            "where" if kind == ColumnsAttr::Index => {
                if let Some(s) = string_value(cx, &m, "deleted_at IS NULL")? {
                    set(cx, &mut ix.where_, &m.path, s);
                }
            }
            "expr" if kind == ColumnsAttr::Index => {
                if let Some(s) = string_value(cx, &m, "lower(email)")? {
                    set(cx, &mut ix.expr, &m.path, s);
                }
            }
            "using" if kind == ColumnsAttr::Index => {
                if let Some(s) = string_value(cx, &m, "gin")? {
                    set(cx, &mut ix.using, &m.path, s);
                }
            }
            _ => {
                unknown(cx, &m, kind.keys(), &[], kind.keyword());
                skip_value(&m)?;
            }
        }
        Ok(())
    })?;
    if !seen_columns && ix.expr.is_none() {
        let k = kind.keyword();
        let or_expr = if kind == ColumnsAttr::Index {
            " or an expression (`index(expr = \"lower(email)\")`)"
        } else {
            ""
        };
        cx.error_spanned_by(
            &meta.path,
            format!("`{k}(...)` needs its columns: write `{k}(columns(\"a\", \"b\"))`{or_expr}"),
        );
    }
    Ok(Some(ix))
}

/// `check(name = "...", expr = "...")` on the struct; `None` when it is incomplete (reported).
fn parse_check_attr(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<CheckAttr>> {
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            "write a check constraint as \
             `check(name = \"positive_price\", expr = \"price > 0\")`",
        );
        skip_value(meta)?;
        return Ok(None);
    }
    let mut ck = CheckAttr {
        path: meta.path.clone(),
        name: None,
        expr: None,
    };
    meta.parse_nested_meta(|m| {
        match path_name(&m.path).as_str() {
            "name" => {
                if let Some(s) = string_value(cx, &m, "positive_price")? {
                    set(cx, &mut ck.name, &m.path, s);
                }
            }
            "expr" => {
                if let Some(s) = string_value(cx, &m, "price > 0")? {
                    set(cx, &mut ck.expr, &m.path, s);
                }
            }
            _ => {
                unknown(cx, &m, &["name", "expr"], &[], "check");
                skip_value(&m)?;
            }
        }
        Ok(())
    })?;
    if ck.name.is_none() || ck.expr.is_none() {
        let missing = match (&ck.name, &ck.expr) {
            (None, None) => "`name` and `expr`",
            (None, _) => "`name`",
            _ => "`expr`",
        };
        cx.error_spanned_by(
            &ck.path,
            format!(
                "`check(...)` needs {missing}: write \
                 `check(name = \"positive_price\", expr = \"price > 0\")`"
            ),
        );
        return Ok(None);
    }
    Ok(Some(ck))
}

fn parse_container_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> ContainerAttrs {
    let mut out = ContainerAttrs::default();
    for attr in model_attrs(attrs) {
        let res = attr.parse_nested_meta(|meta| {
            let name = path_name(&meta.path);
            match name.as_str() {
                "table" => {
                    if let Some(s) = string_value(cx, &meta, "users")? {
                        set(cx, &mut out.table, &meta.path, s);
                    }
                }
                "schema" => {
                    if let Some(s) = string_value(cx, &meta, "audit")? {
                        set(cx, &mut out.schema, &meta.path, s);
                    }
                }
                "renamed_from" => {
                    if let Some(s) = string_value(cx, &meta, "old_name")? {
                        set(cx, &mut out.renamed_from, &meta.path, s);
                    }
                }
                "pk_name" => {
                    if let Some(s) = string_value(cx, &meta, "users_pkey")? {
                        set(cx, &mut out.pk_name, &meta.path, s);
                    }
                }
                "index" => {
                    if let Some(ix) = parse_columns_attr(cx, &meta, ColumnsAttr::Index)? {
                        out.indexes.push(ix);
                    }
                }
                "unique" => {
                    if let Some(ix) = parse_columns_attr(cx, &meta, ColumnsAttr::Unique)? {
                        out.uniques.push(UniqueAttr {
                            columns: ix.columns,
                            name: ix.name,
                        });
                    }
                }
                "check" => {
                    if let Some(ck) = parse_check_attr(cx, &meta)? {
                        out.checks.push(ck);
                    }
                }
                _ => {
                    unknown(cx, &meta, STRUCT_ATTRS, FIELD_ATTRS, "struct");
                    skip_value(&meta)?;
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.syn_error(e);
        }
    }
    out
}

fn parse_field_attrs(cx: &Ctxt, attrs: &[syn::Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    for attr in model_attrs(attrs) {
        let res = attr.parse_nested_meta(|meta| {
            let name = path_name(&meta.path);
            let path = meta.path.clone();
            if FIELD_ATTRS.contains(&name.as_str()) {
                out.given.push(path.clone());
            }
            match name.as_str() {
                "primary_key" | "skip" => {
                    if flag(cx, &meta)? {
                        let slot = if name == "skip" {
                            &mut out.skip
                        } else {
                            &mut out.primary_key
                        };
                        set(cx, slot, &path, path.clone());
                    }
                }
                "unique" | "index" => {
                    if meta.input.peek(syn::token::Paren) {
                        cx.error_spanned_by(
                            &path,
                            format!(
                                "on a field, `{name}` takes no arguments; for a multi-column \
                                 {name}, write `#[model({name}(columns(\"a\", \"b\")))]` on the \
                                 struct"
                            ),
                        );
                        return skip_value(&meta);
                    }
                    if flag(cx, &meta)? {
                        let slot = if name == "unique" {
                            &mut out.unique
                        } else {
                            &mut out.index
                        };
                        set(cx, slot, &path, path.clone());
                    }
                }
                "autoincrement" => {
                    if let Some(b) = bool_value(cx, &meta)? {
                        set(cx, &mut out.autoincrement, &path, b);
                    }
                }
                "max_length" => {
                    if let Some(v) = u32_value(cx, &meta, "80")? {
                        set(cx, &mut out.max_length, &path, v);
                    }
                }
                "precision" => {
                    if let Some(v) = u32_value(cx, &meta, "10")? {
                        set(cx, &mut out.precision, &path, v);
                    }
                }
                "scale" => {
                    if let Some(v) = u32_value(cx, &meta, "2")? {
                        set(cx, &mut out.scale, &path, v);
                    }
                }
                "default" => {
                    if let Some(expr) = value_expr(cx, &meta, "0")? {
                        match default_lit(&expr) {
                            Ok(lit) => set(cx, &mut out.default, &path, (expr, lit)),
                            Err(msg) => cx.error_spanned_by(&expr, msg),
                        }
                    }
                }
                "references" => {
                    if let Some(r) = reference_value(cx, &meta)? {
                        set(cx, &mut out.references, &path, r);
                    }
                }
                "column" | "default_sql" | "on_delete" | "on_update" | "sql_type"
                | "renamed_from" | "fk_name" => {
                    let example = match name.as_str() {
                        "column" => "column_name",
                        "default_sql" => "CURRENT_TIMESTAMP",
                        "on_delete" | "on_update" => "cascade",
                        "sql_type" => "citext",
                        "fk_name" => "posts_user_id_fkey",
                        _ => "old_name",
                    };
                    if let Some(s) = string_value(cx, &meta, example)? {
                        let slot = match name.as_str() {
                            "column" => &mut out.column,
                            "default_sql" => &mut out.default_sql,
                            "on_delete" => &mut out.on_delete,
                            "on_update" => &mut out.on_update,
                            "sql_type" => &mut out.sql_type,
                            "fk_name" => &mut out.fk_name,
                            _ => &mut out.renamed_from,
                        };
                        set(cx, slot, &path, s);
                    }
                }
                _ => {
                    if did_you_mean(&name, FIELD_ATTRS) == Some("primary_key") {
                        out.misspelled_primary_key = true;
                    }
                    unknown(cx, &meta, FIELD_ATTRS, STRUCT_ATTRS, "field");
                    skip_value(&meta)?;
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.syn_error(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_comments_keep_paragraphs_and_trim_lines() {
        let item: syn::DeriveInput = syn::parse_quote! {
            ///
            /// First line.
            ///    Indented.
            ///
            /// Second paragraph.
            ///
            #[doc(hidden)]
            struct S;
        };
        assert_eq!(
            doc_comment(&item.attrs).as_deref(),
            Some("First line.\nIndented.\n\nSecond paragraph.")
        );
        let item: syn::DeriveInput = syn::parse_quote! {
            /** Block
                comment. */
            struct S;
        };
        assert_eq!(doc_comment(&item.attrs).as_deref(), Some("Block\ncomment."));
        let item: syn::DeriveInput = syn::parse_quote!(
            struct S;
        );
        assert_eq!(doc_comment(&item.attrs), None);
    }

    #[test]
    fn references_take_a_string_or_a_model_and_field() {
        let attrs: Vec<syn::Attribute> = vec![
            syn::parse_quote!(#[model(references = crate::models::User::id)]),
            syn::parse_quote!(#[model(on_delete = "cascade")]),
        ];
        let cx = Ctxt::new();
        let a = parse_field_attrs(&cx, &attrs);
        assert!(cx.check().is_ok());
        let Some(Reference::Typed { model, field, .. }) = &a.references else {
            panic!("a typed reference");
        };
        assert_eq!(path_name(model), "crate::models::User");
        assert_eq!(field, "id");
        assert!(a.on_delete.is_some());

        let attrs: Vec<syn::Attribute> = vec![syn::parse_quote!(#[model(references = "users")])];
        let cx = Ctxt::new();
        let a = parse_field_attrs(&cx, &attrs);
        assert!(cx.check().is_ok());
        assert!(matches!(&a.references, Some(Reference::Name(s)) if s.value() == "users"));

        for bad in [
            quote::quote!(#[model(references = User)]),
            quote::quote!(#[model(references = users)]),
            quote::quote!(#[model(references = User::<T>::id)]),
            quote::quote!(#[model(references = 42)]),
        ] {
            let attr: syn::Attribute = syn::parse_quote!(#bad);
            let cx = Ctxt::new();
            let a = parse_field_attrs(&cx, &[attr]);
            assert!(a.references.is_none(), "{bad}");
            assert!(cx.check().is_err(), "{bad}");
        }
    }

    #[test]
    fn default_literals() {
        let lit = |e: Expr| default_lit(&e);
        assert_eq!(lit(syn::parse_quote!(42)), Ok(DefaultLit::Int(42)));
        assert_eq!(lit(syn::parse_quote!(-42)), Ok(DefaultLit::Int(-42)));
        assert_eq!(
            lit(syn::parse_quote!(-9223372036854775808)),
            Ok(DefaultLit::Int(i64::MIN))
        );
        assert!(lit(syn::parse_quote!(9223372036854775808)).is_err());
        assert_eq!(lit(syn::parse_quote!(1.5)), Ok(DefaultLit::Float(1.5)));
        assert_eq!(lit(syn::parse_quote!(-0.25)), Ok(DefaultLit::Float(-0.25)));
        assert_eq!(lit(syn::parse_quote!(false)), Ok(DefaultLit::Bool(false)));
        assert_eq!(
            lit(syn::parse_quote!("draft")),
            Ok(DefaultLit::Str("draft".into()))
        );
        assert!(lit(syn::parse_quote!(ZERO)).is_err());
        assert!(lit(syn::parse_quote!(-true)).is_err());
        assert!(lit(syn::parse_quote!(1 + 2)).is_err());
    }
}
