//! Stage 8, CLI (end to end): `migrate test` on a scratch database it creates and drops
//! (SQLite: a temporary file; PostgreSQL and MySQL: a database on the configured server):
//! the summary line when all passes, a `FAILED` line naming the revision, its file and the
//! difference (exit 1) when a downgrade does not restore the schema; the configured database
//! is never touched.

mod common;

use common::{Variant, Workdir};
use strata::testing::{TestDb, DIALECTS};

use Variant::{Base, Phone};

#[tokio::test]
async fn migrate_test_on_a_scratch_database() {
    for kind in DIALECTS {
        let tdb = TestDb::new(kind, "test_e2e").await;
        let w = Workdir::new("test-e2e", Some(&tdb.url));
        w.run(Base, &["init"]).ok();
        w.run(Base, &["migrate", "-m", "users"]).generated();
        w.run(Base, &["upgrade"]).ok();
        let second = w.run(Phone, &["migrate", "-m", "phone"]).generated();
        // A data test on the second revision.
        let file = w.revision_file(&second);
        let mut text = std::fs::read_to_string(&file).expect("read");
        text.push_str(
            "\n[[test]]\nname = \"users keep their rows\"\n\
             seed = \"INSERT INTO users (id, username, email) VALUES (7, 'ann', 'a@x')\"\n\
             after_upgrade = [{ query = \"SELECT username, phone FROM users\", rows = [[\"ann\", \"NULL\"]] }]\n\
             after_downgrade = [{ query = \"SELECT count(*) FROM users\", rows = [[\"1\"]] }]\n",
        );
        std::fs::write(&file, &text).expect("write");
        // Data tests do not change the file's checksum: strata.sum still agrees.
        w.run(Phone, &["upgrade", "--sql"]).ok();

        let out = w.run(Phone, &["test"]).ok();
        assert_eq!(
            out.last().map(String::as_str),
            Some("2 revisions, 1 tests, all passed"),
            "{kind}: {out:#?}"
        );
        // The configured database is where it was: at the first revision, no phone.
        assert_eq!(w.run(Phone, &["current"]).ok().len(), 1, "{kind}");

        // A downgrade written by hand that forgets the column: reported, exit 1.
        let broken = text.replacen(
            "[[downgrade]]\nop = \"drop_column\"",
            "[[downgrade]]\nop = \"sql\"\nsql = \"SELECT 1\"\nreverse = \"SELECT 1\"\n\n[[downgrade]]\nop = \"drop_column\"",
            1,
        );
        let broken = match broken.find("[[downgrade]]\nop = \"drop_column\"") {
            Some(at) => broken[..at].to_string(),
            None => panic!("{kind}: no drop_column downgrade in:\n{text}"),
        };
        std::fs::write(&file, &broken).expect("write");
        w.run(Phone, &["hash"]).ok();
        let run = w.run(Phone, &["test"]);
        assert_eq!(run.code, 1, "{kind}: {run:#?}");
        assert!(
            run.stdout.contains(&format!("FAILED {second}"))
                && run
                    .stdout
                    .contains("the downgrade does not restore the schema")
                && run.stdout.contains("phone"),
            "{kind}: {run:#?}"
        );
        assert!(
            run.stdout.contains("2 revisions, 0 tests, 2 failed"),
            "{kind}: {run:#?}"
        );
    }
}
