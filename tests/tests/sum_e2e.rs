//! Stage 8, CLI (end to end): `migrations/strata.sum`: written by `init` and by every command
//! that writes a revision; `check`, `upgrade` and `downgrade` refuse when a file was edited by
//! hand or added without it, naming the file, and nothing runs; `hash` records a deliberate
//! edit; a directory from before `strata.sum` is not checked.

mod common;

use common::{Variant, Workdir};
use strata::testing::TestDb;

use Variant::{Base, Phone};

#[test]
fn the_integrity_file_guards_the_directory() {
    let tdb = TestDb::sqlite("sum_e2e");
    let w = Workdir::new("sum", Some(&tdb.url));
    w.run(Base, &["init"]).ok();
    let sum_path = w.path("migrations/strata.sum");
    let empty = std::fs::read_to_string(&sum_path).expect("init writes strata.sum");
    assert!(empty.contains("\ntotal "), "{empty}");

    let first = w.run(Base, &["migrate", "-m", "users"]).generated();
    w.run(Base, &["upgrade"]).ok();
    let second = w.run(Phone, &["migrate", "-m", "phone"]).generated();
    let sum = std::fs::read_to_string(&sum_path).expect("sum");
    for rev in [&first, &second] {
        let name = w.revision_file(rev);
        let name = name.file_name().expect("name").to_string_lossy();
        assert!(sum.contains(&format!("\n{name} ")), "{name} in:\n{sum}");
    }

    // Reviewing and editing the revision just generated (a head): fine, as in Flask-Migrate.
    let second_file = w.revision_file(&second);
    let text = std::fs::read_to_string(&second_file).expect("read");
    std::fs::write(&second_file, format!("{text}\n# reviewed by the DBA\n")).expect("edit");
    w.run(Phone, &["upgrade", "--sql"]).ok();

    // A hand edit of older history (a revision built on): refused before connecting,
    // naming the file.
    let first_file = w.revision_file(&first);
    let first_name = first_file
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let first_text = std::fs::read_to_string(&first_file).expect("read");
    std::fs::write(&first_file, format!("{first_text}\n# tidied\n")).expect("edit");
    for args in [&["upgrade"][..], &["check"], &["downgrade", "-y"]] {
        let err = w.run(Phone, args).error("strata.sum");
        assert!(
            err.contains(&format!(
                "{first_name} changed since strata.sum was written"
            )) && err.contains("run `hash`"),
            "{args:?}: {err}"
        );
    }
    assert!(w.run(Phone, &["current"]).ok()[0].starts_with(&first));
    // Writing another revision would bless the edit: refused too.
    w.run(Phone, &["revision", "-m", "more"])
        .error("changed since strata.sum");

    // `hash` records the deliberate edit (and the reviewed head); the database's own record
    // of the applied file still wants `accept`; then everything runs again.
    let hashed = w.run(Phone, &["hash"]).ok().join("\n");
    assert!(hashed.contains("(2 revision files)"), "{hashed}");
    w.run(Phone, &["accept", &first]).ok();
    w.run(Phone, &["upgrade"]).ok();
    w.run(Phone, &["check"]).ok();

    // A file added without the commands (a branch merged in git): named as not listed.
    let stray = w.path(&format!(
        "migrations/versions/{}",
        "0f0000000009_stray.toml"
    ));
    std::fs::write(
        &stray,
        format!("revision = \"0f0000000009\"\ndown_revision = \"{second}\"\nmessage = \"stray\"\n"),
    )
    .expect("stray");
    let err = w.run(Phone, &["upgrade"]).error("strata.sum");
    assert!(
        err.contains("0f0000000009_stray.toml is not in strata.sum"),
        "{err}"
    );
    std::fs::remove_file(&stray).expect("remove");

    // A directory from before strata.sum: not checked.
    std::fs::remove_file(&sum_path).expect("remove sum");
    std::fs::write(&first_file, format!("{first_text}\n# tidied twice\n")).expect("edit");
    w.run(Phone, &["accept", &first]).ok();
    w.run(Phone, &["check"]).ok();
}
