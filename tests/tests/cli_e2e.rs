//! Stage 8, CLI (end to end): a user project's `migrate` binary driven through the seed
//! workflow on SQLite, PostgreSQL and MySQL/MariaDB (`mysql://` and `mariadb://` URLs), and
//! the error paths, with exact exit codes. Where MySQL differs (its DDL commits statement by
//! statement, so a failed revision is partially applied), the workflow asserts the difference.

mod common;

use common::{Variant, Workdir};
use sqlx::Row;
use strata::dialect::DialectKind;
use strata::testing::TestDb;

use Variant::{Base, Phone};

async fn users(url: &str) -> Vec<(String, Option<String>)> {
    let mut db = strata::testing::connect(url).await.expect("connect");
    let has_phone = sqlx::query("SELECT phone FROM users")
        .fetch_all(db.conn())
        .await
        .is_ok();
    let sql = if has_phone {
        "SELECT username, phone FROM users ORDER BY id"
    } else {
        "SELECT username, NULL AS phone FROM users ORDER BY id"
    };
    sqlx::query(sql)
        .fetch_all(db.conn())
        .await
        .expect("select users")
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<Option<String>, _>(1)))
        .collect()
}

async fn exec(url: &str, sql: &str) {
    let mut db = strata::testing::connect(url).await.expect("connect");
    sqlx::raw_sql(sql)
        .execute(db.conn())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn table_exists(url: &str, table: &str) -> bool {
    let mut db = strata::testing::connect(url).await.expect("connect");
    sqlx::query(&format!("SELECT 1 FROM {table}"))
        .fetch_all(db.conn())
        .await
        .is_ok()
}

/// The open interruption records in the audit log (steps outside a transaction that have
/// not finished).
async fn open_records(url: &str) -> i64 {
    let mut db = strata::testing::connect(url).await.expect("connect");
    sqlx::query(
        "SELECT COUNT(*) FROM strata_log WHERE direction IN ('up-run', 'down-run') \
         AND finished_at = ''",
    )
    .fetch_one(db.conn())
    .await
    .expect("count the open records")
    .get::<i64, _>(0)
}

/// init, migrate, upgrade, rows, a new column, history/current/heads/show/check, downgrade,
/// stamp, revision, a branch and its merge, offline SQL, and a revision whose second
/// statement fails.
async fn seed_workflow(url: &str) {
    let kind = DialectKind::from_url(url).expect("a built-in dialect");
    let mysql = kind == DialectKind::Mysql;
    // An identifier as the dialect quotes it in SQL.
    let q = |ident: &str| {
        if mysql {
            format!("`{ident}`")
        } else {
            format!("\"{ident}\"")
        }
    };
    let w = Workdir::new("seed", Some(url));

    // init
    let lines = w.run(Base, &["init"]).ok();
    assert_eq!(lines[0], "Creating directory migrations ... done");
    assert!(w.path("migrations/strata.toml").is_file());
    assert!(w.path("migrations/README").is_file());
    assert!(w.path("migrations/versions").is_dir());
    w.run(Base, &["init"])
        .error("Directory migrations already exists and is not empty");

    // The first revision.
    let run = w.run(Base, &["migrate", "-m", "create users"]);
    let lines = run.using(url);
    assert_eq!(lines[0], "Detected added table 'users'");
    let rev1 = run.generated();
    assert_eq!(
        lines[1],
        format!("Generating migrations/versions/{rev1}_create_users.toml ... done")
    );
    // Behind: the file exists but the database is at base.
    let err = w
        .run(Base, &["migrate", "-m", "again"])
        .error("Target database is not up to date.");
    assert!(err.contains("hint: "), "{err}");
    w.run(Base, &["check"])
        .error("Target database is not up to date.");

    assert_eq!(
        w.run(Base, &["upgrade"]).using(url),
        [format!("Running upgrade  -> {rev1}, create users")]
    );
    assert_eq!(w.run(Base, &["current"]).ok(), [format!("{rev1} (head)")]);
    assert_eq!(
        w.run(Base, &["check"]).ok(),
        ["No new upgrade operations detected."]
    );
    assert_eq!(
        w.run(Base, &["migrate", "-m", "nothing"]).using(url),
        ["No changes in schema detected."]
    );
    exec(
        url,
        "INSERT INTO users (username, email) VALUES ('ann', 'ann@example.com');
         INSERT INTO users (username, email) VALUES ('bob', 'bob@example.com')",
    )
    .await;

    // The model gains a column.
    let run = w.run(Phone, &["check"]);
    run.fails(1);
    assert!(
        run.stdout.contains("Detected added column 'users.phone'"),
        "{run:#?}"
    );
    let run = w.run(Phone, &["migrate", "-m", "add phone"]);
    assert_eq!(run.using(url)[0], "Detected added column 'users.phone'");
    let rev2 = run.generated();
    assert_eq!(
        w.run(Phone, &["upgrade"]).using(url),
        [format!("Running upgrade {rev1} -> {rev2}, add phone")]
    );
    let ann_bob = vec![("ann".to_string(), None), ("bob".to_string(), None)];
    assert_eq!(users(url).await, ann_bob, "rows survive the new column");
    w.run(Phone, &["check"]).ok();

    // Looking around.
    assert_eq!(
        w.run(Phone, &["history"]).ok(),
        [
            format!("{rev1} -> {rev2} (head), add phone"),
            format!("<base> -> {rev1}, create users"),
        ]
    );
    let verbose = w.run(Phone, &["history", "-v"]).ok().join("\n");
    for needle in [
        format!("Rev: {rev2} (head)"),
        format!("Parent: {rev1}"),
        format!("Revision ID: {rev1}"),
        "Parent: <base>".to_string(),
        "Create Date: ".to_string(),
        format!("Path: migrations/versions/{rev2}_add_phone.toml"),
    ] {
        assert!(verbose.contains(&needle), "{needle} in\n{verbose}");
    }
    assert_eq!(w.run(Phone, &["current"]).ok(), [format!("{rev2} (head)")]);
    assert_eq!(w.run(Phone, &["heads"]).ok(), [format!("{rev2} (head)")]);
    let show = w.run(Phone, &["show", &rev2[..4]]).ok().join("\n");
    assert!(
        show.starts_with(&format!("Rev: {rev2} (head)\nParent: {rev1}")),
        "{show}"
    );
    assert!(
        show.contains("Upgrade:\n    added column 'users.phone'"),
        "{show}"
    );
    assert!(
        show.contains("Downgrade:\n    removed column 'users.phone'"),
        "{show}"
    );
    let show_sql = w.run(Phone, &["show", &rev2, "--sql"]).ok().join("\n");
    assert!(
        show_sql.contains(&format!(
            "ALTER TABLE {} ADD COLUMN {}",
            q("users"),
            q("phone")
        )),
        "{show_sql}"
    );

    // Down and up again. Stdin is not a terminal: the loss is listed, no question asked.
    assert_eq!(
        w.run(Phone, &["downgrade"]).using(url),
        [
            "WARNING: this downgrade (1 revision) destroys data that is not restored by \
             upgrading again:"
                .to_string(),
            format!(
                "WARNING:   revision {rev2} (add phone): drops column 'users.phone' and its \
                 data (0 non-NULL values now)"
            ),
            format!("Running downgrade {rev2} -> {rev1}, add phone"),
        ]
    );
    assert_eq!(w.run(Phone, &["current"]).ok(), std::slice::from_ref(&rev1));
    assert_eq!(
        users(url).await,
        ann_bob,
        "rows survive dropping the column"
    );
    assert_eq!(
        w.run(Phone, &["history", "-i"]).ok(),
        [
            format!("{rev1} -> {rev2} (head), add phone"),
            format!("<base> -> {rev1} (current), create users"),
        ]
    );
    assert_eq!(
        w.run(Phone, &["downgrade", "base", "--yes"]).using(url),
        [
            "WARNING: this downgrade goes to base: it reverts every applied revision (1 \
             revision)"
                .to_string(),
            "WARNING: this downgrade (1 revision) destroys data that is not restored by \
             upgrading again:"
                .to_string(),
            format!(
                "WARNING:   revision {rev1} (create users): drops table 'users' and all its rows \
                 (2 rows now)"
            ),
            format!("Running downgrade {rev1} -> , create users"),
        ]
    );
    assert!(w.run(Phone, &["current"]).ok().is_empty());
    assert!(!table_exists(url, "users").await);
    assert_eq!(
        w.run(Phone, &["upgrade", "head"]).using(url),
        [
            format!("Running upgrade  -> {rev1}, create users"),
            format!("Running upgrade {rev1} -> {rev2}, add phone"),
        ]
    );
    exec(
        url,
        "INSERT INTO users (username, email) VALUES ('cy', 'cy@example.com')",
    )
    .await;
    let cy = vec![("cy".to_string(), None)];
    assert!(w.run(Phone, &["-q", "downgrade", "-1"]).ok().is_empty());
    w.run(Phone, &["-q", "upgrade"]).ok();

    // stamp
    assert_eq!(
        w.run(Phone, &["stamp", &rev1]).using(url),
        [format!("Running stamp_revision {rev2} -> {rev1}")]
    );
    assert_eq!(w.run(Phone, &["current"]).ok(), std::slice::from_ref(&rev1));
    w.run(Phone, &["stamp", "head"]).ok();
    assert_eq!(w.run(Phone, &["current"]).ok(), [format!("{rev2} (head)")]);

    // An empty revision, a branch from rev2, and the merge.
    let rev3 = w.run(Phone, &["revision", "-m", "data fix"]).generated();
    let text =
        std::fs::read_to_string(w.path(&format!("migrations/versions/{rev3}_data_fix.toml")))
            .expect("read the empty revision");
    assert!(
        text.contains(&format!("down_revision = \"{rev2}\"")),
        "{text}"
    );
    let run = w.run(Phone, &["revision", "-m", "other branch", "--head", &rev2]);
    run.error("is not a head; pass --splice");
    let rev4 = w
        .run(
            Phone,
            &[
                "revision",
                "-m",
                "other branch",
                "--head",
                &rev2,
                "--splice",
            ],
        )
        .generated();
    let mut heads = w.run(Phone, &["heads"]).ok();
    heads.sort();
    let mut expected = vec![format!("{rev3} (head)"), format!("{rev4} (head)")];
    expected.sort();
    assert_eq!(heads, expected);
    let branches = w.run(Phone, &["branches"]).ok();
    assert_eq!(branches[0], format!("{rev2} (branchpoint)"));
    assert_eq!(branches.len(), 3, "{branches:?}");
    assert!(branches[1..]
        .iter()
        .all(|l| l.starts_with(&format!("{} -> ", " ".repeat(rev2.len())))));
    w.run(Phone, &["check"]).error("several heads");
    w.run(Phone, &["upgrade"]).error("several heads");
    let merge = w.run(Phone, &["merge", "-m", "join"]).generated();
    let history = w.run(Phone, &["history"]).ok();
    assert!(
        history[0] == format!("{rev3}, {rev4} -> {merge} (head) (mergepoint), join")
            || history[0] == format!("{rev4}, {rev3} -> {merge} (head) (mergepoint), join"),
        "{history:?}"
    );
    assert!(
        history
            .iter()
            .any(|l| l.starts_with(&format!("{rev1} -> {rev2} (branchpoint)"))),
        "{history:?}"
    );
    let ran = w.run(Phone, &["upgrade"]).using(url);
    assert_eq!(ran.len(), 3, "{ran:?}");
    let parents = &history[0][..history[0].find(" -> ").unwrap_or(0)];
    assert_eq!(
        ran[2],
        format!("Running upgrade {parents} -> {merge}, join")
    );
    assert_eq!(
        w.run(Phone, &["current"]).ok(),
        [format!("{merge} (head) (mergepoint)")]
    );
    w.run(Phone, &["current", "--check-heads"]).ok();
    w.run(Phone, &["check"]).ok();
    assert_eq!(users(url).await, cy);

    // Offline SQL for the URL's dialect, without touching the database.
    let sql = w.run(Phone, &["upgrade", "--sql"]).ok().join("\n");
    assert!(
        sql.contains(&format!("-- Running upgrade  -> {rev1}, create users")),
        "{sql}"
    );
    assert!(
        sql.contains(&format!("CREATE TABLE {}", q("users"))),
        "{sql}"
    );
    let down = w
        .run(Phone, &["downgrade", "--sql", &format!("{rev2}:{rev1}")])
        .ok()
        .join("\n");
    assert!(
        down.contains(&format!("DROP COLUMN {}", q("phone"))),
        "{down}"
    );
    // Where the script's transactions are: around everything on SQLite and PostgreSQL; on
    // MySQL, whose DDL commits implicitly, each revision's DDL runs on its own and only the
    // version rows are a transaction.
    let create = sql
        .find(&format!("CREATE TABLE {}", q("users")))
        .expect("CREATE TABLE users");
    let before = &sql[..create];
    let last_begin = before.rfind("BEGIN;").expect("a BEGIN before the DDL");
    if mysql {
        let note = "-- mysql commits each DDL statement: they run one by one, outside a \
                    transaction\n";
        assert!(
            before.ends_with(&format!(
                "{note}-- Running upgrade  -> {rev1}, create users\n\n"
            )),
            "{sql}"
        );
        assert!(
            before[last_begin..].contains("COMMIT;"),
            "the DDL of a revision is outside any transaction on MySQL:\n{sql}"
        );
        // Once per revision with DDL; the three empty ones only move version rows, in a
        // transaction.
        assert_eq!(sql.matches(note).count(), 2, "{sql}");
        assert!(down.contains(note), "{down}");
    } else {
        assert!(
            !before[last_begin..].contains("COMMIT;"),
            "the DDL of a revision is inside the script's transaction:\n{sql}"
        );
        assert!(!sql.contains("commits each DDL statement"), "{sql}");
        assert_eq!(sql.matches("COMMIT;").count(), 1, "one transaction: {sql}");
    }

    // A revision whose second statement fails: SQLite and PostgreSQL roll the whole revision
    // back; MySQL keeps the first statement (its DDL commits implicitly), says the revision is
    // partially applied, resumes it once the cause is fixed, or reverses what ran.
    let bad = "dddd00000001";
    let bad_file = format!("migrations/versions/{bad}_broken.toml");
    std::fs::write(
        w.path(&bad_file),
        format!(
            "revision = \"{bad}\"\ndown_revision = \"{merge}\"\nmessage = \"broken\"\n\n\
             [[upgrade]]\nop = \"sql\"\nsql = \"CREATE TABLE t_partial (id integer)\"\n\
             reverse = \"DROP TABLE t_partial\"\n\n\
             [[upgrade]]\nop = \"sql\"\nsql = \"INSERT INTO t_missing (id) VALUES (1)\"\n\
             reverse = \"DELETE FROM t_missing WHERE id = 1\"\n"
        ),
    )
    .expect("write the failing revision");
    // A revision file written by hand: recorded in strata.sum first.
    w.run(Phone, &["hash"]).ok();
    let failed = w.run(Phone, &["upgrade"]);
    let err = failed.error("t_missing");
    assert!(err.contains(&format!("revision {bad}")), "{err}");
    assert_eq!(
        w.run(Phone, &["current"]).ok()[0],
        format!("{merge} (mergepoint)"),
        "the version rows did not move"
    );
    assert!(users(url).await == cy, "the rows are untouched");
    if mysql {
        assert!(
            err.contains(&format!(
                "revision {bad} partially applied: 1 of 2 statements ran and stay (mysql \
                 commits each DDL statement on its own"
            )),
            "{err}"
        );
        assert!(err.contains("`upgrade` resumes it at statement 2"), "{err}");
        assert!(!err.contains("CONCURRENTLY"), "a PostgreSQL remedy: {err}");
        assert!(
            table_exists(url, "t_partial").await,
            "the first statement stays"
        );
        assert_eq!(open_records(url).await, 1);
        let current = w.run(Phone, &["current"]).ok().join("\n");
        assert!(
            current.contains(&format!(
                "WARNING: revision {bad} partially applied: 1 of 2 statements"
            )) && current.contains("resumes at statement 2"),
            "{current}"
        );
        w.run(Phone, &["check"]).fails(1);
        // `downgrade` reverses the statement that ran, and only that: no data-loss warning
        // about the revisions below.
        assert_eq!(
            w.run(Phone, &["downgrade"]).using(url),
            [format!(
                "Running downgrade {bad} (partial) -> {merge}, broken (reversing 1 statement(s))"
            )]
        );
        assert!(!table_exists(url, "t_partial").await);
        assert_eq!(open_records(url).await, 0);
        assert_eq!(
            w.run(Phone, &["current"]).ok(),
            [format!("{merge} (mergepoint)")]
        );
        // Fails again; this time the cause is fixed and `upgrade` resumes at statement 2.
        w.run(Phone, &["upgrade"])
            .error("partially applied: 1 of 2 statements ran");
        exec(url, "CREATE TABLE t_missing (id integer)").await;
        assert_eq!(
            w.run(Phone, &["upgrade"]).using(url),
            [
                format!("Running upgrade {merge} -> {bad}, broken"),
                format!("Resuming revision {bad} at statement 2 of 2"),
            ]
        );
    } else {
        assert!(!err.contains("partially applied"), "{err}");
        assert!(
            !table_exists(url, "t_partial").await,
            "the revision was rolled back whole"
        );
        exec(url, "CREATE TABLE t_missing (id integer)").await;
        assert_eq!(
            w.run(Phone, &["upgrade"]).using(url),
            [format!("Running upgrade {merge} -> {bad}, broken")]
        );
    }
    assert!(table_exists(url, "t_partial").await);
    assert_eq!(open_records(url).await, 0);
    assert_eq!(w.run(Phone, &["current"]).ok(), [format!("{bad} (head)")]);
    w.run(Phone, &["-q", "downgrade"]).ok();
    assert!(!table_exists(url, "t_partial").await);
    assert_eq!(
        w.run(Phone, &["current"]).ok(),
        [format!("{merge} (mergepoint)")]
    );
    std::fs::remove_file(w.path(&bad_file)).expect("remove the failing revision");
    // A revision file deleted by hand: recorded in strata.sum.
    w.run(Phone, &["hash"]).ok();
    exec(url, "DROP TABLE t_missing").await;
    w.run(Phone, &["check"]).ok();
    assert_eq!(users(url).await, cy);
}

#[tokio::test]
async fn seed_workflow_sqlite() {
    let db = TestDb::sqlite("cli_seed");
    seed_workflow(&db.url).await;
}

#[tokio::test]
async fn seed_workflow_postgres() {
    let db = TestDb::postgres("cli_seed").await;
    seed_workflow(&db.url).await;
}

#[tokio::test]
async fn seed_workflow_mysql() {
    let db = TestDb::mysql("cli_seed").await;
    assert!(db.url.starts_with("mysql://"), "{}", db.url);
    seed_workflow(&db.url).await;
}

/// The same workflow through a `mariadb://` URL (the same dialect and driver).
#[tokio::test]
async fn seed_workflow_mariadb_url() {
    let db = TestDb::mysql("cli_seed_mariadb").await;
    let url = db.url.replacen("mysql://", "mariadb://", 1);
    assert!(url.starts_with("mariadb://"), "{url}");
    seed_workflow(&url).await;
}

#[tokio::test]
async fn error_paths() {
    let db = TestDb::sqlite("cli_errors");
    let mut w = Workdir::new("errors", Some(&db.url));

    // Usage errors are clap's: exit 2.
    w.run(Base, &["nope"]).fails(2);
    w.run(Base, &["stamp"]).fails(2);
    assert!(w
        .run(Base, &["--help"])
        .ok()
        .join("\n")
        .contains("Exit codes"));

    // No migrations directory.
    let err = w.run(Base, &["current"]).error("no migrations directory");
    assert!(err.contains("run `init` first"), "{err}");

    w.run(Base, &["init"]).ok();
    assert_eq!(w.run(Base, &["models"]).ok(), ["users e2e_app::User"]);

    // Revision ids sharing a prefix.
    w.run(Base, &["revision", "-m", "one", "--rev-id", "aa11"])
        .ok();
    w.run(Base, &["revision", "-m", "two", "--rev-id", "aa22"])
        .ok();
    w.run(Base, &["revision", "-m", "dup", "--rev-id", "aa22"])
        .error("revision id aa22 already exists");
    w.run(Base, &["show", "aa"])
        .error("`aa` is ambiguous: it starts `aa11`, `aa22`");
    w.run(Base, &["upgrade", "zzzz"])
        .error("no revision matches `zzzz`");
    w.run(Base, &["downgrade", "aa22"])
        .error("cannot downgrade to `aa22`");
    w.run(Base, &["upgrade", "aa11"]).ok();
    assert_eq!(w.run(Base, &["current"]).ok(), ["aa11"]);
    w.run(Base, &["current", "--check-heads"])
        .error("Target database is not up to date.");
    w.run(Base, &["migrate", "-m", "x"])
        .error("Target database is not up to date.");

    // Unreachable database: the message names the URL and where it came from.
    w.url = None;
    let err = w
        .run(
            Base,
            &["--database-url", "postgres://127.0.0.1:1/x", "current"],
        )
        .error("cannot connect to `postgres://127.0.0.1:1/x`");
    assert!(
        err.contains("hint: the URL came from --database-url"),
        "{err}"
    );
    // ... but offline SQL needs no connection.
    let sql = w
        .run(
            Base,
            &[
                "--database-url",
                "postgres://127.0.0.1:1/x",
                "upgrade",
                "--sql",
            ],
        )
        .ok()
        .join("\n");
    assert!(
        sql.contains("-- Running upgrade aa11 -> aa22, two") || sql.contains("aa22"),
        "{sql}"
    );
    w.run(Base, &["--database-url", "nosuch://x", "current"])
        .error("unknown dialect");

    w.url = Some(db.url.clone());

    // edit needs an editor.
    let err = w
        .run(Base, &["edit", "aa11"])
        .error("$EDITOR and $VISUAL are not set");
    assert!(err.contains("migrations/versions/aa11_one.toml"), "{err}");
    w.run_env(Base, &["edit", "aa11"], &[("VISUAL", "true")])
        .ok();
    w.run_env(Base, &["edit", "aa11"], &[("EDITOR", "true")])
        .ok();

    // A malformed migration file: file:line:col.
    std::fs::write(
        w.path("migrations/versions/bad1_broken.toml"),
        "revision = \"bad1\"\nmessage = 3\n",
    )
    .expect("write a broken file");
    let err = w.run(Base, &["history"]).error("bad1_broken.toml:2:11:");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    std::fs::remove_file(w.path("migrations/versions/bad1_broken.toml")).expect("remove");

    // No models in the target: the linking hint names the crate.
    w.run(Base, &["upgrade", "heads"]).ok();
    // Where the URL comes from without --database-url: ./.env, then sqlite://app.db.
    w.url = None;
    std::fs::write(w.path(".env"), format!("DATABASE_URL={}\n", db.url)).expect("write .env");
    assert_eq!(w.run(Base, &["current"]).ok(), ["aa22 (head)"]);
    std::fs::remove_file(w.path(".env")).expect("remove .env");
    let run = w.run(Base, &["current"]);
    assert!(run.ok().is_empty());
    assert!(
        run.stderr
            .starts_with("Using the default database sqlite://app.db: no --database-url"),
        "the fallback is announced: {run:#?}"
    );
    assert!(
        w.path("app.db").is_file(),
        "the default SQLite database is created"
    );
    w.url = Some(db.url.clone());
    w.run(Base, &["stamp", "--purge", "aa11"]).ok();
    assert_eq!(w.run(Base, &["current"]).ok(), ["aa11"]);
    w.run(Base, &["-q", "upgrade"]).ok();

    std::fs::write(w.path("migrations/strata.toml"), "exclude = [\"*\"]\n").expect("write");
    let err = w
        .run(Base, &["migrate", "-m", "none"])
        .error("no models are registered");
    assert!(err.contains("hint: add `use e2e_app as _;`"), "{err}");

    // A settings file with a typo names the line.
    std::fs::write(w.path("migrations/strata.toml"), "exclud = []\n").expect("write");
    w.run(Base, &["heads"])
        .error("strata.toml: line 1, column 1");
}
