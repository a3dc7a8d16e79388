//! Stage 8, CLI (end to end): `online = true` in `strata.toml` is written into the revisions
//! `migrate` creates; an online revision's `upgrade --sql` shows the non-blocking forms
//! outside a transaction, with a backfill as a server-side loop; `upgrade` runs it on
//! PostgreSQL and the lint has no lock findings for it.

mod common;

use common::{Variant, Workdir};
use strata::dialect::DialectKind;
use strata::testing::TestDb;

use Variant::{Base, Phone};

#[tokio::test]
async fn online_revisions_from_settings_to_postgres() {
    let tdb = TestDb::new(DialectKind::Postgres, "online_e2e").await;
    let w = Workdir::new("online", Some(&tdb.url));
    w.run(Base, &["init"]).ok();
    let settings = w.path("migrations/strata.toml");
    let mut text = std::fs::read_to_string(&settings).expect("settings");
    text.push_str("online = true\n");
    std::fs::write(&settings, text).expect("settings");

    let first = w.run(Base, &["migrate", "-m", "users"]).generated();
    w.run(Base, &["upgrade"]).ok();
    let second = w.run(Phone, &["migrate", "-m", "phone"]).generated();
    w.run(Phone, &["upgrade"]).ok();
    let versions = w.path("migrations/versions");
    for rev in [&first, &second] {
        let text = std::fs::read_to_string(w.revision_file(rev)).expect("read");
        assert!(text.contains("\nonline = true\n"), "{text}");
    }
    // A hand-written third revision: an index and a NOT NULL column with a volatile default.
    let third = "0e0000000003";
    std::fs::write(
        versions.join(format!("{third}_index_and_token.toml")),
        format!(
            r#"revision = "{third}"
down_revision = "{second}"
message = "index and token"
online = true

[[upgrade]]
op = "create_index"
table = "users"
index = {{ name = "ix_users_email", columns = ["email"] }}

[[upgrade]]
op = "add_column"
table = "users"
column = {{ name = "token", type = "uuid", default = {{ sql = "gen_random_uuid()" }} }}
"#
        ),
    )
    .expect("third revision");
    // Written by hand: recorded in strata.sum.
    w.run(Phone, &["hash"]).ok();

    let sql = w.run(Phone, &["upgrade", "--sql"]).ok().join("\n");
    for part in [
        "-- Not transactional: runs outside a transaction",
        "CREATE INDEX CONCURRENTLY \"ix_users_email\" ON \"users\" (\"email\");",
        "DO $strata_batches$",
        "EXIT WHEN NOT FOUND;\n    COMMIT;",
        "VALIDATE CONSTRAINT \"strata_not_null_token\";",
    ] {
        assert!(sql.contains(part), "missing {part:?} in:\n{sql}");
    }
    // No lock findings for the online revision.
    let lint = w.run(Phone, &["lint"]);
    assert_eq!(lint.code, 0, "{lint:#?}");

    w.run(Phone, &["upgrade"]).ok();
    assert!(w.run(Phone, &["current"]).ok()[0].starts_with(third));
    // Its downgrade runs the online forms too (DROP INDEX CONCURRENTLY), and it runs again.
    let down = w
        .run_env(Phone, &["-v", "downgrade", "-1"], &[])
        .ok()
        .join("\n");
    assert!(down.contains("DROP INDEX CONCURRENTLY"), "{down}");
    assert!(w.run(Phone, &["current"]).ok()[0].starts_with(&second));
    w.run(Phone, &["upgrade"]).ok();
    assert!(w.run(Phone, &["current"]).ok()[0].starts_with(third));
}
