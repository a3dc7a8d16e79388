//! Normalisation: a model-built schema, normalised for a dialect, equals what introspection reads
//! back after creating those tables with the DDL the renderer writes (spelled here by hand).

mod common;

use strata::dialect::DialectKind;
use strata::dialect::IntrospectOptions;
use strata::model::{
    CheckDef, ColumnDef, ColumnType, DefaultValue, ForeignKeyDef, IndexDef, ReferentialAction,
    TableDef, UniqueDef,
};
use strata::schema::Schema;
use strata::testing::introspect;
use strata::testing::TestDb;

use common::run;

const fn col(name: &'static str, ty: ColumnType) -> ColumnDef {
    ColumnDef::new(name, ty)
}

const USERS: TableDef = TableDef {
    name: "users",
    schema: None,
    rust_path: "app::User",
    comment: Some("People."),
    renamed_from: None,
    columns: &[
        ColumnDef {
            primary_key: true,
            autoincrement: true,
            ..col("id", ColumnType::Integer)
        },
        ColumnDef {
            unique: true,
            comment: Some("Where to write."),
            ..col("email", ColumnType::Varchar(120))
        },
        ColumnDef {
            unique: true,
            index: true,
            ..col("username", ColumnType::Varchar(80))
        },
        ColumnDef {
            default: Some(DefaultValue::Sql("current_timestamp")),
            ..col("created_at", ColumnType::Timestamp)
        },
        ColumnDef {
            default: Some(DefaultValue::Int(1)),
            ..col("active", ColumnType::Boolean)
        },
        ColumnDef {
            default: Some(DefaultValue::Float(0.5)),
            ..col("score", ColumnType::Custom("float8"))
        },
        ColumnDef {
            nullable: true,
            default: Some(DefaultValue::Sql("'anon'")),
            ..col("nick", ColumnType::Text)
        },
        col(
            "balance",
            ColumnType::Decimal {
                precision: Some(10),
                scale: None,
            },
        ),
    ],
    indexes: &[],
    uniques: &[],
    checks: &[],
    primary_key_name: None,
};

const POSTS: TableDef = TableDef {
    name: "posts",
    schema: None,
    rust_path: "app::Post",
    comment: None,
    renamed_from: None,
    columns: &[
        ColumnDef {
            primary_key: true,
            autoincrement: true,
            ..col("id", ColumnType::BigInt)
        },
        ColumnDef {
            index: true,
            references: Some(ForeignKeyDef {
                table: "users",
                column: None,
                on_delete: ReferentialAction::Cascade,
                on_update: ReferentialAction::NoAction,
                name: None,
            }),
            ..col("user_id", ColumnType::Integer)
        },
        col("title", ColumnType::Custom("VARCHAR(200)")),
        ColumnDef {
            nullable: true,
            ..col("body", ColumnType::Text)
        },
    ],
    indexes: &[
        IndexDef {
            name: None,
            columns: &["user_id", "title"],
            unique: false,
            ..IndexDef::BASE
        },
        IndexDef {
            name: Some("posts_title_uq_ix"),
            columns: &["title"],
            unique: true,
            ..IndexDef::BASE
        },
    ],
    uniques: &[UniqueDef {
        name: None,
        columns: &["title", "body"],
    }],
    checks: &[CheckDef {
        name: "positive_id",
        expr: "id > 0",
    }],
    primary_key_name: None,
};

const TAGS: TableDef = TableDef {
    name: "tags",
    schema: None,
    rust_path: "app::Tag",
    comment: None,
    renamed_from: None,
    columns: &[
        ColumnDef {
            primary_key: true,
            references: Some(ForeignKeyDef {
                table: "posts",
                column: None,
                on_delete: ReferentialAction::NoAction,
                on_update: ReferentialAction::NoAction,
                name: None,
            }),
            ..col("post_id", ColumnType::BigInt)
        },
        ColumnDef {
            primary_key: true,
            ..col("tag", ColumnType::Varchar(30))
        },
    ],
    indexes: &[],
    uniques: &[],
    checks: &[],
    primary_key_name: None,
};

const SQLITE_DDL: &str = r#"
CREATE TABLE "users" (
  "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  "email" VARCHAR(120) NOT NULL,
  "username" VARCHAR(80) NOT NULL,
  "created_at" TIMESTAMP NOT NULL DEFAULT current_timestamp,
  "active" BOOLEAN NOT NULL DEFAULT TRUE,
  "score" DOUBLE NOT NULL DEFAULT 0.5,
  "nick" TEXT DEFAULT 'anon',
  "balance" NUMERIC(10) NOT NULL,
  CONSTRAINT "uq_users_email" UNIQUE ("email")
);
CREATE UNIQUE INDEX "ix_users_username" ON "users" ("username");
CREATE TABLE "posts" (
  "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  "user_id" INTEGER NOT NULL,
  "title" VARCHAR(200) NOT NULL,
  "body" TEXT,
  CONSTRAINT "uq_posts_title_body" UNIQUE ("title", "body"),
  CONSTRAINT "fk_posts_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
  CONSTRAINT "ck_posts_positive_id" CHECK (id > 0)
);
CREATE INDEX "ix_posts_user_id" ON "posts" ("user_id");
CREATE INDEX "ix_posts_user_id_title" ON "posts" ("user_id", "title");
CREATE UNIQUE INDEX "posts_title_uq_ix" ON "posts" ("title");
CREATE TABLE "tags" (
  "post_id" BIGINT NOT NULL,
  "tag" VARCHAR(30) NOT NULL,
  CONSTRAINT "pk_tags" PRIMARY KEY ("post_id", "tag"),
  CONSTRAINT "fk_tags_post_id_posts" FOREIGN KEY ("post_id") REFERENCES "posts" ("id")
)
"#;

const POSTGRES_DDL: &str = r#"
CREATE TABLE "users" (
  "id" integer NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  "email" varchar(120) NOT NULL,
  "username" varchar(80) NOT NULL,
  "created_at" timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "active" boolean NOT NULL DEFAULT TRUE,
  "score" double precision NOT NULL DEFAULT 0.5,
  "nick" text DEFAULT 'anon',
  "balance" numeric(10,0) NOT NULL,
  CONSTRAINT "pk_users" PRIMARY KEY ("id"),
  CONSTRAINT "uq_users_email" UNIQUE ("email")
);
COMMENT ON TABLE "users" IS 'People.';
COMMENT ON COLUMN "users"."email" IS 'Where to write.';
CREATE UNIQUE INDEX "ix_users_username" ON "users" ("username");
CREATE TABLE "posts" (
  "id" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY,
  "user_id" integer NOT NULL,
  "title" varchar(200) NOT NULL,
  "body" text,
  CONSTRAINT "pk_posts" PRIMARY KEY ("id"),
  CONSTRAINT "uq_posts_title_body" UNIQUE ("title", "body"),
  CONSTRAINT "fk_posts_user_id_users" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
  CONSTRAINT "ck_posts_positive_id" CHECK (id > 0)
);
CREATE INDEX "ix_posts_user_id" ON "posts" ("user_id");
CREATE INDEX "ix_posts_user_id_title" ON "posts" ("user_id", "title");
CREATE UNIQUE INDEX "posts_title_uq_ix" ON "posts" ("title");
CREATE TABLE "tags" (
  "post_id" bigint NOT NULL,
  "tag" varchar(30) NOT NULL,
  CONSTRAINT "pk_tags" PRIMARY KEY ("post_id", "tag"),
  CONSTRAINT "fk_tags_post_id_posts" FOREIGN KEY ("post_id") REFERENCES "posts" ("id")
)
"#;

async fn round_trip(kind: DialectKind, ddl: &str) {
    sqlx::any::install_default_drivers();
    let db = TestDb::new(kind, "introspect_normalize").await;
    let mut conn = db.connect().await.into_conn();
    run(&mut conn, ddl).await;
    let dialect = kind.dialect().expect("dialect built");
    let got = introspect(&mut conn, dialect, &IntrospectOptions::default())
        .await
        .expect("introspection succeeds")
        .schema;
    let mut want = Schema::from_models([&USERS, &POSTS, &TAGS]).expect("valid models");
    dialect.normalize(&mut want);
    for (name, table) in &want.tables {
        assert_eq!(got.table(name), Some(table), "{kind}: table {name}");
    }
    assert_eq!(got, want, "{kind}");
    // Normalising twice changes nothing, and an introspected schema is already normal.
    let mut again = want.clone();
    dialect.normalize(&mut again);
    assert_eq!(again, want, "{kind}: normalize is idempotent");
    let mut read = got.clone();
    dialect.normalize(&mut read);
    assert_eq!(read, got, "{kind}: introspected schemas are normal");
}

#[tokio::test]
async fn sqlite_models_match_what_is_read_back() {
    round_trip(DialectKind::Sqlite, SQLITE_DDL).await;
}

#[tokio::test]
async fn postgres_models_match_what_is_read_back() {
    round_trip(DialectKind::Postgres, POSTGRES_DDL).await;
}
