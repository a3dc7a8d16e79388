//! Stage 8, CLI (test support): a throwaway user project built once per test run, and a
//! runner for its `migrate` binary.
//!
//! The project is what the README tells users to write: models in a library (`e2e_app`),
//! the two-line `src/bin/migrate.rs`, and `strata` as a path dependency on this workspace's
//! `runtime`. It has a cargo feature `phone` that adds a column, so the "change the model"
//! step runs a second binary. Each variant is built once (shared target directory, so the
//! dependencies are the workspace's) and copied aside, since both are named `migrate`.

#![allow(dead_code, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The two builds of the user project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `User { id, username, email }`.
    Base,
    /// The same plus `phone: Option<String>`.
    Phone,
    /// `Base` plus the columns with defaults of the Flask-Migrate project that `adopt` takes
    /// over (tests/parity/flask_app.py): `created_at`, `active`, `score`, `role`.
    Legacy,
    /// `Base` plus `Post`, which has every kind of constraint and index without an explicit
    /// name: what a `[naming]` convention names.
    Naming,
}

const LIB_RS: &str = r#"//! Models of the end-to-end test project.
use strata::Model;

/// A user.
#[derive(Debug, Model)]
#[model(table = "users")]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(max_length = 80, unique)]
    pub username: String,
    #[model(max_length = 120)]
    pub email: String,
    #[cfg(feature = "phone")]
    #[model(max_length = 20)]
    pub phone: Option<String>,
    #[cfg(feature = "legacy")]
    #[model(default_sql = "CURRENT_TIMESTAMP")]
    pub created_at: chrono::NaiveDateTime,
    #[cfg(feature = "legacy")]
    #[model(default = true)]
    pub active: bool,
    #[cfg(feature = "legacy")]
    #[model(default = 0)]
    pub score: i32,
    #[cfg(feature = "legacy")]
    #[model(max_length = 20, default = "member")]
    pub role: String,
}

/// A post: a primary key, a unique constraint, a foreign key, single- and two-column indexes
/// and a check, none named explicitly.
#[cfg(feature = "naming")]
#[derive(Debug, Model)]
#[model(
    table = "posts",
    index(columns("user_id", "title")),
    check(name = "title_len", expr = "length(title) > 0")
)]
pub struct Post {
    #[model(primary_key)]
    pub id: i32,
    #[model(references = "users", index)]
    pub user_id: i32,
    #[model(max_length = 200, unique)]
    pub title: String,
}

/// The derive recognises types by path; the project needs no chrono for the column type.
#[cfg(feature = "legacy")]
pub mod chrono {
    /// Stands in for `chrono::NaiveDateTime`.
    #[derive(Debug)]
    pub struct NaiveDateTime;
}
"#;

const MIGRATE_RS: &str =
    "use e2e_app as _;\nfn main() -> std::process::ExitCode { strata::cli::main() }\n";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package is inside the workspace")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

/// The project directory (created once per test process).
fn project() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("strata-e2e-project-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src/bin")).expect("create the project directory");
        let ws = workspace();
        // The same profile as the workspace, so the shared target directory's dependencies
        // are reused instead of rebuilt.
        let manifest = format!(
            r#"[package]
name = "e2e-app"
version = "0.1.0"
edition = "2021"
publish = false

[features]
phone = []
legacy = []
naming = []

[dependencies]
strata = {{ path = {runtime:?} }}

[workspace]

[profile.dev.package."*"]
opt-level = 1
debug = false

[profile.dev.package.strata]
opt-level = 0
debug = "line-tables-only"

[profile.dev.package.strata-macros]
opt-level = 0
debug = "line-tables-only"

[profile.dev]
debug = "line-tables-only"
"#,
            runtime = ws.join("runtime").display().to_string()
        );
        std::fs::write(dir.join("Cargo.toml"), manifest).expect("write Cargo.toml");
        std::fs::write(dir.join("src/lib.rs"), LIB_RS).expect("write lib.rs");
        std::fs::write(dir.join("src/bin/migrate.rs"), MIGRATE_RS).expect("write migrate.rs");
        // The workspace's lock: the same dependency versions, nothing to resolve or download.
        std::fs::copy(ws.join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
        dir
    })
}

/// The `migrate` binary of `variant`, built on first use.
pub fn binary(variant: Variant) -> PathBuf {
    static BUILD: Mutex<()> = Mutex::new(());
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    static PHONE: OnceLock<PathBuf> = OnceLock::new();
    static LEGACY: OnceLock<PathBuf> = OnceLock::new();
    static NAMING: OnceLock<PathBuf> = OnceLock::new();
    let cell = match variant {
        Variant::Base => &BASE,
        Variant::Phone => &PHONE,
        Variant::Legacy => &LEGACY,
        Variant::Naming => &NAMING,
    };
    cell.get_or_init(|| {
        // One cargo at a time: both variants write target/debug/migrate.
        let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
        let dir = project();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--quiet", "--bin", "migrate"])
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", target_dir());
        match variant {
            Variant::Base => {}
            Variant::Phone => {
                cmd.args(["--features", "phone"]);
            }
            Variant::Legacy => {
                cmd.args(["--features", "legacy"]);
            }
            Variant::Naming => {
                cmd.args(["--features", "naming"]);
            }
        }
        let out = cmd.output().expect("run cargo build");
        assert!(
            out.status.success(),
            "building the e2e project ({variant:?}) failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let built = target_dir()
            .join("debug")
            .join(format!("migrate{}", std::env::consts::EXE_SUFFIX));
        let name = match variant {
            Variant::Base => "migrate-base",
            Variant::Phone => "migrate-phone",
            Variant::Legacy => "migrate-legacy",
            Variant::Naming => "migrate-naming",
        };
        let copy = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        std::fs::copy(&built, &copy).expect("copy the built binary aside");
        copy
    })
    .clone()
}

/// A working directory (the user's project root, where `migrations/` goes), removed on drop.
#[derive(Debug)]
pub struct Workdir {
    pub dir: PathBuf,
    /// The database URL passed with `--database-url` (None: not passed).
    pub url: Option<String>,
}

impl Workdir {
    pub fn new(tag: &str, url: Option<&str>) -> Workdir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "strata-e2e-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the working directory");
        Workdir {
            dir,
            url: url.map(str::to_string),
        }
    }

    /// Runs `migrate <args>` (with `--database-url` when the workdir has one).
    pub fn run(&self, variant: Variant, args: &[&str]) -> Run {
        self.run_env(variant, args, &[])
    }

    /// [`Workdir::run`] with extra environment variables.
    pub fn run_env(&self, variant: Variant, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(binary(variant));
        if let Some(url) = &self.url {
            cmd.args(["--database-url", url]);
        }
        cmd.args(args)
            .current_dir(&self.dir)
            .env_remove("DATABASE_URL")
            .env_remove("STRATA_DIRECTORY")
            .env_remove("NO_COLOR")
            .env_remove("EDITOR")
            .env_remove("VISUAL")
            .env("CARGO_PKG_NAME", "e2e-app")
            .env("RUST_BACKTRACE", "0");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run the migrate binary");
        let run = Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked"),
            "migrate panicked: {run:#?}"
        );
        run
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// The file of revision `rev` in `migrations/versions`.
    pub fn revision_file(&self, rev: &str) -> PathBuf {
        std::fs::read_dir(self.path("migrations/versions"))
            .expect("versions")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(rev))
            })
            .unwrap_or_else(|| panic!("no file for revision {rev}"))
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One finished run.
#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout lines of a command that writes, after its first line, which must say which
    /// database it uses and where the URL came from (`--database-url`, the password masked).
    #[track_caller]
    pub fn using(&self, url: &str) -> Vec<String> {
        let mut lines = self.ok();
        assert!(!lines.is_empty(), "no output: {self:#?}");
        assert_eq!(
            lines.remove(0),
            format!(
                "Using {} (from --database-url)",
                strata::testing::redact(url)
            ),
            "{self:#?}"
        );
        lines
    }

    /// Asserts exit 0 and returns the stdout lines.
    #[track_caller]
    pub fn ok(&self) -> Vec<String> {
        assert_eq!(self.code, 0, "expected success: {self:#?}");
        self.stdout.lines().map(str::to_string).collect()
    }

    /// Asserts exit `code` and returns stderr.
    #[track_caller]
    pub fn fails(&self, code: i32) -> String {
        assert_eq!(self.code, code, "expected exit {code}: {self:#?}");
        self.stderr.clone()
    }

    /// Asserts exit 1 with an `Error: ` line containing `needle`; returns stderr.
    #[track_caller]
    pub fn error(&self, needle: &str) -> String {
        let err = self.fails(1);
        assert!(
            err.starts_with("Error: ") && err.contains(needle),
            "expected `Error: ...{needle}...`: {self:#?}"
        );
        err
    }

    /// The revision id in a `Generating .../versions/<rev>_<slug>.toml ... done` line.
    #[track_caller]
    pub fn generated(&self) -> String {
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with("Generating ") && l.ends_with(" ... done"))
            .unwrap_or_else(|| panic!("no Generating line: {self:#?}"));
        let file = line
            .split("versions/")
            .nth(1)
            .unwrap_or_else(|| panic!("no versions/ path: {line}"));
        file.split(['_', '.'])
            .next()
            .expect("a revision id")
            .to_string()
    }
}

/// The `migrate` binary of `tests/fixtures/linkapp` (it only links the models' crate and
/// calls `strata::cli::main()`), built once per test process.
pub fn linkapp_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let out = Command::new(cargo)
            .args([
                "build",
                "-q",
                "-p",
                "strata-linkapp",
                "--bin",
                "migrate",
                "--message-format=json",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build");
        assert!(out.status.success(), "building the fixture binary failed");
        // Several workspace binaries are called `migrate`; take the one cargo just built.
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| {
                v["target"]["name"] == "migrate" && v["package_id"].to_string().contains("linkapp")
            })
            .find_map(|v| v["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported the fixture's executable")
    })
    .clone()
}

/// A directory removed on drop.
pub struct Dir(pub PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
