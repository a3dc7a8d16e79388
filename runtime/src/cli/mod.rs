//! Stage 8, CLI: the `migrate` command line (`init`, `migrate`, `upgrade`, ...).

pub mod args;

use std::process::ExitCode;

/// Runs the `migrate` command line with the process's arguments and returns its exit code.
///
/// Until the full command set lands, only `migrate models` exists: it prints one line per
/// registered model, `<table> <rust_path>`, in table-name order.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["models"] => {
            for t in crate::registry::models() {
                println!("{} {}", t.name, t.rust_path);
            }
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: migrate models    (list the models linked into this binary)");
            ExitCode::from(2)
        }
    }
}
