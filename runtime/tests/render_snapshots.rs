//! Stage 6, render: every op rendered for every dialect, as reviewed SQL snapshots.

use strata::dialect::{Dialect, DialectKind, RenderError};
use strata::ops::{Change, DefaultChange, Op};
use strata::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, Schema,
    SqlType, Table, Unique,
};
use strata::testing::{assert_unsupported, render_op, render_ops};

use strata::testing::DIALECTS;

fn col(name: &str, ty: SqlType) -> Column {
    Column::new(name, ty)
}

/// The type of the text columns the fixtures index: `text`, except on MySQL, which keys a TEXT
/// column only by a prefix and so refuses such an index with a typed error (checked in
/// `mysql_refuses_keys_over_text_and_unbounded_numeric`); there a varchar.
fn indexed_text(kind: DialectKind) -> SqlType {
    match kind {
        DialectKind::Mysql => SqlType::Varchar(200),
        _ => SqlType::Text,
    }
}

fn users(kind: DialectKind) -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..col("id", SqlType::Integer)
            },
            Column {
                comment: Some("Where we write; it's unique.".into()),
                ..col("email", SqlType::Varchar(120))
            },
            col("name", indexed_text(kind)).nullable(),
            Column {
                default: Some(ColumnDefault::Bool(true)),
                ..col("active", SqlType::Boolean)
            },
            Column {
                default: Some(ColumnDefault::Float(1.5)),
                ..col("score", SqlType::Double).nullable()
            },
            Column {
                default: Some(ColumnDefault::Sql {
                    sql: "CURRENT_TIMESTAMP".into(),
                }),
                ..col("created_at", SqlType::TimestampTz)
            },
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into()],
        }),
        uniques: vec![Unique {
            name: "uq_users_email".into(),
            columns: vec!["email".into()],
        }],
        indexes: vec![Index {
            name: "ix_users_name".into(),
            columns: vec!["name".into()],
            unique: false,
            ..Index::default()
        }],
        checks: vec![Check {
            name: "ck_users_score_positive".into(),
            expr: "score >= 0".into(),
        }],
        comment: Some("People who sign in.".into()),
        ..Table::default()
    }
}

fn posts(kind: DialectKind) -> Table {
    Table {
        name: "posts".into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..col("id", SqlType::BigInt)
            },
            col("user_id", SqlType::Integer),
            col("title", SqlType::Varchar(200)),
            // Indexed by the `create_index` case.
            col("body", indexed_text(kind)).nullable(),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_posts".into(),
            columns: vec!["id".into()],
        }),
        indexes: vec![Index {
            name: "ix_posts_user_id".into(),
            columns: vec!["user_id".into()],
            unique: false,
            ..Index::default()
        }],
        foreign_keys: vec![ForeignKey {
            name: "fk_posts_user_id_users".into(),
            columns: vec!["user_id".into()],
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::NoAction,
        }],
        ..Table::default()
    }
}

/// A column of every type; on MySQL without the `numeric` that has no precision, which it
/// refuses with a typed error (checked in `mysql_refuses_keys_over_text_and_unbounded_numeric`).
fn every_type(kind: DialectKind) -> Table {
    let types = [
        ("small", SqlType::SmallInt),
        ("int", SqlType::Integer),
        ("big", SqlType::BigInt),
        ("real", SqlType::Real),
        ("double", SqlType::Double),
        ("flag", SqlType::Boolean),
        ("text", SqlType::Text),
        ("code", SqlType::Varchar(8)),
        ("data", SqlType::Bytes),
        ("day", SqlType::Date),
        ("at", SqlType::Time),
        ("ts", SqlType::Timestamp),
        ("tstz", SqlType::TimestampTz),
        ("uid", SqlType::Uuid),
        ("doc", SqlType::Json),
        (
            "amount",
            SqlType::Decimal {
                precision: None,
                scale: None,
            },
        ),
        (
            "amount_p",
            SqlType::Decimal {
                precision: Some(12),
                scale: None,
            },
        ),
        (
            "amount_ps",
            SqlType::Decimal {
                precision: Some(10),
                scale: Some(2),
            },
        ),
        ("custom", SqlType::Custom("character varying(3)".into())),
    ];
    Table {
        name: "every_type".into(),
        columns: types
            .into_iter()
            .filter(|(_, t)| {
                kind != DialectKind::Mysql
                    || !matches!(
                        t,
                        SqlType::Decimal {
                            precision: None,
                            ..
                        }
                    )
            })
            .map(|(n, t)| col(n, t).nullable())
            .collect(),
        ..Table::default()
    }
}

fn tags() -> Table {
    Table {
        name: "tags".into(),
        columns: vec![
            col("post_id", SqlType::BigInt),
            col("name", SqlType::Varchar(50)),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_tags".into(),
            columns: vec!["post_id".into(), "name".into()],
        }),
        foreign_keys: vec![ForeignKey {
            name: "fk_tags_post_id_posts".into(),
            columns: vec!["post_id".into()],
            ref_table: "posts".into(),
            ref_columns: vec!["id".into()],
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::Cascade,
        }],
        ..Table::default()
    }
}

/// The schema every alter case starts from: users, posts, tags.
fn base(kind: DialectKind) -> Schema {
    let mut s = Schema::new();
    s.insert(users(kind));
    s.insert(posts(kind));
    s.insert(tags());
    s
}

/// `(case name, schema before, op)` for every op variant (several cases for ops that SQLite
/// renders natively or by rebuild depending on the details).
fn cases(kind: DialectKind) -> Vec<(&'static str, Schema, Op)> {
    let base = base(kind);
    let users = || users(kind);
    let posts = || posts(kind);
    let empty = Schema::new();
    let u = |s: &str| s.to_string();
    vec![
        (
            "create_table",
            empty.clone(),
            Op::CreateTable { table: users() },
        ),
        (
            "create_table_with_foreign_key",
            {
                let mut s = Schema::new();
                s.insert(users());
                s
            },
            Op::CreateTable { table: posts() },
        ),
        (
            "create_table_every_type",
            empty.clone(),
            Op::CreateTable {
                table: every_type(kind),
            },
        ),
        (
            "create_table_composite_key",
            empty.clone(),
            Op::CreateTable {
                table: Table {
                    name: "memberships".into(),
                    columns: vec![
                        col("user_id", SqlType::Integer),
                        col("group_id", SqlType::Integer),
                        Column {
                            default: Some(ColumnDefault::Str("member".into())),
                            ..col("role", SqlType::Varchar(20))
                        },
                    ],
                    primary_key: Some(PrimaryKey {
                        name: "pk_memberships".into(),
                        columns: vec![u("user_id"), u("group_id")],
                    }),
                    foreign_keys: vec![ForeignKey {
                        name: "fk_memberships_user_id_users".into(),
                        columns: vec![u("user_id")],
                        ref_table: "users".into(),
                        ref_columns: vec![u("id")],
                        on_delete: ReferentialAction::SetNull,
                        on_update: ReferentialAction::Restrict,
                    }],
                    ..Table::default()
                },
            },
        ),
        ("drop_table", base.clone(), Op::DropTable { table: posts() }),
        (
            "rename_table",
            base.clone(),
            Op::RenameTable {
                from: u("posts"),
                to: u("articles"),
            },
        ),
        (
            "add_column_nullable",
            base.clone(),
            Op::AddColumn {
                table: u("users"),
                column: Column {
                    comment: Some("Optional.".into()),
                    ..col("phone", SqlType::Varchar(20)).nullable()
                },
            },
        ),
        (
            "add_column_not_null_with_default",
            base.clone(),
            Op::AddColumn {
                table: u("users"),
                column: Column {
                    default: Some(ColumnDefault::Int(0)),
                    ..col("logins", SqlType::BigInt)
                },
            },
        ),
        (
            "add_column_expression_default",
            base.clone(),
            Op::AddColumn {
                table: u("posts"),
                column: Column {
                    default: Some(ColumnDefault::Sql {
                        sql: "CURRENT_TIMESTAMP".into(),
                    }),
                    ..col("published_at", SqlType::Timestamp)
                },
            },
        ),
        (
            "drop_column",
            base.clone(),
            Op::DropColumn {
                table: u("posts"),
                column: col("body", indexed_text(kind)).nullable(),
            },
        ),
        (
            "drop_column_indexed",
            base.clone(),
            Op::DropColumn {
                table: u("posts"),
                column: col("user_id", SqlType::Integer),
            },
        ),
        (
            "alter_column_rename",
            base.clone(),
            Op::AlterColumn {
                table: u("posts"),
                column: u("title"),
                rename: Some(u("headline")),
                ty: None,
                nullable: None,
                default: None,
            },
        ),
        (
            "alter_column_type",
            base.clone(),
            Op::AlterColumn {
                table: u("posts"),
                column: u("title"),
                rename: None,
                ty: Some(Change {
                    from: SqlType::Varchar(200),
                    to: SqlType::Text,
                }),
                nullable: None,
                default: None,
            },
        ),
        (
            "alter_column_nullable",
            base.clone(),
            Op::AlterColumn {
                table: u("users"),
                column: u("email"),
                rename: None,
                ty: None,
                nullable: Some(Change {
                    from: false,
                    to: true,
                }),
                default: None,
            },
        ),
        (
            "alter_column_default",
            base.clone(),
            Op::AlterColumn {
                table: u("users"),
                column: u("active"),
                rename: None,
                ty: None,
                nullable: None,
                default: Some(DefaultChange {
                    from: Some(ColumnDefault::Bool(true)),
                    to: Some(ColumnDefault::Bool(false)),
                }),
            },
        ),
        (
            "alter_column_drop_default",
            base.clone(),
            Op::AlterColumn {
                table: u("users"),
                column: u("score"),
                rename: None,
                ty: None,
                nullable: None,
                default: Some(DefaultChange {
                    from: Some(ColumnDefault::Float(1.5)),
                    to: None,
                }),
            },
        ),
        (
            "alter_column_everything",
            base.clone(),
            Op::AlterColumn {
                table: u("users"),
                column: u("name"),
                rename: Some(u("full_name")),
                ty: Some(Change {
                    from: indexed_text(kind),
                    to: SqlType::Varchar(300),
                }),
                nullable: Some(Change {
                    from: true,
                    to: false,
                }),
                default: Some(DefaultChange {
                    from: None,
                    to: Some(ColumnDefault::Str("anonymous".into())),
                }),
            },
        ),
        (
            "alter_column_comment",
            base.clone(),
            Op::AlterColumnComment {
                table: u("users"),
                column: u("name"),
                comment: Change {
                    from: None,
                    to: Some(u("Shown on the profile; it's public")),
                },
            },
        ),
        (
            "alter_column_comment_removed",
            {
                let mut s = base.clone();
                if let Some(c) = s.table_mut("users").and_then(|t| t.column_mut("name")) {
                    c.comment = Some(u("gone"));
                }
                s
            },
            Op::AlterColumnComment {
                table: u("users"),
                column: u("name"),
                comment: Change {
                    from: Some(u("gone")),
                    to: None,
                },
            },
        ),
        (
            "alter_table_comment",
            base.clone(),
            Op::AlterTableComment {
                table: u("users"),
                comment: Change {
                    from: None,
                    to: Some(u("Registered users")),
                },
            },
        ),
        (
            "alter_table_comment_removed",
            {
                let mut s = base.clone();
                if let Some(t) = s.table_mut("users") {
                    t.comment = Some(u("gone"));
                }
                s
            },
            Op::AlterTableComment {
                table: u("users"),
                comment: Change {
                    from: Some(u("gone")),
                    to: None,
                },
            },
        ),
        (
            "alter_primary_key",
            base.clone(),
            Op::AlterPrimaryKey {
                table: u("tags"),
                from: tags().primary_key,
                to: Some(PrimaryKey {
                    name: "pk_tags_name_post_id".into(),
                    columns: vec![u("name"), u("post_id")],
                }),
            },
        ),
        (
            "alter_primary_key_drop",
            base.clone(),
            Op::AlterPrimaryKey {
                table: u("tags"),
                from: tags().primary_key,
                to: None,
            },
        ),
        (
            "create_index",
            base.clone(),
            Op::CreateIndex {
                table: u("posts"),
                index: Index {
                    name: "ix_posts_title_body".into(),
                    columns: vec![u("title"), u("body")],
                    unique: false,
                    ..Index::default()
                },
            },
        ),
        (
            "create_unique_index",
            base.clone(),
            Op::CreateIndex {
                table: u("posts"),
                index: Index {
                    name: "ix_posts_title".into(),
                    columns: vec![u("title")],
                    unique: true,
                    ..Index::default()
                },
            },
        ),
        (
            "drop_index",
            base.clone(),
            Op::DropIndex {
                table: u("posts"),
                index: posts().indexes[0].clone(),
            },
        ),
        (
            "add_unique",
            base.clone(),
            Op::AddUnique {
                table: u("posts"),
                unique: Unique {
                    name: "uq_posts_user_id_title".into(),
                    columns: vec![u("user_id"), u("title")],
                },
            },
        ),
        (
            "drop_unique",
            base.clone(),
            Op::DropUnique {
                table: u("users"),
                unique: users().uniques[0].clone(),
            },
        ),
        (
            "add_foreign_key",
            {
                let mut s = base.clone();
                if let Some(t) = s.table_mut("posts") {
                    t.foreign_keys.clear();
                }
                s
            },
            Op::AddForeignKey {
                table: u("posts"),
                foreign_key: posts().foreign_keys[0].clone(),
            },
        ),
        (
            "drop_foreign_key",
            base.clone(),
            Op::DropForeignKey {
                table: u("posts"),
                foreign_key: posts().foreign_keys[0].clone(),
            },
        ),
        (
            "add_check",
            base.clone(),
            Op::AddCheck {
                table: u("posts"),
                check: Check {
                    name: "ck_posts_title_not_blank".into(),
                    expr: "length(title) > 0".into(),
                },
            },
        ),
        (
            "drop_check",
            base.clone(),
            Op::DropCheck {
                table: u("users"),
                check: users().checks[0].clone(),
            },
        ),
        (
            "sql",
            base.clone(),
            Op::Sql {
                sql: "UPDATE users SET name = 'n/a' WHERE name IS NULL;\n".into(),
                reverse: None,
                dialect: None,
                batch_size: None,
                elidable: false,
            },
        ),
        (
            "sql_postgres_only",
            base.clone(),
            Op::Sql {
                sql: "CREATE EXTENSION IF NOT EXISTS citext".into(),
                reverse: None,
                dialect: Some(DialectKind::Postgres),
                batch_size: None,
                elidable: false,
            },
        ),
        (
            "create_schema",
            empty.clone(),
            Op::CreateSchema { schema: u("audit") },
        ),
        (
            "drop_schema",
            {
                let mut s = empty.clone();
                s.schemas.insert(u("audit"));
                s
            },
            Op::DropSchema { schema: u("audit") },
        ),
        (
            // A table in a schema of its own, referencing one of the default schema: every
            // name of it qualified, its constraint and index names its own.
            "create_table_in_schema",
            base.clone(),
            Op::CreateTable {
                table: Table {
                    name: u("audit.events"),
                    columns: vec![
                        col("id", SqlType::BigInt),
                        col("user_id", SqlType::Integer),
                        col("at", SqlType::Timestamp),
                    ],
                    primary_key: Some(PrimaryKey {
                        name: u("pk_events"),
                        columns: vec![u("id")],
                    }),
                    foreign_keys: vec![ForeignKey {
                        name: u("fk_events_user_id_users"),
                        columns: vec![u("user_id")],
                        ref_table: u("users"),
                        ref_columns: vec![u("id")],
                        on_delete: ReferentialAction::Cascade,
                        on_update: ReferentialAction::NoAction,
                    }],
                    indexes: vec![Index {
                        name: u("ix_events_at"),
                        columns: vec![u("at")],
                        ..Index::default()
                    }],
                    comment: Some(u("Who did what.")),
                    ..Table::default()
                },
            },
        ),
        (
            "awkward_identifiers",
            empty,
            Op::CreateTable {
                table: Table {
                    name: "Order Items".into(),
                    columns: vec![
                        col("order", SqlType::Integer),
                        Column {
                            default: Some(ColumnDefault::Str("say \"hi\" it's".into())),
                            ..col("Mixed\"Case", indexed_text(kind))
                        },
                    ],
                    primary_key: Some(PrimaryKey {
                        name: "pk_Order Items".into(),
                        columns: vec![u("order")],
                    }),
                    indexes: vec![Index {
                        name: "ix_Order Items_Mixed\"Case".into(),
                        columns: vec![u("Mixed\"Case")],
                        unique: false,
                        ..Index::default()
                    }],
                    ..Table::default()
                },
            },
        ),
    ]
}

/// The statements of one op as a readable script.
fn script(d: &dyn Dialect, before: &Schema, op: &Op) -> String {
    let (rendered, _) = match render_ops(std::slice::from_ref(op), d, before) {
        Ok(r) => r,
        // A refusal is part of the reviewed output: typed, before anything runs.
        Err(e @ RenderError::Unsupported { .. }) => return format!("-- refused: {e}"),
        Err(e) => panic!("{} cannot render {op:?}: {e}", d.name()),
    };
    let stmts = &rendered[0].statements;
    for s in stmts {
        assert!(!s.trim_end().ends_with(';'), "trailing semicolon: {s}");
    }
    if stmts.is_empty() {
        "-- (nothing to run on this dialect)".into()
    } else {
        stmts
            .iter()
            .map(|s| format!("{s};"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[test]
fn every_op_on_every_dialect() {
    let names = |cases: &[(&'static str, Schema, Op)]| -> Vec<&'static str> {
        cases.iter().map(|(n, _, _)| *n).collect()
    };
    let cases = cases(DialectKind::Sqlite);
    // Every variant of Op is covered (the names below are checked by the compiler through
    // `variant`, so a new variant fails here until it gets a case).
    fn variant(op: &Op) -> usize {
        match op {
            Op::CreateTable { .. } => 0,
            Op::DropTable { .. } => 1,
            Op::RenameTable { .. } => 2,
            Op::AddColumn { .. } => 3,
            Op::DropColumn { .. } => 4,
            Op::AlterColumn { .. } => 5,
            Op::AlterPrimaryKey { .. } => 6,
            Op::CreateIndex { .. } => 7,
            Op::DropIndex { .. } => 8,
            Op::AddUnique { .. } => 9,
            Op::DropUnique { .. } => 10,
            Op::AddForeignKey { .. } => 11,
            Op::DropForeignKey { .. } => 12,
            Op::AddCheck { .. } => 13,
            Op::DropCheck { .. } => 14,
            Op::Sql { .. } => 15,
            Op::AlterColumnComment { .. } => 16,
            Op::AlterTableComment { .. } => 17,
            Op::CreateSchema { .. } => 18,
            Op::DropSchema { .. } => 19,
        }
    }
    let mut seen = [false; 20];
    for (_, _, op) in &cases {
        seen[variant(op)] = true;
    }
    assert!(seen.iter().all(|s| *s), "a variant has no case: {seen:?}");

    for kind in DIALECTS {
        let d = kind.dialect().expect("dialect built");
        let kind_cases = self::cases(kind);
        // The fixtures differ per dialect (types), never the cases.
        assert_eq!(names(&kind_cases), names(&cases), "{kind}");
        for (name, before, op) in &kind_cases {
            insta::assert_snapshot!(format!("{kind}__{name}"), script(d, before, op));
        }
    }
}

#[test]
fn hooks_around_the_transaction() {
    let sqlite = DialectKind::Sqlite.dialect().expect("sqlite");
    assert_eq!(sqlite.run_prologue(), ["PRAGMA foreign_keys = OFF"]);
    let check = sqlite
        .foreign_key_violations_sql(&["t".to_string()])
        .expect("sqlite checks rebuilt tables");
    assert!(check.contains("pragma_foreign_key_check"), "{check}");
    assert_eq!(sqlite.foreign_key_violations_sql(&[]), None);
    assert_eq!(sqlite.run_finally(), ["PRAGMA foreign_keys = ON"]);
    let pg = DialectKind::Postgres.dialect().expect("postgres");
    assert!(pg.transactional_ddl());
    assert!(pg.run_prologue().is_empty());
    assert_eq!(pg.foreign_key_violations_sql(&["t".to_string()]), None);
    assert!(pg.run_finally().is_empty());
    // MySQL enforces foreign keys statement by statement and has no transaction around DDL:
    // nothing to switch off or check, and each statement commits on its own.
    let mysql = DialectKind::Mysql.dialect().expect("mysql");
    assert!(!mysql.transactional_ddl());
    assert!(mysql.run_prologue().is_empty());
    assert_eq!(mysql.foreign_key_violations_sql(&["t".to_string()]), None);
    assert!(mysql.run_finally().is_empty());
}

#[test]
fn type_spellings_follow_the_introspection_contract() {
    let pg = DialectKind::Postgres.dialect().expect("postgres");
    let sqlite = DialectKind::Sqlite.dialect().expect("sqlite");
    let mysql = DialectKind::Mysql.dialect().expect("mysql");
    let expect = [
        (SqlType::SmallInt, "smallint", "SMALLINT", Some("SMALLINT")),
        (SqlType::Integer, "integer", "INTEGER", Some("INTEGER")),
        (SqlType::BigInt, "bigint", "BIGINT", Some("BIGINT")),
        (SqlType::Real, "real", "REAL", Some("FLOAT")),
        (
            SqlType::Double,
            "double precision",
            "DOUBLE",
            Some("DOUBLE"),
        ),
        (SqlType::Boolean, "boolean", "BOOLEAN", Some("BOOL")),
        (SqlType::Text, "text", "TEXT", Some("TEXT")),
        (
            SqlType::Varchar(80),
            "varchar(80)",
            "VARCHAR(80)",
            Some("VARCHAR(80)"),
        ),
        (SqlType::Bytes, "bytea", "BLOB", Some("BLOB")),
        (SqlType::Date, "date", "DATE", Some("DATE")),
        (SqlType::Time, "time", "TIME", Some("TIME(6)")),
        (
            SqlType::Timestamp,
            "timestamp",
            "TIMESTAMP",
            Some("DATETIME(6)"),
        ),
        (
            SqlType::TimestampTz,
            "timestamptz",
            "TIMESTAMPTZ",
            Some("DATETIME(6)"),
        ),
        (SqlType::Uuid, "uuid", "UUID", Some("CHAR(36)")),
        (SqlType::Json, "json", "JSON", Some("JSON")),
        (
            SqlType::Decimal {
                precision: None,
                scale: None,
            },
            "numeric",
            "NUMERIC",
            // Refused: MySQL would make it DECIMAL(10,0) and round every value.
            None,
        ),
        (
            SqlType::Decimal {
                precision: Some(9),
                scale: None,
            },
            "numeric(9)",
            "NUMERIC(9)",
            Some("DECIMAL(9,0)"),
        ),
        (
            SqlType::Decimal {
                precision: Some(9),
                scale: Some(3),
            },
            "numeric(9,3)",
            "NUMERIC(9,3)",
            Some("DECIMAL(9,3)"),
        ),
        (
            SqlType::Custom("citext".into()),
            "citext",
            "citext",
            Some("citext"),
        ),
    ];
    for (ty, p, s, m) in expect {
        assert_eq!(pg.type_sql(&ty).as_deref(), Ok(p));
        assert_eq!(sqlite.type_sql(&ty).as_deref(), Ok(s));
        match (mysql.type_sql(&ty), m) {
            (Ok(got), Some(m)) => assert_eq!(got, m, "{ty:?}"),
            (Err(e), None) => {
                assert_unsupported(&e, DialectKind::Mysql, &["numeric"]);
            }
            (got, m) => panic!("{ty:?} on mysql: {got:?}, expected {m:?}"),
        }
    }
}

#[test]
fn defaults_per_dialect() {
    let pg = DialectKind::Postgres.dialect().expect("postgres");
    let sqlite = DialectKind::Sqlite.dialect().expect("sqlite");
    let mysql = DialectKind::Mysql.dialect().expect("mysql");
    let cases = [
        (ColumnDefault::Bool(true), "TRUE", "1", "TRUE"),
        (ColumnDefault::Bool(false), "FALSE", "0", "FALSE"),
        (ColumnDefault::Int(-5), "-5", "-5", "-5"),
        (ColumnDefault::Float(2.0), "2.0", "2.0", "2.0"),
        (ColumnDefault::Float(1e20), "1.0e20", "1.0e20", "1.0e20"),
        (ColumnDefault::Float(-0.25), "-0.25", "-0.25", "-0.25"),
        (
            ColumnDefault::Str("it's".into()),
            "'it''s'",
            "'it''s'",
            "'it''s'",
        ),
        // MySQL escapes backslashes in literals (the session keeps them escapes).
        (
            ColumnDefault::Str("a\\b".into()),
            "'a\\b'",
            "'a\\b'",
            "'a\\\\b'",
        ),
        (
            ColumnDefault::Sql {
                sql: "now()".into(),
            },
            "(now())",
            "(now())",
            // The one expression a MySQL DATETIME column takes as its default, spelled so.
            "CURRENT_TIMESTAMP",
        ),
        (
            // Unparenthesised, PostgreSQL rejects this (DEFAULT takes a restricted expression).
            ColumnDefault::Sql {
                sql: "1 = 1 AND TRUE".into(),
            },
            "(1 = 1 AND TRUE)",
            "(1 = 1 AND TRUE)",
            "(1 = 1 AND TRUE)",
        ),
    ];
    for (d, p, s, m) in cases {
        assert_eq!(pg.default_sql(&d), p, "{d:?}");
        assert_eq!(sqlite.default_sql(&d), s, "{d:?}");
        assert_eq!(mysql.default_sql(&d), m, "{d:?}");
    }
}

#[test]
fn ops_that_do_not_fit_the_schema_are_inconsistent() {
    let missing_column = Op::AlterColumn {
        table: "users".into(),
        column: "nickname".into(),
        rename: None,
        ty: Some(Change {
            from: SqlType::Text,
            to: SqlType::Varchar(10),
        }),
        nullable: None,
        default: None,
    };
    let missing_table = Op::AddColumn {
        table: "ghosts".into(),
        column: col("x", SqlType::Text).nullable(),
    };
    for kind in DIALECTS {
        let existing_table = Op::CreateTable { table: users(kind) };
        let d = kind.dialect().expect("dialect");
        let err = render_op(&missing_column, d, &base(kind))
            .map(|s| s.sql)
            .expect_err("no column");
        assert!(
            matches!(&err, RenderError::Inconsistent(m) if m.contains("users") && m.contains("nickname")),
            "{kind}: {err}"
        );
        let err = render_op(&missing_table, d, &base(kind))
            .map(|s| s.sql)
            .expect_err("no table");
        assert!(
            matches!(&err, RenderError::Inconsistent(m) if m.contains("ghosts")),
            "{kind}: {err}"
        );
        let err = render_op(&existing_table, d, &base(kind))
            .map(|s| s.sql)
            .expect_err("exists");
        assert!(
            matches!(&err, RenderError::Inconsistent(m) if m.contains("users")),
            "{kind}: {err}"
        );
    }
}

#[test]
fn impossible_autoincrement_is_unsupported_not_a_panic() {
    // An autoincrement column that is not the whole key: SQLite has no way to generate it.
    let table = Table {
        name: "t".into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..col("id", SqlType::Integer)
            },
            col("k", SqlType::Integer),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_t".into(),
            columns: vec!["id".into(), "k".into()],
        }),
        ..Table::default()
    };
    let sqlite = DialectKind::Sqlite.dialect().expect("sqlite");
    let err = render_op(&Op::CreateTable { table }, sqlite, &Schema::new())
        .map(|s| s.sql)
        .expect_err("unsupported");
    assert!(
        matches!(&err, RenderError::Unsupported { what, .. } if what.contains("t.id")),
        "{err}"
    );
    // The same through a rebuild: the message names the table, not the temporary one.
    let widen_key = Op::AlterPrimaryKey {
        table: "posts".into(),
        from: posts(DialectKind::Sqlite).primary_key,
        to: Some(PrimaryKey {
            name: "pk_posts".into(),
            columns: vec!["id".into(), "user_id".into()],
        }),
    };
    let err = render_op(&widen_key, sqlite, &base(DialectKind::Sqlite))
        .map(|s| s.sql)
        .expect_err("unsupported");
    assert!(
        matches!(&err, RenderError::Unsupported { what, .. } if what.contains("`posts.id`")),
        "{err}"
    );
    // Identity needs an integer type on PostgreSQL.
    let table = Table {
        name: "t".into(),
        columns: vec![Column {
            autoincrement: true,
            ..col("id", SqlType::Uuid)
        }],
        ..Table::default()
    };
    let pg = DialectKind::Postgres.dialect().expect("postgres");
    let err = render_op(
        &Op::CreateTable {
            table: table.clone(),
        },
        pg,
        &Schema::new(),
    )
    .map(|s| s.sql)
    .expect_err("unsupported");
    assert!(
        matches!(&err, RenderError::Unsupported { what, .. } if what.contains("t.id")),
        "{err}"
    );
    // And on MySQL, which also needs the column to start a key.
    let mysql = DialectKind::Mysql.dialect().expect("mysql");
    let err = render_op(&Op::CreateTable { table }, mysql, &Schema::new())
        .map(|s| s.sql)
        .expect_err("unsupported");
    assert!(
        matches!(&err, RenderError::Unsupported { what, .. } if what.contains("`t.id`")),
        "{err}"
    );
    let second_in_key = Table {
        name: "t".into(),
        columns: vec![
            col("k", SqlType::Integer),
            Column {
                autoincrement: true,
                ..col("id", SqlType::Integer)
            },
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_t".into(),
            columns: vec!["k".into(), "id".into()],
        }),
        ..Table::default()
    };
    let err = render_op(
        &Op::CreateTable {
            table: second_in_key,
        },
        mysql,
        &Schema::new(),
    )
    .map(|s| s.sql)
    .expect_err("unsupported");
    assert!(
        matches!(&err, RenderError::Unsupported { what, .. }
            if what.contains("`t.id`") && what.contains("no key starts with")),
        "{err}"
    );
}

/// MySQL keys a TEXT column only by a prefix (which would not enforce uniqueness or match the
/// model) and would round a `numeric` without precision to an integer: it refuses both with a
/// typed error naming what and how to fix it, wherever they come in (a new table, an index, a
/// unique constraint, a column retyped under a key). The fixtures above give MySQL a varchar
/// and leave that numeric out; these are the ops they would otherwise have rendered.
#[test]
fn mysql_refuses_keys_over_text_and_unbounded_numeric() {
    let mysql = DialectKind::Mysql.dialect().expect("mysql");
    // The schema as SQLite and PostgreSQL have it: users.name and posts.body are TEXT.
    let text_base = base(DialectKind::Sqlite);
    let refused = |op: &Op, before: &Schema, what: &[&str]| {
        let err = render_op(op, mysql, before)
            .map(|s| s.sql)
            .expect_err("refused on mysql");
        // Both other dialects render the same op.
        for kind in [DialectKind::Sqlite, DialectKind::Postgres] {
            let d = kind.dialect().expect("dialect");
            render_op(op, d, before).unwrap_or_else(|e| panic!("{kind}: {op:?}: {e}"));
        }
        assert_unsupported(&err, DialectKind::Mysql, what)
    };
    let msg = refused(
        &Op::CreateTable {
            table: users(DialectKind::Sqlite),
        },
        &Schema::new(),
        &["index `ix_users_name`", "`users.name`", "`text`"],
    );
    assert!(msg.contains("max_length"), "says how to fix it: {msg}");
    refused(
        &Op::CreateIndex {
            table: "posts".into(),
            index: Index {
                name: "ix_posts_title_body".into(),
                columns: vec!["title".into(), "body".into()],
                unique: false,
                ..Index::default()
            },
        },
        &text_base,
        &["index `ix_posts_title_body`", "`posts.body`"],
    );
    refused(
        &Op::AddUnique {
            table: "posts".into(),
            unique: Unique {
                name: "uq_posts_body".into(),
                columns: vec!["body".into()],
            },
        },
        &text_base,
        &["unique constraint `uq_posts_body`", "`posts.body`"],
    );
    refused(
        &Op::AlterColumn {
            table: "users".into(),
            column: "email".into(),
            rename: None,
            ty: Some(Change {
                from: SqlType::Varchar(120),
                to: SqlType::Text,
            }),
            nullable: None,
            default: None,
        },
        &text_base,
        &["unique constraint `uq_users_email`", "`users.email`"],
    );
    let msg = refused(
        &Op::CreateTable {
            table: every_type(DialectKind::Sqlite),
        },
        &Schema::new(),
        &["`numeric` without a precision"],
    );
    assert!(msg.contains("numeric(20,6)"), "says how to fix it: {msg}");
    // The same TEXT column unindexed is fine.
    let mut unkeyed = users(DialectKind::Sqlite);
    unkeyed.indexes.clear();
    render_op(&Op::CreateTable { table: unkeyed }, mysql, &Schema::new())
        .expect("a TEXT column without a key renders");
}

/// MySQL needs an index under every foreign key: a primary-key change that leaves a foreign
/// key without one adds the index the server would have made (named after the foreign key),
/// one that covers it again drops that index, and one that keeps covering it leaves it be.
#[test]
fn mysql_primary_key_changes_keep_an_index_under_each_foreign_key() {
    let mysql = DialectKind::Mysql.dialect().expect("mysql");
    let pk = |name: &str, columns: &[&str]| PrimaryKey {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
    };
    let change = |from: Option<PrimaryKey>, to: Option<PrimaryKey>| Op::AlterPrimaryKey {
        table: "tags".into(),
        from,
        to,
    };
    let base = base(DialectKind::Mysql);
    let key = tags().primary_key.expect("tags has a key");
    let sql = |op: &Op, before: &Schema| render_op(op, mysql, before).expect("renders").sql;
    // (post_id, name) -> (name): the foreign key on post_id loses its index; one is added.
    let off = change(Some(key.clone()), Some(pk("pk_tags", &["name"])));
    assert_eq!(
        sql(&off, &base),
        [
            "ALTER TABLE `tags` DROP PRIMARY KEY, ADD INDEX `fk_tags_post_id_posts` (`post_id`), \
          ADD PRIMARY KEY (`name`)"
        ]
    );
    // ... and back: the new key covers the foreign key, the added index goes.
    let (_, after_off) = render_ops(std::slice::from_ref(&off), mysql, &base).expect("renders");
    let mut indexed = after_off.clone();
    let back = change(Some(pk("pk_tags", &["name"])), Some(key.clone()));
    assert_eq!(
        sql(&back, &indexed),
        [
            "ALTER TABLE `tags` DROP PRIMARY KEY, ADD PRIMARY KEY (`post_id`, `name`), \
          DROP INDEX `fk_tags_post_id_posts`"
        ]
    );
    // A key that covered it and a key that still covers it: no index to add or drop.
    let narrower = change(Some(key.clone()), Some(pk("pk_tags", &["post_id"])));
    assert_eq!(
        sql(&narrower, &base),
        ["ALTER TABLE `tags` DROP PRIMARY KEY, ADD PRIMARY KEY (`post_id`)"]
    );
    // Dropped outright: the index is added.
    assert_eq!(
        sql(&change(Some(key), None), &base),
        ["ALTER TABLE `tags` DROP PRIMARY KEY, ADD INDEX `fk_tags_post_id_posts` (`post_id`)"]
    );
    // A declared index over post_id serves the foreign key: nothing added.
    if let Some(t) = indexed.table_mut("tags") {
        t.indexes.push(Index {
            name: "ix_tags_post_id".into(),
            columns: vec!["post_id".into()],
            unique: false,
            ..Index::default()
        });
    }
    let back_indexed = change(Some(pk("pk_tags", &["name"])), None);
    assert_eq!(
        sql(&back_indexed, &indexed),
        ["ALTER TABLE `tags` DROP PRIMARY KEY"]
    );
}
