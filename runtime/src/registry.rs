//! Stage 1, model: the registry of every `#[derive(Model)]` struct linked into the binary.
//!
//! The derive submits each table's metadata through `inventory` at compile time; nothing is
//! listed by hand. A model in a library crate is registered as long as the binary links that
//! crate (see the README, "Linking").

use crate::model::TableDef;

/// One registered model. Constructed only by `#[derive(Model)]`.
#[doc(hidden)]
#[derive(Debug)]
pub struct Registration {
    /// The model's table metadata.
    pub table: &'static TableDef,
}

inventory::collect!(Registration);

/// Every model linked into this binary, ordered by table name (then Rust path), so the
/// order is the same on every run and every machine.
pub fn models() -> Vec<&'static TableDef> {
    let mut all: Vec<&'static TableDef> = inventory::iter::<Registration>
        .into_iter()
        .map(|r| r.table)
        .collect();
    all.sort_by(|a, b| (a.name, a.rust_path).cmp(&(b.name, b.rust_path)));
    all
}
