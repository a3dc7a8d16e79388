//! Stage 7, apply (migration files): migration files (`migrations/versions/<revision>_<slug>.toml`), written and parsed.
//!
//! A migration file is declarative TOML, never executed as code: a header (the revision id,
//! its parent(s), the message, ...) and two lists of [`Op`](crate::ops::Op)s, `[[upgrade]]` and
//! `[[downgrade]]`:
//!
//! ```toml
//! # Add phone column to users
//! revision = "a1b2c3d4e5f6"
//! down_revision = "9f8e7d6c5b4a"   # absent for the first revision; an array for a merge
//! message = "Add phone column to users"
//! created = 2026-11-21T15:30:00Z
//! # optional: branch_labels = ["..."], depends_on = ["..."], transactional = false,
//! # online = true, phase = "expand" (or "contract"), migration_lock_timeout_ms = 2000,
//! # statement_timeout_ms = 600000, lock_retries = 3
//!
//! [[upgrade]]
//! op = "add_column"
//! table = "users"
//! column = { name = "phone", type = "varchar(20)", nullable = true }
//!
//! [[downgrade]]
//! op = "drop_column"
//! table = "users"
//! column = { name = "phone", type = "varchar(20)", nullable = true }
//! ```
//!
//! [`Script::render`] writes that layout, [`Script::parse`] reads it back (also after hand
//! edits), and [`Script::load_dir`] reads a whole `versions` directory. Errors name the file,
//! line and column. The revision graph ([`crate::graph`]) chains the scripts together.
//!
//! One file per noun: `format` (what a file holds: [`Header`], [`Script`]), `parse` (reading
//! one file's text), `write` (the text layout), `source` (the versions directory, read on all
//! cores), `id` (revision ids and file names), `sum` (the integrity file `strata.sum`) and
//! `diagnostics` ([`ScriptError`], positions, did-you-mean hints).

mod diagnostics;
mod format;
pub(crate) mod id;
mod parse;
mod source;
mod sum;
mod write;

pub(crate) use diagnostics::did_you_mean;
pub use diagnostics::ScriptError;
pub use format::{DataTest, Expect, Header, Phase, Script};
pub(crate) use id::{file_name, new_revision_id, validate_revision_id, RESERVED};
pub use sum::{SumProblem, Sums, SUM_FILE};
/// A TOML date-time, as stored in `created`.
pub use toml::value::Datetime;
