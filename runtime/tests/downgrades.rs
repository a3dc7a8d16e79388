//! Stage 7, apply: honest downgrades. A revision without `[[downgrade]]` downgrades as its
//! upgrade reversed; an `sql` step without `reverse` makes it irreversible, refused before
//! anything runs; `downgrade = []` declares a downgrade that does nothing. Live on SQLite and
//! PostgreSQL, and offline (`downgrade --sql` renders the same ops).

mod common;

use strata::apply::Event;
use strata::dialect::IntrospectOptions;
use strata::graph::Direction;
use strata::migrator::Count;
use strata::ops::Op;
use strata::script::{Header, Script, ScriptError};
use strata::testing::{introspect, TestDb, DIALECTS};
use strata::{Migrator, RunOptions};

use common::{temp_dir, write_revision};

const CREATE_USERS: &str = r#"
[[upgrade]]
op = "create_table"

[upgrade.table]
name = "users"
primary_key = { name = "pk_users", columns = ["id"] }
columns = [
  { name = "id", type = "integer" },
  { name = "name", type = "text", nullable = true },
]

[[downgrade]]
op = "drop_table"

[downgrade.table]
name = "users"
primary_key = { name = "pk_users", columns = ["id"] }
columns = [
  { name = "id", type = "integer" },
  { name = "name", type = "text", nullable = true },
]
"#;

/// No `[[downgrade]]`: the downgrade is this reversed (drop the column, then the index...).
const ADD_PHONE_NO_DOWNGRADE: &str = r#"
[[upgrade]]
op = "add_column"
table = "users"
column = { name = "phone", type = "varchar(20)", nullable = true }

[[upgrade]]
op = "sql"
sql = "UPDATE users SET phone = 'unknown'"
reverse = "UPDATE users SET phone = NULL"

[[upgrade]]
op = "create_index"
table = "users"
index = { name = "ix_users_phone", columns = ["phone"] }
"#;

/// An `sql` step without `reverse`, second of two steps.
const IRREVERSIBLE: &str = r#"
[[upgrade]]
op = "add_column"
table = "users"
column = { name = "age", type = "integer", nullable = true }

[[upgrade]]
op = "sql"
sql = """
UPDATE users
SET age = 42"""
"#;

async fn columns(db: &mut strata::db::Db, table: &str) -> Vec<String> {
    let d = db.dialect();
    let s = introspect(db.conn(), d, &IntrospectOptions::default())
        .await
        .expect("introspect")
        .schema;
    s.table(table)
        .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}

async fn indexes(db: &mut strata::db::Db, table: &str) -> Vec<String> {
    let d = db.dialect();
    let s = introspect(db.conn(), d, &IntrospectOptions::default())
        .await
        .expect("introspect")
        .schema;
    s.table(table)
        .map(|t| t.indexes.iter().map(|i| i.name.clone()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_missing_downgrade_is_the_upgrade_reversed() {
    for kind in DIALECTS {
        let dir = temp_dir("reversed");
        write_revision(&dir.0, "a1", None, CREATE_USERS);
        write_revision(&dir.0, "b2", Some("a1"), ADD_PHONE_NO_DOWNGRADE);
        let m = Migrator::open(&dir.0).expect("open");
        let tdb = TestDb::new(kind, "reversed").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("upgrade");
        assert_eq!(columns(&mut db, "users").await, ["id", "name", "phone"]);
        assert_eq!(indexes(&mut db, "users").await, ["ix_users_phone"]);

        let mut online = Vec::new();
        m.downgrade(&mut db, "-1", &RunOptions::default(), |e| {
            if let Event::Statement(s) = e {
                online.push(s);
            }
        })
        .await
        .expect("downgrade");
        assert_eq!(m.current(&mut db).await.expect("current"), ["a1"]);
        // Today's bug was a silent no-op here: the column stayed and the next upgrade failed.
        assert_eq!(columns(&mut db, "users").await, ["id", "name"], "{kind}");
        assert!(indexes(&mut db, "users").await.is_empty(), "{kind}");
        // The reversed steps, last first; the sql step ran its `reverse`.
        assert_eq!(online.len(), 3, "{kind}: {online:?}");
        assert!(online[0].contains("DROP INDEX"), "{online:?}");
        assert_eq!(online[1], "UPDATE users SET phone = NULL");
        assert!(online[2].contains("phone"), "{online:?}");
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("the next upgrade works");

        // `downgrade --sql` renders the same statements.
        let offline = m
            .offline_sql(
                kind.dialect().expect("dialect built"),
                Direction::Down,
                "b2:a1",
                None,
            )
            .expect("offline");
        for st in &online {
            assert!(
                offline.contains(st.as_str()),
                "{kind}: {st} not in\n{offline}"
            );
        }
    }
}

#[tokio::test]
async fn an_irreversible_revision_is_refused_before_anything_runs() {
    for kind in DIALECTS {
        let dir = temp_dir("irreversible");
        write_revision(&dir.0, "a1", None, CREATE_USERS);
        let b2 = write_revision(&dir.0, "b2", Some("a1"), IRREVERSIBLE);
        // c3 is reversible and above b2: `downgrade base` must not revert it either.
        write_revision(&dir.0, "c3", Some("b2"), ADD_PHONE_NO_DOWNGRADE);
        let m = Migrator::open(&dir.0).expect("open");
        let tdb = TestDb::new(kind, "irreversible").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("upgrade");
        let mut ran = 0;
        let err = m
            .downgrade(&mut db, "base", &RunOptions::default(), |e| {
                if matches!(e, Event::Started(_)) {
                    ran += 1;
                }
            })
            .await
            .expect_err("irreversible")
            .to_string();
        assert_eq!(ran, 0, "{kind}: a step ran");
        for needle in [
            "revision b2",
            &b2.display().to_string(),
            "step #2",
            "UPDATE users ...",
            "reverse",
            "downgrade = []",
        ] {
            assert!(err.contains(needle), "{kind}: no `{needle}` in: {err}");
        }
        assert_eq!(m.current(&mut db).await.expect("current"), ["c3"], "{kind}");
        assert_eq!(
            columns(&mut db, "users").await,
            ["id", "name", "age", "phone"],
            "{kind}"
        );
        // `-1` (only c3) is fine; then b2 alone is refused the same way.
        m.downgrade(&mut db, "-1", &RunOptions::default(), |_| {})
            .await
            .expect("c3 reverses");
        let err = m
            .downgrade(&mut db, "-1", &RunOptions::default(), |_| {})
            .await
            .expect_err("b2")
            .to_string();
        assert!(err.contains("revision b2"), "{err}");
        assert_eq!(m.current(&mut db).await.expect("current"), ["b2"]);
        // Offline: the same refusal.
        let err = m
            .offline_sql(
                kind.dialect().expect("dialect built"),
                Direction::Down,
                "c3:base",
                None,
            )
            .expect_err("offline")
            .to_string();
        assert!(
            err.contains("revision b2") && err.contains("step #2"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn an_empty_declared_downgrade_does_nothing_on_purpose() {
    for kind in DIALECTS {
        let dir = temp_dir("declared");
        write_revision(&dir.0, "a1", None, CREATE_USERS);
        write_revision(
            &dir.0,
            "b2",
            Some("a1"),
            &format!("downgrade = []\n{IRREVERSIBLE}"),
        );
        // A merge-like revision with no ops at all downgrades as before.
        write_revision(&dir.0, "c3", Some("b2"), "");
        let m = Migrator::open(&dir.0).expect("open");
        let tdb = TestDb::new(kind, "declared").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("upgrade");
        let steps = m
            .downgrade(&mut db, "a1", &RunOptions::default(), |_| {})
            .await
            .expect("downgrade");
        assert_eq!(steps.len(), 2);
        assert!(steps.iter().all(|s| s.statements.is_empty()), "{steps:?}");
        assert_eq!(m.current(&mut db).await.expect("current"), ["a1"]);
        assert_eq!(columns(&mut db, "users").await, ["id", "name", "age"]);
    }
}

#[test]
fn absent_and_empty_downgrades_parse_and_write_back_apart() {
    let dir = temp_dir("parse");
    let absent =
        Script::load(write_revision(&dir.0, "a1", None, ADD_PHONE_NO_DOWNGRADE)).expect("a1");
    assert!(!absent.downgrade_declared);
    let reversed = absent.downgrade_ops().expect("reversible");
    assert_eq!(reversed.len(), 3);
    assert!(matches!(reversed[0], Op::DropIndex { .. }));
    assert!(matches!(reversed[2], Op::DropColumn { .. }));

    let declared = Script::load(write_revision(
        &dir.0,
        "b2",
        None,
        &format!("downgrade = []\n{ADD_PHONE_NO_DOWNGRADE}"),
    ))
    .expect("b2");
    assert!(declared.downgrade_declared);
    assert!(declared.downgrade_ops().expect("declared").is_empty());

    let irreversible = Script::load(write_revision(&dir.0, "c3", None, IRREVERSIBLE)).expect("c3");
    match irreversible.downgrade_ops() {
        Err(ScriptError::Irreversible {
            revision,
            step,
            first_line,
            others,
            ..
        }) => {
            assert_eq!((revision.as_str(), step), ("c3", 2));
            assert_eq!(first_line, "UPDATE users ...");
            assert!(others.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // Both `[[downgrade]]` and `downgrade = []`: a parse error, not a guess.
    let both = format!("downgrade = []\n{CREATE_USERS}");
    let err = Script::parse(
        dir.0.join("versions/d4_x.toml"),
        &format!("revision = \"d4\"\nmessage = \"m\"\n{both}"),
    )
    .expect_err("both");
    assert!(err.to_string().contains("d4_x.toml"), "{err}");

    // Written back, each keeps its meaning.
    for s in [&absent, &declared, &irreversible] {
        let mut h = s.header.clone();
        h.revision = format!("{}x", h.revision);
        let copy = Script::with_downgrade(
            h,
            s.upgrade.clone(),
            s.downgrade_declared.then(|| s.downgrade.clone()),
        )
        .expect("script");
        let text = copy.render().expect("render");
        let back = Script::parse(&copy.path, &text).expect("parses back");
        assert_eq!(back.downgrade_declared, s.downgrade_declared, "{text}");
        assert_eq!(back.downgrade, s.downgrade, "{text}");
        assert_eq!(back.upgrade, s.upgrade, "{text}");
    }
    let _ = Header::new("x", Vec::new(), "m");
}

#[tokio::test]
async fn the_losses_of_a_downgrade_are_counted_on_the_live_objects() {
    for kind in DIALECTS {
        let dir = temp_dir("losses");
        write_revision(&dir.0, "a1", None, CREATE_USERS);
        write_revision(
            &dir.0,
            "b2",
            Some("a1"),
            r#"
[[upgrade]]
op = "rename_table"
from = "users"
to = "members"

[[upgrade]]
op = "add_column"
table = "members"
column = { name = "nick", type = "text", nullable = true }
"#,
        );
        let m = Migrator::open(&dir.0).expect("open");
        let tdb = TestDb::new(kind, "losses").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
            .await
            .expect("upgrade");
        sqlx::raw_sql(
            "INSERT INTO members (id, name, nick) VALUES (1, 'a', 'x'), (2, 'b', 'y'), (3, 'c', NULL)",
        )
        .execute(db.conn())
        .await
        .expect("rows");

        let one = m.downgrade_losses(&mut db, "-1").await.expect("-1");
        assert!(!one.to_base && one.steps == 1, "{one:?}");
        assert_eq!(one.losses.len(), 1, "{one:?}");
        assert_eq!(one.losses[0].count, Some(Count::Values(2)), "{kind}");
        assert!(one.losses[0].what.contains("members.nick"), "{one:?}");

        let all = m.downgrade_losses(&mut db, "base").await.expect("base");
        assert!(
            all.to_base && all.steps == 2 && all.is_destructive(),
            "{all:?}"
        );
        let got: Vec<(&str, Option<Count>)> = all
            .losses
            .iter()
            .map(|l| (l.revision.as_str(), l.count))
            .collect();
        // a1's `drop_table users` counts the live `members`, which b2's downgrade renames back.
        assert_eq!(
            got,
            [("b2", Some(Count::Values(2))), ("a1", Some(Count::Rows(3)))],
            "{kind}"
        );
        // Reading the losses changed nothing.
        assert_eq!(m.current(&mut db).await.expect("current"), ["b2"]);
        assert_eq!(columns(&mut db, "members").await, ["id", "name", "nick"]);
        // Nothing to revert: nothing to lose.
        m.downgrade(&mut db, "base", &RunOptions::default(), |_| {})
            .await
            .expect("base");
        let none = m.downgrade_losses(&mut db, "base").await.expect("none");
        assert!(!none.is_destructive(), "{none:?}");
    }
}
