//! Stage 8, CLI (end to end): `migrate -m MSG --expand-contract` writes an expand revision
//! (compatible with the previous release) and a contract revision built on it; the previous
//! release's models pass the gate at the expand revision, and its inserts and selects still
//! work on the database upgraded to it (`upgrade expand@head`); the contract revision is where
//! the gate fails. On SQLite, PostgreSQL and MySQL.

mod common;

use common::{Variant, Workdir};
use sqlx::Executor;
use strata::dialect::DialectKind;
use strata::testing::TestDb;

use Variant::{Base, Phone};

#[tokio::test]
async fn a_breaking_change_in_two_revisions_sqlite() {
    a_breaking_change_in_two_revisions(DialectKind::Sqlite).await;
}

#[tokio::test]
async fn a_breaking_change_in_two_revisions_postgres() {
    a_breaking_change_in_two_revisions(DialectKind::Postgres).await;
}

#[tokio::test]
async fn a_breaking_change_in_two_revisions_mysql() {
    a_breaking_change_in_two_revisions(DialectKind::Mysql).await;
}

async fn a_breaking_change_in_two_revisions(kind: DialectKind) {
    let tdb = TestDb::new(kind, "expand_e2e").await;
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
    assert!(
        out.contains("`upgrade expand@head` (here revision "),
        "{out}"
    );
    let expand = out
        .split("(here revision ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("the expand revision in the plan")
        .to_string();
    // The two halves say which they are; `show` and the phase targets read it.
    let show = w.run(Base, &["show", &expand]).ok().join("\n");
    assert!(
        show.contains("Phase: expand (`upgrade expand@head`)"),
        "{show}"
    );
    let phases: Vec<String> = generated
        .iter()
        .map(|g| {
            let path = g
                .trim_start_matches("Generating ")
                .trim_end_matches(" ... done");
            let file = if std::path::Path::new(path).is_absolute() {
                std::path::PathBuf::from(path)
            } else {
                w.path(path)
            };
            let text = std::fs::read_to_string(file).expect("the generated file");
            text.lines()
                .find(|l| l.starts_with("phase = "))
                .unwrap_or("no phase")
                .to_string()
        })
        .collect();
    assert_eq!(phases, ["phase = \"expand\"", "phase = \"contract\""]);

    // The gate: fine at the expand revision, broken at the contract one.
    w.run(Base, &["compat", "--against", &snap, &expand]).ok();
    let broken = w.run(Base, &["compat", "--against", &snap]);
    assert_eq!(broken.code, 1, "{broken:#?}");
    assert!(
        broken.stdout.contains("users.phone: the column is gone"),
        "{broken:#?}"
    );

    // Before the deploy: the expand revision; the previous release still inserts and reads.
    w.run(Base, &["upgrade", "expand@head", "--compat", &snap])
        .ok();
    let current = w.run(Base, &["current"]).ok().join("\n");
    assert!(current.contains(&expand), "{current}");
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
