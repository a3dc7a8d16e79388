//! Stage 7, apply (offline) on MySQL/MariaDB: the script `upgrade --sql --dialect mysql` prints
//! runs in the `mariadb` command-line client and leaves the same database as the online
//! upgrade: schema, version rows, and string values with quotes and backslashes intact, even
//! when the server starts sessions with `ANSI_QUOTES` and `NO_BACKSLASH_ESCAPES`.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use strata::dialect::{DialectKind, IntrospectOptions};
use strata::diff::{diff, DiffOptions};
use strata::graph::Direction;
use strata::ops::{Change, Op};
use strata::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, SqlType, Table,
};
use strata::testing::{introspect, TestDb};
use strata::{Migrator, RunOptions};

use common::{temp_dir, write_op_revisions, Dir};

fn key(table: &str) -> Option<PrimaryKey> {
    Some(PrimaryKey {
        name: format!("pk_{table}"),
        columns: vec!["id".into()],
    })
}

fn chain(dir: &Dir) -> Migrator {
    let users = Table {
        name: "users".into(),
        comment: Some(r"People; it's a \ table".into()),
        columns: vec![
            Column {
                autoincrement: true,
                ..Column::new("id", SqlType::Integer)
            },
            Column {
                default: Some(ColumnDefault::Str(r"it's C:\path".into())),
                comment: Some(r#"say "hi" \n"#.into()),
                ..Column::new("name", SqlType::Varchar(80))
            },
            Column {
                default: Some(ColumnDefault::Bool(true)),
                ..Column::new("active", SqlType::Boolean)
            },
            Column {
                default: Some(ColumnDefault::Sql {
                    sql: "CURRENT_TIMESTAMP".into(),
                }),
                ..Column::new("created_at", SqlType::Timestamp)
            },
            Column::new("doc", SqlType::Json).nullable(),
        ],
        primary_key: key("users"),
        indexes: vec![Index {
            name: "ix_users_name".into(),
            columns: vec!["name".into()],
            unique: true,
            ..Index::default()
        }],
        checks: vec![Check {
            name: "ck_users_name".into(),
            expr: r#"char_length("name") > 0"#.into(),
        }],
        ..Table::default()
    };
    let posts = Table {
        name: "posts".into(),
        columns: vec![
            Column::new("id", SqlType::Integer),
            Column::new("user_id", SqlType::Integer),
            Column::new("title", SqlType::Varchar(200)),
        ],
        primary_key: key("posts"),
        foreign_keys: vec![ForeignKey {
            name: "fk_posts_user_id_users".into(),
            columns: vec!["user_id".into()],
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::NoAction,
        }],
        ..Table::default()
    };
    let revisions = vec![
        (
            "users",
            "aaaa00000001",
            vec![Op::CreateTable { table: users }],
        ),
        (
            "posts",
            "bbbb00000002",
            vec![Op::CreateTable { table: posts }],
        ),
        (
            "rename and widen",
            "cccc00000003",
            vec![
                Op::AlterColumn {
                    table: "posts".into(),
                    column: "title".into(),
                    rename: Some("headline".into()),
                    ty: Some(Change {
                        from: SqlType::Varchar(200),
                        to: SqlType::Varchar(300),
                    }),
                    nullable: None,
                    default: None,
                },
                Op::Sql {
                    sql: r"INSERT INTO users (name) VALUES ('o''brien \\ co')".into(),
                    reverse: Some("DELETE FROM users".into()),
                    dialect: None,
                    batch_size: None,
                    elidable: false,
                },
            ],
        ),
    ];
    let mut m = Migrator::open(&dir.0).expect("open");
    write_op_revisions(&mut m, &dir.0, revisions)
}

/// Runs `script` with the `mariadb` client against database `name`, the session starting in
/// `sql_mode` (as a server configured that way would start it).
fn mariadb_client(name: &str, script: &str, sql_mode: &str) {
    let mut child = Command::new("mariadb")
        .args(["-h", "127.0.0.1", "-P", "3306", "-u", "root", name])
        .arg(format!(
            "--init-command=SET SESSION sql_mode = '{sql_mode}'"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the `mariadb` client is installed with the server");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write script");
    let out = child.wait_with_output().expect("mariadb");
    assert!(
        out.status.success(),
        "the mariadb client refused the script: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The modes that change what SQL text means: `"x"` an identifier, `\` a plain character,
/// `||` a logical or.
const HOSTILE: &str = "ANSI_QUOTES,NO_BACKSLASH_ESCAPES";

#[tokio::test]
async fn the_offline_script_runs_in_the_mariadb_client() {
    let dir = temp_dir("mysql-offline");
    let m = chain(&dir);
    let script = m
        .offline_sql(
            DialectKind::Mysql.dialect().expect("mysql built"),
            Direction::Up,
            "head",
            None,
        )
        .expect("offline sql");
    let offline = TestDb::new(DialectKind::Mysql, "offline_cli").await;
    let online = TestDb::new(DialectKind::Mysql, "offline_online").await;
    let name = offline.url.rsplit('/').next().expect("database name");
    // Whatever mode the server starts sessions in: the script sets its own.
    mariadb_client(name, &script, HOSTILE);

    let mut a = m.connect(&offline.url).await.expect("connect");
    let mut b = m.connect(&online.url).await.expect("connect");
    m.upgrade(&mut b, "head", &RunOptions::default(), |_| {})
        .await
        .expect("online upgrade");
    assert_eq!(m.current(&mut a).await.expect("current"), ["cccc00000003"]);
    let opts = IntrospectOptions::default();
    let da = a.dialect();
    let sa = introspect(a.conn(), da, &opts).await.expect("a").schema;
    let db_ = b.dialect();
    let sb = introspect(b.conn(), db_, &opts).await.expect("b").schema;
    let d = diff(&sa, &sb, &DiffOptions::default()).expect("diff");
    assert!(
        d.upgrade.is_empty(),
        "offline and online differ: {:?}",
        d.upgrade
    );
    let users = sa.table("users").expect("users");
    assert_eq!(users.comment.as_deref(), Some(r"People; it's a \ table"));
    let name_col = users.column("name").expect("name");
    assert_eq!(
        name_col.default,
        Some(ColumnDefault::Str(r"it's C:\path".into()))
    );
    assert_eq!(name_col.comment.as_deref(), Some(r#"say "hi" \n"#));
    assert_eq!(users.column("doc").expect("doc").ty, SqlType::Json);
    let row: String = sqlx::query_scalar("SELECT name FROM users")
        .fetch_one(a.conn())
        .await
        .expect("row");
    assert_eq!(row, r"o'brien \ co");
    // The online downgrade takes the offline database back to base.
    m.downgrade(&mut a, "base", &RunOptions::default(), |_| {})
        .await
        .expect("down");
    let left = introspect(a.conn(), da, &opts).await.expect("a").schema;
    assert!(left.tables.is_empty(), "{:?}", left.tables.keys());
    a.close().await;
    b.close().await;
}
