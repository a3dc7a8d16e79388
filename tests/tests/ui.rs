//! Stage 1, model: compile-time behaviour of `#[derive(Model)]` (trybuild).
//!
//! Each `tests/ui/<topic>/<case>.rs` holds one mistake and its `.stderr` the exact message
//! expected; `tests/ui/pass/*.rs` and `tests/ui/references/pass/*.rs` must compile and run.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p strata-tests --test
//! ui`, then read every changed one.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.pass("ui/references/pass/*.rs");
    for topic in [
        "attrs",
        "types",
        "keys",
        "references",
        "names",
        "defaults",
        "shapes",
        "multi",
        "asserts",
        "enums",
    ] {
        t.compile_fail(format!("ui/{topic}/*.rs"));
    }
}
