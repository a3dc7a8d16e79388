//! The migration command line of the blog: `cargo run -p blog --bin migrate -- <command>`.

use blog as _;

fn main() -> std::process::ExitCode {
    strata::cli::main()
}
