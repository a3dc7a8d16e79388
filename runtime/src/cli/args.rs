//! Stage 8, CLI: the command-line grammar (the `flask db` command set, same meanings).
//!
//! The doc comments here are the command reference: clap turns them into `migrate --help`
//! and `migrate <command> --help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Schema migrations for your models: autogenerate, review, upgrade, downgrade.
#[derive(Debug, Parser)]
#[command(
    name = "migrate",
    version,
    disable_help_subcommand = true,
    after_long_help = AFTER_HELP
)]
pub(crate) struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: Global,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

const AFTER_HELP: &str = "\
Setup: put your #[derive(Model)] structs in your library and add src/bin/migrate.rs:
    use myapp as _; // your crate: links the models into this binary
    fn main() -> std::process::ExitCode { strata::cli::main() }
then run `cargo run --bin migrate -- <command>`.

A typical session:
  migrate init                       create migrations/ (once per project)
  migrate migrate -m \"add users\"     compare the models with the database, write a revision
  migrate upgrade                    apply it
  migrate downgrade                  revert the last revision

Targets (upgrade, downgrade, stamp, show, history -r): `head`, `heads`, `base`, `current`,
a revision id or any unique prefix of it, `+N` / `-N` (relative to the database),
`<rev>+N`, `<label>@head`, `<label>@base`.

The database URL is, in order: --database-url, the DATABASE_URL variable, DATABASE_URL in
./.env, `url` in migrations/strata.toml, and finally sqlite://app.db (created when missing;
announced on stderr on every run). A source that is set but empty, or a ./.env that does not
parse, is an error, never skipped. upgrade, downgrade, stamp and autogenerate print
`Using <url> (from <source>)` first (password masked; -q hides it); they refuse in-memory
SQLite URLs, since nothing written there would persist.

Exit codes: 0 success; 1 a failed command, or `check` / `current --check-heads` finding work to
do; 2 a usage error.";

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub(crate) struct Global {
    /// The migrations directory.
    #[arg(
        short = 'd',
        long,
        global = true,
        env = "STRATA_DIRECTORY",
        default_value = "migrations"
    )]
    pub directory: PathBuf,
    /// The database URL [default: DATABASE_URL, then .env, then `url` in strata.toml, then sqlite://app.db].
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Print only results and errors (no progress lines).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more: revision details (current, history, heads, branches) and the SQL that runs.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Never use colours (also NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// The text format of a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum PictureFormat {
    /// Mermaid (renders on GitHub and in many docs tools).
    Mermaid,
    /// Graphviz dot.
    Dot,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a new migrations directory (strata.toml, README, versions/).
    ///
    /// Refuses a directory that exists and is not empty.
    Init,
    /// Autogenerate a revision from the differences between the models and the database.
    ///
    /// The same as `revision --autogenerate`. The database must be at the head (run `upgrade`
    /// first). Prints one `Detected ...` line per change and a `WARNING:` line per change that
    /// can lose data; review the generated file before applying it. A table or column dropped
    /// and one of the same shape added is asked about on a terminal (`Did you rename ...?
    /// [y/N]`); without one, a `WARNING:` names the `renamed_from` hint to use.
    ///
    /// Example: migrate migrate -m "add phone to users"
    Migrate {
        /// The revision message.
        #[arg(short, long)]
        message: Option<String>,
        /// Do not autogenerate; write an empty revision.
        #[arg(long, hide = true)]
        empty: bool,
        /// Split the change in two revisions: an expand revision the previous release still
        /// works with (run it before the deploy), and a contract revision with the rest (run
        /// it after).
        #[arg(long)]
        expand_contract: bool,
        /// Where the revision goes in the graph.
        #[command(flatten)]
        rev: RevisionOptions,
    },
    /// Create a new revision (empty unless --autogenerate).
    ///
    /// An empty revision has commented examples of each op; fill it in by hand (data
    /// migrations use `op = "sql"`).
    ///
    /// Example: migrate revision -m "backfill display names"
    Revision {
        /// The revision message.
        #[arg(short, long)]
        message: Option<String>,
        /// Fill the revision from the differences between the models and the database.
        #[arg(long)]
        autogenerate: bool,
        /// Where the revision goes in the graph.
        #[command(flatten)]
        rev: RevisionOptions,
    },
    /// Upgrade the database to a later revision.
    ///
    /// Prints `Running upgrade <from> -> <to>, <message>` per revision. With --sql, prints the
    /// SQL script instead (offline: no connection; TARGET may be a range `from:to`).
    ///
    /// Examples: migrate upgrade; migrate upgrade +1; migrate upgrade ae10; migrate upgrade --sql > up.sql
    Upgrade {
        /// The target revision.
        #[arg(default_value = "head")]
        target: String,
        /// Print the SQL instead of running it (offline mode; no connection).
        #[arg(long)]
        sql: bool,
        /// The dialect for --sql (sqlite, postgres, mysql) [default: from the database URL].
        #[arg(long)]
        dialect: Option<String>,
        /// Apply even if an applied migration file was edited since it ran.
        #[arg(long)]
        allow_changed: bool,
        /// Close the record of a revision that was interrupted half way (it runs outside a
        /// transaction) and run it again; first undo what it did by hand.
        #[arg(long)]
        retry_interrupted: bool,
        /// Run even when the lint finds data loss or failures on existing rows that the
        /// revision files do not acknowledge (`allow = [...]`).
        #[arg(long)]
        allow_unsafe: bool,
        /// Refuse, before running anything, when a revision to run breaks the app built from
        /// this model snapshot (`models --snapshot`): the previous release in a rolling deploy.
        #[arg(long, value_name = "SNAPSHOT")]
        compat: Option<std::path::PathBuf>,
    },
    /// Revert the database to an earlier revision.
    ///
    /// Prints `Running downgrade <from> -> <to>, <message>` per revision. With --sql, TARGET
    /// must be a range `from:to` (for example `head:base`). A revision without [[downgrade]]
    /// ops runs its upgrade reversed. A downgrade that destroys data (drops tables or
    /// columns, narrows types, goes to base) first lists what is lost, and asks on a terminal
    /// unless --yes.
    ///
    /// Examples: migrate downgrade; migrate downgrade -2; migrate downgrade base
    Downgrade {
        /// The target revision.
        #[arg(default_value = "-1", allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline mode; no connection).
        #[arg(long)]
        sql: bool,
        /// The dialect for --sql (sqlite, postgres, mysql) [default: from the database URL].
        #[arg(long)]
        dialect: Option<String>,
        /// Revert even if an applied migration file was edited since it ran.
        #[arg(long)]
        allow_changed: bool,
        /// Do not ask before a downgrade that destroys data (dropped tables or columns,
        /// narrowed types, `base`); the warning is still printed. Without a terminal on stdin
        /// there is no question either.
        #[arg(short = 'y', long)]
        yes: bool,
        /// Close the record of a downgrade that was interrupted half way (it runs outside a
        /// transaction) and run it again; first restore what it removed by hand.
        #[arg(long)]
        retry_interrupted: bool,
    },
    /// Show the current revision(s) of the database.
    ///
    /// One line per applied head, `<rev> (head)`; nothing when the database is at base. With
    /// -v, each revision's details.
    Current {
        /// Fail (exit 1) unless the database is at the head(s).
        #[arg(long)]
        check_heads: bool,
    },
    /// List revisions in chronological order, newest first.
    ///
    /// One line per revision: `<parent> -> <rev> (head), <message>`. Merges show their
    /// parents `a, b -> m (mergepoint)`, and a revision with several children is marked
    /// `(branchpoint)`. With -v, each revision's details.
    ///
    /// Examples: migrate history; migrate history -r ae10:head; migrate history -i
    History {
        /// A range `A:B` (either side may be empty).
        #[arg(short = 'r', long, allow_hyphen_values = true)]
        rev_range: Option<String>,
        /// Mark the database's current revision(s) `(current)`.
        #[arg(short = 'i', long)]
        indicate_current: bool,
        /// Draw the graph beside the revisions (branches and merges), as `git log --graph`.
        #[arg(short = 'g', long)]
        graph: bool,
    },
    /// Show the current head revisions.
    Heads,
    /// Show branch points (revisions with several children) and their branches.
    Branches,
    /// Show a revision: its header, its ops, and with --sql the SQL.
    ///
    /// Example: migrate show ae10 --sql
    Show {
        /// The revision (a unique prefix is enough; also `head`).
        revision: String,
        /// Also print the SQL, for the database URL's dialect (or --dialect).
        #[arg(long)]
        sql: bool,
        /// The dialect for --sql (sqlite, postgres, mysql) [default: from the database URL].
        #[arg(long)]
        dialect: Option<String>,
    },
    /// Set the database's revision without running migrations.
    ///
    /// For a database whose schema already matches a revision (created by hand, or by an
    /// older tool). `stamp --purge <rev>` resets a version table that names revisions that no
    /// longer exist.
    ///
    /// Example: migrate stamp head
    Stamp {
        /// The revision(s) to record.
        #[arg(required = true)]
        revisions: Vec<String>,
        /// Delete every version row first (any heads).
        #[arg(long)]
        purge: bool,
        /// Print the SQL instead of running it.
        #[arg(long)]
        sql: bool,
        /// The dialect for --sql (sqlite, postgres, mysql) [default: from the database URL].
        #[arg(long)]
        dialect: Option<String>,
    },
    /// Adopt a database that has tables but no Strata history (one Flask-Migrate / Alembic
    /// manages, or one made by hand).
    ///
    /// Writes a baseline revision whose upgrade creates the live schema as it is (so a fresh
    /// database upgraded from base gets the same tables), stamps the database with it without
    /// running it, and lists where the models disagree with the database: run `migrate -m`
    /// next for those. `alembic_version` is left as it is. Refuses, changing nothing, a
    /// database that has Strata version rows and a migrations directory that has revisions.
    ///
    /// Example: migrate init && migrate adopt
    Adopt {
        /// The baseline's message [default: "baseline (adopted from the live database)"].
        #[arg(short, long)]
        message: Option<String>,
        /// Use this revision id instead of a random one.
        #[arg(long)]
        rev_id: Option<String>,
    },
    /// Accept the edited file of an applied revision (a harmless edit: comments, formatting).
    ///
    /// `upgrade`, `downgrade` and `check` refuse an applied migration whose file changed since
    /// it ran. After an edit that does not change what the revision does, `accept` records the
    /// file's new checksum in strata_log (direction `accept`) without running anything, as
    /// `flyway repair` does. Strata cannot tell that an edit is harmless: put real changes in a
    /// new revision instead.
    ///
    /// Example: migrate accept ae10
    Accept {
        /// The applied revision(s) whose file to accept (a unique prefix is enough).
        #[arg(required = true)]
        revisions: Vec<String>,
    },
    /// Merge two or more heads into one revision.
    ///
    /// Example: migrate merge -m "merge billing" heads
    Merge {
        /// The revisions to merge (default: every head).
        revisions: Vec<String>,
        /// The revision message.
        #[arg(short, long)]
        message: Option<String>,
        /// A branch label for the merge revision.
        #[arg(long)]
        branch_label: Option<String>,
        /// Use this revision id instead of a random one.
        #[arg(long)]
        rev_id: Option<String>,
    },
    /// Open a revision file in $EDITOR (else $VISUAL, else vi).
    ///
    /// The variable is split on whitespace, so an editor that needs flags works
    /// (`EDITOR="code --wait"`); a program path containing spaces does not. The file is parsed
    /// again when the editor exits.
    Edit {
        /// The revision (default: head).
        #[arg(default_value = "head")]
        revision: String,
    },
    /// Exit 0 when the models match the database at head; 1 when there is work to do.
    ///
    /// Fails (exit 1) when the models differ from the database (listing the changes), when the
    /// database is behind the head, or when there are several heads. Use it in CI.
    Check {
        /// Also lint every revision for the database's dialect, failing on findings the files
        /// do not acknowledge.
        #[arg(long)]
        lint: bool,
    },
    /// Report what migrations do to a live database beyond their result: data they lose, rows
    /// they fail on, locks and rewrites they cause.
    ///
    /// One line per finding: `<file>:<line>: <rule> <target>: <what happens> (<the safe
    /// way>)`. Exit 1 when a finding is not acknowledged by `allow = ["<rule> <target>"]` in
    /// its revision file. Default: the revisions not applied to the database yet.
    Lint {
        /// Revisions to lint: `<to>` or `<from>:<to>` (default: not applied yet).
        range: Option<String>,
        /// Lint every revision.
        #[arg(long)]
        all: bool,
        /// Lint offline for this dialect (sqlite, postgres, mysql): no connection, every
        /// revision unless a range is given.
        #[arg(long)]
        dialect: Option<String>,
    },
    /// Replace a chain of revisions with one revision holding their net effect.
    ///
    /// The new revision records `replaces = [...]`: a database before FROM runs it instead
    /// of the chain; one inside the chain goes on through the chain's files. Once no database
    /// is inside the chain, delete the replaced files: the squash stands in for them. Data
    /// steps are kept in order unless marked `elidable = true`.
    ///
    /// Example: migrate squash 1a2b 9f8e -m "squash 2026 history"
    Squash {
        /// The first revision of the chain.
        from: String,
        /// The last revision of the chain.
        to: String,
        /// The new revision's message.
        #[arg(short, long)]
        message: String,
    },
    /// Move a branch onto another revision: REV's parent becomes --onto.
    ///
    /// The common case after two pull requests each added a revision on the same head:
    /// `rebase <theirs> --onto <ours>` makes the history one line again, instead of a merge
    /// revision. The revisions built on REV move along; their ops are replayed on the schema
    /// at the new place first, and a conflict refuses with nothing written. Rebase only
    /// revisions no database has applied yet.
    ///
    /// Example: migrate rebase 3f2a --onto head
    Rebase {
        /// The first revision of the branch to move.
        revision: String,
        /// The revision to build it on (an id, a prefix, or a target such as `head`).
        #[arg(long)]
        onto: String,
    },
    /// Test every revision on a scratch database: upgrade, downgrade, upgrade again.
    ///
    /// From base to the heads: each revision's downgrade must restore the schema before it,
    /// and its upgrade must give the same schema again; the revisions' data tests (`[[test]]`)
    /// run. The scratch database is created on the configured server and dropped after
    /// (SQLite: a temporary file), or given with --scratch-url (it must be empty). Exits 1
    /// when anything fails.
    Test {
        /// Only the revisions in this range (`from:to`, as `history -r`); the ones before it
        /// are only upgraded.
        range: Option<String>,
        /// An empty database to test on, instead of one Strata creates and drops.
        #[arg(long)]
        scratch_url: Option<String>,
    },
    /// Write the revision graph for docs: a Mermaid flowchart or Graphviz dot.
    ///
    /// Example: migrate graph --format dot | dot -Tsvg > revisions.svg
    Graph {
        /// mermaid or dot.
        #[arg(long, value_enum, default_value_t = PictureFormat::Mermaid)]
        format: PictureFormat,
    },
    /// Write an entity-relationship diagram of the models (or of the database) as Mermaid.
    ///
    /// Tables with their columns, types and keys; one relationship per foreign key.
    Schema {
        /// mermaid (the only format of this picture).
        #[arg(long, value_enum, default_value_t = PictureFormat::Mermaid)]
        format: PictureFormat,
        /// Draw the live database instead of the models.
        #[arg(long)]
        from_database: bool,
    },
    /// Rewrite migrations/strata.sum, the checksum of every migration file.
    ///
    /// Every command that writes a revision keeps it up to date, and `check`, `upgrade` and
    /// `downgrade` refuse when the directory disagrees with it. Run this after a deliberate
    /// edit of a migration file.
    Hash,
    /// List the models linked into this binary: `<table> <rust path>` per model.
    Models {
        /// Print them as a model snapshot (JSON, format `strata-models/1`).
        #[arg(long)]
        json: bool,
        /// Write the model snapshot to this file (commit it, or make it from the previous
        /// release's binary in CI, for `compat`).
        #[arg(long, value_name = "FILE")]
        snapshot: Option<std::path::PathBuf>,
    },
    /// Check that the app built from a model snapshot keeps working on the schema after the
    /// revisions up to TARGET: the gate for rolling deploys.
    ///
    /// For every table and column the snapshot's models use: still there under that name,
    /// a type its field decodes, not NULL where its field cannot be; and its inserts still
    /// work (no new NOT NULL column without a default, no new unique or check). One line per
    /// finding with the revision that causes it and the safe sequence; exit 1 on any.
    /// Offline from the migration files; `--database` starts from the live database.
    ///
    /// Example: migrate compat --against release-1.4.json
    Compat {
        /// The model snapshot of the previous release.
        #[arg(long, value_name = "SNAPSHOT")]
        against: std::path::PathBuf,
        /// Where the revisions go (default: head).
        #[arg(default_value = "head")]
        target: String,
        /// Start from the live database and its pending revisions instead of base.
        #[arg(long)]
        database: bool,
    },
}

/// Options shared by `migrate` and `revision`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct RevisionOptions {
    /// The parent revision (default: head).
    #[arg(long = "head")]
    pub head: Option<String>,
    /// Allow a parent that is not a head (starts a branch).
    #[arg(long)]
    pub splice: bool,
    /// A branch label for the new revision.
    #[arg(long)]
    pub branch_label: Option<String>,
    /// A revision this one depends on.
    #[arg(long)]
    pub depends_on: Vec<String>,
    /// Use this revision id instead of a random one.
    #[arg(long)]
    pub rev_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults_match_flask_db() {
        let cli = Cli::try_parse_from(["migrate", "downgrade"]).expect("parses");
        assert!(matches!(cli.command, Command::Downgrade { ref target, .. } if target == "-1"));
        let cli = Cli::try_parse_from(["migrate", "downgrade", "-2"]).expect("parses");
        assert!(matches!(cli.command, Command::Downgrade { ref target, .. } if target == "-2"));
        let cli = Cli::try_parse_from(["migrate", "upgrade"]).expect("parses");
        assert!(matches!(cli.command, Command::Upgrade { ref target, .. } if target == "head"));
        let cli = Cli::try_parse_from(["migrate", "-d", "db", "migrate", "-m", "add phone"])
            .expect("parses");
        assert_eq!(cli.global.directory, PathBuf::from("db"));
        assert!(
            matches!(cli.command, Command::Migrate { message: Some(ref m), .. } if m == "add phone")
        );
    }

    #[test]
    fn verbose_after_the_command() {
        let cli = Cli::try_parse_from(["migrate", "history", "-v", "-r", "-2:"]).expect("parses");
        assert!(cli.global.verbose);
        assert!(
            matches!(cli.command, Command::History { rev_range: Some(ref r), .. } if r == "-2:")
        );
        let cli = Cli::try_parse_from(["migrate", "current", "-q"]).expect("parses");
        assert!(cli.global.quiet);
    }

    /// The README's command reference lists exactly the commands `--help` lists.
    #[test]
    fn the_readme_lists_every_command() {
        use clap::CommandFactory;
        let readme = include_str!("../../../README.md");
        let table = readme
            .split("## Command reference")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("a Command reference section");
        let mut listed: Vec<String> = table
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .flat_map(|l| {
                let cell = l.split(" |").next().unwrap_or_default();
                cell.split("`, `")
                    .map(|c| {
                        c.trim_matches('`')
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_string()
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        listed.sort();
        let mut commands: Vec<String> = Cli::command()
            .get_subcommands()
            .filter(|c| !c.is_hide_set())
            .map(|c| c.get_name().to_string())
            .collect();
        commands.sort();
        assert_eq!(listed, commands);
    }

    #[test]
    fn usage_errors() {
        assert!(Cli::try_parse_from(["migrate", "nope"]).is_err());
        assert!(Cli::try_parse_from(["migrate", "stamp"]).is_err());
        assert!(Cli::try_parse_from(["migrate", "-q", "-v", "current"]).is_err());
    }
}
