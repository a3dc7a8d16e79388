//! Strata: schema migrations for Rust.
//!
//! Annotate structs with `#[derive(Model)]`; Strata compares them with a live database,
//! generates reviewable migration files, chains them into a revision graph and applies them.
//!
//! The modules follow the pipeline: [`model`] and [`registry`] (what the derive produces),
//! [`schema`] (the neutral description both sides share), [`introspect`] (reading a database),
//! [`diff`] (comparing), [`ops`] (the operations), [`render`] (SQL per [`dialect`]), and [`cli`].
//!
//! # Glossary
//!
//! One word per concept, in pipeline order:
//! - **op**: one schema operation, plain data ([`ops::Op`]).
//! - **changes**: what the diff finds between two schemas: upgrade ops, downgrade ops and notes
//!   ([`diff::Changes`]).
//! - **replay**: running ops on a schema value, without a database ([`ops::Op::apply`]; an op
//!   that does not fit is an [`ops::ReplayError`]).
//! - **migration file** (**script** in code): one revision's file, a header and its ops
//!   ([`script::Script`]); **revision** is its id, a node of the [`graph`].
//! - **step**: one revision to run one way, with the version rows it moves ([`graph::Step`]).
//! - **planned step**: a step rendered for the connected dialect, ready to run
//!   ([`apply::PlannedStep`]); the **planner** is the function [`apply::execute`] calls under
//!   the lock to turn the version rows into planned steps; a run's **plan** is those steps.
//! - **apply**: running planned steps on a database ([`apply`]); **offline SQL** is the same
//!   steps printed for running by hand ([`apply::offline`]).

// Lets generated `::strata::...` paths resolve inside this crate's own tests and docs.
#[allow(unused_extern_crates)] // used only when a doctest or unit test derives a model
extern crate self as strata;

pub mod apply;
pub mod cli;
pub mod config;
pub mod db;
pub mod dialect;
pub mod diff;
pub mod embed;
mod error;
pub mod graph;
pub mod introspect;
pub mod migrator;
pub mod model;
pub mod ops;
pub mod registry;
pub mod render;
pub mod schema;
pub mod script;
#[doc(hidden)]
pub mod testing;

pub use error::Error;
pub use migrator::{Migrator, NewRevision, RunOptions};
pub use model::Model;
/// Embeds a migrations directory in the binary; see [`embed`].
pub use strata_macros::embed_migrations;
/// Derives [`Model`] for a struct; see the README for the attributes.
pub use strata_macros::Model;

/// Paths used by generated code. Not public API: may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::{
        CheckDef, ColumnDef, ColumnType, DefaultValue, ForeignKeyDef, IndexDef, Model,
        ReferentialAction, TableDef, UniqueDef,
    };
    pub use crate::registry::Registration;
    pub use inventory;
}
