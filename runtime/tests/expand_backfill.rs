//! Stage 6c, compat (live): a column rename split into expand and contract revisions, on
//! SQLite, PostgreSQL and MySQL with rows. The expand revision adds the new column and copies
//! the data in batches (one portable `sql` text, repeated until a run changes nothing); the
//! previous release still reads and writes the old column; the contract revision copies what
//! it wrote in between, makes the new column NOT NULL and drops the old one.

mod common;

use sqlx::{Executor, Row};
use strata::apply::Event;
use strata::compat::split::{expand_contract, COPY_BATCH};
use strata::dialect::DialectKind;
use strata::migrator::NewRevision;
use strata::ops::Op;
use strata::schema::{Column, PrimaryKey, Schema, SqlType, Table};
use strata::script::Phase;
use strata::testing::TestDb;
use strata::{Migrator, RunOptions};

use common::{temp_dir, write_revision};

const BASE: &str = "0c0000000001";

/// `users (id integer key, name varchar(80) NOT NULL)`.
const USERS: &str = r#"
[[upgrade]]
op = "create_table"

[upgrade.table]
name = "users"
columns = [
  { name = "id", type = "integer" },
  { name = "name", type = "varchar(80)" },
]
primary_key = { name = "pk_users", columns = ["id"] }
"#;

/// More rows than two batches hold.
const ROWS: u32 = 2 * COPY_BATCH + 500;

fn before() -> Schema {
    let mut s = Schema::new();
    s.insert(Table {
        name: "users".into(),
        columns: vec![
            Column::new("id", SqlType::Integer),
            Column::new("name", SqlType::Varchar(80)),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    });
    s
}

async fn rename_in_two_revisions(kind: DialectKind) {
    let tag = format!("expand_backfill_{kind}");
    let tdb = TestDb::new(kind, &tag).await;
    let dir = temp_dir(&tag);
    write_revision(&dir, BASE, None, USERS);
    let mut m = Migrator::open(&dir.0).expect("open");

    let rename = Op::AlterColumn {
        table: "users".into(),
        column: "name".into(),
        rename: Some("full_name".into()),
        ty: None,
        nullable: None,
        default: None,
    };
    let split = expand_contract(&[rename], &before());
    assert!(
        split.expand.iter().any(|op| matches!(
            op,
            Op::Sql { batch_size: Some(n), .. } if *n == COPY_BATCH
        )),
        "{:?}",
        split.expand
    );
    let reverse = |ops: &[Op]| strata::ops::reverse_all(ops).expect("reversible");
    let expand = m
        .write_revision(NewRevision {
            message: "rename (expand)".into(),
            downgrade: reverse(&split.expand),
            upgrade: split.expand.clone(),
            phase: Some(Phase::Expand),
            online: true,
            ..NewRevision::default()
        })
        .expect("expand revision");
    let contract = m
        .write_revision(NewRevision {
            message: "rename (contract)".into(),
            downgrade: reverse(&split.contract),
            upgrade: split.contract.clone(),
            phase: Some(Phase::Contract),
            ..NewRevision::default()
        })
        .expect("contract revision");

    let mut db = m.connect(&tdb.url).await.expect("connect");
    m.upgrade(&mut db, BASE, &RunOptions::default(), |_| {})
        .await
        .expect("base");
    // Rows in chunks (one statement per 1,000: every dialect takes that many values).
    for chunk in (1..=ROWS).collect::<Vec<_>>().chunks(1000) {
        let values: Vec<String> = chunk.iter().map(|i| format!("({i}, 'u{i}')")).collect();
        db.conn()
            .execute(format!("INSERT INTO users (id, name) VALUES {}", values.join(", ")).as_str())
            .await
            .expect("rows");
    }

    // Before the deploy.
    let mut batches = Vec::new();
    m.upgrade(&mut db, "expand@head", &RunOptions::default(), |e| {
        if let Event::Batch {
            batches: b,
            rows,
            done,
            ..
        } = e
        {
            batches.push((b, rows, done));
        }
    })
    .await
    .expect("expand");
    assert_eq!(
        m.current(&mut db).await.expect("current"),
        [expand.revision().to_string()]
    );
    assert_eq!(
        batches.last(),
        Some(&(3, u64::from(ROWS), true)),
        "{kind}: three batches copied every row, then a run that changed none: {batches:?}"
    );
    let copied: i64 = db
        .conn()
        .fetch_one("SELECT COUNT(*) AS n FROM users WHERE full_name = name")
        .await
        .expect("count")
        .get("n");
    assert_eq!(copied, i64::from(ROWS));
    // The previous release: reads and writes `name` only.
    db.conn()
        .execute("INSERT INTO users (id, name) VALUES (100000, 'late')")
        .await
        .expect("the previous release's insert");
    db.conn()
        .execute("SELECT id, name FROM users WHERE id = 1")
        .await
        .expect("the previous release's select");

    // After the deploy: the row written in between is copied, then `name` goes.
    m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect("contract");
    assert_eq!(
        m.current(&mut db).await.expect("current"),
        [contract.revision().to_string()]
    );
    let late: String = db
        .conn()
        .fetch_one("SELECT full_name FROM users WHERE id = 100000")
        .await
        .expect("late row")
        .get("full_name");
    assert_eq!(late, "late");
    let gone = db.conn().execute("SELECT name FROM users").await;
    assert!(gone.is_err(), "{kind}: `name` is still there");
    let null = db
        .conn()
        .execute("INSERT INTO users (id) VALUES (100001)")
        .await;
    assert!(null.is_err(), "{kind}: full_name is not NOT NULL");

    db.close().await;
}

#[tokio::test]
async fn rename_in_two_revisions_sqlite() {
    rename_in_two_revisions(DialectKind::Sqlite).await;
}

#[tokio::test]
async fn rename_in_two_revisions_postgres() {
    rename_in_two_revisions(DialectKind::Postgres).await;
}

#[tokio::test]
async fn rename_in_two_revisions_mysql() {
    rename_in_two_revisions(DialectKind::Mysql).await;
}
