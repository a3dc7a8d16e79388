//! Stage 6b, lint, against real databases: the rules that read rows (NULLs, duplicates, row
//! counts) count them on SQLite, PostgreSQL and MySQL; findings point at the `[[upgrade]]`
//! line of their step; `allow` acknowledges them; the pending range skips applied revisions.

mod common;

use sqlx::Executor;
use strata::dialect::DialectKind;
use strata::lint::Rule;
use strata::migrator::LintRange;
use strata::ops::{Change, Op};
use strata::schema::{Column, PrimaryKey, SqlType, Table, Unique};
use strata::testing::{TestDb, DIALECTS};
use strata::{Migrator, RunOptions};

use common::{temp_dir, write_op_revisions, Dir};

fn users() -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            Column::new("id", SqlType::Integer),
            Column::new("email", SqlType::Varchar(80)),
            Column::new("nick", SqlType::Varchar(20)).nullable(),
            Column::new("bio", SqlType::Text).nullable(),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    }
}

/// Revision 1 creates `users`; revision 2 makes `nick` NOT NULL, makes `email` unique and
/// drops `bio`.
fn chain(dir: &Dir) -> Migrator {
    let mut m = Migrator::open(&dir.0).expect("open");
    let two = vec![
        Op::AlterColumn {
            table: "users".into(),
            column: "nick".into(),
            rename: None,
            ty: None,
            nullable: Some(Change {
                from: true,
                to: false,
            }),
            default: None,
        },
        Op::AddUnique {
            table: "users".into(),
            unique: Unique {
                name: "uq_users_email".into(),
                columns: vec!["email".into()],
            },
        },
        Op::DropColumn {
            table: "users".into(),
            column: Column::new("bio", SqlType::Text).nullable(),
        },
    ];
    write_op_revisions(
        &mut m,
        &dir.0,
        vec![
            (
                "users",
                "aaaa00000001",
                vec![Op::CreateTable { table: users() }],
            ),
            ("tighten users", "bbbb00000002", two),
        ],
    )
}

#[tokio::test]
async fn rules_read_the_rows_they_depend_on() {
    for kind in DIALECTS {
        let dir = temp_dir("lint-live");
        let m = chain(&dir);
        let tdb = TestDb::new(kind, "lint").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");
        let d = db.dialect();

        // Offline, before anything ran: the rules that need rows cannot say; the others do.
        let offline = m.lint(None, d, &LintRange::All).await.expect("lint");
        let rules: Vec<Rule> = offline.iter().map(|f| f.finding.rule).collect();
        assert!(rules.contains(&Rule::SetNotNull), "{kind}: {rules:?}");
        assert!(
            !rules.contains(&Rule::AddUnique),
            "{kind}: no rows, no duplicates known"
        );
        assert!(rules.contains(&Rule::DropColumn), "{kind}");

        m.upgrade(&mut db, "aaaa00000001", &RunOptions::default(), |_| {})
            .await
            .expect("revision 1");
        db.conn()
            .execute(
                "INSERT INTO users (id, email, nick) VALUES (1, 'a@x', NULL), (2, 'a@x', 'b'), \
                 (3, 'c@x', NULL)",
            )
            .await
            .expect("rows");
        let found = m
            .lint(Some(&mut db), d, &LintRange::Pending)
            .await
            .expect("lint");
        let text: Vec<String> = found.iter().map(|f| f.line()).collect();
        assert!(
            found.iter().all(|f| f.revision == "bbbb00000002"),
            "{kind}: the applied revision is not linted: {text:?}"
        );
        let set_not_null = found
            .iter()
            .find(|f| f.finding.rule == Rule::SetNotNull)
            .unwrap_or_else(|| panic!("{kind}: {text:?}"));
        assert!(
            set_not_null
                .finding
                .what
                .contains("the 2 rows holding NULL"),
            "{kind}: {text:?}"
        );
        let unique = found
            .iter()
            .find(|f| f.finding.rule == Rule::AddUnique)
            .unwrap_or_else(|| panic!("{kind}: {text:?}"));
        assert!(unique.finding.what.contains("1 value(s) repeat"), "{kind}");
        // Each points at its step's `[[upgrade]]` line.
        let file = std::fs::read_to_string(&set_not_null.path).expect("file");
        let lines: Vec<&str> = file.lines().collect();
        for f in &found {
            assert_eq!(
                lines[f.line - 1].trim(),
                "[[upgrade]]",
                "{kind}: {}",
                f.line()
            );
        }
        assert!(
            set_not_null.line < unique.line,
            "{kind}: steps in file order"
        );
        // The line reads `<file>:<line>: <rule> <target>: <what> (<fix>)`.
        assert!(
            set_not_null.line().contains(&format!(
                ":{}: set-not-null users.nick: makes the column NOT NULL",
                set_not_null.line
            )),
            "{}",
            set_not_null.line()
        );

        // Fixed rows: the row-dependent findings go away.
        let fix = match kind {
            DialectKind::Mysql => "UPDATE users SET nick = 'n', email = CONCAT(email, id)",
            _ => "UPDATE users SET nick = 'n', email = email || id",
        };
        db.conn().execute(fix).await.expect("fix rows");
        let found = m
            .lint(Some(&mut db), d, &LintRange::Pending)
            .await
            .expect("lint");
        let rules: Vec<Rule> = found.iter().map(|f| f.finding.rule).collect();
        assert!(!rules.contains(&Rule::SetNotNull), "{kind}: {rules:?}");
        assert!(!rules.contains(&Rule::AddUnique), "{kind}: {rules:?}");
        assert!(rules.contains(&Rule::DropColumn), "{kind}: {rules:?}");
        db.close().await;
    }
}

#[tokio::test]
async fn allow_acknowledges_findings_in_the_file() {
    let dir = temp_dir("lint-allow");
    let m = chain(&dir);
    let path = m.script("bbbb00000002").expect("script").path.clone();
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text.replacen(
        "message = ",
        "allow = [\"drop-column users.bio: unused since 2.3\", \"set-not-null\"]\nmessage = ",
        1,
    );
    std::fs::write(&path, edited).expect("write");
    let m = Migrator::open(&dir.0).expect("reopen");
    let d = DialectKind::Sqlite.dialect().expect("sqlite");
    let found = m.lint(None, d, &LintRange::All).await.expect("lint");
    for f in &found {
        match f.finding.rule {
            Rule::DropColumn => {
                let a = f.allowed.as_ref().expect("acknowledged");
                assert_eq!(a.reason.as_deref(), Some("unused since 2.3"));
            }
            Rule::SetNotNull => assert!(f.allowed.is_some()),
            _ => {}
        }
    }
    // A typo in a rule name is an error naming the file and the rules.
    std::fs::write(
        &path,
        text.replacen("message = ", "allow = [\"drop-colum\"]\nmessage = ", 1),
    )
    .expect("write");
    let e = Migrator::open(&dir.0).expect_err("bad allow").to_string();
    assert!(
        e.contains("bbbb00000002") && e.contains("drop-column"),
        "{e}"
    );
}
