//! Stage 8, CLI (end to end): `migrate -m MSG --expand-contract` writes an expand revision
//! (compatible with the previous release) and a contract revision built on it; the previous
//! release's models pass the gate at the expand revision, and its inserts and selects still
//! work on the database upgraded to it; the contract revision is where the gate fails.

mod common;

use common::{Variant, Workdir};
use sqlx::Executor;
use strata::testing::TestDb;

use Variant::{Base, Phone};

#[tokio::test]
async fn a_breaking_change_in_two_revisions() {
    let tdb = TestDb::sqlite("expand_e2e");
    let w = Workdir::new("expand", Some(&tdb.url));
    w.run(Base, &["init"]).ok();
    let first = w.run(Phone, &["migrate", "-m", "users"]).generated();
    // A hand-written revision removes `email`: the previous release runs without it.
    let second = "0e0000000002";
    std::fs::write(
        w.path(&format!("migrations/versions/{second}_drop_email.toml")),
        format!(
            "revision = \"{second}\"\ndown_revision = \"{first}\"\nmessage = \"drop email\"\n\n\
             [[upgrade]]\nop = \"drop_column\"\ntable = \"users\"\n\
             column = {{ name = \"email\", type = \"varchar(120)\" }}\n"
        ),
    )
    .expect("write");
    w.run(Phone, &["hash"]).ok();
    w.run(Phone, &["upgrade", "--allow-unsafe"]).ok();
    // The previous release: the Phone models without `email`.
    let json = w.run(Phone, &["models", "--json"]).ok().join("\n");
    let mut snapshot: serde_json::Value = serde_json::from_str(&json).expect("json");
    let columns = snapshot["tables"][0]["columns"]
        .as_array_mut()
        .expect("columns");
    columns.retain(|c| c["name"] != "email");
    let snap = w.path("previous.json");
    std::fs::write(&snap, snapshot.to_string()).expect("snapshot");
    let snap = snap.to_string_lossy().into_owned();
    w.run(Phone, &["compat", "--against", &snap]).ok();

    // The next release (Base): `email` back as NOT NULL without a default, `phone` gone.
    let run = w.run(Base, &["migrate", "-m", "contact", "--expand-contract"]);
    let out = run.ok().join("\n");
    let generated: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("Generating "))
        .collect();
    assert_eq!(generated.len(), 2, "{out}");
    assert!(generated[0].contains("contact_expand"), "{out}");
    assert!(generated[1].contains("contact_contract"), "{out}");
    let expand = out
        .split("`upgrade ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .expect("the expand revision in the plan")
        .to_string();

    // The gate: fine at the expand revision, broken at the contract one.
    w.run(Base, &["compat", "--against", &snap, &expand]).ok();
    let broken = w.run(Base, &["compat", "--against", &snap]);
    assert_eq!(broken.code, 1, "{broken:#?}");
    assert!(
        broken.stdout.contains("users.phone: the column is gone"),
        "{broken:#?}"
    );

    // Before the deploy: the expand revision; the previous release still inserts and reads.
    w.run(Base, &["upgrade", &expand, "--compat", &snap]).ok();
    let mut db = strata::testing::connect(&tdb.url).await.expect("connect");
    db.conn()
        .execute("INSERT INTO users (id, username, phone) VALUES (7, 'ann', '555')")
        .await
        .expect("the previous release's insert");
    db.conn()
        .execute("SELECT id, username, phone FROM users")
        .await
        .expect("the previous release's select");
    db.close().await;
    // The contract revision needs the row filled first (email NOT NULL): the upgrade says so.
    w.run(Base, &["upgrade", "--compat", &snap])
        .error("would break the app built from");
}
