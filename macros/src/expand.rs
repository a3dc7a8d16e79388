//! Stage 1, model (derive): generating the `impl Model` and the registry entry.
//!
//! Generated code names nothing but `::strata::__private::...`, so users need no other
//! dependency and the runtime may reorganise its modules freely.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;

use crate::ast::DefaultLit;
use crate::check::{Column, ColumnType, Default, EnumType, Table, Target};
use crate::ty::Ty;

fn opt_str(v: &Option<String>) -> TokenStream {
    match v {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    }
}

fn opt_u32(v: Option<u32>) -> TokenStream {
    match v {
        Some(n) => quote!(::core::option::Option::Some(#n)),
        None => quote!(::core::option::Option::None),
    }
}

fn column_type(t: &ColumnType) -> TokenStream {
    let p = quote!(::strata::__private::ColumnType);
    match t {
        ColumnType::Known(Ty::Decimal) => quote!(#p::Decimal {
            precision: ::core::option::Option::None,
            scale: ::core::option::Option::None,
        }),
        ColumnType::Known(ty) => {
            let v = format_ident!("{}", format!("{ty:?}"));
            quote!(#p::#v)
        }
        ColumnType::Varchar(n) => quote!(#p::Varchar(#n)),
        ColumnType::Decimal(precision, scale) => {
            let (precision, scale) = (opt_u32(*precision), opt_u32(*scale));
            quote!(#p::Decimal { precision: #precision, scale: #scale })
        }
        ColumnType::Custom(s) => quote!(#p::Custom(#s)),
        ColumnType::Enum(EnumType(ty)) => {
            let span = syn::spanned::Spanned::span(ty);
            quote::quote_spanned!(span=> #p::Enum(<#ty as ::strata::__private::Enum>::ENUM))
        }
    }
}

fn default_value(d: &Option<Default>) -> TokenStream {
    let p = quote!(::strata::__private::DefaultValue);
    let v = match d {
        None => return quote!(::core::option::Option::None),
        Some(Default::Sql(s)) => quote!(#p::Sql(#s)),
        Some(Default::Lit(DefaultLit::Int(i))) => quote!(#p::Int(#i)),
        Some(Default::Lit(DefaultLit::Float(f))) => quote!(#p::Float(#f)),
        Some(Default::Lit(DefaultLit::Bool(b))) => quote!(#p::Bool(#b)),
        Some(Default::Lit(DefaultLit::Str(s))) => quote!(#p::Str(#s)),
    };
    quote!(::core::option::Option::Some(#v))
}

/// The first and last spans of `tokens`: an expression built from tokens spanned with the
/// first and the last one covers all of them (what `syn::Error::new_spanned` does), so an
/// error the compiler reports on that expression underlines the user's whole type.
fn span_range(tokens: &impl ToTokens) -> (Span, Span) {
    let mut iter = tokens.to_token_stream().into_iter();
    let first = iter.next().map_or_else(Span::call_site, |t| t.span());
    let last = iter.last().map_or(first, |t| t.span());
    (first, last)
}

/// A typed `references = Model::field`, resolved by the compiler. The code holds, in the
/// column's `const` initializer:
///
/// - `type __StrataRef = Model;`: the only place naming the model, so a mistyped one is one
///   error ("cannot find type", with the compiler's "a struct with a similar name exists");
/// - a closure that is never called, type-checked with the initializer: `&m.field` on the model
///   (a mistyped field is "no field `..` on type `Model`", with the compiler's suggestion) and
///   `reference_type(&m.field, &this.own_field)` (the two fields' types must match, reported
///   on this field's type). Being part of the initializer, an error there stops its evaluation,
///   so the lookups below add no follow-on error;
/// - the table name from `<Model as Model>::TABLE_NAME` (a model that is not one is "`X` is
///   not a model") and the column from `FIELD_COLUMNS`, both usable in `const` context without
///   reading the other model's `TABLE` (two models referencing each other would be a cycle).
///   A field that exists but is `skip` is not a column: a compile-time panic on the field.
fn typed_reference(ident: &syn::Ident, target: &Target, actions: TokenStream) -> TokenStream {
    let Target::Typed {
        model,
        field,
        tokens,
        this_field,
        this_ty,
    } = target
    else {
        return TokenStream::new();
    };
    // `Self` cannot be named in the item below; inside the derive it is the struct itself.
    let model = if model.is_ident("Self") {
        let span = model.segments[0].ident.span();
        let mut own = ident.clone();
        own.set_span(span);
        syn::Path::from(own)
    } else {
        model.clone()
    };
    let model_span = model
        .segments
        .last()
        .map_or_else(Span::call_site, |s| s.ident.span());
    let field_name = field.unraw().to_string();
    let shown = tokens.to_token_stream().to_string().replace(' ', "");
    let skipped = format!(
        "`{shown}` is a `skip` field, not a column, so no foreign key can reference it; \
         reference a column of `{}`",
        model.to_token_stream().to_string().replace(' ', "")
    );
    let (ty_first, ty_last) = span_range(this_ty);
    let mut own_field = this_field.clone();
    own_field.set_span(ty_last);
    let this = quote_spanned!(ty_first=> this);
    // The function's path ends on the type's last token too, so the call and its argument
    // both underline the whole type.
    let func = syn::Ident::new("reference_type", ty_last);
    let check = quote_spanned!(ty_first=>
        ::strata::__private::#func(&m.#field, &#this.#own_field)
    );
    let p = quote_spanned!(model_span=> <__StrataRef as ::strata::__private::Model>);
    let column = quote_spanned!(field.span()=>
        match ::strata::__private::field_column(#p::FIELD_COLUMNS, #field_name) {
            ::core::option::Option::Some(column) => column,
            // The model's own derive failed and reported why; add nothing to that.
            ::core::option::Option::None if #p::TABLE_NAME.is_empty() => #field_name,
            ::core::option::Option::None => ::core::panic!(#skipped),
        }
    );
    quote! {
        ::core::option::Option::Some({
            type __StrataRef = #model;
            let _ = |#this: #ident, m: __StrataRef| #check;
            ::strata::__private::ForeignKeyDef {
                table: #p::TABLE_NAME,
                column: ::core::option::Option::Some(#column),
                #actions
            }
        })
    }
}

fn column(c: &Column, ident: &syn::Ident) -> TokenStream {
    let Column {
        name,
        field,
        nullable,
        autoincrement,
        primary_key,
        unique,
        index,
        ..
    } = c;
    let ty = column_type(&c.ty);
    let default = default_value(&c.default);
    let references = match &c.references {
        None => quote!(::core::option::Option::None),
        Some(fk) => {
            let on_delete = format_ident!("{}", fk.on_delete);
            let on_update = format_ident!("{}", fk.on_update);
            let name = opt_str(&fk.name);
            let actions = quote! {
                on_delete: ::strata::__private::ReferentialAction::#on_delete,
                on_update: ::strata::__private::ReferentialAction::#on_update,
                name: #name,
            };
            match &fk.target {
                Target::Name { table, column } => {
                    let col = opt_str(column);
                    quote!(::core::option::Option::Some(::strata::__private::ForeignKeyDef {
                        table: #table,
                        column: #col,
                        #actions
                    }))
                }
                typed @ Target::Typed { .. } => typed_reference(ident, typed, actions),
            }
        }
    };
    let comment = opt_str(&c.comment);
    let renamed_from = opt_str(&c.renamed_from);
    quote!(::strata::__private::ColumnDef {
        name: #name,
        field: #field,
        ty: #ty,
        nullable: #nullable,
        default: #default,
        autoincrement: #autoincrement,
        primary_key: #primary_key,
        unique: #unique,
        index: #index,
        references: #references,
        comment: #comment,
        renamed_from: #renamed_from,
    })
}

/// The `impl Model` and the `inventory` registration for a checked table.
pub fn expand(input: &syn::DeriveInput, table: &Table) -> TokenStream {
    let ident = &input.ident;
    let name = &table.name;
    // What references and the runtime call the table: `schema.table` when it has a schema.
    let key = match &table.schema {
        Some(schema) => format!("{schema}.{name}"),
        None => name.clone(),
    };
    let schema = opt_str(&table.schema);
    let rust_name = ident.to_string();
    let comment = opt_str(&table.comment);
    let renamed_from = opt_str(&table.renamed_from);
    let primary_key_name = opt_str(&table.primary_key_name);
    let columns = table.columns.iter().map(|c| column(c, ident));
    let fields = table.columns.iter().map(|c| &c.field);
    let cols = table.columns.iter().map(|c| &c.name);
    let indexes = table.indexes.iter().map(|ix| {
        let name = opt_str(&ix.name);
        let cols = &ix.columns;
        let unique = ix.unique;
        let expr = opt_str(&ix.expr);
        let desc = &ix.desc;
        let where_ = opt_str(&ix.where_);
        let using = opt_str(&ix.using);
        quote!(::strata::__private::IndexDef {
            name: #name,
            columns: &[#(#cols),*],
            unique: #unique,
            expr: #expr,
            desc: &[#(#desc),*],
            where_: #where_,
            using: #using,
        })
    });
    let uniques = table.uniques.iter().map(|uq| {
        let name = opt_str(&uq.name);
        let cols = &uq.columns;
        quote!(::strata::__private::UniqueDef {
            name: #name,
            columns: &[#(#cols),*],
        })
    });
    let checks = table.checks.iter().map(|ck| {
        let (name, expr) = (&ck.name, &ck.expr);
        quote!(::strata::__private::CheckDef { name: #name, expr: #expr })
    });
    quote! {
        #[automatically_derived]
        impl ::strata::__private::Model for #ident {
            const TABLE_NAME: &'static str = #key;
            const FIELD_COLUMNS: &'static [(&'static str, &'static str)] =
                &[#((#fields, #cols)),*];
            const TABLE: &'static ::strata::__private::TableDef = &::strata::__private::TableDef {
                name: #name,
                schema: #schema,
                rust_path: ::core::concat!(::core::module_path!(), "::", #rust_name),
                comment: #comment,
                renamed_from: #renamed_from,
                columns: &[#(#columns),*],
                indexes: &[#(#indexes),*],
                uniques: &[#(#uniques),*],
                checks: &[#(#checks),*],
                primary_key_name: #primary_key_name,
            };
        }

        ::strata::__private::inventory::submit! {
            ::strata::__private::Registration {
                table: <#ident as ::strata::__private::Model>::TABLE,
            }
        }
    }
}

/// What the derive emits when the input has errors: the errors, plus an empty `impl Model`
/// so that code using `User::TABLE` does not add follow-on errors to the real ones.
pub fn stub(input: &syn::DeriveInput, errors: syn::Error) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let errors = errors.to_compile_error();
    quote! {
        #errors

        #[automatically_derived]
        impl #impl_generics ::strata::__private::Model for #ident #ty_generics #where_clause {
            // Empty: typed references to this model then add no error of their own.
            const TABLE_NAME: &'static str = "";
            const FIELD_COLUMNS: &'static [(&'static str, &'static str)] = &[];
            const TABLE: &'static ::strata::__private::TableDef = &::strata::__private::TableDef {
                name: "",
                schema: ::core::option::Option::None,
                rust_path: "",
                comment: ::core::option::Option::None,
                renamed_from: ::core::option::Option::None,
                columns: &[],
                indexes: &[],
                uniques: &[],
                checks: &[],
                primary_key_name: ::core::option::Option::None,
            };
        }
    }
}
