//! Stage 8, CLI (end to end): rename detection in autogenerate. A column renamed in the model
//! without a `renamed_from` hint is a drop and an add of the same shape: without a terminal,
//! `migrate -m` writes the drop and the add and warns with the hint to use; a confirmed
//! candidate (the terminal's "y", given here through the library's `compare_asking`) is written
//! as a rename that keeps the values.

mod common;

use common::{Variant, Workdir};
use strata::diff::RenameCandidate;
use strata::model::{ColumnDef, ColumnType, TableDef};
use strata::ops::Op;
use strata::testing::TestDb;

/// The test project's `users` with `username` renamed to `login` (no hint).
const USERS: TableDef = TableDef {
    name: "users",
    schema: None,
    rust_path: "e2e_app::User",
    comment: None,
    renamed_from: None,
    columns: &[
        ColumnDef {
            primary_key: true,
            autoincrement: true,
            ..ColumnDef::new("id", ColumnType::Integer)
        },
        ColumnDef {
            unique: true,
            ..ColumnDef::new("login", ColumnType::Varchar(80))
        },
        ColumnDef::new("email", ColumnType::Varchar(120)),
    ],
    indexes: &[],
    uniques: &[],
    checks: &[],
    primary_key_name: None,
};

#[tokio::test]
async fn a_suspected_rename_warns_without_a_terminal_and_renames_when_confirmed() {
    let db = TestDb::sqlite("rename");
    let w = Workdir::new("rename", Some(&db.url));
    w.run(Variant::Base, &["init"]).ok();
    let run = w.run(Variant::Base, &["migrate", "-m", "create users"]);
    run.generated();
    w.run(Variant::Base, &["upgrade"]).ok();

    // The database has `username`; the models below say `login`.
    let m = strata::Migrator::open(w.path("migrations")).expect("open");
    let mut conn = m.connect(&db.url).await.expect("connect");
    let mut asked = Vec::new();
    let (changes, declined) = m
        .compare_asking(&mut conn, &[&USERS], |c| {
            asked.push(c.question());
            true
        })
        .await
        .expect("compare");
    assert_eq!(asked, ["Did you rename users.username to users.login?"]);
    assert_eq!(declined, []);
    assert!(
        changes.upgrade.iter().any(|op| matches!(op,
            Op::AlterColumn { column, rename: Some(to), .. } if column == "username" && to == "login")),
        "{:?}",
        changes.upgrade
    );
    assert!(
        !changes
            .upgrade
            .iter()
            .any(|op| matches!(op, Op::DropColumn { .. } | Op::AddColumn { .. })),
        "{:?}",
        changes.upgrade
    );
    // Declined: the drop and the add, and the candidate is handed back.
    let (changes, declined) = m
        .compare_asking(&mut conn, &[&USERS], |_| false)
        .await
        .expect("compare");
    assert_eq!(
        declined,
        [RenameCandidate::Column {
            table: "users".into(),
            from: "username".into(),
            to: "login".into()
        }]
    );
    assert!(changes
        .upgrade
        .iter()
        .any(|op| matches!(op, Op::DropColumn { column, .. } if column.name == "username")));
    conn.close().await;

    // The CLI without a terminal on stdin: the database renamed by hand, the model not.
    let mut raw = strata::testing::connect(&db.url).await.expect("connect");
    sqlx::raw_sql("ALTER TABLE users RENAME COLUMN username TO handle")
        .execute(raw.conn())
        .await
        .expect("rename by hand");
    raw.close().await;
    let run = w.run(Variant::Base, &["migrate", "-m", "after the rename"]);
    let lines = run.using(&db.url);
    assert!(
        lines.iter().any(|l| l
            == "WARNING: 'users.handle' is dropped and 'users.username' added with the same \
                type; if it was renamed, the drop loses its values: add \
                #[model(renamed_from = \"handle\")] to the field of 'username' and generate the \
                revision again"),
        "{run:#?}"
    );
    assert!(
        lines.contains(&"Detected removed column 'users.handle'".to_string()),
        "{run:#?}"
    );
    assert!(
        lines.contains(&"Detected added column 'users.username'".to_string()),
        "{run:#?}"
    );
}
