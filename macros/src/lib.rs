//! The `#[derive(Model)]` macro of Strata (placeholder until the derive lands).

use proc_macro::TokenStream;

/// Derives `strata::Model`.
#[proc_macro_derive(Model, attributes(model))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let _ = input;
    TokenStream::new()
}
