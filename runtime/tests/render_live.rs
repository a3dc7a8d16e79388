//! Stage 6, render: rendered statements run on real SQLite, PostgreSQL and MySQL/MariaDB
//! databases, and the rows survive every alter (renames, type changes, SQLite table rebuilds).
//!
//! The test SQL is written for SQLite and PostgreSQL; on MySQL [`dialect_sql`] puts its
//! `"identifiers"` in backticks and casts to `CHAR` instead of `TEXT`. A statement that must
//! fail must fail for the reason given ([`Refusal`]), so a statement MySQL cannot even parse
//! never passes for a constraint at work.

use sqlx::error::ErrorKind;
use sqlx::{Connection, Executor, Row};
use strata::db::Db;
use strata::dialect::{Dialect, DialectKind};
use strata::ops::{Change, DefaultChange, Op};
use strata::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, Schema,
    SqlType, Table, Unique,
};
use strata::testing::TestDb;
use strata::testing::{assert_unsupported, mysql_identifiers, render_ops};

use strata::testing::DIALECTS;

/// A database, its dialect, and the schema the ops run so far have produced.
struct Live {
    db: Db,
    dialect: &'static dyn Dialect,
    schema: Schema,
    // Keeps the database alive (dropped with the test).
    _test: TestDb,
}

/// Why a statement must fail.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Unique,
    ForeignKey,
    Check,
    /// The table (named) does not exist.
    NoTable(&'static str),
    /// The column (named) does not exist.
    NoColumn(&'static str),
}

/// `sql`, written for SQLite and PostgreSQL, as `kind` reads it: on MySQL, whose session keeps
/// `"..."` a string, every `"identifier"` in backticks, and `CAST(x AS TEXT)` as
/// `CAST(x AS CHAR)`; string literals are left alone. Unchanged on the other dialects.
fn dialect_sql(kind: DialectKind, sql: &str) -> String {
    if kind != DialectKind::Mysql {
        return sql.to_string();
    }
    mysql_identifiers(sql).replace(" AS TEXT)", " AS CHAR)")
}

#[test]
fn test_sql_reads_the_same_on_mysql() {
    let sql = r#"SELECT CAST("order" AS TEXT), "Mixed""Case" FROM "Order ""Lines""" WHERE x = 'say "hi" it''s' AND "a`b" = 1"#;
    assert_eq!(
        dialect_sql(DialectKind::Mysql, sql),
        r#"SELECT CAST(`order` AS CHAR), `Mixed"Case` FROM `Order "Lines"` WHERE x = 'say "hi" it''s' AND `a``b` = 1"#
    );
    assert_eq!(dialect_sql(DialectKind::Postgres, sql), sql);
    assert_eq!(dialect_sql(DialectKind::Sqlite, sql), sql);
}

impl Live {
    async fn new(kind: DialectKind, tag: &str) -> Live {
        let test = TestDb::new(kind, tag).await;
        let db = test.connect().await;
        Live {
            // The dialect detected on the server (MariaDB or MySQL, and their versions), as
            // the apply stage uses it.
            dialect: db.dialect(),
            db,
            schema: Schema::new(),
            _test: test,
        }
    }

    fn kind(&self) -> DialectKind {
        self.dialect.name().parse().expect("a built-in dialect")
    }

    /// Renders `ops` from the current schema and runs them the way the apply stage will:
    /// prologue, one transaction, the epilogue checks (any row fails), commit, finally. Where
    /// DDL is not transactional (MySQL), the statements run one by one outside a transaction.
    async fn migrate(&mut self, ops: &[Op]) -> Result<(), String> {
        let (rendered, after) = render_ops(ops, self.dialect, &self.schema)
            .map_err(|e| format!("{}: render failed: {e}", self.kind()))?;
        let rebuilt: Vec<String> = rendered.iter().filter_map(|r| r.rebuilt.clone()).collect();
        let statements: Vec<String> = rendered.into_iter().flat_map(|r| r.statements).collect();
        let transactional = self.dialect.transactional_ddl();
        let conn = self.db.conn();
        for s in self.dialect.run_prologue() {
            conn.execute(s.as_str()).await.map_err(|e| e.to_string())?;
        }
        let result = async {
            if !transactional {
                for s in &statements {
                    if let Err(e) = conn.execute(s.as_str()).await {
                        return Err(format!("{e}\n  statement: {s}"));
                    }
                }
                return Ok(());
            }
            let mut tx = conn.begin().await.map_err(|e| e.to_string())?;
            for s in &statements {
                if let Err(e) = tx.execute(s.as_str()).await {
                    return Err(format!("{e}\n  statement: {s}"));
                }
            }
            if let Some(q) = self.dialect.foreign_key_violations_sql(&rebuilt) {
                let rows = tx.fetch_all(q.as_str()).await.map_err(|e| e.to_string())?;
                if !rows.is_empty() {
                    return Err(format!("{q} returned {} violation(s)", rows.len()));
                }
            }
            tx.commit().await.map_err(|e| e.to_string())
        }
        .await;
        for s in self.dialect.run_finally() {
            conn.execute(s.as_str()).await.map_err(|e| e.to_string())?;
        }
        result.map_err(|e| {
            format!(
                "{}: {e}\n  all statements:\n{}",
                self.kind(),
                statements.join(";\n")
            )
        })?;
        self.schema = after;
        Ok(())
    }

    async fn must_migrate(&mut self, ops: &[Op]) {
        if let Err(e) = self.migrate(ops).await {
            panic!("migration failed: {e}");
        }
    }

    /// Asserts that this dialect refuses to render `ops` from the current schema with a typed
    /// "not supported" error whose subject contains each of `what` (nothing runs).
    fn refuses(&self, ops: &[Op], what: &[&str]) {
        let err = render_ops(ops, self.dialect, &self.schema)
            .map(|_| ())
            .expect_err("refused");
        assert_unsupported(&err, self.kind(), what);
    }

    /// Runs `sql` (see [`dialect_sql`]).
    async fn exec(&mut self, sql: &str) {
        let sql = dialect_sql(self.kind(), sql);
        self.db
            .conn()
            .execute(sql.as_str())
            .await
            .unwrap_or_else(|e| panic!("{}: {sql}: {e}", self.kind()));
    }

    /// Runs `sql` (see [`dialect_sql`]), which must fail for the reason `why`.
    async fn exec_fails(&mut self, sql: &str, why: Refusal) {
        let kind = self.kind();
        let sql = dialect_sql(kind, sql);
        let err = match self.db.conn().execute(sql.as_str()).await {
            Ok(_) => panic!("{kind}: expected a failure ({why:?}): {sql}"),
            Err(e) => e,
        };
        let Some(db_err) = err.as_database_error() else {
            panic!("{kind}: {sql}: expected {why:?}, got {err}")
        };
        let ok = match why {
            Refusal::Unique => db_err.kind() == ErrorKind::UniqueViolation,
            Refusal::ForeignKey => db_err.kind() == ErrorKind::ForeignKeyViolation,
            Refusal::Check => db_err.kind() == ErrorKind::CheckViolation,
            Refusal::NoTable(t) => {
                let m = db_err.message();
                m.contains(t)
                    && (m.contains("no such table")
                        || m.contains("does not exist")
                        || m.contains("doesn't exist"))
            }
            Refusal::NoColumn(c) => {
                let m = db_err.message();
                m.contains(c)
                    && (m.contains("no such column")
                        || m.contains("does not exist")
                        || m.contains("Unknown column"))
            }
        };
        assert!(ok, "{kind}: {sql}: expected {why:?}, got {err}");
    }

    /// Every row of `sql` (see [`dialect_sql`]; its columns must be text or NULL), as
    /// strings; NULL is "NULL".
    async fn rows(&mut self, sql: &str) -> Vec<Vec<String>> {
        let kind = self.kind();
        let sql = dialect_sql(kind, sql);
        let rows = self
            .db
            .conn()
            .fetch_all(sql.as_str())
            .await
            .unwrap_or_else(|e| panic!("{kind}: {sql}: {e}"));
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        let v = match r.try_get::<Option<String>, _>(i) {
                            Ok(v) => v,
                            // MySQL sends TEXT values as BLOB-typed text, which decodes as
                            // bytes.
                            Err(e) if kind == DialectKind::Mysql => r
                                .try_get::<Option<Vec<u8>>, _>(i)
                                .unwrap_or_else(|_| panic!("{sql}: column {i}: {e}"))
                                .map(|b| {
                                    String::from_utf8(b).unwrap_or_else(|e| {
                                        panic!("{sql}: column {i} is not UTF-8: {e}")
                                    })
                                }),
                            Err(e) => panic!("{sql}: column {i}: {e}"),
                        };
                        v.unwrap_or_else(|| "NULL".into())
                    })
                    .collect()
            })
            .collect()
    }

    /// How a boolean reads back as text.
    fn b(&self, v: bool) -> String {
        match (self.kind(), v) {
            (DialectKind::Postgres, true) => "true".into(),
            (DialectKind::Postgres, false) => "false".into(),
            (_, true) => "1".into(),
            (_, false) => "0".into(),
        }
    }
}

fn col(name: &str, ty: SqlType) -> Column {
    Column::new(name, ty)
}

fn s(v: &str) -> String {
    v.to_string()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The type of the text columns the tests index: `text`, except on MySQL, which keys a TEXT
/// column only by a prefix and so refuses such a key with a typed error (checked in
/// `rows_survive_every_alter`); there a varchar.
fn indexed_text(kind: DialectKind) -> SqlType {
    match kind {
        DialectKind::Mysql => SqlType::Varchar(200),
        _ => SqlType::Text,
    }
}

/// A `numeric` without precision, except on MySQL, which would round it to an integer and so
/// refuses it with a typed error (checked in `rows_survive_every_alter`); there `numeric(20,6)`.
fn unbounded_numeric(kind: DialectKind) -> SqlType {
    match kind {
        DialectKind::Mysql => SqlType::Decimal {
            precision: Some(20),
            scale: Some(6),
        },
        _ => SqlType::Decimal {
            precision: None,
            scale: None,
        },
    }
}

fn users(kind: DialectKind) -> Table {
    Table {
        name: s("users"),
        columns: vec![
            Column {
                autoincrement: true,
                ..col("id", SqlType::Integer)
            },
            Column {
                comment: Some(s("Where we write.")),
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
                    sql: s("CURRENT_TIMESTAMP"),
                }),
                ..col("created_at", SqlType::Timestamp)
            },
        ],
        primary_key: Some(PrimaryKey {
            name: s("pk_users"),
            columns: strs(&["id"]),
        }),
        uniques: vec![Unique {
            name: s("uq_users_email"),
            columns: strs(&["email"]),
        }],
        indexes: vec![Index {
            name: s("ix_users_name"),
            columns: strs(&["name"]),
            unique: false,
            ..Index::default()
        }],
        checks: vec![Check {
            name: s("ck_users_score_positive"),
            expr: s("score >= 0"),
        }],
        comment: Some(s("People.")),
        ..Table::default()
    }
}

fn posts_fk() -> ForeignKey {
    ForeignKey {
        name: s("fk_posts_user_id_users"),
        columns: strs(&["user_id"]),
        ref_table: s("users"),
        ref_columns: strs(&["id"]),
        on_delete: ReferentialAction::Cascade,
        on_update: ReferentialAction::NoAction,
    }
}

fn posts() -> Table {
    Table {
        name: s("posts"),
        columns: vec![
            Column {
                autoincrement: true,
                ..col("id", SqlType::BigInt)
            },
            col("user_id", SqlType::Integer),
            col("title", SqlType::Varchar(50)),
            col("body", SqlType::Text).nullable(),
        ],
        primary_key: Some(PrimaryKey {
            name: s("pk_posts"),
            columns: strs(&["id"]),
        }),
        indexes: vec![Index {
            name: s("ix_posts_user_id"),
            columns: strs(&["user_id"]),
            unique: false,
            ..Index::default()
        }],
        foreign_keys: vec![posts_fk()],
        ..Table::default()
    }
}

fn tags() -> Table {
    Table {
        name: s("tags"),
        columns: vec![
            col("post_id", SqlType::BigInt),
            col("label", SqlType::Varchar(30)),
        ],
        primary_key: Some(PrimaryKey {
            name: s("pk_tags"),
            columns: strs(&["post_id", "label"]),
        }),
        foreign_keys: vec![ForeignKey {
            name: s("fk_tags_post_id_posts"),
            columns: strs(&["post_id"]),
            ref_table: s("posts"),
            ref_columns: strs(&["id"]),
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::Cascade,
        }],
        ..Table::default()
    }
}

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
        ("amount", unbounded_numeric(kind)),
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
        ("custom", SqlType::Custom(s("varchar(5)"))),
    ];
    Table {
        name: s("every_type"),
        columns: types
            .into_iter()
            .map(|(n, t)| col(n, t).nullable())
            .collect(),
        indexes: vec![Index {
            name: s("ix_every_type_code"),
            columns: strs(&["code"]),
            unique: true,
            ..Index::default()
        }],
        ..Table::default()
    }
}

fn alter(table: &str, column: &str) -> Op {
    Op::AlterColumn {
        table: s(table),
        column: s(column),
        rename: None,
        ty: None,
        nullable: None,
        default: None,
    }
}

async fn build_and_seed(kind: DialectKind, tag: &str) -> Live {
    let mut l = Live::new(kind, tag).await;
    if kind == DialectKind::Mysql {
        // The tables as SQLite and PostgreSQL have them: refused, nothing runs.
        l.refuses(
            &[Op::CreateTable {
                table: users(DialectKind::Sqlite),
            }],
            &["index `ix_users_name`", "`users.name`", "`text`"],
        );
        l.refuses(
            &[Op::CreateTable {
                table: every_type(DialectKind::Sqlite),
            }],
            &["`numeric` without a precision"],
        );
    }
    l.must_migrate(&[
        Op::CreateTable { table: users(kind) },
        Op::CreateTable { table: posts() },
        Op::CreateTable { table: tags() },
        Op::CreateTable {
            table: every_type(kind),
        },
    ])
    .await;
    l.exec("INSERT INTO users (email, name, score) VALUES ('a@x.io', 'Ann', 2.5)")
        .await;
    l.exec("INSERT INTO users (email, name) VALUES ('b@x.io', 'Bob')")
        .await;
    l.exec("INSERT INTO posts (user_id, title, body) VALUES (1, 'Hello', 'first')")
        .await;
    l.exec("INSERT INTO posts (user_id, title) VALUES (1, 'Again')")
        .await;
    l.exec("INSERT INTO posts (user_id, title, body) VALUES (2, 'Bob''s', 'it''s')")
        .await;
    l.exec("INSERT INTO tags (post_id, label) VALUES (1, 'news'), (1, 'intro'), (3, 'misc')")
        .await;
    let bytes = if kind == DialectKind::Postgres {
        "'\\x0102'"
    } else {
        "X'0102'"
    };
    // MySQL's DATETIME (what `timestamptz` is there) holds UTC without an offset, and MariaDB
    // refuses a literal with one.
    let tstz = if kind == DialectKind::Mysql {
        "'2024-01-31 12:34:56'"
    } else {
        "'2024-01-31 12:34:56+00'"
    };
    l.exec(&format!(
        "INSERT INTO every_type (small, \"int\", big, \"real\", \"double\", flag, text, code, data, \
         day, at, ts, tstz, uid, doc, amount, amount_p, amount_ps, custom) VALUES (1, 2, \
         3000000000, 1.5, 2.25, TRUE, 'hello', 'abc', {bytes}, '2024-01-31', '12:34:56', \
         '2024-01-31 12:34:56', {tstz}, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{{\"a\": 1}}', \
         12.5, 123, 10.25, 'xyz')"
    ))
    .await;
    l
}

const USERS: &str = "SELECT CAST(id AS TEXT), CAST(email AS TEXT), CAST(name AS TEXT), \
                     CAST(active AS TEXT), CAST(score AS TEXT) FROM users ORDER BY id";

#[tokio::test]
async fn rows_survive_every_alter() {
    for kind in DIALECTS {
        let mut l = build_and_seed(kind, "render_alters").await;
        let t = l.b(true);
        let users_before = vec![
            vec![s("1"), s("a@x.io"), s("Ann"), t.clone(), s("2.5")],
            vec![s("2"), s("b@x.io"), s("Bob"), t.clone(), s("1.5")],
        ];
        assert_eq!(l.rows(USERS).await, users_before, "{kind}");

        // Rename a table that others reference; the foreign keys follow.
        l.must_migrate(&[Op::RenameTable {
            from: s("posts"),
            to: s("articles"),
        }])
        .await;
        // Rename a column, then widen its type (a rebuild of a child table on SQLite).
        let mut rename = alter("articles", "title");
        if let Op::AlterColumn { rename: r, .. } = &mut rename {
            *r = Some(s("headline"));
        }
        l.must_migrate(&[rename]).await;
        // (A unique index goes on it below: on MySQL a varchar.)
        let mut widen = alter("articles", "headline");
        if let Op::AlterColumn { ty, .. } = &mut widen {
            *ty = Some(Change {
                from: SqlType::Varchar(50),
                to: indexed_text(kind),
            });
        }
        l.must_migrate(&[widen]).await;
        let articles = "SELECT CAST(id AS TEXT), CAST(user_id AS TEXT), headline, body \
                        FROM articles ORDER BY id";
        let articles_rows = vec![
            strs(&["1", "1", "Hello", "first"]),
            strs(&["2", "1", "Again", "NULL"]),
            strs(&["3", "2", "Bob's", "it's"]),
        ];
        assert_eq!(l.rows(articles).await, articles_rows, "{kind}");
        // The child's foreign key survived its rebuild.
        l.exec_fails(
            "INSERT INTO articles (user_id, headline) VALUES (99, 'orphan')",
            Refusal::ForeignKey,
        )
        .await;

        // Rebuild the PARENT table (nullability + default): children keep their rows (no
        // cascade), and the cascade still works afterwards.
        let mut nullable = alter("users", "email");
        if let Op::AlterColumn { nullable: n, .. } = &mut nullable {
            *n = Some(Change {
                from: false,
                to: true,
            });
        }
        let mut default = alter("users", "active");
        if let Op::AlterColumn { default: d, .. } = &mut default {
            *d = Some(DefaultChange {
                from: Some(ColumnDefault::Bool(true)),
                to: Some(ColumnDefault::Bool(false)),
            });
        }
        l.must_migrate(&[nullable, default]).await;
        assert_eq!(l.rows(USERS).await, users_before, "{kind}");
        assert_eq!(l.rows(articles).await, articles_rows, "{kind}: no cascade");
        assert_eq!(
            l.rows("SELECT CAST(COUNT(*) AS TEXT) FROM tags").await,
            [["3"]],
            "{kind}"
        );
        l.exec("INSERT INTO users (email, name) VALUES (NULL, 'Cy')")
            .await;
        assert_eq!(
            l.rows("SELECT CAST(active AS TEXT) FROM users WHERE name = 'Cy'")
                .await,
            [[l.b(false)]],
            "{kind}: new default"
        );
        // The parent's check, unique and key survived the rebuild.
        l.exec_fails(
            "INSERT INTO users (email, score) VALUES ('n@x.io', -1)",
            Refusal::Check,
        )
        .await;
        l.exec_fails(
            "INSERT INTO users (email) VALUES ('a@x.io')",
            Refusal::Unique,
        )
        .await;
        l.exec_fails(
            "INSERT INTO articles (user_id, headline) VALUES (99, 'orphan')",
            Refusal::ForeignKey,
        )
        .await;

        // Added columns: nullable (native everywhere) and NOT NULL with a default.
        l.must_migrate(&[
            Op::AddColumn {
                table: s("users"),
                column: col("phone", SqlType::Varchar(20)).nullable(),
            },
            Op::AddColumn {
                table: s("users"),
                column: Column {
                    default: Some(ColumnDefault::Int(0)),
                    ..col("logins", SqlType::BigInt)
                },
            },
            Op::AddColumn {
                table: s("articles"),
                column: Column {
                    default: Some(ColumnDefault::Sql {
                        sql: s("CURRENT_TIMESTAMP"),
                    }),
                    ..col("published_at", SqlType::Timestamp)
                },
            },
        ])
        .await;
        assert_eq!(
            l.rows(
                "SELECT CAST(phone AS TEXT), CAST(logins AS TEXT) FROM users WHERE id <= 2 \
                 ORDER BY id"
            )
            .await,
            [["NULL", "0"], ["NULL", "0"]],
            "{kind}"
        );
        assert_eq!(
            l.rows("SELECT CAST(COUNT(*) AS TEXT) FROM articles WHERE published_at IS NOT NULL")
                .await,
            [["3"]],
            "{kind}"
        );

        // Constraints added and dropped (rebuilds on SQLite), each enforced or not after.
        let check = Check {
            name: s("ck_articles_headline_not_blank"),
            expr: s("length(headline) > 0"),
        };
        let unique = Unique {
            name: s("uq_users_name"),
            columns: strs(&["name"]),
        };
        l.must_migrate(&[
            Op::AddCheck {
                table: s("articles"),
                check: check.clone(),
            },
            Op::AddUnique {
                table: s("users"),
                unique: unique.clone(),
            },
        ])
        .await;
        l.exec_fails(
            "INSERT INTO articles (user_id, headline) VALUES (1, '')",
            Refusal::Check,
        )
        .await;
        l.exec_fails(
            "INSERT INTO users (email, name) VALUES ('z@x.io', 'Ann')",
            Refusal::Unique,
        )
        .await;
        l.must_migrate(&[
            Op::DropCheck {
                table: s("articles"),
                check,
            },
            Op::DropUnique {
                table: s("users"),
                unique,
            },
        ])
        .await;
        l.exec("INSERT INTO articles (user_id, headline) VALUES (1, '')")
            .await;
        l.exec("INSERT INTO users (email, name) VALUES ('z@x.io', 'Ann')")
            .await;
        l.exec("DELETE FROM articles WHERE headline = ''").await;
        l.exec("DELETE FROM users WHERE email = 'z@x.io'").await;

        // Foreign key dropped, then added back.
        let mut fk = posts_fk();
        fk.name = s("fk_posts_user_id_users");
        l.must_migrate(&[Op::DropForeignKey {
            table: s("articles"),
            foreign_key: ForeignKey {
                ref_table: s("users"),
                ..fk.clone()
            },
        }])
        .await;
        l.exec("INSERT INTO articles (user_id, headline) VALUES (99, 'orphan')")
            .await;
        // Adding it back over an orphan fails; the column added before it in the same
        // migration is rolled back with it, except on MySQL, whose DDL commits statement by
        // statement: there it stays.
        let add_fk = Op::AddForeignKey {
            table: s("articles"),
            foreign_key: ForeignKey {
                name: s("fk_articles_user_id_users"),
                ..fk
            },
        };
        let err = l
            .migrate(&[
                Op::AddColumn {
                    table: s("articles"),
                    column: col("note", SqlType::Varchar(10)).nullable(),
                },
                add_fk.clone(),
            ])
            .await
            .expect_err("orphan row");
        assert!(err.contains("FOREIGN KEY"), "{kind}: {err}");
        assert_eq!(
            l.rows("SELECT CAST(COUNT(*) AS TEXT) FROM articles").await,
            [["4"]],
            "{kind}: no row lost"
        );
        if kind == DialectKind::Mysql {
            assert_eq!(
                l.rows("SELECT CAST(COUNT(note) AS TEXT) FROM articles")
                    .await,
                [["0"]],
                "{kind}: the statement before the failing one stays"
            );
            l.exec("ALTER TABLE articles DROP COLUMN note").await;
        } else {
            l.exec_fails(
                "SELECT COUNT(note) FROM articles",
                Refusal::NoColumn("note"),
            )
            .await;
        }
        l.exec("DELETE FROM articles WHERE user_id = 99").await;
        l.must_migrate(&[add_fk]).await;
        l.exec_fails(
            "INSERT INTO articles (user_id, headline) VALUES (99, 'orphan')",
            Refusal::ForeignKey,
        )
        .await;
        // The cascade still works after all those rebuilds of both tables.
        l.exec("DELETE FROM users WHERE id = 2").await;
        assert_eq!(
            l.rows("SELECT CAST(COUNT(*) AS TEXT) FROM articles WHERE user_id = 2")
                .await,
            [["0"]],
            "{kind}: cascade"
        );

        // Primary key changed (rebuild on SQLite), rows kept, new key enforced.
        l.must_migrate(&[Op::AlterPrimaryKey {
            table: s("tags"),
            from: tags().primary_key,
            to: Some(PrimaryKey {
                name: s("pk_tags_label"),
                columns: strs(&["label"]),
            }),
        }])
        .await;
        assert_eq!(
            l.rows("SELECT CAST(post_id AS TEXT), label FROM tags ORDER BY label")
                .await,
            [["1", "intro"], ["1", "news"]],
            "{kind}: tag of post 3 went with user 2's cascade; the rest survived"
        );
        l.exec_fails(
            "INSERT INTO tags (post_id, label) VALUES (2, 'news')",
            Refusal::Unique,
        )
        .await;
        // Back to a key the foreign key leans on, then no key at all (MySQL needs an index
        // under the foreign key at every step); the foreign key holds and cascades throughout.
        l.must_migrate(&[Op::AlterPrimaryKey {
            table: s("tags"),
            from: Some(PrimaryKey {
                name: s("pk_tags_label"),
                columns: strs(&["label"]),
            }),
            to: tags().primary_key,
        }])
        .await;
        l.exec_fails(
            "INSERT INTO tags (post_id, label) VALUES (1, 'news')",
            Refusal::Unique,
        )
        .await;
        l.must_migrate(&[Op::AlterPrimaryKey {
            table: s("tags"),
            from: tags().primary_key,
            to: None,
        }])
        .await;
        l.exec("INSERT INTO tags (post_id, label) VALUES (1, 'news')")
            .await;
        l.exec_fails(
            "INSERT INTO tags (post_id, label) VALUES (77, 'gone')",
            Refusal::ForeignKey,
        )
        .await;
        assert_eq!(
            l.rows("SELECT CAST(post_id AS TEXT), label FROM tags ORDER BY label, post_id")
                .await,
            [["1", "intro"], ["1", "news"], ["1", "news"]],
            "{kind}"
        );

        // Indexes.
        let ix = Index {
            name: s("ix_articles_headline"),
            columns: strs(&["headline"]),
            unique: true,
            ..Index::default()
        };
        if kind == DialectKind::Mysql {
            // The same over the TEXT body: refused, nothing runs.
            l.refuses(
                &[Op::CreateIndex {
                    table: s("articles"),
                    index: Index {
                        name: s("ix_articles_body"),
                        columns: strs(&["body"]),
                        unique: true,
                        ..Index::default()
                    },
                }],
                &["index `ix_articles_body`", "`articles.body`", "`text`"],
            );
        }
        l.must_migrate(&[Op::CreateIndex {
            table: s("articles"),
            index: ix.clone(),
        }])
        .await;
        l.exec_fails(
            "INSERT INTO articles (user_id, headline) VALUES (1, 'Hello')",
            Refusal::Unique,
        )
        .await;
        l.must_migrate(&[Op::DropIndex {
            table: s("articles"),
            index: ix,
        }])
        .await;

        // Columns dropped: natively (no constraint uses it) and by rebuild (an index does).
        l.must_migrate(&[
            Op::DropColumn {
                table: s("every_type"),
                column: col("small", SqlType::SmallInt).nullable(),
            },
            Op::DropColumn {
                table: s("users"),
                column: col("name", indexed_text(kind)).nullable(),
            },
        ])
        .await;
        assert_eq!(
            l.rows("SELECT CAST(id AS TEXT), CAST(email AS TEXT) FROM users ORDER BY id")
                .await,
            [["1", "a@x.io"], ["3", "NULL"]],
            "{kind}"
        );
        // A column a foreign key uses: the foreign key goes with it.
        l.must_migrate(&[Op::DropColumn {
            table: s("tags"),
            column: col("post_id", SqlType::BigInt),
        }])
        .await;
        l.exec("INSERT INTO tags (label) VALUES ('free')").await;
        assert_eq!(
            l.rows("SELECT label FROM tags ORDER BY label").await,
            [["free"], ["intro"], ["news"], ["news"]],
            "{kind}"
        );

        // Type widening on every type's table; the values read back the same.
        let mut widen_int = alter("every_type", "int");
        if let Op::AlterColumn { ty, .. } = &mut widen_int {
            *ty = Some(Change {
                from: SqlType::Integer,
                to: SqlType::BigInt,
            });
        }
        let mut widen_code = alter("every_type", "code");
        if let Op::AlterColumn { ty, .. } = &mut widen_code {
            *ty = Some(Change {
                from: SqlType::Varchar(8),
                to: SqlType::Varchar(80),
            });
        }
        l.must_migrate(&[widen_int, widen_code]).await;
        assert_eq!(
            l.rows(
                "SELECT CAST(\"int\" AS TEXT), CAST(big AS TEXT), CAST(\"double\" AS TEXT), text, \
                 CAST(code AS TEXT), CAST(day AS TEXT), CAST(uid AS TEXT), CAST(doc AS TEXT), \
                 CAST(amount_ps AS TEXT), CAST(custom AS TEXT), CAST(flag AS TEXT) \
                 FROM every_type"
            )
            .await,
            [[
                s("2"),
                s("3000000000"),
                s("2.25"),
                s("hello"),
                s("abc"),
                s("2024-01-31"),
                s("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                s("{\"a\": 1}"),
                s("10.25"),
                s("xyz"),
                l.b(true),
            ]],
            "{kind}"
        );

        // The table's unique index was recreated by the rebuild.
        l.exec_fails(
            "INSERT INTO every_type (code) VALUES ('abc')",
            Refusal::Unique,
        )
        .await;

        // Hand-written SQL, then dropping a table.
        l.must_migrate(&[
            Op::Sql {
                sql: s("UPDATE articles SET body = 'none' WHERE body IS NULL;"),
                reverse: None,
                dialect: None,
                batch_size: None,
                elidable: false,
            },
            Op::Sql {
                sql: s("THIS IS NOT SQL FOR THE OTHER DIALECT"),
                reverse: None,
                dialect: Some(if kind == DialectKind::Sqlite {
                    DialectKind::Postgres
                } else {
                    DialectKind::Sqlite
                }),
                batch_size: None,
                elidable: false,
            },
            Op::DropTable { table: tags() },
        ])
        .await;
        assert_eq!(
            l.rows("SELECT body FROM articles WHERE id = 2").await,
            [["none"]],
            "{kind}"
        );
        l.exec_fails("SELECT * FROM tags", Refusal::NoTable("tags"))
            .await;
    }
}

#[tokio::test]
async fn identifiers_that_need_quoting() {
    let table = s("Order Items");
    let weird = s("Mixed\"Case");
    let default_text = "say \"hi\" it's";
    for kind in DIALECTS {
        let mut l = Live::new(kind, "render_quoting").await;
        l.must_migrate(&[
            Op::CreateTable {
                table: Table {
                    name: s("Select"),
                    columns: vec![Column {
                        autoincrement: true,
                        ..col("Id", SqlType::Integer)
                    }],
                    primary_key: Some(PrimaryKey {
                        name: s("pk_Select"),
                        columns: strs(&["Id"]),
                    }),
                    ..Table::default()
                },
            },
            Op::CreateTable {
                table: Table {
                    name: table.clone(),
                    columns: vec![
                        col("order", SqlType::Integer),
                        Column {
                            default: Some(ColumnDefault::Str(s(default_text))),
                            comment: Some(s("It's \"quoted\".")),
                            ..col(&weird, indexed_text(kind))
                        },
                        col("Group Id", SqlType::Integer).nullable(),
                    ],
                    primary_key: Some(PrimaryKey {
                        name: s("pk_Order Items"),
                        columns: strs(&["order"]),
                    }),
                    indexes: vec![Index {
                        name: s("ix_Order Items_Mixed\"Case"),
                        columns: vec![weird.clone()],
                        unique: false,
                        ..Index::default()
                    }],
                    foreign_keys: vec![ForeignKey {
                        name: s("fk_Order Items_Group Id_Select"),
                        columns: strs(&["Group Id"]),
                        ref_table: s("Select"),
                        ref_columns: strs(&["Id"]),
                        on_delete: ReferentialAction::SetNull,
                        on_update: ReferentialAction::NoAction,
                    }],
                    checks: vec![Check {
                        name: s("ck_Order Items_positive"),
                        expr: s("\"order\" > 0"),
                    }],
                    comment: Some(s("Items in an 'order'.")),
                    ..Table::default()
                },
            },
        ])
        .await;
        if kind == DialectKind::Mysql {
            l.exec("INSERT INTO \"Select\" () VALUES ()").await;
        } else {
            l.exec("INSERT INTO \"Select\" DEFAULT VALUES").await;
        }
        l.exec("INSERT INTO \"Order Items\" (\"order\", \"Group Id\") VALUES (1, 1)")
            .await;
        let read = "SELECT CAST(\"order\" AS TEXT), \"Mixed\"\"Case\", \
                    CAST(\"Group Id\" AS TEXT) FROM \"Order Items\" ORDER BY \"order\"";
        assert_eq!(
            l.rows(read).await,
            [[s("1"), s(default_text), s("1")]],
            "{kind}"
        );

        // Rename the odd column, change its default (a rebuild on SQLite), add a nullable
        // column, rename the table.
        let new_name = s("Its 'new' \"name\"");
        l.must_migrate(&[
            Op::AlterColumn {
                table: table.clone(),
                column: weird.clone(),
                rename: Some(new_name.clone()),
                ty: None,
                nullable: None,
                default: Some(DefaultChange {
                    from: Some(ColumnDefault::Str(s(default_text))),
                    to: Some(ColumnDefault::Str(s("it's \"new\""))),
                }),
            },
            Op::AddColumn {
                table: table.clone(),
                column: Column {
                    default: Some(ColumnDefault::Str(s("o'k"))),
                    ..col("where", SqlType::Varchar(10))
                },
            },
            Op::RenameTable {
                from: table.clone(),
                to: s("Order \"Lines\""),
            },
        ])
        .await;
        l.exec("INSERT INTO \"Order \"\"Lines\"\"\" (\"order\") VALUES (2)")
            .await;
        let read = "SELECT CAST(\"order\" AS TEXT), \"Its 'new' \"\"name\"\"\", \"where\", \
                    CAST(\"Group Id\" AS TEXT) FROM \"Order \"\"Lines\"\"\" ORDER BY \"order\"";
        assert_eq!(
            l.rows(read).await,
            [
                [s("1"), s(default_text), s("o'k"), s("1")],
                [s("2"), s("it's \"new\""), s("o'k"), s("NULL")],
            ],
            "{kind}"
        );
        // The check and the foreign key survived.
        l.exec_fails(
            "INSERT INTO \"Order \"\"Lines\"\"\" (\"order\") VALUES (-1)",
            Refusal::Check,
        )
        .await;
        l.exec_fails(
            "INSERT INTO \"Order \"\"Lines\"\"\" (\"order\", \"Group Id\") VALUES (3, 42)",
            Refusal::ForeignKey,
        )
        .await;
        l.exec("DELETE FROM \"Select\"").await;
        assert_eq!(
            l.rows("SELECT CAST(\"Group Id\" AS TEXT) FROM \"Order \"\"Lines\"\"\" WHERE \"order\" = 1")
                .await,
            [["NULL"]],
            "{kind}: ON DELETE SET NULL"
        );
    }
}

#[tokio::test]
async fn self_reference_and_id_counter_survive_a_rebuild() {
    let nodes = Table {
        name: s("nodes"),
        columns: vec![
            Column {
                autoincrement: true,
                ..col("id", SqlType::Integer)
            },
            col("parent_id", SqlType::Integer).nullable(),
            col("label", SqlType::Varchar(20)),
        ],
        primary_key: Some(PrimaryKey {
            name: s("pk_nodes"),
            columns: strs(&["id"]),
        }),
        foreign_keys: vec![ForeignKey {
            name: s("fk_nodes_parent_id_nodes"),
            columns: strs(&["parent_id"]),
            ref_table: s("nodes"),
            ref_columns: strs(&["id"]),
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::NoAction,
        }],
        ..Table::default()
    };
    for kind in DIALECTS {
        let mut l = Live::new(kind, "render_selfref").await;
        l.must_migrate(&[Op::CreateTable {
            table: nodes.clone(),
        }])
        .await;
        l.exec("INSERT INTO nodes (parent_id, label) VALUES (NULL, 'root')")
            .await;
        l.exec("INSERT INTO nodes (parent_id, label) VALUES (1, 'child')")
            .await;
        l.exec("INSERT INTO nodes (parent_id, label) VALUES (NULL, 'gone')")
            .await;
        l.exec("DELETE FROM nodes WHERE id = 3").await;
        // A change SQLite makes by rebuilding the table.
        let mut op = alter("nodes", "label");
        if let Op::AlterColumn { nullable, ty, .. } = &mut op {
            *nullable = Some(Change {
                from: false,
                to: true,
            });
            *ty = Some(Change {
                from: SqlType::Varchar(20),
                to: SqlType::Varchar(40),
            });
        }
        l.must_migrate(&[op]).await;
        let all = "SELECT CAST(id AS TEXT), CAST(parent_id AS TEXT), CAST(label AS TEXT) \
                   FROM nodes ORDER BY id";
        assert_eq!(
            l.rows(all).await,
            [["1", "NULL", "root"], ["2", "1", "child"]],
            "{kind}"
        );
        // The id of the deleted row is not handed out again.
        l.exec("INSERT INTO nodes (parent_id, label) VALUES (1, NULL)")
            .await;
        assert_eq!(
            l.rows("SELECT CAST(MAX(id) AS TEXT) FROM nodes").await,
            [["4"]],
            "{kind}: id counter kept"
        );
        // The self-reference is still enforced and still cascades.
        l.exec_fails(
            "INSERT INTO nodes (parent_id, label) VALUES (77, 'x')",
            Refusal::ForeignKey,
        )
        .await;
        l.exec("DELETE FROM nodes WHERE id = 1").await;
        assert_eq!(
            l.rows("SELECT CAST(COUNT(*) AS TEXT) FROM nodes").await,
            [["0"]],
            "{kind}: cascade through the self-reference"
        );
    }
}

/// A raw-SQL default that is not a bare term (`AND`, `IS`, ...) is valid DDL on every dialect,
/// and it applies.
#[tokio::test]
async fn compound_expression_defaults_apply() {
    use sqlx::{Executor, Row};
    use strata::ops::Op;
    use strata::schema::{Column, ColumnDefault, Schema, SqlType, Table};
    for kind in DIALECTS {
        let tdb = strata::testing::TestDb::new(kind, "compound-default").await;
        let mut db = tdb.connect().await;
        let d = kind.dialect().expect("dialect");
        let table = Table {
            name: "flags".into(),
            columns: vec![
                Column::new("id", SqlType::Integer),
                Column {
                    default: Some(ColumnDefault::Sql {
                        sql: "1 = 1 AND 2 > 1".into(),
                    }),
                    ..Column::new("on", SqlType::Boolean)
                },
            ],
            ..Table::default()
        };
        for sql in strata::testing::render_op(&Op::CreateTable { table }, d, &Schema::new())
            .expect("renders")
            .sql
        {
            db.conn().execute(sql.as_str()).await.expect("valid DDL");
        }
        db.conn()
            .execute("INSERT INTO flags (id) VALUES (1)")
            .await
            .expect("insert");
        let row = db
            .conn()
            .fetch_one(
                dialect_sql(kind, "SELECT CASE WHEN \"on\" THEN 1 ELSE 0 END FROM flags").as_str(),
            )
            .await
            .expect("select");
        let on: i32 = row
            .try_get(0)
            .unwrap_or_else(|_| row.get::<i64, _>(0) as i32);
        assert_eq!(on, 1, "{kind}");
    }
}
