//! Applying and reverting migrations on real SQLite and PostgreSQL: the Migrator API end to end.

mod common;

use sqlx::{Executor, Row};
use strata::apply::{Event, TxMode};
use strata::dialect::DialectKind;
use strata::dialect::IntrospectOptions;
use strata::graph::Direction;
use strata::ops::Op;
use strata::schema::{Column, PrimaryKey, SqlType, Table};
use strata::testing::introspect;
use strata::testing::TestDb;
use strata::{Migrator, NewRevision, RunOptions};

use strata::testing::DIALECTS as BOTH;

use common::{temp_dir, Dir};

fn users() -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..Column::new("id", SqlType::Integer)
            },
            Column::new("username", SqlType::Varchar(80)),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    }
}

fn rev(message: &str, id: &str, upgrade: Vec<Op>) -> NewRevision {
    let downgrade = strata::ops::reverse_all(&upgrade).expect("reversible");
    NewRevision {
        message: message.into(),
        rev_id: Some(id.into()),
        upgrade,
        downgrade,
        ..NewRevision::default()
    }
}

/// A chain of revisions `(message, id, upgrade ops)` written to `dir`, then read back.
fn chain(dir: &Dir, revisions: Vec<(&str, &str, Vec<Op>)>) -> Migrator {
    let mut m = Migrator::open(&dir.0).expect("open");
    for (message, id, upgrade) in revisions {
        m.write_revision(rev(message, id, upgrade))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    Migrator::open(&dir.0).expect("reopen")
}

fn create_users() -> (&'static str, &'static str, Vec<Op>) {
    (
        "create users",
        "aaaa00000001",
        vec![Op::CreateTable { table: users() }],
    )
}

fn add_nullable(table: &str, name: &str, ty: SqlType) -> Op {
    Op::AddColumn {
        table: table.into(),
        column: Column::new(name, ty).nullable(),
    }
}

fn unique_username() -> Op {
    Op::CreateIndex {
        table: "users".into(),
        index: strata::schema::Index {
            name: "ix_users_username".into(),
            columns: vec!["username".into()],
            unique: true,
            ..strata::schema::Index::default()
        },
    }
}

/// Three revisions: create users, add phone, add an index.
fn three_revisions(dir: &Dir) -> Migrator {
    chain(
        dir,
        vec![
            create_users(),
            (
                "add phone",
                "bbbb00000002",
                vec![add_nullable("users", "phone", SqlType::Varchar(20))],
            ),
            ("index username", "cccc00000003", vec![unique_username()]),
        ],
    )
}

async fn tables(db: &mut strata::db::Db) -> Vec<String> {
    let d = db.dialect();
    let s = introspect(db.conn(), d, &IntrospectOptions::default())
        .await
        .expect("introspect")
        .schema;
    s.tables.keys().cloned().collect()
}

#[tokio::test]
async fn upgrade_downgrade_and_relative_targets() {
    for kind in BOTH {
        let dir = temp_dir("updown");
        let m = three_revisions(&dir);
        let tdb = TestDb::new(kind, "updown").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        assert!(m.current(&mut db).await.expect("current").is_empty());

        let mut lines = Vec::new();
        let steps = m
            .upgrade(&mut db, "head", &RunOptions::default(), |e| {
                if let Event::Started(s) = e {
                    lines.push(format!("{} -> {}, {}", s.from_label, s.to_label, s.message))
                }
            })
            .await
            .expect("upgrade");
        assert_eq!(steps.len(), 3, "{kind}");
        assert_eq!(
            lines,
            [
                " -> aaaa00000001, create users",
                "aaaa00000001 -> bbbb00000002, add phone",
                "bbbb00000002 -> cccc00000003, index username"
            ]
        );
        assert_eq!(m.current(&mut db).await.expect("current"), ["cccc00000003"]);
        assert!(m.is_up_to_date(&mut db).await.expect("check"));
        assert_eq!(tables(&mut db).await, ["users"]);

        // Nothing left: a second upgrade is a no-op.
        let again = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("again");
        assert!(again.is_empty());

        // -1 walks back exactly one revision, in both transaction modes.
        for mode in [TxMode::Whole, TxMode::PerMigration] {
            let opts = RunOptions {
                tx_mode: Some(mode),
                ..RunOptions::default()
            };
            let down = m.downgrade(&mut db, "-1", &opts, |_| {}).await.expect("-1");
            assert_eq!(down.len(), 1, "{kind} {mode:?}");
            m.upgrade(&mut db, "+1", &opts, |_| {}).await.expect("+1");
            assert_eq!(m.current(&mut db).await.expect("current"), ["cccc00000003"]);
        }

        // Downgrade by prefix, then to base: the schema is empty again.
        m.downgrade(&mut db, "aaaa", &RunOptions::default(), |_| {})
            .await
            .expect("to aaaa");
        assert_eq!(m.current(&mut db).await.expect("current"), ["aaaa00000001"]);
        let cols = column_names(&mut db, "users").await;
        assert_eq!(cols, ["id", "username"], "{kind}");
        m.downgrade(&mut db, "base", &RunOptions::default(), |_| {})
            .await
            .expect("base");
        assert!(m.current(&mut db).await.expect("current").is_empty());
        assert!(tables(&mut db).await.is_empty(), "{kind}");

        // The audit log saw every step, with checksums.
        let n: i64 = db
            .conn()
            .fetch_one("SELECT count(*) FROM strata_log WHERE checksum IS NOT NULL")
            .await
            .expect("log")
            .get(0);
        // 3 up; per mode one down and one up; two down to aaaa; one down to base.
        assert_eq!(n, 3 + 2 * 2 + 2 + 1, "{kind}: {n} log rows");
    }
}

async fn column_names(db: &mut strata::db::Db, table: &str) -> Vec<String> {
    let d = db.dialect();
    let s = introspect(db.conn(), d, &IntrospectOptions::default())
        .await
        .expect("introspect")
        .schema;
    s.table(table)
        .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}

/// After a failed whole-run upgrade (`err`): the message says it was rolled back, and nothing
/// is applied; then a per-migration upgrade fails too, leaving the database at `stays`.
async fn assert_rolled_back<const N: usize>(
    m: &Migrator,
    db: &mut strata::db::Db,
    err: &str,
    stays: [&str; N],
) {
    let kind = db.dialect().name();
    assert!(err.contains("rolled back"), "{kind}: {err}");
    assert!(m.current(db).await.expect("current").is_empty(), "{kind}");
    assert!(tables(db).await.is_empty(), "{kind}: schema untouched");
    let per = RunOptions {
        tx_mode: Some(TxMode::PerMigration),
        ..RunOptions::default()
    };
    m.upgrade(db, "head", &per, |_| {})
        .await
        .expect_err("must fail");
    assert_eq!(m.current(db).await.expect("current"), stays, "{kind}");
}

/// The dialects whose DDL rolls back with its transaction (MySQL's commits statement by
/// statement: tests/mysql_partial.rs covers what it does instead).
fn transactional() -> impl Iterator<Item = DialectKind> {
    BOTH.into_iter()
        .filter(|k| k.dialect().expect("dialect built").transactional_ddl())
}

#[tokio::test]
async fn a_failing_step_rolls_everything_back() {
    for kind in transactional() {
        let dir = temp_dir("fail");
        let mut m = three_revisions(&dir);
        m.write_revision(rev(
            "broken",
            "dddd00000004",
            vec![
                Op::AddColumn {
                    table: "users".into(),
                    column: Column::new("age", SqlType::Integer).nullable(),
                },
                Op::Sql {
                    sql: "INSERT INTO no_such_table VALUES (1)".into(),
                    reverse: Some("SELECT 1".into()),
                    dialect: None,
                    batch_size: None,
                    elidable: false,
                },
            ],
        ))
        .expect("rev 4");
        let tdb = TestDb::new(kind, "fail").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");

        // One transaction for the run: nothing at all is applied.
        let err = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("dddd00000004"), "{err}");
        assert!(err.contains("INSERT INTO no_such_table"), "{err}");
        assert!(err.contains("no_such_table"), "{err}");
        // One transaction per migration: the three good revisions stay, the broken one does not.
        assert_rolled_back(&m, &mut db, &err, ["cccc00000003"]).await;
        assert!(
            !column_names(&mut db, "users")
                .await
                .contains(&"age".to_string()),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn edited_applied_migrations_are_refused() {
    for kind in BOTH {
        let dir = temp_dir("checksum");
        let m = three_revisions(&dir);
        let tdb = TestDb::new(kind, "checksum").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, "bbbb", &RunOptions::default(), |_| {})
            .await
            .expect("up");

        let path = m.graph().get("bbbb").expect("script").path.clone();
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, text.replace("varchar(20)", "varchar(30)")).expect("edit");
        let m = Migrator::open(&dir.0).expect("reopen");
        let err = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect_err("edited file")
            .to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("--allow-changed"), "{err}");
        assert_eq!(m.current(&mut db).await.expect("current"), ["bbbb00000002"]);

        let allow = RunOptions {
            allow_changed: true,
            ..RunOptions::default()
        };
        m.upgrade(&mut db, "head", &allow, |_| {})
            .await
            .expect("override");
        assert_eq!(m.current(&mut db).await.expect("current"), ["cccc00000003"]);
    }
}

#[tokio::test]
async fn crlf_checkouts_keep_the_checksum() {
    let dir = temp_dir("crlf");
    let m = three_revisions(&dir);
    let tdb = TestDb::sqlite("crlf");
    let mut db = m.connect(&tdb.url).await.expect("connect");
    m.upgrade(&mut db, "bbbb", &RunOptions::default(), |_| {})
        .await
        .expect("up");
    let path = m.graph().get("aaaa").expect("script").path.clone();
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace('\n', "\r\n")).expect("crlf");
    let m = Migrator::open(&dir.0).expect("reopen");
    m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect("a CRLF checkout is the same file");
}

#[tokio::test]
async fn unknown_recorded_revision_is_an_error() {
    for kind in BOTH {
        let dir = temp_dir("missing");
        let m = three_revisions(&dir);
        let tdb = TestDb::new(kind, "missing").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.stamp(&mut db, &["head".into()], false, |_| {})
            .await
            .expect("stamp");
        db.conn()
            .execute("UPDATE strata_version SET version_num = 'ffff99999999'")
            .await
            .expect("corrupt");
        let err = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect_err("unknown")
            .to_string();
        assert!(err.contains("ffff99999999"), "{err}");
        assert!(err.contains("stamp"), "{err}");
    }
}

#[tokio::test]
async fn stamp_moves_rows_without_running_anything() {
    for kind in BOTH {
        let dir = temp_dir("stamp");
        let m = three_revisions(&dir);
        let tdb = TestDb::new(kind, "stamp").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        let (before, after) = m
            .stamp(&mut db, &["bbbb".into()], false, |_| {})
            .await
            .expect("stamp");
        assert!(before.is_empty());
        assert_eq!(after, ["bbbb00000002"]);
        assert!(tables(&mut db).await.is_empty(), "stamp runs nothing");
        m.stamp(&mut db, &["base".into()], false, |_| {})
            .await
            .expect("stamp base");
        assert!(m.current(&mut db).await.expect("current").is_empty());
        m.stamp(&mut db, &["cccc".into()], true, |_| {})
            .await
            .expect("purge");
        assert_eq!(m.current(&mut db).await.expect("current"), ["cccc00000003"]);
    }
}

#[tokio::test]
async fn offline_sql_per_dialect() {
    let dir = temp_dir("offline");
    let m = three_revisions(&dir);
    for kind in BOTH {
        let up = m
            .offline_sql(
                kind.dialect().expect("dialect built"),
                Direction::Up,
                "head",
                None,
            )
            .expect("up");
        let down = m
            .offline_sql(
                kind.dialect().expect("dialect built"),
                Direction::Down,
                "head:base",
                None,
            )
            .expect("down");
        // The log rows carry timestamps; blank them for the snapshot.
        let scrub = |s: &str| {
            let re_ts = |line: &str| -> String {
                if line.starts_with("INSERT INTO \"strata_log\"")
                    || line.starts_with("INSERT INTO `strata_log`")
                {
                    "INSERT INTO \"strata_log\" (...) VALUES (...)".to_string()
                } else {
                    line.to_string()
                }
            };
            s.lines().map(re_ts).collect::<Vec<_>>().join("\n")
        };
        insta::assert_snapshot!(format!("offline_upgrade_{kind}"), scrub(&up));
        insta::assert_snapshot!(format!("offline_downgrade_{kind}"), scrub(&down));
        let err = m
            .offline_sql(
                kind.dialect().expect("dialect built"),
                Direction::Down,
                "base",
                None,
            )
            .expect_err("needs a range")
            .to_string();
        assert!(err.contains("<from>:<to>"), "{err}");
    }
}

#[tokio::test]
async fn offline_script_runs_and_matches_online_result() {
    // The script `upgrade --sql` prints, run by hand, gives the same database.
    let dir = temp_dir("offline-run");
    let m = three_revisions(&dir);
    for kind in BOTH {
        let tdb = TestDb::new(kind, "offline-run").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        let script = m
            .offline_sql(
                kind.dialect().expect("dialect built"),
                Direction::Up,
                "head",
                None,
            )
            .expect("sql");
        db.conn()
            .execute(sqlx::raw_sql(&script))
            .await
            .expect("script runs");
        assert_eq!(m.current(&mut db).await.expect("current"), ["cccc00000003"]);
        assert_eq!(
            column_names(&mut db, "users").await,
            ["id", "username", "phone"]
        );
        // And the online downgrade can take it from there.
        m.downgrade(&mut db, "base", &RunOptions::default(), |_| {})
            .await
            .expect("down");
        assert!(tables(&mut db).await.is_empty());
    }
}

#[tokio::test]
async fn postgres_lock_timeout_names_the_holder() {
    let dir = temp_dir("lock");
    std::fs::write(dir.0.join("strata.toml"), "lock_timeout_seconds = 1\n").expect("settings");
    let m = three_revisions(&dir);
    let tdb = TestDb::postgres("lock").await;
    let mut holder = m.connect(&tdb.url).await.expect("holder");
    holder
        .conn()
        .execute(format!("SELECT pg_advisory_lock({})", strata::apply::LOCK_KEY).as_str())
        .await
        .expect("hold the lock");
    let mut db = m.connect(&tdb.url).await.expect("connect");
    let err = m
        .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect_err("timeout")
        .to_string();
    assert!(err.contains("backend pid"), "{err}");
    assert!(err.contains("lock_timeout_seconds"), "{err}");
    assert!(m.current(&mut db).await.expect("current").is_empty());
}

#[tokio::test]
async fn postgres_non_transactional_revision_runs_alone() {
    let dir = temp_dir("nontx");
    let mut m = three_revisions(&dir);
    m.write_revision(rev(
        "concurrent index",
        "eeee00000005",
        vec![Op::Sql {
            sql: "CREATE INDEX CONCURRENTLY ix_users_phone ON users (phone)".into(),
            reverse: Some("DROP INDEX CONCURRENTLY ix_users_phone".into()),
            dialect: Some(DialectKind::Postgres),
            batch_size: None,
            elidable: false,
        }],
    ))
    .expect("rev");
    let path = m.graph().get("eeee").expect("script").path.clone();
    let text = std::fs::read_to_string(&path).expect("read");
    let text = text.replacen("message = ", "transactional = false\nmessage = ", 1);
    std::fs::write(&path, text).expect("write");
    let m = Migrator::open(&dir.0).expect("reopen");
    assert!(!m.graph().get("eeee").expect("script").header.transactional);
    let tdb = TestDb::postgres("nontx").await;
    let mut db = m.connect(&tdb.url).await.expect("connect");
    m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect("CREATE INDEX CONCURRENTLY cannot run in a transaction; it must run alone");
    assert_eq!(m.current(&mut db).await.expect("current"), ["eeee00000005"]);
    m.downgrade(&mut db, "base", &RunOptions::default(), |_| {})
        .await
        .expect("down");
}

// The models that match `three_revisions` at head. (A plain comment: a doc comment would
// be the table's comment, which the revisions do not set.)
#[derive(strata::Model)]
#[model(table = "users")]
#[allow(dead_code)]
struct User {
    #[model(primary_key)]
    id: i32,
    #[model(max_length = 80, unique, index)]
    username: String,
    #[model(max_length = 20)]
    phone: Option<String>,
}

// The same table with one more column (no doc comment: it would be the table comment).
#[derive(strata::Model)]
#[model(table = "users")]
#[allow(dead_code)]
struct UserWithAge {
    #[model(primary_key)]
    id: i32,
    #[model(max_length = 80, unique, index)]
    username: String,
    #[model(max_length = 20)]
    phone: Option<String>,
    age: Option<i32>,
}

#[tokio::test]
async fn check_reports_behind_in_sync_and_pending() {
    use strata::Model;
    for kind in BOTH {
        let dir = temp_dir("check");
        let m = three_revisions(&dir);
        assert_eq!(m.heads(), ["cccc00000003"]);
        let tdb = TestDb::new(kind, "check").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, "bbbb", &RunOptions::default(), |_| {})
            .await
            .expect("up");
        let err = m
            .check(&mut db, &[User::TABLE])
            .await
            .expect_err("behind")
            .to_string();
        assert!(err.contains("not up to date"), "{err}");
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("up");
        let plan = m.check(&mut db, &[User::TABLE]).await.expect("in sync");
        assert!(plan.is_empty(), "{kind}: {:?}", plan.upgrade);
        let plan = m
            .check(&mut db, &[UserWithAge::TABLE])
            .await
            .expect("pending");
        let lines: Vec<String> = plan.upgrade.iter().flat_map(|op| op.describe()).collect();
        assert_eq!(lines, ["Detected added column 'users.age'"], "{kind}");
    }
}

#[tokio::test]
async fn header_only_migrator_loads_ops_on_demand() {
    for kind in BOTH {
        let dir = temp_dir("headers");
        drop(three_revisions(&dir));
        let m = Migrator::open_headers(&dir.0).expect("open headers");
        assert_eq!(m.heads(), ["cccc00000003"]);
        assert!(!m.graph().get("aaaa").expect("script").ops_loaded);
        assert_eq!(m.script("aaaa").expect("full").upgrade.len(), 1);
        let tdb = TestDb::new(kind, "headers").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        let steps = m
            .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("upgrade reads the ops it runs");
        assert_eq!(steps.len(), 3);
        assert_eq!(
            column_names(&mut db, "users").await,
            ["id", "username", "phone"]
        );
        let scrub = |s: String| {
            s.lines()
                .filter(|l| {
                    !l.starts_with("INSERT INTO \"strata_log\"")
                        && !l.starts_with("INSERT INTO `strata_log`")
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let full = Migrator::open(&dir.0).expect("open");
        assert_eq!(
            scrub(
                m.offline_sql(
                    kind.dialect().expect("dialect built"),
                    Direction::Up,
                    "head",
                    None
                )
                .expect("offline")
            ),
            scrub(
                full.offline_sql(
                    kind.dialect().expect("dialect built"),
                    Direction::Up,
                    "head",
                    None
                )
                .expect("offline")
            )
        );
    }
}

/// A step whose statements go to the server in one call still names the statement that failed,
/// and leaves nothing behind.
#[tokio::test]
async fn a_failing_statement_in_a_batched_step_is_named() {
    for kind in transactional() {
        let dir = temp_dir("batchfail");
        let m = chain(
            &dir,
            vec![
                create_users(),
                (
                    "two users with one name",
                    "bbbb00000002",
                    vec![Op::Sql {
                        sql: "INSERT INTO users (id, username) VALUES (1, 'ann'), (2, 'ann')"
                            .into(),
                        reverse: Some("DELETE FROM users".into()),
                        dialect: None,
                        batch_size: None,
                        elidable: false,
                    }],
                ),
                (
                    "phone, unique name, age",
                    "cccc00000003",
                    vec![
                        add_nullable("users", "phone", SqlType::Varchar(20)),
                        unique_username(),
                        add_nullable("users", "age", SqlType::Integer),
                    ],
                ),
            ],
        );
        let tdb = TestDb::new(kind, "batchfail").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        let mut seen = Vec::new();
        let err = m
            .upgrade(&mut db, "head", &RunOptions::default(), |e| {
                if let Event::Statement(sql) = e {
                    seen.push(sql);
                }
            })
            .await
            .expect_err("the unique index must fail")
            .to_string();
        assert!(err.contains("cccc00000003"), "{kind}: {err}");
        assert!(
            err.contains("statement: CREATE UNIQUE INDEX \"ix_users_username\""),
            "{kind}: {err}"
        );
        assert!(
            err.contains("UNIQUE constraint failed") || err.contains("could not create unique"),
            "{kind}: {err}"
        );
        assert!(
            seen.iter().any(|s| s.contains("\"age\"")),
            "{kind}: {seen:?}"
        );
        // Per migration: the first two revisions stay; none of the third's statements do,
        // including the column added before the failing index.
        assert_rolled_back(&m, &mut db, &err, ["bbbb00000002"]).await;
        assert_eq!(column_names(&mut db, "users").await, ["id", "username"]);
    }
}

/// Failures callers must tell apart are variants of `strata::Error` they can match, not
/// strings: a taken revision id, a merge of one head, a parent that is not a head, an offline
/// downgrade without a range, a render failure with its revision and typed cause, and the
/// driver's error with the server's code.
#[tokio::test]
async fn typed_errors_callers_can_match() {
    use strata::dialect::RenderError;
    use strata::Error;

    let dir = temp_dir("typed-errors");
    let mut m = three_revisions(&dir);
    let e = m
        .write_revision(rev("again", "aaaa00000001", vec![]))
        .expect_err("taken id");
    assert!(
        matches!(&e, Error::RevisionExists { revision } if revision == "aaaa00000001"),
        "{e:?}"
    );
    let e = m
        .merge(&[], rev("merge", "m1", vec![]))
        .expect_err("one head");
    assert!(
        matches!(&e, Error::MergeNeedsTwo { revisions } if revisions.len() == 1),
        "{e:?}"
    );
    let e = m
        .write_revision(NewRevision {
            head: Some("aaaa00000001".into()),
            ..rev("branch", "b9", vec![])
        })
        .expect_err("not a head");
    assert!(
        matches!(&e, Error::NotAHead { revision } if revision == "aaaa00000001"),
        "{e:?}"
    );
    let sqlite = DialectKind::Sqlite.dialect().expect("dialect built");
    let e = m
        .offline_sql(sqlite, Direction::Down, "base", None)
        .expect_err("no range");
    assert!(
        matches!(&e, Error::DowngradeNeedsRange { target } if target == "base"),
        "{e:?}"
    );

    // A revision dropping a column that does not exist at that point cannot be rendered.
    let bad = Op::DropColumn {
        table: "users".into(),
        column: Column::new("no_such_column", SqlType::Text),
    };
    m.write_revision(rev("broken", "d4", vec![bad]))
        .expect("written");
    let e = m
        .offline_sql(sqlite, Direction::Up, "head", None)
        .expect_err("does not render");
    match &e {
        Error::RenderRevision {
            revision, source, ..
        } => {
            assert_eq!(revision, "d4");
            assert!(matches!(source, RenderError::Inconsistent(_)), "{source:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string().starts_with("while rendering revision d4 ("),
        "{e}"
    );

    // The driver's error is Strata's own type, with the server's code.
    let server = strata::testing::postgres_server_url();
    let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
    let e = m
        .connect(&format!("{base}/strata_no_such_database"))
        .await
        .expect_err("no such database");
    match &e {
        Error::Connect(strata::db::ConnectError::Connect { source, .. }) => {
            assert_eq!(source.code().as_deref(), Some("3D000"), "{source}");
        }
        other => panic!("{other:?}"),
    }
}
