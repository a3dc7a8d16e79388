//! Stage 1, model (linking): models defined in a library crate are registered in a binary
//! that only links the crate (`use strata_linkapp as _;`) and calls `strata::cli::main()`.
//!
//! Builds and runs `tests/fixtures/linkapp`'s `migrate` binary as a user would, so the
//! linker's treatment of unreferenced crates is exercised for real.

use std::process::Command;

/// `cargo run -q -p strata-linkapp --bin migrate -- <args>`, with this process's environment
/// (so the same `CARGO_TARGET_DIR`, and the dependencies are not built twice).
fn run_migrate(args: &[&str]) -> std::process::Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    Command::new(cargo)
        .args([
            "run",
            "-q",
            "-p",
            "strata-linkapp",
            "--bin",
            "migrate",
            "--",
        ])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo")
}

#[test]
fn library_models_are_registered_in_a_two_line_binary() {
    let out = run_migrate(&["models"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "migrate models failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "link_customers strata_linkapp::models::Customer",
            "link_invoices strata_linkapp::models::billing::Invoice",
            "link_tags strata_linkapp::Tag",
        ],
        "every model of the fixture library, one `<table> <rust_path>` line each, by table name"
    );
}

#[test]
fn unknown_command_fails_with_usage() {
    let out = run_migrate(&["nope"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unrecognized subcommand"), "{stderr}");
    assert!(stderr.contains("Usage: migrate"), "{stderr}");
}
