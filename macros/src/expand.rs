//! Stage 1, model (derive): generating the `impl Model` and the registry entry.
//!
//! Generated code names nothing but `::strata::__private::...`, so users need no other
//! dependency and the runtime may reorganise its modules freely.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ast::DefaultLit;
use crate::check::{Column, ColumnType, Default, EnumType, Table};
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

fn column(c: &Column) -> TokenStream {
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
            let table = &fk.table;
            let col = opt_str(&fk.column);
            let on_delete = format_ident!("{}", fk.on_delete);
            let on_update = format_ident!("{}", fk.on_update);
            quote!(::core::option::Option::Some(::strata::__private::ForeignKeyDef {
                table: #table,
                column: #col,
                on_delete: ::strata::__private::ReferentialAction::#on_delete,
                on_update: ::strata::__private::ReferentialAction::#on_update,
            }))
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
    let rust_name = ident.to_string();
    let comment = opt_str(&table.comment);
    let renamed_from = opt_str(&table.renamed_from);
    let columns = table.columns.iter().map(column);
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
            const TABLE: &'static ::strata::__private::TableDef = &::strata::__private::TableDef {
                name: #name,
                rust_path: ::core::concat!(::core::module_path!(), "::", #rust_name),
                comment: #comment,
                renamed_from: #renamed_from,
                columns: &[#(#columns),*],
                indexes: &[#(#indexes),*],
                uniques: &[#(#uniques),*],
                checks: &[#(#checks),*],
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
            const TABLE: &'static ::strata::__private::TableDef = &::strata::__private::TableDef {
                name: "",
                rust_path: "",
                comment: ::core::option::Option::None,
                renamed_from: ::core::option::Option::None,
                columns: &[],
                indexes: &[],
                uniques: &[],
                checks: &[],
            };
        }
    }
}
