//! Stage 8, CLI (end to end): `migrate adopt` taking over a database that Flask-Migrate made
//! (real Alembic: tests/parity/flask_app.py), on SQLite, PostgreSQL and MySQL/MariaDB: the
//! baseline file, the stamp, `check` finding nothing when the models match, the report when
//! they do not, the refusals, and a fresh database upgraded through the baseline getting the
//! same schema.

mod common;

use std::path::{Path, PathBuf};

use common::{Variant, Workdir};
use sqlx::Row;
use strata::dialect::{DialectKind, IntrospectOptions};
use strata::schema::Schema;
use strata::testing::TestDb;

use Variant::{Base, Legacy};

/// The interpreter with the peer installed: `STRATA_PYTHON`, else the virtual environment
/// `scripts/test.sh` makes under the target directory, else `python3`.
fn python() -> String {
    if let Ok(p) = std::env::var("STRATA_PYTHON") {
        return p;
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let venv = target.join("parity-venv/bin/python");
    if venv.exists() {
        venv.display().to_string()
    } else {
        "python3".into()
    }
}

/// Builds the Flask-Migrate project's database at `url` with real Alembic (autogenerate, then
/// upgrade); returns the Alembic revision it is at.
fn flask_db_upgrade(url: &str) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("parity/flask_app.py");
    let python = python();
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg(url)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{python} {} {url} failed: {}\n{}\nThe peer is installed by `bash scripts/test.sh` \
         (tests/parity/requirements.txt; STRATA_PYTHON overrides the interpreter)",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("the revision id")
        .trim()
        .to_string()
}

async fn schema_of(url: &str) -> Schema {
    let mut db = strata::testing::connect(url).await.expect("connect");
    let dialect = db.dialect();
    strata::testing::introspect(db.conn(), dialect, &IntrospectOptions::default())
        .await
        .expect("introspect")
        .schema
}

async fn alembic_rows(url: &str) -> Vec<String> {
    let mut db = strata::testing::connect(url).await.expect("connect");
    sqlx::query("SELECT version_num FROM alembic_version")
        .fetch_all(db.conn())
        .await
        .expect("read alembic_version")
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect()
}

async fn adopt_flask_migrate_database(kind: DialectKind) {
    let db = TestDb::new(kind, "adopt").await;
    let alembic_rev = flask_db_upgrade(&db.url);
    let w = Workdir::new("adopt", Some(&db.url));
    w.run(Legacy, &["init"]).ok();

    let run = w.run(Legacy, &["adopt"]);
    let rev = run.generated();
    let (warnings, lines): (Vec<String>, Vec<String>) = run
        .using(&db.url)
        .into_iter()
        .partition(|l| l.starts_with("WARNING: "));
    // SQLAlchemy writes no AUTOINCREMENT on SQLite (see docs/parity.md); no op changes it.
    let expected_warnings = match kind {
        DialectKind::Sqlite => vec![
            "WARNING: 'users.id' has autoincrement in the models but not in the database; no \
             operation changes this safely, so it is left as it is: write an `sql` step by hand \
             if it must change"
                .to_string(),
        ],
        _ => vec![],
    };
    assert_eq!(warnings, expected_warnings);
    let file = format!("migrations/versions/{rev}_baseline_adopted_from_the_live_database.toml");
    assert_eq!(
        lines,
        [
            "Adopting 1 table as they are: users".to_string(),
            "Leaving `alembic_version` as it is (another tool's version table; drop it once \
             that tool no longer runs against this database)"
                .to_string(),
            format!("Generating {file} ... done"),
            format!(
                "Stamped the database with {rev} (the baseline was not run: the database has it \
                 already)"
            ),
            "The models match the database.".to_string(),
        ],
        "{run:#?}"
    );
    // The baseline creates the live table, and nothing of Alembic's.
    let text = std::fs::read_to_string(w.path(&file)).expect("the baseline file");
    assert!(text.contains("op = \"create_table\""), "{text}");
    assert!(text.contains("name = \"users\""), "{text}");
    assert!(!text.contains("alembic_version"), "{text}");

    // Stamped, not run; Alembic's table as it was.
    assert_eq!(w.run(Legacy, &["current"]).ok(), [format!("{rev} (head)")]);
    assert_eq!(alembic_rows(&db.url).await, [alembic_rev]);
    // The models match: no spurious differences from the spellings Alembic used.
    assert_eq!(
        w.run(Legacy, &["check"]).ok(),
        ["No new upgrade operations detected."]
    );
    let mut autogenerated = w.run(Legacy, &["migrate", "-m", "nothing"]).using(&db.url);
    autogenerated.retain(|l| !expected_warnings.contains(l));
    assert_eq!(autogenerated, ["No changes in schema detected."]);

    // Refusals, before anything changes.
    w.run(Legacy, &["adopt"]).error("already has 1 revision(s)");
    let other = Workdir::new("adopt_again", Some(&db.url));
    other.run(Legacy, &["init"]).ok();
    other
        .run(Legacy, &["adopt"])
        .error("the database already has Strata version rows");
    assert_eq!(
        std::fs::read_dir(other.path("migrations/versions"))
            .expect("versions")
            .filter(|e| e
                .as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "toml")))
            .count(),
        0,
        "a refused adopt writes no file"
    );

    // A fresh database upgraded through the baseline has the adopted schema.
    let fresh = TestDb::new(kind, "adopt_fresh").await;
    let f = Workdir::new("adopt_fresh", Some(&fresh.url));
    let dir = w.path("migrations").display().to_string();
    f.run(Legacy, &["-d", &dir, "upgrade"]).ok();
    let mut adopted = schema_of(&db.url).await;
    adopted.tables.remove("alembic_version");
    let upgraded = schema_of(&fresh.url).await;
    assert_eq!(
        strata::testing::canonical(&upgraded),
        strata::testing::canonical(&adopted)
    );
    assert_eq!(
        f.run(Legacy, &["-d", &dir, "check"]).ok(),
        ["No new upgrade operations detected."]
    );
}

/// Models that disagree with the adopted database: the baseline is still the live schema, and
/// the differences are listed with the next command to run.
async fn adopt_reports_model_differences(kind: DialectKind) {
    let db = TestDb::new(kind, "adopt_diff").await;
    flask_db_upgrade(&db.url);
    let w = Workdir::new("adopt_diff", Some(&db.url));
    w.run(Base, &["init"]).ok();
    let run = w.run(Base, &["adopt", "-m", "from flask"]);
    let rev = run.generated();
    let lines = run.using(&db.url);
    let tail: Vec<&str> = lines
        .iter()
        .skip(4)
        .map(String::as_str)
        .filter(|l| !l.starts_with("WARNING: "))
        .collect();
    assert_eq!(
        tail,
        [
            "The models differ from the database (not part of the baseline):",
            "  Detected removed column 'users.created_at'",
            "  Detected removed column 'users.active'",
            "  Detected removed column 'users.score'",
            "  Detected removed column 'users.role'",
            "Run `migrate -m \"<message>\"` next to generate a revision for these differences.",
        ],
        "{run:#?}"
    );
    assert!(w
        .path(&format!("migrations/versions/{rev}_from_flask.toml"))
        .is_file());
    assert_eq!(w.run(Base, &["current"]).ok(), [format!("{rev} (head)")]);
    w.run(Base, &["check"]).fails(1);
}

#[tokio::test]
async fn adopt_sqlite() {
    adopt_flask_migrate_database(DialectKind::Sqlite).await;
    adopt_reports_model_differences(DialectKind::Sqlite).await;
}

#[tokio::test]
async fn adopt_postgres() {
    adopt_flask_migrate_database(DialectKind::Postgres).await;
    adopt_reports_model_differences(DialectKind::Postgres).await;
}

#[tokio::test]
async fn adopt_mysql() {
    adopt_flask_migrate_database(DialectKind::Mysql).await;
}

#[tokio::test]
async fn adopt_refuses_an_empty_database() {
    let db = TestDb::sqlite("adopt_empty");
    let w = Workdir::new("adopt_empty", Some(&db.url));
    w.run(Base, &["init"]).ok();
    w.run(Base, &["adopt"])
        .error("the database has no tables to adopt");
}
