//! The migration command line of the quickstart: `cargo run --bin migrate -- <command>`.

use quickstart as _;

fn main() -> std::process::ExitCode {
    strata::cli::main()
}
