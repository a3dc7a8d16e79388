//! Migrator: `migrate squash` on every dialect: the net effect of a chain (an added then
//! dropped column gone, a rename kept as a rename, data steps kept in order unless elidable);
//! a fresh database runs the squash and gets the schema and rows the chain gives; a database
//! inside the chain goes on through its files; once the replaced files are deleted the squash
//! stands in for them, and a database left inside the chain is told what to do.

mod common;

use sqlx::{Executor, Row};
use strata::apply::Event;
use strata::db::Db;
use strata::dialect::IntrospectOptions;
use strata::diff::diff_on;
use strata::ops::Op;
use strata::testing::{introspect, TestDb, DIALECTS};
use strata::{Migrator, RunOptions};

use common::{write_chain, CREATE_USERS};

const A1: &str = CREATE_USERS;

const A2: &str = r#"
[[upgrade]]
op = "add_column"
table = "users"
column = { name = "tmp", type = "integer", nullable = true }

[[upgrade]]
op = "add_column"
table = "users"
column = { name = "nick", type = "varchar(20)", nullable = true }
"#;

const A3: &str = r#"
[[upgrade]]
op = "alter_column"
table = "users"
column = "nick"
rename = "handle"

[[upgrade]]
op = "sql"
sql = "UPDATE users SET handle = name"
reverse = "UPDATE users SET handle = NULL"
"#;

const A4: &str = r#"
[[upgrade]]
op = "drop_column"
table = "users"
column = { name = "tmp", type = "integer", nullable = true }

[[upgrade]]
op = "create_table"

[upgrade.table]
name = "posts"
columns = [
  { name = "id", type = "integer" },
  { name = "user_id", type = "integer" },
]
primary_key = { name = "pk_posts", columns = ["id"] }
foreign_keys = [{ name = "fk_posts_user_id_users", columns = ["user_id"], ref_table = "users", ref_columns = ["id"] }]

[[upgrade]]
op = "add_column"
table = "users"
column = { name = "scratch", type = "integer", nullable = true }

[[upgrade]]
op = "sql"
sql = "UPDATE users SET name = name"
reverse = "SELECT 1"
elidable = true
"#;

const A5: &str = r#"
[[upgrade]]
op = "alter_column"
table = "users"
column = "handle"
type = { from = "varchar(20)", to = "varchar(60)" }

[[upgrade]]
op = "drop_column"
table = "users"
column = { name = "scratch", type = "integer", nullable = true }
"#;

const IDS: [&str; 5] = [
    "0a0000000001",
    "0a0000000002",
    "0a0000000003",
    "0a0000000004",
    "0a0000000005",
];

fn chain(tag: &str) -> common::Dir {
    let bodies = [A1, A2, A3, A4, A5];
    let revisions: Vec<(&str, &str)> = IDS.iter().copied().zip(bodies).collect();
    write_chain(tag, &revisions)
}

async fn live(db: &mut Db) -> strata::schema::Schema {
    let d = db.dialect();
    introspect(db.conn(), d, &IntrospectOptions::default())
        .await
        .expect("introspect")
        .schema
}

async fn assert_same_schema(a: &mut Db, b: &mut Db, what: &str) {
    let (sa, sb) = (live(a).await, live(b).await);
    let d = a.dialect();
    let left = diff_on(d, &sa, &sb, &Default::default()).expect("diff");
    assert!(left.is_empty(), "{what}: {:#?}", left.upgrade);
}

#[tokio::test]
async fn a_squash_builds_what_its_chain_builds() {
    for kind in DIALECTS {
        let dir = chain("squash");
        let m = Migrator::open(&dir.0).expect("open");
        // Databases made before the squash: one through the whole chain, one inside it.
        let whole_db = TestDb::new(kind, "squash_whole").await;
        let mut whole = m.connect(&whole_db.url).await.expect("connect");
        let inside_db = TestDb::new(kind, "squash_inside").await;
        let mut inside = m.connect(&inside_db.url).await.expect("connect");
        let opts = RunOptions::default();
        for db in [&mut whole, &mut inside] {
            m.upgrade(db, IDS[0], &opts, |_| {}).await.expect("a1");
            db.conn()
                .execute("INSERT INTO users (id, name) VALUES (1, 'ann')")
                .await
                .expect("row");
        }
        m.upgrade(&mut whole, "head", &opts, |_| {})
            .await
            .expect("chain");
        m.upgrade(&mut inside, IDS[2], &opts, |_| {})
            .await
            .expect("a3");

        let mut m = Migrator::open(&dir.0).expect("open");
        let squash = m
            .squash(IDS[1], IDS[4], "squash a2 to a5")
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(squash.header.replaces, IDS[1..].to_vec());
        assert_eq!(squash.header.down_revision, [IDS[0].to_string()]);
        let kinds: Vec<String> = squash
            .upgrade
            .iter()
            .map(|op| match op {
                Op::Sql { sql, .. } => format!("sql {sql}"),
                Op::AddColumn { column, .. } => format!("add_column {}", column.name),
                Op::AlterColumn { column, rename, .. } => {
                    format!(
                        "alter_column {column} -> {}",
                        rename.as_deref().unwrap_or("-")
                    )
                }
                Op::CreateTable { table } => format!("create_table {}", table.name),
                other => format!("{other:?}"),
            })
            .collect();
        // Within a stretch: `scratch` came and went (the elidable step between them went
        // too), `nick` added then renamed is one add of `handle`. The kept data step ends a
        // stretch: `tmp`, added before it and dropped after, stays added and dropped.
        assert_eq!(
            kinds[..3],
            [
                "add_column tmp".to_string(),
                "add_column handle".to_string(),
                "sql UPDATE users SET handle = name".to_string(),
            ],
            "{kinds:#?}"
        );
        assert!(!kinds.iter().any(|k| k.contains("scratch")), "{kinds:#?}");
        assert!(
            kinds.contains(&"sql UPDATE users SET handle = name".to_string()),
            "{kinds:#?}"
        );
        assert!(
            !kinds.iter().any(|k| k.contains("SET name = name")),
            "elidable: {kinds:#?}"
        );
        assert!(
            kinds.contains(&"create_table posts".to_string()),
            "{kinds:#?}"
        );

        // A fresh database runs the squash, not the chain.
        let fresh_db = TestDb::new(kind, "squash_fresh").await;
        let mut fresh = m.connect(&fresh_db.url).await.expect("connect");
        m.upgrade(&mut fresh, IDS[0], &opts, |_| {})
            .await
            .expect("a1");
        fresh
            .conn()
            .execute("INSERT INTO users (id, name) VALUES (1, 'ann')")
            .await
            .expect("row");
        let mut ran = Vec::new();
        m.upgrade(&mut fresh, "head", &opts, |e| {
            if let Event::Started(s) = e {
                ran.push(s.revision)
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(ran, [squash.revision().to_string()], "{kind}");
        assert_eq!(m.current(&mut fresh).await.expect("current"), [IDS[4]]);
        assert_same_schema(&mut whole, &mut fresh, "squash vs chain").await;
        let handle: String = fresh
            .conn()
            .fetch_one("SELECT handle FROM users WHERE id = 1")
            .await
            .expect("row")
            .get(0);
        assert_eq!(handle, "ann", "{kind}: the data step ran");

        // A database inside the chain goes on through the chain's files.
        let mut ran = Vec::new();
        m.upgrade(&mut inside, "head", &opts, |e| {
            if let Event::Started(s) = e {
                ran.push(s.revision)
            }
        })
        .await
        .expect("inside");
        assert_eq!(ran, IDS[3..].to_vec(), "{kind}");
        assert_same_schema(&mut whole, &mut inside, "inside vs chain").await;

        // Once the replaced files are gone the squash stands in for them.
        let stuck_db = TestDb::new(kind, "squash_stuck").await;
        let mut stuck = m.connect(&stuck_db.url).await.expect("connect");
        m.upgrade(&mut stuck, IDS[2], &opts, |_| {})
            .await
            .expect("a3");
        for id in &IDS[1..] {
            std::fs::remove_file(dir.join("versions").join(format!("{id}_step.toml")))
                .expect("remove");
        }
        let m = Migrator::open(&dir.0).expect("open without the chain");
        assert_eq!(m.heads(), [squash.revision().to_string()]);
        // At the chain's end: up to date.
        let steps = m
            .upgrade(&mut whole, "head", &opts, |_| {})
            .await
            .expect("nothing");
        assert!(steps.is_empty(), "{kind}: {steps:?}");
        // A fresh database runs it as an ordinary revision.
        let again_db = TestDb::new(kind, "squash_again").await;
        let mut again = m.connect(&again_db.url).await.expect("connect");
        m.upgrade(&mut again, "head", &opts, |_| {})
            .await
            .expect("fresh");
        assert_same_schema(&mut whole, &mut again, "standing squash vs chain").await;
        // Inside the chain, with its files gone: told what to do.
        let e = m
            .upgrade(&mut stuck, "head", &opts, |_| {})
            .await
            .expect_err("its revision is gone");
        assert!(
            e.to_string().contains("squashed and whose file is gone"),
            "{kind}: {e}"
        );
    }
}

#[test]
fn squashes_that_cannot_stand_for_their_chain_are_refused() {
    let dir = chain("squash-bad");
    let mut m = Migrator::open(&dir.0).expect("open");
    let e = m.squash(IDS[3], IDS[1], "backwards").expect_err("order");
    assert!(e.to_string().contains("not an ancestor"), "{e}");
    let e = m.squash(IDS[2], IDS[2], "one").expect_err("one");
    assert!(e.to_string().contains("two revisions or more"), "{e}");
    m.squash(IDS[1], IDS[2], "first").expect("squash");
    let e = m.squash(IDS[2], IDS[3], "overlap").expect_err("overlap");
    assert!(e.to_string().contains("already squashed"), "{e}");
    // Some replaced files gone and some not: the directory does not load.
    std::fs::remove_file(dir.join("versions").join(format!("{}_step.toml", IDS[1])))
        .expect("remove");
    let e = Migrator::open(&dir.0).expect_err("half gone");
    assert!(
        e.to_string()
            .contains("some of the revisions it replaces are gone"),
        "{e}"
    );
}
