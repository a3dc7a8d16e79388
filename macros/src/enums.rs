//! Stage 1, model (derive): `#[derive(Enum)]`, a fieldless Rust enum as a column type.
//!
//! Each variant is one value, named in snake_case or by `#[model(rename = "...")]`; the type
//! is named after the enum in snake_case or by `#[model(enum_name = "...")]` on the enum.
//! Mistakes are reported on the token to change, and an impl without values is still emitted
//! so that a model using the enum reports nothing more.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, LitStr};

use crate::check::MAX_IDENT_LEN;
use crate::ctxt::Ctxt;
use crate::util::{did_you_mean, snake_case};

/// The attribute accepted on the enum.
const ENUM_ATTRS: &[&str] = &["enum_name"];
/// The attribute accepted on a variant.
const VARIANT_ATTRS: &[&str] = &["rename"];

/// Reads `#[model(<key> = "...")]` attributes from `attrs`, accepting only `allowed`.
fn string_attrs(cx: &Ctxt, attrs: &[syn::Attribute], allowed: &[&str]) -> Vec<(String, LitStr)> {
    let mut out: Vec<(String, LitStr)> = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("model")) {
        let res = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            if !allowed.contains(&key.as_str()) {
                let hint = did_you_mean(&key, allowed)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("; expected one of: {}", allowed.join(", ")));
                return Err(meta.error(format!("unknown attribute `{key}` here{hint}")));
            }
            let lit: LitStr = meta.value()?.parse()?;
            if out.iter().any(|(k, _)| *k == key) {
                return Err(syn::Error::new(
                    lit.span(),
                    format!("`{key}` is given twice; keep one"),
                ));
            }
            out.push((key, lit));
            Ok(())
        });
        if let Err(e) = res {
            cx.syn_error(e);
        }
    }
    out
}

/// Checks a name given in an attribute: not empty, at most [`MAX_IDENT_LEN`] bytes.
fn check_name(cx: &Ctxt, lit: &LitStr, what: &str) -> String {
    let v = lit.value();
    if v.trim().is_empty() {
        cx.error_spanned_by(lit, format!("the {what} is empty; write a name"));
    } else if v.len() > MAX_IDENT_LEN {
        cx.error_spanned_by(
            lit,
            format!(
                "the {what} is {} bytes long; PostgreSQL takes at most {MAX_IDENT_LEN}, so \
                 write a shorter one",
                v.len()
            ),
        );
    }
    v
}

/// The `impl Enum` for `input`.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let ident = &input.ident;
    let attrs = string_attrs(&cx, &input.attrs, ENUM_ATTRS);
    let name = match attrs.first() {
        Some((_, lit)) => check_name(&cx, lit, "enum type name"),
        None => snake_case(&ident.to_string()),
    };
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(
            &input.generics,
            "`#[derive(Enum)]` does not support generic parameters; a column type is one \
             concrete enum",
        );
    }
    let mut values: Vec<String> = Vec::new();
    match &input.data {
        Data::Enum(data) => {
            if data.variants.is_empty() {
                cx.error_spanned_by(
                    ident,
                    "an enum without variants has no values to store; add at least one variant",
                );
            }
            for v in &data.variants {
                if !matches!(v.fields, Fields::Unit) {
                    cx.error_spanned_by(
                        &v.fields,
                        format!(
                            "variant `{}` has fields; `#[derive(Enum)]` stores only the \
                             variant's name, so every variant must be fieldless",
                            v.ident
                        ),
                    );
                }
                let attrs = string_attrs(&cx, &v.attrs, VARIANT_ATTRS);
                let (value, at): (String, TokenStream) = match attrs.first() {
                    Some((_, lit)) => (check_name(&cx, lit, "value"), quote!(#lit)),
                    None => {
                        let vi = &v.ident;
                        (snake_case(&vi.to_string()), quote!(#vi))
                    }
                };
                if values.contains(&value) {
                    cx.error_spanned_by(
                        at,
                        format!(
                            "the value `{value}` is given to two variants; give one of them \
                             another with `#[model(rename = \"...\")]`"
                        ),
                    );
                }
                values.push(value);
            }
        }
        _ => cx.error_spanned_by(
            ident,
            "`#[derive(Enum)]` applies to fieldless enums only; for a struct use \
             `#[derive(Model)]`",
        ),
    }
    let (errors, values) = match cx.check() {
        Ok(()) => (TokenStream::new(), values),
        Err(e) => (e.to_compile_error(), Vec::new()),
    };
    let rust_name = ident.to_string();
    quote! {
        #errors
        impl ::strata::__private::Enum for #ident {
            const ENUM: &'static ::strata::__private::EnumDef = &::strata::__private::EnumDef {
                name: #name,
                rust_path: ::core::concat!(::core::module_path!(), "::", #rust_name),
                values: &[#(#values),*],
            };
        }
    }
}
