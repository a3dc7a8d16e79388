//! Stage 8, CLI (end to end): `squash FROM TO -m MSG` writes the squash revision with
//! `replaces`, keeps strata.sum in step, `history` says which revisions it replaces, and a
//! fresh database upgrades through it to the same head.

mod common;

use common::{Variant, Workdir};
use strata::testing::TestDb;

use Variant::{Base, Phone};

#[test]
fn squash_from_the_command_line() {
    let tdb = TestDb::sqlite("squash_e2e");
    let w = Workdir::new("squash", Some(&tdb.url));
    w.run(Base, &["init"]).ok();
    let first = w.run(Base, &["migrate", "-m", "users"]).generated();
    w.run(Base, &["upgrade"]).ok();
    let second = w.run(Phone, &["migrate", "-m", "phone"]).generated();

    let out = w
        .run(Phone, &["squash", &first, &second, "-m", "all of it"])
        .ok()
        .join("\n");
    assert!(
        out.contains(&format!("replaces {first}, {second})")),
        "{out}"
    );
    let history = w.run(Phone, &["history"]).ok().join("\n");
    assert!(history.contains("(replaced by squash "), "{history}");
    // The database inside the chain goes on through it; strata.sum agrees.
    w.run(Phone, &["upgrade"]).ok();
    assert!(w.run(Phone, &["current"]).ok()[0].starts_with(&second));
    // A fresh database runs the squash and ends at the same head.
    let fresh = TestDb::sqlite("squash_e2e_fresh");
    let w2 = Workdir::new("squash-fresh", Some(&fresh.url));
    let versions = w2.path("migrations/versions");
    std::fs::create_dir_all(&versions).expect("versions");
    for entry in std::fs::read_dir(w.path("migrations/versions")).expect("read") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        std::fs::copy(&path, versions.join(name)).expect("copy");
    }
    for file in ["strata.toml", "strata.sum"] {
        std::fs::copy(
            w.path(&format!("migrations/{file}")),
            w2.path(&format!("migrations/{file}")),
        )
        .expect("copy");
    }
    let text = w2.run(Phone, &["upgrade"]).ok().join("\n");
    assert!(text.contains("all of it"), "{text}");
    let current = w2.run(Phone, &["current"]).ok();
    assert!(current[0].starts_with(&second), "{current:?}");
    w2.run(Phone, &["check"]).ok();
    // The chain of one revision is refused.
    w.run(Phone, &["squash", &second, &second, "-m", "x"])
        .error("two revisions or more");
}
