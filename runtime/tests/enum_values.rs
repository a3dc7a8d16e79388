//! Stage 7, apply (live, PostgreSQL): a revision that adds an enum value and then uses it
//! (as a default, and in a data step) upgrades in one run. PostgreSQL refuses to use a value
//! in the transaction that added it, so the step commits the `ADD VALUE` before the
//! statements after it; the test first shows the refusal it works around.

mod common;

use sqlx::{Executor, Row};
use strata::dialect::DialectKind;
use strata::testing::TestDb;
use strata::{Migrator, RunOptions};

use common::{temp_dir, write_revision};

const BASE: &str = "0b0000000001";
const CHANGE: &str = "0b0000000002";

/// Revision 1: `users (id, mood enum mood('happy','sad') default 'happy')`.
const TABLE: &str = r#"
[[upgrade]]
op = "create_table"

[upgrade.table]
name = "users"
columns = [
  { name = "id", type = "integer" },
  { name = "mood", type = "enum mood('happy','sad')", default = "happy" },
]
primary_key = { name = "pk_users", columns = ["id"] }
"#;

/// Revision 2: adds `meh`, makes it the default, and moves user 2 to it.
const ADD_AND_USE: &str = r#"
[[upgrade]]
op = "alter_column"
table = "users"
column = "mood"

[upgrade.type]
from = "enum mood('happy','sad')"
to = "enum mood('happy','sad','meh')"

[[upgrade]]
op = "alter_column"
table = "users"
column = "mood"

[upgrade.default]
from = "happy"
to = "meh"

[[upgrade]]
op = "sql"
sql = "UPDATE users SET mood = 'meh' WHERE id = 2"
reverse = "UPDATE users SET mood = 'sad' WHERE id = 2"
"#;

async fn moods(db: &mut strata::db::Db) -> Vec<(i32, String)> {
    db.conn()
        .fetch_all("SELECT id, mood::text AS mood FROM users ORDER BY id")
        .await
        .expect("rows")
        .iter()
        .map(|r| (r.get("id"), r.get("mood")))
        .collect()
}

#[tokio::test]
async fn a_value_added_and_used_in_one_revision() {
    let tdb = TestDb::new(DialectKind::Postgres, "enum_add_use").await;
    let dir = temp_dir("enum_add_use");
    write_revision(&dir, BASE, None, TABLE);
    write_revision(&dir, CHANGE, Some(BASE), ADD_AND_USE);
    let m = Migrator::open(&dir.0).expect("open");
    let mut db = m.connect(&tdb.url).await.expect("connect");
    m.upgrade(&mut db, BASE, &RunOptions::default(), |_| {})
        .await
        .expect("revision 1");
    db.conn()
        .execute("INSERT INTO users (id, mood) VALUES (1, 'happy'), (2, 'sad')")
        .await
        .expect("rows");

    // The premise: in one transaction, PostgreSQL refuses the value it just added.
    let in_one = db
        .conn()
        .execute(sqlx::raw_sql(
            "BEGIN; ALTER TYPE mood ADD VALUE 'meh'; \
             UPDATE users SET mood = 'meh' WHERE id = 2; COMMIT",
        ))
        .await
        .expect_err("one transaction");
    assert!(
        in_one.to_string().contains("unsafe use of new value"),
        "{in_one}"
    );
    db.conn().execute("ROLLBACK").await.ok();

    // Both revisions in one run (one transaction by default): revision 2 commits its
    // `ADD VALUE` first.
    m.downgrade(&mut db, "base", &RunOptions::default(), |_| {})
        .await
        .expect("back to base");
    m.upgrade(&mut db, BASE, &RunOptions::default(), |_| {})
        .await
        .expect("revision 1 again");
    db.conn()
        .execute("INSERT INTO users (id, mood) VALUES (1, 'happy'), (2, 'sad')")
        .await
        .expect("rows");
    m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect("adds and uses the value");
    assert_eq!(
        m.current(&mut db).await.expect("current"),
        vec![CHANGE.to_string()]
    );
    assert_eq!(
        moods(&mut db).await,
        [(1, "happy".to_string()), (2, "meh".to_string())]
    );
    db.conn()
        .execute("INSERT INTO users (id) VALUES (3)")
        .await
        .expect("default");
    let default: String = db
        .conn()
        .fetch_one("SELECT mood::text AS mood FROM users WHERE id = 3")
        .await
        .expect("row 3")
        .get("mood");
    assert_eq!(default, "meh");

    // Down again: the value goes (a new type without it), with the rows moved back first.
    db.conn()
        .execute("DELETE FROM users WHERE id = 3")
        .await
        .expect("delete");
    m.downgrade(&mut db, BASE, &RunOptions::default(), |_| {})
        .await
        .expect("downgrade");
    assert_eq!(
        moods(&mut db).await,
        [(1, "happy".to_string()), (2, "sad".to_string())]
    );
    let values: Vec<String> = db
        .conn()
        .fetch_all("SELECT unnest(enum_range(NULL::mood))::text AS v")
        .await
        .expect("values")
        .iter()
        .map(|r| r.get("v"))
        .collect();
    assert_eq!(values, ["happy", "sad"]);
}

/// A later statement of the revision fails: the `ADD VALUE` (which went first) stays, the
/// rest rolled back together, and the interruption record it leaves is resolved by running
/// the revision again, which is safe (`IF NOT EXISTS`; nothing else of it took effect).
#[tokio::test]
async fn a_failure_after_the_value_rolls_back_the_rest_and_the_revision_runs_again() {
    let tdb = TestDb::new(DialectKind::Postgres, "enum_add_fail").await;
    let dir = temp_dir("enum_add_fail");
    write_revision(&dir, BASE, None, TABLE);
    // A column added before the value: the value still goes first, so the column is rolled
    // back with the failure (and added again by the retry).
    let failing = format!(
        "[[upgrade]]\nop = \"add_column\"\ntable = \"users\"\n\
         column = {{ name = \"note\", type = \"text\", nullable = true }}\n\
         {ADD_AND_USE}\n[[upgrade]]\nop = \"sql\"\nsql = \"UPDATE nowhere SET x = 1\"\n\
         reverse = \"SELECT 1\"\n"
    );
    let path = write_revision(&dir, CHANGE, Some(BASE), &failing);
    let m = Migrator::open(&dir.0).expect("open");
    let mut db = m.connect(&tdb.url).await.expect("connect");
    m.upgrade(&mut db, BASE, &RunOptions::default(), |_| {})
        .await
        .expect("revision 1");
    db.conn()
        .execute("INSERT INTO users (id, mood) VALUES (1, 'happy'), (2, 'sad')")
        .await
        .expect("rows");
    let err = m
        .upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect_err("the last step fails");
    assert!(err.to_string().contains("nowhere"), "{err}");
    // The value is there; the default and the row are as they were.
    let values: Vec<String> = db
        .conn()
        .fetch_all("SELECT unnest(enum_range(NULL::mood))::text AS v")
        .await
        .expect("values")
        .iter()
        .map(|r| r.get("v"))
        .collect();
    assert_eq!(values, ["happy", "sad", "meh"]);
    assert_eq!(
        moods(&mut db).await,
        [(1, "happy".to_string()), (2, "sad".to_string())]
    );
    db.conn()
        .execute("SELECT note FROM users")
        .await
        .expect_err("the column went with the rollback");
    assert_eq!(
        m.current(&mut db).await.expect("current"),
        vec![BASE.to_string()]
    );
    // The cause fixed (the step removed), the revision runs again from its start.
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)
            .expect("read")
            .replace("UPDATE nowhere SET x = 1", "SELECT 1"),
    )
    .expect("fix");
    let m = Migrator::open(&dir.0).expect("open again");
    m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect_err("an interruption record is open");
    let retry = RunOptions {
        retry_interrupted: true,
        ..RunOptions::default()
    };
    m.upgrade(&mut db, "head", &retry, |_| {})
        .await
        .expect("runs again");
    assert_eq!(
        moods(&mut db).await,
        [(1, "happy".to_string()), (2, "meh".to_string())]
    );
    db.conn()
        .execute("SELECT note FROM users")
        .await
        .expect("the column");
    assert_eq!(
        m.current(&mut db).await.expect("current"),
        vec![CHANGE.to_string()]
    );
}
