//! Strata: schema migrations for Rust.
//!
//! Annotate structs with `#[derive(Model)]`; Strata compares them with a live database,
//! generates reviewable migration files, chains them into a revision graph and applies them.
//!
//! # Using Strata
//!
//! A project runs the `migrate` command line from a two-line binary ([`cli::main`]). An
//! application that migrates at start-up uses [`Migrator`]:
//!
//! ```no_run
//! # async fn demo() -> Result<(), strata::Error> {
//! let migrator = strata::Migrator::open("migrations")?;
//! let mut db = migrator.connect("sqlite://app.db").await?;
//! migrator.upgrade(&mut db, "head", &Default::default(), |_| {}).await?;
//! assert!(migrator.is_up_to_date(&mut db).await?);
//! # Ok(()) }
//! ```
//!
//! # The public API
//!
//! At the root, what an application needs: [`Migrator`], [`RunOptions`], [`NewRevision`],
//! [`Db`], [`Error`], the [`Model`] trait and derive, and [`embed_migrations!`]. The public
//! modules hold the types those use, by stage:
//!
//! - [`model`], [`registry`]: what `#[derive(Model)]` produces, and every model linked in.
//! - [`schema`]: the neutral description of tables that both models and databases become.
//! - [`ops`]: the operations a migration file holds ([`NewRevision`] takes them).
//! - [`diff`]: what comparing models with a database finds ([`Migrator::compare`]).
//! - [`script`], [`graph`]: migration files and the revision graph they form.
//! - [`lint`]: what a migration does to a live database beyond its result (data it loses,
//!   rows it fails on, locks it takes), found from its ops.
//! - [`config`]: the settings of a migrations directory (`strata.toml`).
//! - [`db`]: the connection a [`Migrator`] works on, and why one could not be opened.
//! - [`apply`]: what a run reports (the [`Event`](apply::Event)s a progress callback sees, the
//!   steps run), how it is steered (transactions, stopping) and how it fails.
//! - [`migrator`]: [`Migrator`] and the values its methods take and return.
//! - [`embed`]: migration files compiled into the binary.
//! - [`dialect`]: for dialect authors. The traits a database implements ([`dialect::Syntax`],
//!   [`dialect::Ddl`], [`dialect::Catalog`], [`dialect::Transport`],
//!   [`dialect::Bookkeeping`]; [`dialect::Dialect`] is all five), the catalog rows
//!   introspection hands it, and the built-in dialects. A dialect defined outside Strata is
//!   used with [`Migrator::connect_with`].
//! - [`cli`] (feature `cli`): the `migrate` command line.
//!
//! Everything else (introspection, rendering, the executor, the diff's algorithm, the file
//! parser's internals) is crate-internal and may change in any release.
//!
//! # Cargo features
//!
//! - `sqlite`, `postgres`, `mysql` (default): the built-in dialects and their drivers.
//! - `cli` (default): the `migrate` command line ([`cli`]), with `clap`, `indicatif` and
//!   `dotenvy`. An application that only embeds [`Migrator`] can turn default features off
//!   and keep its dialects: `default-features = false, features = ["postgres"]`.
//! - `test-support`: Strata's own test helpers (`strata::testing`: throwaway databases and
//!   the crate-internal stages). For Strata's tests only; not public API.
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
//!   ([`apply::PlannedStep`]); the **planner** is the function the executor calls under the
//!   lock to turn the version rows into planned steps; a run's **plan** is those steps.
//! - **apply**: running planned steps on a database ([`apply`]); **offline SQL** is the same
//!   steps printed for running by hand ([`Migrator::offline_sql`]).

// With test support on, every `pub` item must be reachable from outside the crate (public
// API or `testing`); anything else is `pub(crate)`, so `pub` means what it says.
#![cfg_attr(feature = "test-support", warn(unreachable_pub))]

// Lets generated `::strata::...` paths resolve inside this crate's own tests and docs.
#[allow(unused_extern_crates)] // used only when a doctest or unit test derives a model
extern crate self as strata;

pub mod apply;
#[cfg(feature = "cli")]
pub mod cli;
pub mod compat;
pub mod config;
pub mod db;
pub mod dialect;
pub mod diff;
pub mod embed;
mod error;
pub mod graph;
pub(crate) mod introspect;
pub mod lint;
pub mod migrator;
pub mod model;
pub mod ops;
pub mod registry;
pub(crate) mod render;
pub mod schema;
pub mod script;
#[cfg(any(test, feature = "test-support"))]
#[doc(hidden)]
pub mod testing;

pub use db::Db;
pub use error::Error;
pub use migrator::{Migrator, NewRevision, RunOptions};
pub use model::{Enum, Model};
/// Embeds a migrations directory in the binary; see [`embed`].
pub use strata_macros::embed_migrations;
/// Derives [`Enum`] for a fieldless enum (a column type); see the README's "Enums".
pub use strata_macros::Enum;
/// Derives [`Model`] for a struct; see the README for the attributes.
pub use strata_macros::Model;

/// Paths used by generated code. Not public API: may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::{
        field_column, reference_type, CheckDef, ColumnDef, ColumnType, DefaultValue, Enum, EnumDef,
        ForeignKeyDef, IndexDef, Model, ReferenceType, ReferentialAction, TableDef, UniqueDef,
    };
    pub use crate::registry::Registration;
    pub use inventory;
}
