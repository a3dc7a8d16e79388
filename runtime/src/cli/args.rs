//! Stage 8, CLI: the command-line grammar (the `flask db` command set, same meanings).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Schema migrations for your models: autogenerate, review, upgrade, downgrade.
#[derive(Debug, Parser)]
#[command(name = "migrate", version, about, long_about = None, disable_help_subcommand = true)]
pub struct Cli {
    /// Global options.
    #[command(flatten)]
    pub global: Global,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
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
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail (the SQL that runs).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Never use colours (also NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new migrations directory (strata.toml, README, versions/).
    Init,
    /// Autogenerate a revision from the differences between the models and the database.
    Migrate {
        /// The revision message.
        #[arg(short, long)]
        message: Option<String>,
        /// Do not autogenerate; write an empty revision.
        #[arg(long, hide = true)]
        empty: bool,
        /// Where the revision goes in the graph.
        #[command(flatten)]
        rev: RevisionOptions,
    },
    /// Create a new revision (empty unless --autogenerate).
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
    Upgrade {
        /// The target revision.
        #[arg(default_value = "head")]
        target: String,
        /// Print the SQL instead of running it (offline mode; no connection).
        #[arg(long)]
        sql: bool,
        /// The dialect for --sql when the URL does not say (sqlite, postgres).
        #[arg(long)]
        dialect: Option<String>,
        /// Apply even if an applied migration file was edited since it ran.
        #[arg(long)]
        allow_changed: bool,
    },
    /// Revert the database to an earlier revision.
    Downgrade {
        /// The target revision.
        #[arg(default_value = "-1", allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline mode; no connection).
        #[arg(long)]
        sql: bool,
        /// The dialect for --sql when the URL does not say (sqlite, postgres).
        #[arg(long)]
        dialect: Option<String>,
        /// Revert even if an applied migration file was edited since it ran.
        #[arg(long)]
        allow_changed: bool,
    },
    /// Show the current revision(s) of the database.
    Current {
        /// Fail (exit 1) unless the database is at the head(s).
        #[arg(long)]
        check_heads: bool,
    },
    /// List revisions in chronological order, newest first.
    History {
        /// A range `A:B` (either side may be empty).
        #[arg(short = 'r', long)]
        rev_range: Option<String>,
        /// Mark the database's current revision(s).
        #[arg(short = 'i', long)]
        indicate_current: bool,
    },
    /// Show the current head revisions.
    Heads,
    /// Show branch points.
    Branches,
    /// Show a revision: its header, its ops, and with --sql the SQL.
    Show {
        /// The revision (a prefix is enough).
        revision: String,
        /// Also print the SQL for the database's dialect.
        #[arg(long)]
        sql: bool,
    },
    /// Set the database's revision without running migrations.
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
    },
    /// Merge two or more heads into one revision.
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
    /// Open a revision file in $EDITOR.
    Edit {
        /// The revision (default: head).
        #[arg(default_value = "head")]
        revision: String,
    },
    /// Exit 0 when the models match the database at head; 1 when there is work to do.
    Check,
    /// List the models linked into this binary.
    Models,
}

/// Options shared by `migrate` and `revision`.
#[derive(Debug, Args, Clone, Default)]
pub struct RevisionOptions {
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
}
