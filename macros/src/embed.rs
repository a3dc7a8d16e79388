//! Embedding: `embed_migrations!("migrations")` reads the directory at build time and includes every file.

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

/// Expands `embed_migrations!("dir")` (the path relative to the invoking crate's manifest).
pub(crate) fn expand(lit: &LitStr) -> TokenStream {
    match files(lit) {
        Ok(t) => t,
        Err(e) => e.to_compile_error(),
    }
}

fn files(lit: &LitStr) -> syn::Result<TokenStream> {
    let rel = lit.value();
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let dir = base.join(&rel);
    let versions = dir.join("versions");
    if !versions.is_dir() {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "no migrations directory at `{}` (looked for {}); run `migrate init` there, or \
                 give the path relative to this crate's Cargo.toml",
                rel,
                versions.display()
            ),
        ));
    }
    let mut names: Vec<String> = std::fs::read_dir(&versions)
        .map_err(|e| {
            syn::Error::new(
                lit.span(),
                format!("cannot read {}: {e}", versions.display()),
            )
        })?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") && !n.starts_with('.'))
        .collect();
    names.sort();
    let entries = names.iter().map(|name| {
        let path = path_str(&versions.join(name));
        quote! { ::strata::embed::EmbeddedFile { name: #name, text: ::core::include_str!(#path) } }
    });
    let settings_path = dir.join("strata.toml");
    let settings = if settings_path.is_file() {
        let p = path_str(&settings_path);
        quote! { ::core::option::Option::Some(::core::include_str!(#p)) }
    } else {
        quote! { ::core::option::Option::None }
    };
    Ok(quote! {
        ::strata::embed::Embedded {
            dir: #rel,
            settings: #settings,
            files: &[#(#entries),*],
        }
    })
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
