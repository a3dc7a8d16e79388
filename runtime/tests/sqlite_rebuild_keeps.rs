//! Stage 6, render (SQLite table rebuilds), live: a rebuild keeps every trigger, view, index,
//! generated column, collation and table option the table had, through upgrade and downgrade,
//! with rows in the table; what it cannot keep is refused before anything runs.

mod common;

use std::path::Path;

use sqlx::{Executor, Row};
use strata::db::Db;
use strata::testing::TestDb;
use strata::{Migrator, RunOptions};

use common::{temp_dir, Dir};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join("versions").join(name), text).expect("write revision");
}

/// A legacy table made by hand, with everything Strata does not model attached to it.
const SETUP: &str = r#"
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT COLLATE NOCASE NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    name TEXT,
    email_upper TEXT GENERATED ALWAYS AS (upper(email)) VIRTUAL,
    email_len INTEGER AS (length(email)) STORED
);
CREATE TABLE audit (email TEXT, what TEXT);
CREATE UNIQUE INDEX ux_users_live_email ON users (email) WHERE deleted = 0;
CREATE INDEX ix_users_lower_email ON users (lower(email));
CREATE INDEX ix_users_name_desc ON users (name DESC);
CREATE INDEX ix_users_deleted ON users (deleted DESC);
CREATE TRIGGER tr_users_audit AFTER INSERT ON users BEGIN INSERT INTO audit VALUES (new.email, 'insert'); END;
CREATE VIEW v_live_users AS SELECT id, email, name FROM users WHERE deleted = 0;
CREATE VIEW v_live_count AS SELECT count(*) AS n FROM v_live_users;
CREATE TRIGGER tr_audit_touch AFTER INSERT ON audit WHEN new.what = 'touch' BEGIN UPDATE users SET deleted = deleted WHERE id = -1; END;
CREATE TABLE tags (name TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID
"#;

fn setup_revision(dir: &Path) {
    let sql = SETUP.replace('\n', " ");
    write(
        dir,
        "aaaa00000001_legacy.toml",
        &format!(
            "revision = \"aaaa00000001\"\nmessage = \"legacy\"\ncreated = 2026-01-01T00:00:00Z\n\n\
             [[upgrade]]\nop = \"sql\"\nsql = '''{sql}'''\n\n\
             [[downgrade]]\nop = \"sql\"\nsql = '''DROP VIEW v_live_count; DROP VIEW v_live_users; DROP TABLE tags; DROP TABLE audit; DROP TABLE users'''\n"
        ),
    );
}

/// A revision whose `upgrade` is `ops` (TOML text) and whose `downgrade` is `down`.
fn revision(dir: &Path, id: &str, parent: &str, up: &str, down: &str) {
    write(
        dir,
        &format!("{id}_change.toml"),
        &format!(
            "revision = \"{id}\"\ndown_revision = \"{parent}\"\nmessage = \"change\"\n\
             created = 2026-01-02T00:00:00Z\n\n{up}\n{down}\n"
        ),
    );
}

async fn rows(db: &mut Db, sql: &str) -> Vec<String> {
    db.conn()
        .fetch_all(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    r.try_get::<String, _>(i)
                        .or_else(|_| r.try_get::<i64, _>(i).map(|v| v.to_string()))
                        .unwrap_or_else(|_| "NULL".into())
                })
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// Every index, trigger and view with its text, and every table's text.
async fn catalog(db: &mut Db) -> Vec<String> {
    rows(
        db,
        "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'strata_%' ORDER BY type, name",
    )
    .await
}

async fn exec(db: &mut Db, sql: &str) -> Result<(), String> {
    db.conn()
        .execute(sql)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// What the legacy table's attachments do, checked by using them.
async fn assert_behaviour(db: &mut Db, stage: &str) {
    let n: Vec<String> = rows(db, "SELECT count(*) FROM users").await;
    let before: i64 = n[0].parse().expect("count");
    // The trigger fires.
    let audit_before = rows(db, "SELECT count(*) FROM audit").await;
    exec(
        db,
        "INSERT INTO users (email, name) VALUES ('New@Example.com', 'new')",
    )
    .await
    .unwrap_or_else(|e| panic!("{stage}: insert: {e}"));
    let audit_after = rows(db, "SELECT count(*) FROM audit").await;
    assert_ne!(
        audit_before, audit_after,
        "{stage}: the audit trigger did not fire"
    );
    // The partial unique index rejects a live duplicate (case-insensitively: the column is
    // NOCASE), and accepts a deleted one.
    let dup = exec(db, "INSERT INTO users (email) VALUES ('NEW@example.COM')").await;
    assert!(
        dup.as_ref().is_err_and(|e| e.contains("UNIQUE")),
        "{stage}: a live duplicate was accepted: {dup:?}"
    );
    exec(
        db,
        "INSERT INTO users (email, deleted) VALUES ('new@example.com', 1)",
    )
    .await
    .unwrap_or_else(|e| panic!("{stage}: deleted duplicate refused: {e}"));
    // The generated columns compute; the collation compares without case.
    let gen = rows(
        db,
        "SELECT email_upper, email_len FROM users WHERE email = 'NEW@EXAMPLE.COM' AND deleted = 0",
    )
    .await;
    assert_eq!(
        gen,
        ["NEW@EXAMPLE.COM|15"],
        "{stage}: generated columns / collation"
    );
    // The views read the table.
    let live = rows(db, "SELECT n FROM v_live_count").await;
    let expected = rows(db, "SELECT count(*) FROM users WHERE deleted = 0").await;
    assert_eq!(live, expected, "{stage}: view");
    // The other table's trigger that updates users still works.
    exec(db, "INSERT INTO audit VALUES ('x', 'touch')")
        .await
        .unwrap_or_else(|e| panic!("{stage}: trigger on audit: {e}"));
    // Undo the probes.
    exec(db, "DELETE FROM users WHERE email = 'new@example.com'")
        .await
        .expect("cleanup");
    exec(
        db,
        "DELETE FROM audit WHERE email IN ('New@Example.com', 'x')",
    )
    .await
    .expect("cleanup");
    let n = rows(db, "SELECT count(*) FROM users").await;
    assert_eq!(n[0].parse::<i64>().expect("count"), before, "{stage}");
}

async fn seed(db: &mut Db) {
    for i in 0..200 {
        let name = if i % 3 == 0 {
            "NULL".to_string()
        } else {
            format!("'name {i}'")
        };
        exec(
            db,
            &format!(
                "INSERT INTO users (email, deleted, name) VALUES ('user{i}@example.com', {}, {name})",
                i % 5 / 4
            ),
        )
        .await
        .expect("seed users");
    }
    exec(db, "INSERT INTO tags VALUES ('a', 1), ('b', 2)")
        .await
        .expect("seed tags");
    exec(db, "DELETE FROM audit").await.expect("clear audit");
}

/// The rows that must survive: every column of users the change keeps, and tags.
async fn data(db: &mut Db, email: &str) -> Vec<String> {
    let mut out = rows(
        db,
        &format!(
            "SELECT id, {email}, deleted, coalesce(name, 'NULL'), email_upper, email_len \
             FROM users ORDER BY id"
        ),
    )
    .await;
    out.extend(rows(db, "SELECT name, n FROM tags ORDER BY name").await);
    out
}

/// A migrations directory with the legacy setup revision and a change revision (`up`/`down`
/// TOML), a database upgraded to the setup and seeded with rows.
async fn legacy(tag: &str, up: &str, down: &str) -> (Dir, TestDb, Migrator, Db) {
    let dir = temp_dir(tag);
    setup_revision(&dir.0);
    revision(&dir.0, "aaaa00000002", "aaaa00000001", up, down);
    let test = TestDb::sqlite(tag);
    let m = Migrator::open(&dir.0).expect("open");
    let mut db = m.connect(&test.url).await.expect("connect");
    m.upgrade(&mut db, "aaaa00000001", &RunOptions::default(), |_| {})
        .await
        .expect("setup");
    seed(&mut db).await;
    (dir, test, m, db)
}

fn upgrade_text(ops: &str) -> String {
    ops.replace("[[op]]", "[[upgrade]]")
}

fn downgrade_text(ops: &str) -> String {
    ops.replace("[[op]]", "[[downgrade]]")
}

const NAME_TO_VARCHAR: &str = r#"
[[op]]
op = "alter_column"
table = "users"
column = "name"
type = { from = "text", to = "varchar(200)" }

[[op]]
op = "alter_column"
table = "tags"
column = "n"
nullable = { from = true, to = false }
"#;

const NAME_TO_TEXT: &str = r#"
[[op]]
op = "alter_column"
table = "tags"
column = "n"
nullable = { from = false, to = true }

[[op]]
op = "alter_column"
table = "users"
column = "name"
type = { from = "varchar(200)", to = "text" }
"#;

#[tokio::test]
async fn a_rebuild_keeps_triggers_views_indexes_generated_columns_and_collations() {
    let (_dir, _test, m, mut db) = legacy(
        "keeps",
        &upgrade_text(NAME_TO_VARCHAR),
        &downgrade_text(NAME_TO_TEXT),
    )
    .await;
    let opts = RunOptions::default();
    let catalog_before = catalog(&mut db).await;
    let data_before = data(&mut db, "email").await;
    assert_behaviour(&mut db, "before").await;

    let steps = m
        .upgrade(&mut db, "head", &opts, |_| {})
        .await
        .expect("upgrade with rebuilds");
    assert!(
        steps[0]
            .statements
            .iter()
            .any(|s| s.contains("_strata_new_users")),
        "the upgrade must rebuild users: {:?}",
        steps[0].statements
    );
    assert_eq!(steps[0].rebuilt_tables, ["users", "tags"]);
    assert_eq!(
        data(&mut db, "email").await,
        data_before,
        "rows after upgrade"
    );
    let after = catalog(&mut db).await;
    let changed: Vec<(&String, &String)> = catalog_before
        .iter()
        .zip(&after)
        .filter(|(a, b)| a != b)
        .collect();
    // Only the two rebuilt tables' own text changes (the column types, Strata's spelling),
    // and that of the indexes the neutral schema describes (partial, expression, descending:
    // re-created from the model, in Strata's spelling, with the same meaning); the rest is
    // carried over verbatim.
    let modeled = [
        "ux_users_live_email",
        "ix_users_lower_email",
        "ix_users_name_desc",
        "ix_users_deleted",
    ];
    assert_eq!(after.len(), catalog_before.len(), "{after:#?}");
    assert!(
        changed.iter().all(|(a, b)| {
            let index = modeled
                .iter()
                .find(|n| a.starts_with(&format!("index {n}:")));
            a.starts_with("table users:")
                || a.starts_with("table tags:")
                || index.is_some_and(|n| b.starts_with(&format!("index {n}:")))
        }),
        "objects changed by the rebuild: {changed:#?}"
    );
    let joined = after.join("\n");
    for text in [
        r#"CREATE UNIQUE INDEX "ux_users_live_email" ON "users" ("email") WHERE deleted = 0"#,
        r#"CREATE INDEX "ix_users_lower_email" ON "users" ((lower(email)))"#,
        r#"CREATE INDEX "ix_users_name_desc" ON "users" ("name" DESC)"#,
    ] {
        assert!(joined.contains(text), "{text} in {joined}");
    }
    let users_sql = after
        .iter()
        .find(|s| s.starts_with("table users:"))
        .expect("users");
    for kept in [
        "COLLATE \"NOCASE\"",
        "email_upper TEXT GENERATED ALWAYS AS (upper(email)) VIRTUAL",
        "email_len INTEGER AS (length(email)) STORED",
        "AUTOINCREMENT",
    ] {
        assert!(users_sql.contains(kept), "{kept} lost: {users_sql}");
    }
    let tags_sql = after
        .iter()
        .find(|s| s.starts_with("table tags:"))
        .expect("tags");
    assert!(tags_sql.ends_with("WITHOUT ROWID"), "{tags_sql}");
    assert_behaviour(&mut db, "after upgrade").await;

    m.downgrade(&mut db, "aaaa00000001", &opts, |_| {})
        .await
        .expect("downgrade with rebuilds");
    assert_eq!(
        data(&mut db, "email").await,
        data_before,
        "rows after downgrade"
    );
    assert_eq!(catalog(&mut db).await.len(), catalog_before.len());
    assert_behaviour(&mut db, "after downgrade").await;
    // Nothing to do after the round trip: no leftover temporary table, version at the setup.
    assert_eq!(m.current(&mut db).await.expect("current"), ["aaaa00000001"]);
}

#[tokio::test]
async fn a_rebuild_after_a_rename_carries_the_new_name_into_what_it_recreates() {
    let up = r#"
[[upgrade]]
op = "alter_column"
table = "users"
column = "email"
rename = "mail"

[[upgrade]]
op = "rename_table"
from = "users"
to = "members"

[[upgrade]]
op = "alter_column"
table = "members"
column = "name"
type = { from = "text", to = "varchar(200)" }
"#;
    let down = r#"
[[downgrade]]
op = "alter_column"
table = "members"
column = "name"
type = { from = "varchar(200)", to = "text" }

[[downgrade]]
op = "rename_table"
from = "members"
to = "users"

[[downgrade]]
op = "alter_column"
table = "users"
column = "mail"
rename = "email"
"#;
    let (_dir, _test, m, mut db) = legacy("rename", up, down).await;
    let opts = RunOptions::default();
    let data_before = data(&mut db, "email").await;
    m.upgrade(&mut db, "head", &opts, |_| {})
        .await
        .expect("rename then rebuild");
    let after = catalog(&mut db).await;
    let joined = after.join("\n");
    assert!(joined.contains("index ux_users_live_email: CREATE UNIQUE INDEX \"ux_users_live_email\" ON \"members\" (\"mail\") WHERE deleted = 0"), "{joined}");
    assert!(joined.contains("AFTER INSERT ON \"members\""), "{joined}");
    // The conventional name follows the table (H3's name changes), and the index keeps DESC.
    assert!(
        joined.contains(r#"index ix_members_deleted: CREATE INDEX "ix_members_deleted" ON "members" ("deleted" DESC)"#),
        "{joined}"
    );
    assert!(joined.contains("upper(\"mail\")"), "{joined}");
    assert!(!joined.contains("users ("), "{joined}");
    let members = rows(
        &mut db,
        "SELECT id, mail, deleted, coalesce(name, 'NULL'), email_upper, email_len FROM members ORDER BY id",
    )
    .await;
    assert_eq!(
        members,
        data_before[..members.len()],
        "rows after rename + rebuild"
    );
    // The trigger fires with the new names.
    exec(&mut db, "INSERT INTO members (mail) VALUES ('z@z')")
        .await
        .expect("insert fires the renamed trigger");
    assert_eq!(
        rows(&mut db, "SELECT email FROM audit WHERE email = 'z@z'").await,
        ["z@z"]
    );
    exec(&mut db, "DELETE FROM members WHERE mail = 'z@z'")
        .await
        .expect("cleanup");
    exec(&mut db, "DELETE FROM audit").await.expect("cleanup");
    m.downgrade(&mut db, "aaaa00000001", &opts, |_| {})
        .await
        .expect("downgrade");
    assert_eq!(data(&mut db, "email").await, data_before);
    assert_behaviour(&mut db, "after the round trip").await;
}

#[tokio::test]
async fn dropping_a_column_a_trigger_uses_is_refused_before_anything_runs() {
    let up = r#"
[[upgrade]]
op = "add_column"
table = "users"
column = { name = "note", type = "text", nullable = true }

[[upgrade]]
op = "alter_column"
table = "users"
column = "name"
type = { from = "text", to = "varchar(200)" }

[[upgrade]]
op = "drop_column"
table = "users"
column = { name = "email", type = "text" }
"#;
    let (_dir, _test, m, mut db) = legacy("refuse", up, "").await;
    let opts = RunOptions::default();
    let catalog_before = catalog(&mut db).await;
    let data_before = data(&mut db, "email").await;
    let err = m
        .upgrade(&mut db, "head", &opts, |_| {})
        .await
        .expect_err("dropping a column a trigger uses must be refused")
        .to_string();
    assert!(err.contains("aaaa00000002"), "names the revision: {err}");
    assert!(err.contains("users.email"), "names the column: {err}");
    assert!(
        err.contains("trigger `tr_users_audit`") || err.contains("generated column `email_upper`"),
        "names what uses it: {err}"
    );
    assert!(err.contains("`sql` step"), "says what to do: {err}");
    assert_eq!(catalog(&mut db).await, catalog_before, "schema untouched");
    assert_eq!(data(&mut db, "email").await, data_before, "rows untouched");
    assert_eq!(m.current(&mut db).await.expect("current"), ["aaaa00000001"]);
}

#[tokio::test]
async fn a_leftover_temporary_table_is_reported_with_what_to_do() {
    let dir = temp_dir("leftover");
    revision(
        &dir.0,
        "aaaa00000001",
        "",
        "[[upgrade]]\nop = \"sql\"\nsql = \"CREATE TABLE t (x INTEGER)\"",
        "",
    );
    let text = std::fs::read_to_string(dir.0.join("versions/aaaa00000001_change.toml"))
        .expect("read")
        .replace("down_revision = \"\"\n", "");
    std::fs::write(dir.0.join("versions/aaaa00000001_change.toml"), text).expect("write");
    let m = Migrator::open(&dir.0).expect("open");
    let empty_dir = temp_dir("leftover-empty");
    let empty = Migrator::open(&empty_dir.0).expect("open");
    for (setup, says) in [
        (
            "CREATE TABLE users (id INTEGER); CREATE TABLE _strata_new_users (id INTEGER)",
            "DROP TABLE \"_strata_new_users\"",
        ),
        (
            "CREATE TABLE _strata_new_users (id INTEGER)",
            "ALTER TABLE \"_strata_new_users\" RENAME TO \"users\"",
        ),
    ] {
        let test = TestDb::sqlite("leftover");
        let mut db = m.connect(&test.url).await.expect("connect");
        exec(&mut db, setup).await.expect("setup");
        let catalog_before = catalog(&mut db).await;
        let err = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect_err("a leftover rebuild table must stop upgrade")
            .to_string();
        assert!(err.contains("_strata_new_users"), "{err}");
        assert!(err.contains(says), "{err}");
        let err = empty
            .compare(&mut db, &[])
            .await
            .expect_err("and autogenerate")
            .to_string();
        assert!(err.contains("interrupted table rebuild"), "{err}");
        assert_eq!(catalog(&mut db).await, catalog_before);
    }
}
