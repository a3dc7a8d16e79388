//! Stage 8, CLI: the `migrate` command line (`init`, `migrate`, `upgrade`, ...).

pub mod args;

use std::process::ExitCode;

/// Runs the `migrate` command line with the process's arguments and returns its exit code.
///
/// Until the full command set lands, this lists the registered models.
pub fn main() -> ExitCode {
    for t in crate::registry::models() {
        println!("{} ({})", t.name, t.rust_path);
    }
    ExitCode::SUCCESS
}
