//! Stage 8, CLI (end to end): a `[naming]` convention in strata.toml on PostgreSQL. `init`
//! writes the commented example; with a team's own templates, autogenerate names every
//! constraint and index by them, `upgrade` creates them under those names, and `check` then
//! finds nothing to do; a template that cannot tell objects apart is refused naming the file
//! and the key, before any database is reached.

mod common;

use common::{Variant, Workdir};
use sqlx::Row;
use strata::testing::TestDb;

use Variant::Naming;

/// A convention in PostgreSQL's own style (`users_pkey`, `users_username_key`, ...).
const NAMING: &str = r#"
[naming]
pk = "%(table_name)s_pkey"
uq = "%(table_name)s_%(column_0_name)s_key"
ix = "idx_%(table_name)s_%(column_0_N_name)s"
fk = "%(table_name)s_%(column_0_name)s_fkey"
ck = "%(table_name)s_%(constraint_name)s_check"
"#;

/// The names of the constraints and indexes of the tables of the current schema, sorted.
async fn names_in(url: &str) -> Vec<String> {
    let mut db = strata::testing::connect(url).await.expect("connect");
    let rows = sqlx::query(
        "SELECT c.conname::text AS name FROM pg_constraint c \
           JOIN pg_class t ON t.oid = c.conrelid \
           JOIN pg_namespace n ON n.oid = t.relnamespace \
          WHERE n.nspname = current_schema() AND t.relname NOT LIKE 'strata_%' \
            AND c.contype IN ('p', 'u', 'f', 'c') \
         UNION \
         SELECT indexname::text FROM pg_indexes \
          WHERE schemaname = current_schema() AND tablename NOT LIKE 'strata_%'",
    )
    .fetch_all(db.conn())
    .await
    .expect("read the catalog");
    let mut names: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_custom_naming_convention_names_what_autogenerate_writes() {
    let db = TestDb::postgres("naming_e2e").await;
    let w = Workdir::new("naming", Some(&db.url));
    w.run(Naming, &["init"]).ok();
    let settings = w.path("migrations/strata.toml");
    let written = std::fs::read_to_string(&settings).expect("init wrote strata.toml");
    assert!(
        written.contains("\n# [naming]\n# pk = \"pk_%(table_name)s\"\n"),
        "{written}"
    );
    std::fs::write(&settings, format!("{written}{NAMING}")).expect("write [naming]");

    let rev = w
        .run(Naming, &["migrate", "-m", "create users and posts"])
        .generated();
    let file = std::fs::read_to_string(w.path(&format!(
        "migrations/versions/{rev}_create_users_and_posts.toml"
    )))
    .expect("the revision file");
    let expected = [
        "idx_posts_user_id",
        "idx_posts_user_id_title",
        "posts_pkey",
        "posts_title_key",
        "posts_title_len_check",
        "posts_user_id_fkey",
        "users_pkey",
        "users_username_key",
    ];
    for name in expected {
        assert!(
            file.contains(&format!("name = \"{name}\"")),
            "no `{name}` in the revision:\n{file}"
        );
    }
    for builtin in ["pk_", "uq_", "ix_", "fk_", "ck_"] {
        assert!(
            !file.contains(&format!("name = \"{builtin}")),
            "a built-in name in the revision:\n{file}"
        );
    }

    w.run(Naming, &["upgrade"]).ok();
    assert_eq!(names_in(&db.url).await, expected);
    assert_eq!(
        w.run(Naming, &["check"]).ok(),
        ["No new upgrade operations detected."]
    );
    // The offline script replays the file on the same convention.
    let sql = w.run(Naming, &["upgrade", "--sql", "head"]).ok().join("\n");
    assert!(sql.contains("\"posts_user_id_fkey\""), "{sql}");
}

#[test]
fn a_template_without_a_column_token_is_refused_before_connecting() {
    // Nothing listens on port 1: an error about the convention proves it came first.
    let w = Workdir::new("naming_bad", Some("postgres://nobody@127.0.0.1:1/none"));
    w.run(Naming, &["init"]).ok();
    let settings = w.path("migrations/strata.toml");
    let written = std::fs::read_to_string(&settings).expect("init wrote strata.toml");
    let bad = "\n[naming]\npk = \"%(table_name)s_pkey\"\nix = \"idx_%(table_name)s\"\n";
    std::fs::write(&settings, format!("{written}{bad}")).expect("write [naming]");
    let line = written.lines().count() + 4;
    for args in [
        &["upgrade"][..],
        &["check"][..],
        &["migrate", "-m", "x"][..],
    ] {
        let err = w.run(Naming, args).error("`naming.ix`");
        for needle in [
            format!("migrations/strata.toml:{line}: `naming.ix`"),
            "template \"idx_%(table_name)s\" has no column token".to_string(),
            "add `%(column_0_N_name)s`".to_string(),
        ] {
            assert!(err.contains(&needle), "{args:?}: no `{needle}` in: {err}");
        }
    }
}
