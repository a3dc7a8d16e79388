//! Stage 8, CLI: the `migrate` command line (`init`, `migrate`, `upgrade`, ...).
//!
//! Users call [`main`] from a two-line `src/bin/migrate.rs` that links their models' crate:
//!
//! ```no_run
//! // use myapp as _;   // the crate with the #[derive(Model)] structs
//! fn main() -> std::process::ExitCode {
//!     strata::cli::main()
//! }
//! ```
//!
//! The commands are a thin layer over [`crate::Migrator`]; `migrate --help` is the reference.

mod args;
mod commands;
mod confirm;
mod format;
mod output;
mod signals;
mod url;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::error::Error;
use output::Out;

/// Runs the `migrate` command line with the process's arguments and returns its exit code:
/// 0 on success; 1 when the command failed (one `Error: ...` line on stderr, followed by one
/// line per problem when the models have several, and a `hint:` line where one helps) or a
/// check found work to do; 2 for usage errors.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// [`main`] with explicit arguments (the first is the program name).
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match args::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let out = Out::new(cli.global.quiet, cli.global.verbose, cli.global.no_color);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            out.error(&format!("cannot start the async runtime: {e}"), None);
            return ExitCode::FAILURE;
        }
    };
    let ctx = commands::Ctx::new(cli.global.clone(), out.clone());
    match runtime.block_on(ctx.run(cli.command)) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Differences) => ExitCode::FAILURE,
        Err(f) => {
            out.error(&f.message, f.hint.as_deref());
            ExitCode::from(f.code)
        }
    }
}

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Exit 0.
    Done,
    /// A check found work to do (its output says what): exit 1.
    Differences,
}

/// A failed command: the `Error:` line and an optional `hint:` line.
#[derive(Debug)]
pub(crate) struct Failure {
    pub message: String,
    pub hint: Option<String>,
    /// The exit code: 1, or 128 + the signal that stopped the run.
    pub code: u8,
}

impl Failure {
    pub(crate) fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            hint: None,
            code: 1,
        }
    }

    pub(crate) fn exit_code(mut self, code: u8) -> Failure {
        self.code = code;
        self
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hint = Some(hint.into());
        self
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        match e {
            Error::NotUpToDate {
                current,
                heads,
                fix,
            } => Failure::new("Target database is not up to date.").hint(format!(
                "the database is at {current} and the head is {heads}; {fix}"
            )),
            Error::Diff(crate::diff::DiffError::NoModels) => {
                let krate = std::env::var("CARGO_PKG_NAME")
                    .map(|n| n.replace('-', "_"))
                    .unwrap_or_else(|_| "myapp".into());
                Failure::new(e.to_string()).hint(format!(
                    "add `use {krate} as _;` to src/bin/migrate.rs (`models` lists the models \
                     this binary sees)"
                ))
            }
            Error::Apply(crate::apply::ApplyError::Interrupted(records)) => {
                let what: Vec<String> = records.iter().map(|r| r.describe()).collect();
                let todo: Vec<String> = records.iter().map(|r| r.remedy()).collect();
                Failure::new(format!("{}; nothing was run", what.join("; "))).hint(todo.join("; "))
            }
            e @ Error::Sum { .. } => Failure::new(e.to_string()).hint(
                "if you edited a migration file on purpose, run `hash` to record it; if two \
                 branches each added revisions, run `merge`, then `hash`; if a file changed by \
                 accident, restore it from version control",
            ),
            other => Failure::new(other.to_string()),
        }
    }
}

impl From<crate::script::ScriptError> for Failure {
    fn from(e: crate::script::ScriptError) -> Failure {
        Failure::from(Error::from(e))
    }
}

impl From<crate::graph::GraphError> for Failure {
    fn from(e: crate::graph::GraphError) -> Failure {
        Failure::from(Error::from(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ColumnDef, ColumnType, ForeignKeyDef, ReferentialAction, TableDef};

    const fn model(
        name: &'static str,
        rust_path: &'static str,
        columns: &'static [ColumnDef],
    ) -> TableDef {
        TableDef {
            name,
            schema: None,
            rust_path,
            comment: None,
            renamed_from: None,
            columns,
            indexes: &[],
            uniques: &[],
            checks: &[],
            primary_key_name: None,
        }
    }

    const fn to(table: &'static str) -> ColumnDef {
        ColumnDef {
            references: Some(ForeignKeyDef {
                table,
                column: None,
                on_delete: ReferentialAction::NoAction,
                on_update: ReferentialAction::NoAction,
                name: None,
            }),
            ..ColumnDef::new("ref_id", ColumnType::Integer)
        }
    }

    #[test]
    fn the_error_line_lists_every_schema_problem() {
        const A: TableDef = model("a", "app::A", &[to("nope")]);
        const B: TableDef = model("b", "app::B", &[to("gone")]);
        let err = crate::schema::Schema::from_models([&A, &B]).expect_err("two bad references");
        let failure = Failure::from(Error::from(err));
        let lines: Vec<&str> = failure.message.lines().collect();
        assert_eq!(lines.len(), 3, "{}", failure.message);
        assert_eq!(lines[0], "the models have 2 problems; fix each:");
        assert!(lines[1].starts_with("- `app::A.ref_id` references table `nope`"));
        assert!(lines[2].starts_with("- `app::B.ref_id` references table `gone`"));
    }
}
