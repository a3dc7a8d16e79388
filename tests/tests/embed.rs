//! `embed_migrations!`: migration files compiled into the binary, applied without the directory.

use strata::testing::TestDb;
use strata::{Migrator, RunOptions};

static EMBEDDED: strata::embed::Embedded = strata::embed_migrations!("fixtures/embedded");

#[test]
fn every_file_and_the_settings_are_embedded() {
    let names: Vec<&str> = EMBEDDED.files.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "0a0000000001_create_notes.toml",
            "0b0000000002_add_pinned.toml"
        ]
    );
    for f in EMBEDDED.files {
        let on_disk = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/embedded/versions")
                .join(f.name),
        )
        .expect("fixture");
        assert_eq!(f.text, on_disk);
    }
    let m = Migrator::from_embedded(&EMBEDDED).expect("valid");
    assert!(m.settings().transaction_per_migration);
    assert_eq!(m.graph().heads(), ["0b0000000002"]);
}

#[tokio::test]
async fn embedded_migrations_apply_without_the_directory() {
    for kind in [
        strata::dialect::DialectKind::Sqlite,
        strata::dialect::DialectKind::Postgres,
    ] {
        let m = Migrator::from_embedded(&EMBEDDED).expect("valid");
        let tdb = TestDb::new(kind, "embed").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        assert!(!m.is_up_to_date(&mut db).await.expect("check"));
        let steps = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("upgrade");
        assert_eq!(steps.len(), 2);
        assert!(m.is_up_to_date(&mut db).await.expect("check"));
    }
}

/// A new migration file is picked up on the next `cargo build` when the crate has the
/// one-line build script the docs prescribe (the stale-embed problem of `include_dir`-style
/// macros). Builds a throwaway crate that embeds a directory, adds a file, builds again.
#[test]
fn a_new_file_is_embedded_on_the_next_build() {
    use std::path::Path;
    use std::process::Command;

    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace");
    let root = std::env::temp_dir().join(format!("strata-embed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("src")).expect("mkdir");
    let manifest = format!(
        "[package]\nname = \"embedcheck\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nstrata = {{ path = {:?} }}\n\n[workspace]\n\n\
         [profile.dev]\ndebug = \"line-tables-only\"\n\n[profile.dev.package.\"*\"]\nopt-level = 1\ndebug = false\n",
        workspace.join("runtime")
    );
    std::fs::write(root.join("Cargo.toml"), manifest).expect("manifest");
    std::fs::copy(workspace.join("Cargo.lock"), root.join("Cargo.lock")).expect("lock");
    std::fs::write(
        root.join("build.rs"),
        "fn main() { println!(\"cargo:rerun-if-changed=migrations\"); }\n",
    )
    .expect("build.rs");
    std::fs::write(
        root.join("src/main.rs"),
        "static M: strata::embed::Embedded = strata::embed_migrations!(\"migrations\");\n\
         fn main() { println!(\"{}\", M.files.len()); }\n",
    )
    .expect("main.rs");
    let versions = root.join("migrations/versions");
    std::fs::create_dir_all(&versions).expect("versions");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/embedded/versions");
    std::fs::copy(
        fixtures.join("0a0000000001_create_notes.toml"),
        versions.join("0a0000000001_create_notes.toml"),
    )
    .expect("copy");

    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| workspace.join("target"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let run = || {
        let out = Command::new(&cargo)
            .args(["run", "-q", "--offline"])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo run failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(run(), "1");
    std::fs::copy(
        fixtures.join("0b0000000002_add_pinned.toml"),
        versions.join("0b0000000002_add_pinned.toml"),
    )
    .expect("copy");
    assert_eq!(
        run(),
        "2",
        "the new file must be embedded on the next build"
    );
    let _ = std::fs::remove_dir_all(&root);
}
