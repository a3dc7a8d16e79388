//! Stage 8, CLI (end to end): the lint through the `migrate` binary: `migrate` prints a new
//! revision's findings and writes them into the file; `lint` lists them with file and line and
//! exits 1 until acknowledged; `upgrade` refuses data loss that is not acknowledged unless
//! `--allow-unsafe`; `check --lint` fails CI on it; `allow = [...]` in the file acknowledges.

mod common;

use common::{Variant, Workdir};
use strata::testing::TestDb;

use Variant::{Base, Phone};

#[test]
fn lint_from_autogenerate_to_ci() {
    let tdb = TestDb::sqlite("lint_e2e");
    let url = tdb.url.clone();
    let w = Workdir::new("lint", Some(&url));
    w.run(Base, &["init"]).ok();
    let first = w.run(Phone, &["migrate", "-m", "users"]).generated();
    w.run(Phone, &["upgrade"]).ok();

    // Autogenerate a destructive revision: the finding is printed and written into the file.
    let run = w.run(Base, &["migrate", "-m", "drop phone"]);
    let second = run.generated();
    assert!(
        run.stdout
            .contains("WARNING: drop-column users.phone: drops the column and its values"),
        "{run:#?}"
    );
    let file = w.revision_file(&second);
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(
        text.contains("# lint: drop-column users.phone: drops the column and its values")
            && text.contains("#   acknowledge with: allow = [\"drop-column users.phone: <why>\"]"),
        "{text}"
    );

    // `lint`: the pending revision's finding, with its file and the line of its step.
    let lint = w.run(Base, &["lint"]);
    assert_eq!(lint.code, 1, "{lint:#?}");
    let line = lint
        .stdout
        .lines()
        .find(|l| l.contains("drop-column users.phone"))
        .unwrap_or_else(|| panic!("{lint:#?}"));
    let at: usize = line
        .split(':')
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line number: {line}"));
    assert_eq!(text.lines().nth(at - 1).map(str::trim), Some("[[upgrade]]"));

    // `upgrade` refuses before running anything; `--allow-unsafe` runs it.
    let err = w
        .run(Base, &["upgrade"])
        .error("loses data or fails on existing rows");
    assert!(
        err.contains("allow = [\"drop-column users.phone\"]") && err.contains("--allow-unsafe"),
        "{err}"
    );
    assert!(w.run(Base, &["current"]).ok()[0].starts_with(&first));
    w.run(Base, &["upgrade", "--allow-unsafe"]).ok();
    assert!(w.run(Base, &["current"]).ok()[0].starts_with(&second));

    // CI: `check` passes (the models match), `check --lint` does not, until acknowledged.
    w.run(Base, &["check"]).ok();
    let ci = w.run(Base, &["check", "--lint"]);
    assert_eq!(ci.code, 1, "{ci:#?}");
    assert!(ci.stdout.contains("drop-column users.phone"), "{ci:#?}");
    let acknowledged = text.replacen(
        "message = ",
        "allow = [\"drop-column users.phone: nothing reads it since 2.3\"]\nmessage = ",
        1,
    );
    std::fs::write(&file, acknowledged).expect("edit");
    w.run(Base, &["accept", &second]).ok();
    let ci = w.run(Base, &["check", "--lint"]);
    assert_eq!(ci.code, 0, "{ci:#?}");
    assert!(
        ci.stdout.contains("[allowed: nothing reads it since 2.3]"),
        "{ci:#?}"
    );
    let offline = w.run(Base, &["lint", "--all", "--dialect", "postgres"]);
    assert_eq!(offline.code, 0, "{offline:#?}");
}

/// `allow` inside one `[[upgrade]]` step acknowledges that step's findings: `lint` passes and
/// `upgrade` runs without `--allow-unsafe`; a bad entry there names the file, the line and
/// the step.
#[test]
fn a_step_acknowledges_its_own_findings() {
    let tdb = TestDb::sqlite("lint_step");
    let url = tdb.url.clone();
    let w = Workdir::new("lint-step", Some(&url));
    w.run(Base, &["init"]).ok();
    w.run(Phone, &["migrate", "-m", "users"]).generated();
    w.run(Phone, &["upgrade"]).ok();
    let second = w.run(Base, &["migrate", "-m", "drop phone"]).generated();
    let file = w.revision_file(&second);
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains("op = \"drop_column\"\n"), "{text}");

    let bad = text.replacen(
        "op = \"drop_column\"\n",
        "op = \"drop_column\"\nallow = [\"drop-colum: typo\"]\n",
        1,
    );
    std::fs::write(&file, &bad).expect("edit");
    let err = w.run(Base, &["lint"]).error("upgrade step 1");
    assert!(
        err.contains(&*file.file_name().unwrap_or_default().to_string_lossy())
            && err.contains("drop-colum"),
        "{err}"
    );

    let good = text.replacen(
        "op = \"drop_column\"\n",
        "op = \"drop_column\"\nallow = [\"drop-column: the app stopped reading it in 2.3\"]\n",
        1,
    );
    std::fs::write(&file, good).expect("edit");
    let lint = w.run(Base, &["lint"]);
    assert_eq!(lint.code, 0, "{lint:#?}");
    assert!(
        lint.stdout
            .contains("[allowed: the app stopped reading it in 2.3]"),
        "{lint:#?}"
    );
    w.run(Base, &["upgrade"]).ok();
    assert!(w.run(Base, &["current"]).ok()[0].starts_with(&second));
}
