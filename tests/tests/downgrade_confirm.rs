//! Stage 8, CLI (end to end): a downgrade that destroys data asks on a terminal (a
//! pseudo-terminal from util-linux `script`), runs as asked without one, and `--yes` skips
//! the question. The database is unchanged when the answer is no.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use common::{binary, Variant, Workdir};
use strata::testing::TestDb;

use Variant::{Base, Phone};

/// One run of `migrate <args>` on a pseudo-terminal, `typed` sent to it as keyboard input.
struct TtyRun {
    code: i32,
    /// Everything the terminal showed (stdout and stderr, and the echoed input).
    screen: String,
}

fn run_on_tty(w: &Workdir, variant: Variant, args: &[&str], typed: &str) -> TtyRun {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut words = vec![quote(&binary(variant).display().to_string())];
    if let Some(url) = &w.url {
        words.push("--database-url".into());
        words.push(quote(url));
    }
    words.extend(args.iter().map(|a| quote(a)));
    let mut child = Command::new("script")
        .args(["-qec", &words.join(" "), "/dev/null"])
        .current_dir(&w.dir)
        .env_remove("DATABASE_URL")
        .env_remove("STRATA_DIRECTORY")
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs the command on a pseudo-terminal (apt-get install util-linux)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(typed.as_bytes())
        .expect("type");
    let out = child.wait_with_output().expect("script finishes");
    let run = TtyRun {
        code: out.status.code().unwrap_or(-1),
        screen: String::from_utf8_lossy(&out.stdout).replace('\r', ""),
    };
    assert!(!run.screen.contains("panicked"), "{}", run.screen);
    run
}

async fn phone_column_exists(url: &str) -> bool {
    let mut db = strata::testing::connect(url).await.expect("connect");
    sqlx::query("SELECT phone FROM users")
        .fetch_all(db.conn())
        .await
        .is_ok()
}

async fn confirm_on(url: &str) {
    let w = Workdir::new("confirm", Some(url));
    w.run(Base, &["init"]).ok();
    let rev1 = w.run(Base, &["migrate", "-m", "create users"]).generated();
    w.run(Base, &["upgrade"]).ok();
    let rev2 = w.run(Phone, &["migrate", "-m", "add phone"]).generated();
    w.run(Phone, &["upgrade"]).ok();
    let mut db = strata::testing::connect(url).await.expect("connect");
    sqlx::raw_sql(
        "INSERT INTO users (username, email, phone) VALUES ('ann', 'a@x', '555'), \
         ('bob', 'b@x', NULL)",
    )
    .execute(db.conn())
    .await
    .expect("rows");

    // A downgrade that destroys nothing asks nothing (an empty revision).
    let rev3 = w.run(Phone, &["revision", "-m", "nothing"]).generated();
    w.run(Phone, &["upgrade"]).ok();
    let quiet = run_on_tty(&w, Phone, &["downgrade"], "");
    assert_eq!(quiet.code, 0, "{}", quiet.screen);
    assert!(!quiet.screen.contains("WARNING"), "{}", quiet.screen);
    assert!(
        quiet
            .screen
            .contains(&format!("Running downgrade {rev3} -> {rev2}")),
        "{}",
        quiet.screen
    );

    // No: nothing changes, exit 1.
    let no = run_on_tty(&w, Phone, &["downgrade"], "n\n");
    assert_eq!(no.code, 1, "{}", no.screen);
    for needle in [
        "drops column 'users.phone' and its data (1 non-NULL value now)",
        &format!("revision {rev2} (add phone)"),
        "Downgrade anyway? [y/N]",
        "Error: downgrade cancelled; nothing was changed",
    ] {
        assert!(
            no.screen.contains(needle),
            "no `{needle}` in:\n{}",
            no.screen
        );
    }
    assert!(!no.screen.contains("Running downgrade"), "{}", no.screen);
    assert_eq!(w.run(Phone, &["current"]).ok(), std::slice::from_ref(&rev2));
    assert!(phone_column_exists(url).await);

    // An empty answer is no as well.
    let enter = run_on_tty(&w, Phone, &["downgrade"], "\n");
    assert_eq!(enter.code, 1, "{}", enter.screen);
    assert!(phone_column_exists(url).await);

    // Yes: it runs.
    let yes = run_on_tty(&w, Phone, &["downgrade"], "y\n");
    assert_eq!(yes.code, 0, "{}", yes.screen);
    assert!(
        yes.screen
            .contains(&format!("Running downgrade {rev2} -> {rev1}, add phone")),
        "{}",
        yes.screen
    );
    assert!(!phone_column_exists(url).await);

    // `--yes` on a terminal: the list, no question.
    w.run(Phone, &["upgrade"]).ok();
    let forced = run_on_tty(&w, Phone, &["downgrade", "base", "--yes"], "");
    assert_eq!(forced.code, 0, "{}", forced.screen);
    assert!(!forced.screen.contains("[y/N]"), "{}", forced.screen);
    for needle in [
        "this downgrade goes to base: it reverts every applied revision (3 revisions)",
        "drops table 'users' and all its rows (2 rows now)",
        &format!("Running downgrade {rev1} -> , create users"),
    ] {
        assert!(
            forced.screen.contains(needle),
            "no `{needle}` in:\n{}",
            forced.screen
        );
    }
    assert!(w.run(Phone, &["current"]).ok().is_empty());
}

#[tokio::test]
async fn a_destructive_downgrade_asks_on_a_terminal_sqlite() {
    let db = TestDb::sqlite("confirm");
    confirm_on(&db.url).await;
}

#[tokio::test]
async fn a_destructive_downgrade_asks_on_a_terminal_postgres() {
    let db = TestDb::postgres("confirm").await;
    confirm_on(&db.url).await;
}

/// A hand-written revision without `[[downgrade]]`: `show` and `downgrade --sql` show its
/// upgrade reversed; one with an `sql` step without `reverse` is refused by `downgrade`
/// (before anything runs) and shown as such.
#[test]
fn reversed_and_irreversible_downgrades_through_the_cli() {
    let db = TestDb::sqlite("reversed_cli");
    let w = Workdir::new("reversed", Some(&db.url));
    w.run(Base, &["init"]).ok();
    let versions = w.path("migrations/versions");
    std::fs::write(
        versions.join("aa01_notes.toml"),
        r#"revision = "aa01"
message = "notes"

[[upgrade]]
op = "create_table"

[upgrade.table]
name = "notes"
primary_key = { name = "pk_notes", columns = ["id"] }
columns = [{ name = "id", type = "integer" }]
"#,
    )
    .expect("write aa01");
    std::fs::write(
        versions.join("bb02_backfill.toml"),
        r#"revision = "bb02"
down_revision = "aa01"
message = "backfill"

[[upgrade]]
op = "sql"
sql = "INSERT INTO notes (id) VALUES (1)"
"#,
    )
    .expect("write bb02");
    // Revision files written by hand: recorded in strata.sum.
    w.run(Base, &["hash"]).ok();

    let show = w.run(Base, &["show", "aa01", "--sql"]).ok().join("\n");
    assert!(
        show.contains("Downgrade (the upgrade reversed: the file has no [[downgrade]]):"),
        "{show}"
    );
    assert!(show.contains(r#"DROP TABLE "notes";"#), "{show}");
    let show = w.run(Base, &["show", "bb02", "--sql"]).ok().join("\n");
    assert!(show.contains("(none possible) revision bb02"), "{show}");
    let offline = w
        .run(Base, &["downgrade", "--sql", "aa01:base"])
        .ok()
        .join("\n");
    assert!(offline.contains(r#"DROP TABLE "notes""#), "{offline}");

    w.run(Base, &["upgrade"]).ok();
    let err = w
        .run(Base, &["downgrade", "base", "--yes"])
        .error("revision bb02");
    for needle in [
        "bb02_backfill.toml",
        "step #1",
        "INSERT INTO notes (id) VALUES (1)",
    ] {
        assert!(err.contains(needle), "no `{needle}` in: {err}");
    }
    assert_eq!(w.run(Base, &["current"]).ok(), ["bb02 (head)"]);
    w.run(Base, &["downgrade", "--sql", "bb02:aa01"])
        .error("revision bb02");
}
