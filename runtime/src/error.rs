//! Errors: the one error type of the programmatic API, wrapping each stage's own.

use std::path::PathBuf;

use thiserror::Error;

/// Anything the [`Migrator`](crate::migrator::Migrator) API can fail with.
#[derive(Debug, Error)]
pub enum Error {
    /// `strata.toml` is unreadable or invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A migration file is unreadable or invalid.
    #[error(transparent)]
    Script(#[from] crate::script::ScriptError),
    /// The revision graph is broken, or a target does not resolve.
    #[error(transparent)]
    Graph(#[from] crate::graph::GraphError),
    /// The database cannot be reached.
    #[error(transparent)]
    Connect(#[from] crate::db::ConnectError),
    /// The database catalog cannot be read.
    #[error(transparent)]
    Introspect(#[from] crate::dialect::IntrospectError),
    /// The models do not form a valid schema.
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaError),
    /// The diff refused to plan (no models, or a plan that drops everything).
    #[error(transparent)]
    Diff(#[from] crate::diff::DiffError),
    /// An op cannot be rendered for the dialect.
    #[error(transparent)]
    Render(#[from] crate::dialect::RenderError),
    /// Applying failed; the database is as it was before the failing transaction.
    #[error(transparent)]
    Apply(#[from] crate::apply::ApplyError),
    /// The database is not at the head revision(s) when it must be.
    #[error("Target database is not up to date: it is at {current}, the head is {heads}; {fix}")]
    NotUpToDate {
        /// The database's revisions.
        current: String,
        /// The graph's heads.
        heads: String,
        /// The command that brings it there (`run \`upgrade\``, or what to do about
        /// several heads).
        fix: String,
    },
    /// Applied migration files were edited after they ran (the checksum guard).
    #[error("{}", changed_files_message(.0))]
    ChangedFiles(Vec<ChangedFile>),
    /// The migrations directory is missing.
    #[error("no migrations directory at {0}; run `init` first (or pass -d/--directory)")]
    NoDirectory(std::path::PathBuf),
    /// A file system operation failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A command was used in a way that cannot work; the message says how to fix it.
    #[error("{0}")]
    Usage(String),
}

/// The message of [`Error::ChangedFiles`]: every file and revision, and the two ways out.
fn changed_files_message(files: &[ChangedFile]) -> String {
    let list: Vec<String> = files
        .iter()
        .map(|f| format!("{} (revision {})", f.path.display(), f.revision))
        .collect();
    let revs: Vec<&str> = files.iter().map(|f| f.revision.as_str()).collect();
    let (what, were) = if files.len() == 1 {
        ("migration file", "was")
    } else {
        ("migration files", "were")
    };
    format!(
        "applied {what} {} {were} edited after {} ran on this database; editing applied \
         migrations makes environments diverge. If the edit is harmless (comments, formatting), \
         record it with `migrate accept {}`; otherwise restore the file (git diff / git \
         checkout) and put the change in a new revision (`upgrade --allow-changed` runs once \
         without the check)",
        list.join(", "),
        if files.len() == 1 { "it" } else { "they" },
        revs.join(" ")
    )
}

/// An applied revision whose file was edited since it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    /// The revision.
    pub revision: String,
    /// Its file.
    pub path: PathBuf,
    /// The SHA-256 recorded in `strata_log` when it ran (or was last accepted).
    pub recorded: String,
    /// The SHA-256 of the file now.
    pub current: String,
}
