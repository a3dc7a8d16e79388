//! Each rule: an op that triggers it, and its safe form that does not.

use super::*;
use crate::dialect::DialectKind;
use crate::ops::{Change, Op};
use crate::schema::{
    Check, Column, ForeignKey, Index, PrimaryKey, ReferentialAction, Table, Unique,
};

fn users() -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            Column::new("id", SqlType::Integer),
            Column::new("name", SqlType::Varchar(120)),
            Column::new("score", SqlType::Double).nullable(),
            Column::new("bio", SqlType::Text).nullable(),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    }
}

fn before() -> Schema {
    let mut s = Schema::new();
    s.insert(users());
    s
}

fn rules(kind: DialectKind, ops: &[Op], facts: Option<&Facts>) -> Vec<String> {
    let d = kind.dialect().expect("dialect built");
    lint(ops, &before(), d, facts, false)
        .into_iter()
        .map(|f| format!("{} {}", f.rule, f.target))
        .collect()
}

fn all(ops: &[Op]) -> Vec<String> {
    let mut out = Vec::new();
    for kind in [
        DialectKind::Sqlite,
        DialectKind::Postgres,
        DialectKind::Mysql,
    ] {
        for r in rules(kind, ops, None) {
            out.push(format!("{kind}: {r}"));
        }
    }
    out
}

fn alter(column: &str) -> Op {
    Op::AlterColumn {
        table: "users".into(),
        column: column.into(),
        rename: None,
        ty: None,
        nullable: None,
        default: None,
    }
}

fn retype(column: &str, from: SqlType, to: SqlType) -> Op {
    match alter(column) {
        Op::AlterColumn {
            table,
            column,
            rename,
            nullable,
            default,
            ..
        } => Op::AlterColumn {
            table,
            column,
            rename,
            ty: Some(Change { from, to }),
            nullable,
            default,
        },
        _ => unreachable!("alter builds an alter_column"),
    }
}

#[test]
fn dropping_loses_data() {
    let drop_table = Op::DropTable { table: users() };
    assert_eq!(
        all(std::slice::from_ref(&drop_table)),
        [
            "sqlite: drop-table users",
            "postgres: drop-table users",
            "mysql: drop-table users"
        ]
    );
    let drop_col = Op::DropColumn {
        table: "users".into(),
        column: Column::new("bio", SqlType::Text).nullable(),
    };
    assert!(rules(DialectKind::Postgres, &[drop_col], None) == ["drop-column users.bio"]);
    // Safe form: a table the same migration created has nothing to lose.
    let t = Table {
        name: "tmp".into(),
        ..users()
    };
    let ops = [
        Op::CreateTable { table: t.clone() },
        Op::DropTable { table: t },
    ];
    assert!(all(&ops).is_empty(), "{:?}", all(&ops));
}

#[test]
fn narrowing_and_truncating() {
    let narrow = retype("name", SqlType::Varchar(120), SqlType::Varchar(80));
    assert!(
        rules(DialectKind::Sqlite, std::slice::from_ref(&narrow), None)
            .contains(&"narrow-type users.name".to_string())
    );
    let cast = retype("score", SqlType::Double, SqlType::Integer);
    assert!(rules(DialectKind::Sqlite, &[cast], None)
        .contains(&"truncating-cast users.score".to_string()));
    // Safe form: widening.
    let widen = retype("name", SqlType::Varchar(120), SqlType::Varchar(200));
    let found = rules(DialectKind::Sqlite, std::slice::from_ref(&widen), None);
    assert!(!found
        .iter()
        .any(|r| r.starts_with("narrow") || r.starts_with("trunc")));
    // A wider varchar does not rewrite on PostgreSQL; a narrower one does.
    assert!(rules(DialectKind::Postgres, &[widen], None).is_empty());
    assert!(rules(DialectKind::Postgres, &[narrow], None)
        .contains(&"alter-type-rewrite users.name".to_string()));
}

#[test]
fn not_null_column_without_default() {
    let add = |nullable: bool, default: Option<ColumnDefault>| Op::AddColumn {
        table: "users".into(),
        column: Column {
            nullable,
            default,
            ..Column::new("age", SqlType::Integer)
        },
    };
    assert_eq!(
        rules(DialectKind::Postgres, &[add(false, None)], None),
        ["add-not-null-without-default users.age"]
    );
    // Safe forms: nullable, or with a default; or an empty table (when connected).
    assert!(rules(DialectKind::Postgres, &[add(true, None)], None).is_empty());
    assert!(rules(
        DialectKind::Postgres,
        &[add(false, Some(ColumnDefault::Int(0)))],
        None
    )
    .is_empty());
    let empty = Facts {
        rows: [("users".to_string(), 0)].into(),
        ..Facts::default()
    };
    assert!(rules(DialectKind::Postgres, &[add(false, None)], Some(&empty)).is_empty());
}

#[test]
fn volatile_default_rewrites_on_postgres() {
    let add = |sql: &str| Op::AddColumn {
        table: "users".into(),
        column: Column {
            default: Some(ColumnDefault::Sql { sql: sql.into() }),
            ..Column::new("token", SqlType::Uuid)
        },
    };
    assert_eq!(
        rules(DialectKind::Postgres, &[add("gen_random_uuid()")], None),
        ["add-column-volatile-default users.token"]
    );
    assert!(rules(DialectKind::Postgres, &[add("CURRENT_TIMESTAMP")], None).is_empty());
}

#[test]
fn set_not_null_with_and_without_nulls() {
    let op = match alter("score") {
        Op::AlterColumn {
            table,
            column,
            rename,
            ty,
            default,
            ..
        } => Op::AlterColumn {
            table,
            column,
            rename,
            ty,
            nullable: Some(Change {
                from: true,
                to: false,
            }),
            default,
        },
        _ => unreachable!("alter builds an alter_column"),
    };
    assert_eq!(
        rules(DialectKind::Postgres, std::slice::from_ref(&op), None),
        ["set-not-null users.score", "set-not-null-scan users.score"]
    );
    let nulls = |n| Facts {
        nulls: [(("users".to_string(), "score".to_string()), n)].into(),
        ..Facts::default()
    };
    let found = lint(
        std::slice::from_ref(&op),
        &before(),
        DialectKind::Sqlite.dialect().expect("sqlite"),
        Some(&nulls(3)),
        false,
    );
    assert!(
        found[0].what.contains("the 3 rows holding NULL"),
        "{found:?}"
    );
    // Safe form (connected, no NULLs): only the scan, on PostgreSQL.
    assert_eq!(
        rules(
            DialectKind::Postgres,
            std::slice::from_ref(&op),
            Some(&nulls(0))
        ),
        ["set-not-null-scan users.score"]
    );
    assert_eq!(
        rules(
            DialectKind::Mysql,
            std::slice::from_ref(&op),
            Some(&nulls(0))
        ),
        Vec::<String>::new()
    );
}

#[test]
fn unique_keys_over_repeating_values() {
    let op = Op::AddUnique {
        table: "users".into(),
        unique: Unique {
            name: "uq_users_name".into(),
            columns: vec!["name".into()],
        },
    };
    let dups = |n| Facts {
        duplicates: [(("users".to_string(), vec!["name".to_string()]), n)].into(),
        ..Facts::default()
    };
    assert_eq!(
        rules(
            DialectKind::Postgres,
            std::slice::from_ref(&op),
            Some(&dups(2))
        ),
        ["add-unique users.name"]
    );
    assert!(rules(
        DialectKind::Postgres,
        std::slice::from_ref(&op),
        Some(&dups(0))
    )
    .is_empty());
    assert_eq!(
        Facts::needed(std::slice::from_ref(&op), &before()).duplicates,
        [("users".to_string(), vec!["name".to_string()])].into()
    );
}

#[test]
fn renames_break_running_queries() {
    let op = Op::RenameTable {
        from: "users".into(),
        to: "members".into(),
    };
    assert_eq!(
        rules(DialectKind::Sqlite, &[op], None),
        ["rename-in-use users"]
    );
}

#[test]
fn postgres_locks_and_their_safe_forms() {
    let index = Op::CreateIndex {
        table: "users".into(),
        index: Index {
            name: "ix_users_name".into(),
            columns: vec!["name".into()],
            unique: false,
            ..Index::default()
        },
    };
    let fk = Op::AddForeignKey {
        table: "users".into(),
        foreign_key: ForeignKey {
            name: "fk_users_id_users".into(),
            columns: vec!["id".into()],
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: ReferentialAction::NoAction,
            on_update: ReferentialAction::NoAction,
        },
    };
    let check = Op::AddCheck {
        table: "users".into(),
        check: Check {
            name: "ck_users_score".into(),
            expr: "score >= 0".into(),
        },
    };
    assert_eq!(
        rules(
            DialectKind::Postgres,
            &[index.clone(), fk.clone(), check.clone()],
            None
        ),
        [
            "create-index-not-concurrently users.ix_users_name",
            "add-foreign-key-validating users.fk_users_id_users",
            "add-check-validating users.ck_users_score",
        ]
    );
    // Safe form: the hand-written CONCURRENTLY / NOT VALID steps are `sql` ops.
    let sql = Op::Sql {
        sql: "CREATE INDEX CONCURRENTLY ix_users_name ON users (name)".into(),
        reverse: Some("DROP INDEX CONCURRENTLY ix_users_name".into()),
        dialect: Some(DialectKind::Postgres),
        batch_size: None,
        elidable: false,
    };
    assert!(rules(DialectKind::Postgres, &[sql], None).is_empty());
    // The same ops on a table this migration creates lock nobody.
    let ops = [
        Op::CreateTable { table: users() },
        index.clone(),
        fk.clone(),
        check.clone(),
    ];
    let empty = Schema::new();
    let pg = DialectKind::Postgres.dialect().expect("pg");
    assert!(lint(&ops, &empty, pg, None, false).is_empty());
    // Safe form: the revision says `online = true`, which renders these without the locks.
    let online = [index, fk.clone(), check];
    assert!(lint(&online, &before(), pg, None, true).is_empty());
    let not_null = Op::AlterColumn {
        table: "users".into(),
        column: "score".into(),
        rename: None,
        ty: None,
        nullable: Some(Change {
            from: true,
            to: false,
        }),
        default: None,
    };
    // Online, the scan goes; the NULLs that would fail it are still a finding.
    assert_eq!(
        lint(&[not_null], &before(), pg, None, true)
            .iter()
            .map(|f| f.rule.name())
            .collect::<Vec<_>>(),
        ["set-not-null"]
    );
    // A dialect without online forms keeps every finding (MySQL copies the table for a
    // foreign key).
    let mysql = DialectKind::Mysql.dialect().expect("mysql");
    assert!(!lint(&[fk], &before(), mysql, None, true).is_empty());
}

#[test]
fn mysql_copies_and_sqlite_rebuilds() {
    let op = retype("score", SqlType::Real, SqlType::Double);
    assert_eq!(
        rules(DialectKind::Mysql, std::slice::from_ref(&op), None),
        ["table-copy users.score"]
    );
    // A wider varchar within its length bytes is in place on MySQL.
    let widen = retype("name", SqlType::Varchar(120), SqlType::Varchar(200));
    assert!(rules(DialectKind::Mysql, &[widen], None).is_empty());
    let rows = Facts {
        rows: [("users".to_string(), 5000)].into(),
        ..Facts::default()
    };
    let found = lint(
        &[op],
        &before(),
        DialectKind::Sqlite.dialect().expect("sqlite"),
        Some(&rows),
        false,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule, Rule::TableRebuild);
    assert!(found[0].what.contains("5000 rows"), "{found:?}");
    // Adding a nullable column is no rebuild on SQLite.
    let add = Op::AddColumn {
        table: "users".into(),
        column: Column::new("x", SqlType::Integer).nullable(),
    };
    assert!(rules(DialectKind::Sqlite, &[add], None).is_empty());
}

#[test]
fn comment_changes_are_harmless() {
    let ops = [
        Op::AlterTableComment {
            table: "users".into(),
            comment: Change {
                from: None,
                to: Some("Registered users".into()),
            },
        },
        Op::AlterColumnComment {
            table: "users".into(),
            column: "bio".into(),
            comment: Change {
                from: None,
                to: Some("About".into()),
            },
        },
    ];
    assert_eq!(all(&ops), Vec::<String>::new());
    let facts = Facts {
        rows: [("users".to_string(), 1_000_000)].into(),
        ..Facts::default()
    };
    for kind in [
        DialectKind::Sqlite,
        DialectKind::Postgres,
        DialectKind::Mysql,
    ] {
        assert_eq!(
            rules(kind, &ops, Some(&facts)),
            Vec::<String>::new(),
            "{kind}"
        );
    }
}

#[test]
fn allow_entries() {
    let f = Finding {
        rule: Rule::DropColumn,
        step: 0,
        target: "users.bio".into(),
        what: String::new(),
    };
    let all = Allow::parse("drop-column").expect("rule");
    assert!(all.covers(&f));
    let one = Allow::parse("drop-column users.bio: unused since 2.3").expect("target");
    assert_eq!(one.reason.as_deref(), Some("unused since 2.3"));
    assert!(one.covers(&f));
    assert!(!Allow::parse("drop-column users.name")
        .expect("other")
        .covers(&f));
    let e = Allow::parse("drop-colum").expect_err("typo");
    assert!(e.contains("drop-column"), "{e}");
    assert!(Allow::parse("drop-column a b").is_err());
    for r in Rule::ALL {
        assert_eq!(Rule::from_name(r.name()), Some(r));
    }
}

#[test]
fn mysql_copies_the_table_to_drop_a_primary_key_alone() {
    let pk = PrimaryKey {
        name: "pk_users".into(),
        columns: vec!["id".into()],
    };
    let drop = Op::AlterPrimaryKey {
        table: "users".into(),
        from: Some(pk.clone()),
        to: None,
    };
    assert_eq!(
        rules(DialectKind::Mysql, &[drop], None),
        ["table-copy users"]
    );
    // Replaced in the same statement: INPLACE, no finding.
    let replace = Op::AlterPrimaryKey {
        table: "users".into(),
        from: Some(pk),
        to: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into(), "name".into()],
        }),
    };
    assert!(rules(DialectKind::Mysql, &[replace], None).is_empty());
}
