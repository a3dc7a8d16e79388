//! Errors: the one error type of the programmatic API, wrapping each stage's own.

use std::path::PathBuf;

use thiserror::Error;

/// Anything the [`Migrator`](crate::migrator::Migrator) API can fail with. Each failure a
/// caller may want to tell apart is a variant of its own; the messages say how to fix it.
#[derive(Debug, Error)]
#[non_exhaustive]
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
    /// The models do not form a valid schema (every problem found, not only the first).
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaErrors),
    /// The diff refused to plan (no models, or a plan that drops everything).
    #[error(transparent)]
    Diff(#[from] crate::diff::DiffError),
    /// An op cannot be rendered for the dialect.
    #[error(transparent)]
    Render(#[from] crate::dialect::RenderError),
    /// Applying failed; the database is as it was before the failing transaction.
    #[error(transparent)]
    Apply(#[from] crate::apply::ApplyError),
    /// The models put tables in a schema the database does not have, and strata.toml does
    /// not ask for schemas to be created.
    #[error(
        "the models put tables in schema `{schema}` (`{model}`), which this database does not \
         have; nothing was written. Create it (CREATE SCHEMA \"{schema}\"), or set \
         `create_schemas = true` in {} so the revision creates it",
        settings.display()
    )]
    MissingSchema {
        /// The schema.
        schema: String,
        /// The Rust path of a model that names it.
        model: String,
        /// The settings file.
        settings: PathBuf,
    },
    /// `adopt` into a migrations directory that already has revisions.
    #[error(
        "{} already has {count} revision(s); `adopt` writes the first revision (a baseline of \
         the live database) and refuses to add one to an existing history; nothing was changed. \
         If this database was made by those revisions, record that with `stamp <revision>`; to \
         adopt it, use a new migrations directory (`-d other_dir`, after `init`)",
        path.display()
    )]
    AdoptHasRevisions {
        /// The versions directory.
        path: PathBuf,
        /// How many revisions it holds.
        count: usize,
    },
    /// `adopt` on a database that Strata already manages.
    #[error(
        "the database already has Strata version rows ({revisions}): it is managed by Strata \
         already, so there is nothing to adopt; nothing was changed. Run `migrate -m \"...\"` \
         for model changes (or `stamp --purge <revision>` if the rows are wrong)"
    )]
    AdoptAlreadyManaged {
        /// The version rows.
        revisions: String,
    },
    /// `adopt` on a database with no tables (after the `include` / `exclude` settings).
    #[error(
        "the database has no tables to adopt (other tools' version tables, `strata_*` tables and \
         tables the `include` / `exclude` settings leave out do not count); nothing was \
         changed. For a new database, run `migrate -m \"initial\"` and `upgrade` instead"
    )]
    AdoptNothing,
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
    /// The migrations directory disagrees with its `strata.sum`: a file edited by hand, or
    /// revisions merged in git without a merge revision.
    #[error(
        "{} disagrees with the migrations directory: {}",
        path.display(),
        problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    Sum {
        /// The `strata.sum` file.
        path: std::path::PathBuf,
        /// Each disagreement.
        problems: Vec<crate::script::SumProblem>,
    },
    /// `squash` refused; nothing was written.
    #[error("cannot squash {from} to {to}: {why}")]
    Squash {
        /// The first revision of the chain.
        from: String,
        /// The last one.
        to: String,
        /// Why, and what to do.
        why: String,
    },
    /// `rebase` refused to move a revision; nothing was written.
    #[error("cannot rebase revision {revision}: {why}")]
    Rebase {
        /// The revision.
        revision: String,
        /// Why, and what to do.
        why: String,
    },
    /// `migrate test` was given a database that is not empty: it tests on scratch databases
    /// only, since it downgrades every revision.
    #[error(
        "the scratch database is not empty ({0}); `test` downgrades every revision, so it runs \
         only on an empty database: give --scratch-url an empty one, or leave it out to let \
         Strata create and drop one"
    )]
    ScratchNotEmpty(String),
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
    /// The migrations directory's path names a file.
    #[error("{} is a file, not a directory; -d/--directory (or STRATA_DIRECTORY) names the migrations directory, the one holding strata.toml and versions/", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// `versions/` in the migrations directory is not a directory.
    #[error("{} is not a directory; it must be the directory of migration files (move the file away and create the directory)", path.display())]
    VersionsNotADirectory {
        /// The path of `versions`.
        path: PathBuf,
    },
    /// A migration file changed on disk while the command was running.
    #[error("{} changed while this command was running; run it again", path.display())]
    FileChangedDuringRun {
        /// The file.
        path: PathBuf,
    },
    /// A revision's ops cannot be rendered for the dialect, or do not fit the schema the
    /// revisions before it build.
    #[error("while rendering revision {revision} ({}): {source}", path.display())]
    RenderRevision {
        /// The revision.
        revision: String,
        /// Its file.
        path: PathBuf,
        /// Why.
        source: crate::dialect::RenderError,
    },
    /// A revision left partially applied (MySQL) that cannot be continued safely; nothing was
    /// run.
    #[error("revision {revision} ({}) is partially applied and cannot be continued: {reason}; nothing was run", path.display())]
    PartialRevision {
        /// The revision.
        revision: String,
        /// Its file.
        path: std::path::PathBuf,
        /// Why, and what to do.
        reason: String,
    },
    /// A revision's upgrade does not replay on the schema the revisions before it build
    /// (offline, without a database).
    #[error("revision {revision} ({}) does not replay: {source}", path.display())]
    Replay {
        /// The revision.
        revision: String,
        /// Its file.
        path: PathBuf,
        /// Why.
        source: crate::ops::ReplayError,
    },
    /// Offline SQL for a downgrade was asked for without a `from:to` range.
    #[error("downgrade --sql needs a range `<from>:<to>` (for example `head:{target}`), since there is no database to read the current revision from")]
    DowngradeNeedsRange {
        /// The target given.
        target: String,
    },
    /// An offline range that runs nothing (`upgrade --sql head:base`).
    #[error("{}", empty_range_message(range, start, target, *reason))]
    EmptyRange {
        /// The range as given.
        range: String,
        /// Its start (`base` when none).
        start: String,
        /// Its target.
        target: String,
        /// Why it runs nothing.
        reason: EmptyRange,
    },
    /// A new revision's parent is not a head, and splicing was not asked for.
    #[error("revision {revision} is not a head; pass --splice to start a branch from it")]
    NotAHead {
        /// The parent asked for.
        revision: String,
    },
    /// A merge of fewer than two revisions.
    #[error("merge needs two or more revisions to merge, got {}; `heads` lists the heads", if revisions.is_empty() { "none".to_string() } else { revisions.join(", ") })]
    MergeNeedsTwo {
        /// The revisions given (or the heads).
        revisions: Vec<String>,
    },
    /// A new revision's explicit id is taken.
    #[error("revision id {revision} already exists; choose another --rev-id")]
    RevisionExists {
        /// The id.
        revision: String,
    },
    /// `accept` was given a target that names no revision (`base`).
    #[error("`{target}` names no revision; `accept` takes applied revisions (`history -i` marks the current one)")]
    AcceptNamesNoRevision {
        /// The target as given.
        target: String,
    },
    /// `accept` was given a revision this database has not applied.
    #[error("revision {revision} is not applied to this database, so there is nothing to accept: its checksum is recorded when it runs")]
    NotApplied {
        /// The revision.
        revision: String,
    },
}

/// Why an offline range runs nothing ([`Error::EmptyRange`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmptyRange {
    /// An upgrade range whose target comes before its start.
    UpgradeBackwards,
    /// An upgrade range whose start already includes its target.
    AlreadyThere,
    /// A downgrade range whose start is not newer than its target.
    DowngradeBackwards,
}

/// The message of [`Error::EmptyRange`], with the range that would work.
fn empty_range_message(range: &str, start: &str, target: &str, reason: EmptyRange) -> String {
    match reason {
        EmptyRange::UpgradeBackwards => format!(
            "`{range}` runs nothing: an upgrade goes from an older revision to a newer one, \
             and `{target}` comes before `{start}`; write `{target}:{start}`, or use \
             `downgrade --sql {start}:{target}` for the script that goes back"
        ),
        EmptyRange::AlreadyThere => format!(
            "`{range}` runs nothing: `{start}` already includes `{target}`; give a target \
             after the start (for example `{start}:head`)"
        ),
        EmptyRange::DowngradeBackwards => format!(
            "`{range}` runs nothing: a downgrade goes from a newer revision to an older one; \
             give the newer one first (for example `head:{target}`)"
        ),
    }
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
