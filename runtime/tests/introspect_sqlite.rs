//! Introspection of real SQLite databases built with hand-written DDL.

mod common;

use sqlx::AnyConnection;
use strata::dialect::sqlite::Sqlite;
use strata::dialect::IntrospectOptions;
use strata::dialect::{Catalog, Syntax};
use strata::schema::{
    Check, Column, ColumnDefault, Index, ReferentialAction, Schema, SqlType, Table, Unique,
};
use strata::testing::TestDb;
use strata::testing::{introspect, Introspected};

use common::{c, fk, ix, n, pk, run, strs, with_default};

async fn read(conn: &mut AnyConnection) -> Introspected {
    introspect(conn, &Sqlite, &IntrospectOptions::default())
        .await
        .expect("introspection succeeds")
}

const DDL: &str = r#"
CREATE TABLE "users" (
  "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  "email" VARCHAR(120) NOT NULL,
  "name" TEXT,
  "age" SMALLINT DEFAULT 18,
  "score" REAL DEFAULT 1.5,
  "ratio" DOUBLE DEFAULT -2.5,
  "big" BIGINT DEFAULT -1,
  "active" BOOLEAN NOT NULL DEFAULT TRUE,
  "legacy_flag" BOOLEAN DEFAULT 0,
  "avatar" BLOB,
  "born" DATE,
  "wakes" TIME,
  "created_at" TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "seen_at" TIMESTAMPTZ,
  "token" UUID,
  "prefs" JSON DEFAULT '{}',
  "balance" NUMERIC(10,2) DEFAULT 0,
  "amount" NUMERIC(8),
  "any_num" NUMERIC,
  "nick" TEXT DEFAULT 'it''s',
  "hand" DATETIME,
  "code" CHAR(3),
  "untyped",
  "expr" TEXT DEFAULT (lower('ABC')),
  "nul" TEXT DEFAULT NULL,
  "syn" INT8 DEFAULT FALSE,
  CONSTRAINT "uq_users_email" UNIQUE ("email"),
  CONSTRAINT "ck_users_age" CHECK (age >= 0)
);
CREATE TABLE "memberships" (
  "user_id" INTEGER NOT NULL,
  "group_id" INTEGER NOT NULL,
  "role" TEXT NOT NULL DEFAULT 'member',
  "inviter_id" INTEGER,
  CONSTRAINT "pk_memberships" PRIMARY KEY ("user_id", "group_id"),
  UNIQUE ("role", "inviter_id"),
  CONSTRAINT "fk_m_user" FOREIGN KEY ("user_id") REFERENCES "users" ("id")
    ON DELETE CASCADE ON UPDATE RESTRICT,
  FOREIGN KEY ("inviter_id") REFERENCES "USERS" ON DELETE SET NULL,
  CHECK (role <> '')
);
CREATE TABLE "nodes" (
  "id" INTEGER PRIMARY KEY, -- a rowid alias, NOT NULL in effect
  "parent_id" INTEGER REFERENCES "nodes" ("id") ON DELETE SET DEFAULT,
  "m_user" INTEGER,
  "m_group" INTEGER,
  CONSTRAINT "fk_nodes_membership" FOREIGN KEY ("m_user", "m_group")
    REFERENCES "memberships" ("user_id", "group_id") ON UPDATE CASCADE
);
CREATE TABLE "Mixed Case" (
  "Id" BIGINT NOT NULL,
  "order" INTEGER NOT NULL,
  "we""ird" TEXT UNIQUE,
  "has space" TEXT,
  CONSTRAINT "pk Mixed" PRIMARY KEY ("Id")
);
CREATE TABLE "order" (
  "id" INTEGER NOT NULL,
  CONSTRAINT "pk_order" PRIMARY KEY ("id")
);
CREATE INDEX "ix_users_name_age" ON "users" ("name", "age");
CREATE INDEX "ix_users_age_name" ON "users" ("age", "name");
CREATE UNIQUE INDEX "ix_users_token" ON "users" ("token");
CREATE INDEX "ix mixed ""order""" ON "Mixed Case" ("order", "we""ird");
CREATE INDEX "ix_partial" ON "users" ("name") WHERE "name" IS NOT NULL;
CREATE INDEX "ix_expr" ON "users" (lower("name"));
CREATE UNIQUE INDEX "ix_desc" ON "users" ("born" DESC, "age" ASC) WHERE age > 0;
CREATE INDEX "ix_collate" ON "users" ("nick" COLLATE NOCASE);
CREATE INDEX "ix_two_exprs" ON "users" (lower("name"), upper("nick"));
"#;

fn expected() -> Schema {
    use ReferentialAction::*;
    use SqlType::*;
    let mut s = Schema::new();
    s.insert(Table {
        name: "users".into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..c("id", Integer)
            },
            c("email", Varchar(120)),
            n("name", Text),
            with_default(n("age", SmallInt), ColumnDefault::Int(18)),
            with_default(n("score", Real), ColumnDefault::Float(1.5)),
            with_default(n("ratio", Double), ColumnDefault::Float(-2.5)),
            with_default(n("big", BigInt), ColumnDefault::Int(-1)),
            with_default(c("active", Boolean), ColumnDefault::Bool(true)),
            with_default(n("legacy_flag", Boolean), ColumnDefault::Bool(false)),
            n("avatar", Bytes),
            n("born", Date),
            n("wakes", Time),
            with_default(
                c("created_at", Timestamp),
                ColumnDefault::Sql {
                    sql: "CURRENT_TIMESTAMP".into(),
                },
            ),
            n("seen_at", TimestampTz),
            n("token", Uuid),
            with_default(n("prefs", Json), ColumnDefault::Str("{}".into())),
            with_default(
                n(
                    "balance",
                    Decimal {
                        precision: Some(10),
                        scale: Some(2),
                    },
                ),
                ColumnDefault::Int(0),
            ),
            n(
                "amount",
                Decimal {
                    precision: Some(8),
                    scale: None,
                },
            ),
            n(
                "any_num",
                Decimal {
                    precision: None,
                    scale: None,
                },
            ),
            with_default(n("nick", Text), ColumnDefault::Str("it's".into())),
            n("hand", Timestamp),
            n("code", Custom("CHAR(3)".into())),
            n("untyped", Bytes),
            with_default(
                n("expr", Text),
                ColumnDefault::Sql {
                    sql: "lower('ABC')".into(),
                },
            ),
            n("nul", Text),
            with_default(n("syn", BigInt), ColumnDefault::Bool(false)),
        ],
        primary_key: pk("pk_users", &["id"]),
        uniques: vec![Unique {
            name: "uq_users_email".into(),
            columns: strs(&["email"]),
        }],
        indexes: vec![
            ix("ix_collate", &["nick"], false),
            Index {
                desc: strs(&["born"]),
                where_: Some("age > 0".into()),
                ..ix("ix_desc", &["born", "age"], true)
            },
            Index {
                expr: Some("lower(\"name\")".into()),
                ..ix("ix_expr", &[], false)
            },
            Index {
                where_: Some("\"name\" IS NOT NULL".into()),
                ..ix("ix_partial", &["name"], false)
            },
            ix("ix_users_age_name", &["age", "name"], false),
            ix("ix_users_name_age", &["name", "age"], false),
            ix("ix_users_token", &["token"], true),
        ],
        checks: vec![Check {
            name: "ck_users_age".into(),
            expr: "age >= 0".into(),
        }],
        ..Table::default()
    });
    s.insert(Table {
        name: "memberships".into(),
        columns: vec![
            c("user_id", Integer),
            c("group_id", Integer),
            with_default(c("role", Text), ColumnDefault::Str("member".into())),
            n("inviter_id", Integer),
        ],
        primary_key: pk("pk_memberships", &["user_id", "group_id"]),
        uniques: vec![Unique {
            name: "uq_memberships_role_inviter_id".into(),
            columns: strs(&["role", "inviter_id"]),
        }],
        foreign_keys: vec![
            fk(
                "fk_m_user",
                &["user_id"],
                "users",
                &["id"],
                Cascade,
                Restrict,
            ),
            fk(
                "fk_memberships_inviter_id_users",
                &["inviter_id"],
                "users",
                &["id"],
                SetNull,
                NoAction,
            ),
        ],
        checks: vec![Check {
            name: "ck_memberships_1".into(),
            expr: "role <> ''".into(),
        }],
        ..Table::default()
    });
    s.insert(Table {
        name: "nodes".into(),
        columns: vec![
            c("id", Integer),
            n("parent_id", Integer),
            n("m_user", Integer),
            n("m_group", Integer),
        ],
        primary_key: pk("pk_nodes", &["id"]),
        foreign_keys: vec![
            fk(
                "fk_nodes_membership",
                &["m_user", "m_group"],
                "memberships",
                &["user_id", "group_id"],
                NoAction,
                Cascade,
            ),
            fk(
                "fk_nodes_parent_id_nodes",
                &["parent_id"],
                "nodes",
                &["id"],
                SetDefault,
                NoAction,
            ),
        ],
        ..Table::default()
    });
    s.insert(Table {
        name: "Mixed Case".into(),
        columns: vec![
            c("Id", BigInt),
            c("order", Integer),
            n("we\"ird", Text),
            n("has space", Text),
        ],
        primary_key: pk("pk Mixed", &["Id"]),
        uniques: vec![Unique {
            name: "uq_Mixed Case_we\"ird".into(),
            columns: strs(&["we\"ird"]),
        }],
        indexes: vec![ix("ix mixed \"order\"", &["order", "we\"ird"], false)],
        ..Table::default()
    });
    s.insert(Table {
        name: "order".into(),
        columns: vec![c("id", Integer)],
        primary_key: pk("pk_order", &["id"]),
        ..Table::default()
    });
    // Partial, expression and descending indexes are in the tables, and not also kept as
    // unmodeled objects; those of another shape are kept verbatim for rebuilds (a COLLATE
    // index is also in the table by its columns, as before).
    for (name, sql) in [
        (
            "ix_collate",
            r#"CREATE INDEX "ix_collate" ON "users" ("nick" COLLATE NOCASE)"#,
        ),
        (
            "ix_two_exprs",
            r#"CREATE INDEX "ix_two_exprs" ON "users" (lower("name"), upper("nick"))"#,
        ),
    ] {
        s.unmodeled.push(strata::schema::Unmodeled {
            kind: strata::schema::UnmodeledKind::Index,
            name: name.into(),
            table: "users".into(),
            sql: sql.into(),
            position: 0,
            renames: Vec::new(),
        });
    }
    s
}

#[tokio::test]
async fn reads_every_feature_exactly() {
    let db = TestDb::sqlite("introspect_all");
    let mut conn = db.connect().await.into_conn();
    run(&mut conn, DDL).await;
    let got = read(&mut conn).await;
    let want = expected();
    for (name, table) in &want.tables {
        assert_eq!(got.schema.table(name), Some(table), "table {name}");
    }
    assert_eq!(got.schema, want);
    // What introspection reads is already in normal form.
    let mut normal = got.schema.clone();
    Sqlite.normalize(&mut normal);
    assert_eq!(normal, got.schema);
    assert_eq!(
        got.queries,
        Sqlite.catalog_queries(&IntrospectOptions::default()).len()
    );
}

#[tokio::test]
async fn empty_database_and_bookkeeping_tables() {
    let db = TestDb::sqlite("introspect_strata");
    let mut conn = db.connect().await.into_conn();
    assert_eq!(read(&mut conn).await.schema, Schema::new());
    run(
        &mut conn,
        r#"CREATE TABLE "strata_version" ("version" TEXT NOT NULL PRIMARY KEY);
CREATE TABLE "strata_log" ("id" INTEGER PRIMARY KEY AUTOINCREMENT, "at" TEXT);
CREATE TABLE "kept" ("id" INTEGER PRIMARY KEY AUTOINCREMENT);
CREATE TABLE "audit.events" ("id" INTEGER PRIMARY KEY)"#,
    )
    .await;
    // AUTOINCREMENT created sqlite_sequence: an internal table, never read. A `.` in a name
    // reads as `schema.table`, which SQLite has not: that table is left alone too.
    let got = read(&mut conn).await.schema;
    assert_eq!(got.tables.keys().collect::<Vec<_>>(), ["kept"]);
}

/// Generates `count` tables, each with a foreign key to the previous one, a unique constraint
/// and two indexes.
fn generated(count: usize) -> String {
    let mut ddl = String::from("BEGIN;\n");
    for i in 0..count {
        let fk = if i == 0 {
            String::new()
        } else {
            format!(
                ",\n  CONSTRAINT \"fk_t{i}_prev\" FOREIGN KEY (\"prev_id\") REFERENCES \"t{}\" (\"id\")",
                i - 1
            )
        };
        ddl.push_str(&format!(
            "CREATE TABLE \"t{i}\" (\n  \"id\" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n  \
             \"prev_id\" INTEGER,\n  \"name\" VARCHAR(40) NOT NULL DEFAULT 'x',\n  \
             \"n\" BIGINT,\n  CONSTRAINT \"uq_t{i}_name\" UNIQUE (\"name\"){fk}\n);\n\
             CREATE INDEX \"ix_t{i}_prev_id\" ON \"t{i}\" (\"prev_id\");\n\
             CREATE INDEX \"ix_t{i}_n_name\" ON \"t{i}\" (\"n\", \"name\");\n"
        ));
    }
    ddl.push_str("COMMIT;\n");
    ddl
}

#[tokio::test]
async fn query_count_does_not_depend_on_table_count() {
    let small = TestDb::sqlite("introspect_small");
    let mut conn = small.connect().await.into_conn();
    run(&mut conn, &generated(3)).await;
    let three = read(&mut conn).await;

    let large = TestDb::sqlite("introspect_large");
    let mut conn = large.connect().await.into_conn();
    run(&mut conn, &generated(300)).await;
    let many = read(&mut conn).await;

    assert_eq!(three.schema.tables.len(), 3);
    assert_eq!(many.schema.tables.len(), 300);
    assert_eq!(three.queries, many.queries);
    assert_eq!(three.queries, 4);
    for (name, t) in &many.schema.tables {
        assert_eq!(t.columns.len(), 4, "{name}");
        assert_eq!(t.indexes.len(), 2, "{name}");
        assert_eq!(t.uniques.len(), 1, "{name}");
        assert_eq!(t.foreign_keys.len(), usize::from(name != "t0"), "{name}");
        assert!(t.columns[0].autoincrement, "{name}");
    }
    assert_eq!(
        many.schema.table("t7"),
        {
            let mut t = three.schema.table("t2").cloned().expect("t2");
            let rename = |s: &mut String| *s = s.replace("t2", "t7").replace("t1", "t6");
            rename(&mut t.name);
            rename(&mut t.primary_key.as_mut().expect("pk").name);
            t.uniques.iter_mut().for_each(|u| rename(&mut u.name));
            t.indexes.iter_mut().for_each(|i| rename(&mut i.name));
            for f in &mut t.foreign_keys {
                rename(&mut f.name);
                rename(&mut f.ref_table);
            }
            Some(t)
        }
        .as_ref()
    );
}

/// A dialect defined outside the crate, under a name of its own (no built-in `DialectKind`),
/// plugged in through the public extension point `Migrator::connect_with`: upgrading renders
/// and applies with it, a `sql` step filtered to another dialect's name is skipped, and its
/// `assemble` reads the catalog rows by column name through the public `CatalogRow` (the same
/// coercions the built-in dialects get; a missing column is an error that names it).
#[tokio::test]
async fn a_dialect_outside_the_crate_reads_catalog_rows() {
    use strata::dialect::{Bookkeeping, CatalogRow, CatalogValues, Ddl, IntrospectError};
    use strata::dialect::{RenderError, Transport};
    use strata::embed::{Embedded, EmbeddedFile};
    use strata::model::{ColumnDef, ColumnType, TableDef};
    use strata::{Migrator, RunOptions};

    /// SQLite's spelling and catalog with standard-SQL DDL and transport, under its own name;
    /// `assemble` also lists the table names it was given.
    #[derive(Debug)]
    struct Listing(std::sync::Mutex<Vec<String>>);

    impl Syntax for Listing {
        fn name(&self) -> &'static str {
            "listing"
        }
        fn type_sql(&self, ty: &SqlType) -> Result<String, RenderError> {
            Sqlite.type_sql(ty)
        }
    }
    impl Ddl for Listing {}
    impl Transport for Listing {}
    impl Catalog for Listing {
        fn catalog_queries(&self, opts: &IntrospectOptions) -> Vec<String> {
            Sqlite.catalog_queries(opts)
        }
        fn assemble(
            &self,
            results: Vec<Vec<CatalogValues>>,
            opts: &IntrospectOptions,
        ) -> Result<Schema, IntrospectError> {
            let mut names = Vec::new();
            for row in &results[0] {
                let r = CatalogRow::new("tables", row);
                if r.text("kind")? == "table" {
                    names.push(r.text("tbl")?);
                }
                let err = r.text("no_such_column").expect_err("missing column");
                assert!(err.to_string().contains("no_such_column"), "{err}");
            }
            *self.0.lock().expect("lock") = names;
            Sqlite.assemble(results, opts)
        }
        fn normalize(&self, schema: &mut Schema) {
            Sqlite.normalize(schema)
        }
    }
    impl Bookkeeping for Listing {
        fn table_exists_sql(&self, table: &str) -> String {
            Sqlite.table_exists_sql(table)
        }
    }

    static LISTING: Listing = Listing(std::sync::Mutex::new(Vec::new()));
    // Tables `a` and `b`, a row in `a`, and a step for SQLite only that is not even SQL: it
    // runs only if the outside dialect passed for SQLite.
    static MIGRATIONS: Embedded = Embedded {
        dir: "migrations",
        settings: None,
        files: &[EmbeddedFile {
            name: "0a0000000001_tables.toml",
            text: r#"revision = "0a0000000001"
message = "tables"

[[upgrade]]
op = "create_table"
[upgrade.table]
name = "b"
columns = [{ name = "id", type = "integer" }]
primary_key = { name = "pk_b", columns = ["id"] }

[[upgrade]]
op = "create_table"
[upgrade.table]
name = "a"
columns = [{ name = "id", type = "integer" }]
primary_key = { name = "pk_a", columns = ["id"] }

[[upgrade]]
op = "sql"
sql = "INSERT INTO a (id) VALUES (7)"

[[upgrade]]
op = "sql"
sql = "not SQL: SQLite only"
dialect = "sqlite"
"#,
        }],
    };
    const ID: ColumnDef = ColumnDef {
        primary_key: true,
        ..ColumnDef::new("id", ColumnType::Integer)
    };
    const fn table(name: &'static str) -> TableDef {
        TableDef {
            name,
            schema: None,
            rust_path: name,
            comment: None,
            renamed_from: None,
            columns: &[ID],
            indexes: &[],
            uniques: &[],
            checks: &[],
            primary_key_name: None,
        }
    }
    static A: TableDef = table("a");
    static B: TableDef = table("b");

    let tdb = TestDb::sqlite("outside-dialect");
    let m = Migrator::from_embedded(&MIGRATIONS).expect("migrations");
    let mut db = m.connect_with(&tdb.url, &LISTING).await.expect("connect");
    assert_eq!(db.dialect().name(), "listing");
    m.upgrade(&mut db, "head", &RunOptions::default(), |_| {})
        .await
        .expect("upgrade with the outside dialect, skipping the SQLite-only step");
    assert_eq!(m.current(&mut db).await.expect("current"), ["0a0000000001"]);
    // Compare introspects through `Listing::assemble`; the models match the tables.
    let plan = m.compare(&mut db, &[&A, &B]).await.expect("compare");
    assert!(plan.is_empty(), "{plan:?}");
    let mut names = LISTING.0.lock().expect("lock").clone();
    names.sort();
    // The catalog rows include Strata's own tables; introspection drops them afterwards.
    assert_eq!(names, ["a", "b", "strata_log", "strata_version"]);
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM a")
        .fetch_all(db.conn())
        .await
        .expect("rows");
    assert_eq!(rows, [(7,)]);
}

#[tokio::test]
async fn unnamed_constraints_are_named_by_the_configured_convention() {
    let db = TestDb::sqlite("introspect_naming");
    let mut conn = db.connect().await.into_conn();
    run(
        &mut conn,
        r#"CREATE TABLE "users" ("id" INTEGER NOT NULL PRIMARY KEY);
CREATE TABLE "posts" (
  "id" INTEGER NOT NULL,
  "user_id" INTEGER,
  "slug" TEXT,
  PRIMARY KEY ("id"),
  UNIQUE ("slug"),
  FOREIGN KEY ("user_id") REFERENCES "users" ("id"),
  CHECK (length(slug) > 1)
)"#,
    )
    .await;
    let templates: strata::schema::naming::NamingTemplates = toml::from_str(
        "pk = \"%(table_name)s_pkey\"\n\
         uq = \"%(table_name)s_%(column_0_name)s_key\"\n\
         fk = \"%(table_name)s_%(column_0_name)s_fkey\"\n\
         ck = \"%(table_name)s_check_%(constraint_name)s\"\n",
    )
    .expect("toml");
    let naming = strata::schema::Naming::from_templates(&templates).expect("valid");
    let opts = IntrospectOptions {
        naming: naming.clone(),
        ..IntrospectOptions::default()
    };
    let got = introspect(&mut conn, &Sqlite, &opts)
        .await
        .expect("introspection succeeds")
        .schema;
    assert_eq!(got.naming, naming, "the schema carries the convention");
    let posts = got.table("posts").expect("posts");
    assert_eq!(
        posts.primary_key.as_ref().map(|p| p.name.as_str()),
        Some("posts_pkey")
    );
    assert_eq!(posts.uniques[0].name, "posts_slug_key");
    assert_eq!(posts.foreign_keys[0].name, "posts_user_id_fkey");
    assert_eq!(posts.checks[0].name, "posts_check_1");
    // The built-in convention, as before.
    let got = read(&mut conn).await.schema;
    let posts = got.table("posts").expect("posts");
    assert_eq!(posts.uniques[0].name, "uq_posts_slug");
    assert_eq!(posts.checks[0].name, "ck_posts_1");
}
