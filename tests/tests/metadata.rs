//! Stage 1, model: the exact metadata `#[derive(Model)]` produces, and the registry.

// Doc comments are data under test here (they become table and column comments), so most
// items deliberately have none; the structs exist only for their metadata.
#![allow(missing_docs, dead_code)]

use strata::model::{
    CheckDef, ColumnDef, ColumnType, DefaultValue, ForeignKeyDef, IndexDef, ReferentialAction,
    TableDef, UniqueDef,
};
use strata::Model;

/// An author
///   of posts.
#[derive(Model)]
#[model(table = "zz_authors", renamed_from = "writers")]
#[model(unique(columns("handle", "mail"), name = "uq_handle_email"))]
#[model(check(name = "handle_not_empty", expr = "handle <> ''"))]
pub struct Author {
    /// The key.
    #[model(primary_key)]
    pub id: i64,
    #[model(max_length = 40, unique, renamed_from = "nick")]
    pub handle: String,
    #[model(column = "mail", index)]
    pub email: Option<String>,
    #[model(default = -3)]
    pub karma: i32,
    #[model(default_sql = "CURRENT_TIMESTAMP")]
    pub joined: chrono::NaiveDateTime,
    #[model(skip)]
    pub cache: Vec<String>,
}

#[derive(Model)]
#[model(index(columns("author_id", "position"), unique))]
pub struct BookChapter {
    #[model(primary_key)]
    pub book: String,
    #[model(primary_key, sql_type = "smallint")]
    pub position: i16,
    #[model(
        references = "zz_authors.id",
        on_delete = "set_null",
        on_update = "cascade"
    )]
    pub author_id: Option<i64>,
    #[model(references = "books")]
    pub book_ref: String,
    #[model(precision = 8, scale = 3, default = 1.25)]
    pub weight: Decimal,
    #[model(default = "draft")]
    pub status: String,
    #[model(default = false)]
    pub published: bool,
}

#[derive(Model)]
#[model(table = "sessions")]
#[model(index(
    columns("user_id"),
    where = "ended_at IS NULL",
    unique,
    name = "ux_sessions_live"
))]
#[model(index(expr = "lower(agent)"))]
#[model(index(columns("started_at", "user_id"), desc("started_at"), using = "btree"))]
#[model(index(columns("agent"), using = "gin"))]
pub struct Session {
    #[model(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub agent: String,
    pub started_at: chrono::NaiveDateTime,
    pub ended_at: Option<chrono::NaiveDateTime>,
}

/// A stand-in for `rust_decimal::Decimal` (the derive recognises types by path).
pub struct Decimal;

fn col(name: &'static str, field: &'static str, ty: ColumnType) -> ColumnDef {
    ColumnDef {
        name,
        field,
        ty,
        nullable: false,
        default: None,
        autoincrement: false,
        primary_key: false,
        unique: false,
        index: false,
        references: None,
        comment: None,
        renamed_from: None,
    }
}

#[test]
fn author_table_is_complete() {
    let expected = TableDef {
        name: "zz_authors",
        schema: None,
        rust_path: "metadata::Author",
        comment: Some("An author\nof posts."),
        renamed_from: Some("writers"),
        columns: &[],
        indexes: &[],
        uniques: &[UniqueDef {
            name: Some("uq_handle_email"),
            columns: &["handle", "mail"],
        }],
        checks: &[CheckDef {
            name: "handle_not_empty",
            expr: "handle <> ''",
        }],
        primary_key_name: None,
    };
    let t = Author::TABLE;
    assert_eq!(TableDef { columns: &[], ..*t }, expected);
    let columns = [
        ColumnDef {
            primary_key: true,
            autoincrement: true,
            comment: Some("The key."),
            ..col("id", "id", ColumnType::BigInt)
        },
        ColumnDef {
            unique: true,
            renamed_from: Some("nick"),
            ..col("handle", "handle", ColumnType::Varchar(40))
        },
        ColumnDef {
            nullable: true,
            index: true,
            ..col("mail", "email", ColumnType::Text)
        },
        ColumnDef {
            default: Some(DefaultValue::Int(-3)),
            ..col("karma", "karma", ColumnType::Integer)
        },
        ColumnDef {
            default: Some(DefaultValue::Sql("CURRENT_TIMESTAMP")),
            ..col("joined", "joined", ColumnType::Timestamp)
        },
    ];
    assert_eq!(t.columns, columns);
}

#[test]
fn chapter_table_is_complete() {
    let t = BookChapter::TABLE;
    assert_eq!(t.name, "book_chapter");
    assert_eq!(t.rust_path, "metadata::BookChapter");
    assert_eq!((t.comment, t.renamed_from), (None, None));
    assert_eq!(
        t.indexes,
        [IndexDef {
            name: None,
            columns: &["author_id", "position"],
            unique: true,
            ..IndexDef::BASE
        }]
    );
    assert!(t.uniques.is_empty() && t.checks.is_empty());
    let columns = [
        ColumnDef {
            primary_key: true,
            ..col("book", "book", ColumnType::Text)
        },
        ColumnDef {
            primary_key: true,
            ..col("position", "position", ColumnType::Custom("smallint"))
        },
        ColumnDef {
            nullable: true,
            references: Some(ForeignKeyDef {
                table: "zz_authors",
                column: Some("id"),
                on_delete: ReferentialAction::SetNull,
                on_update: ReferentialAction::Cascade,
                name: None,
            }),
            ..col("author_id", "author_id", ColumnType::BigInt)
        },
        ColumnDef {
            references: Some(ForeignKeyDef {
                table: "books",
                column: None,
                on_delete: ReferentialAction::NoAction,
                on_update: ReferentialAction::NoAction,
                name: None,
            }),
            ..col("book_ref", "book_ref", ColumnType::Text)
        },
        ColumnDef {
            default: Some(DefaultValue::Float(1.25)),
            ..col(
                "weight",
                "weight",
                ColumnType::Decimal {
                    precision: Some(8),
                    scale: Some(3),
                },
            )
        },
        ColumnDef {
            default: Some(DefaultValue::Str("draft")),
            ..col("status", "status", ColumnType::Text)
        },
        ColumnDef {
            default: Some(DefaultValue::Bool(false)),
            ..col("published", "published", ColumnType::Boolean)
        },
    ];
    assert_eq!(t.columns, columns);
}

mod nested {
    use strata::Model;

    #[derive(Model)]
    #[model(table = "aa_first")]
    pub struct First {
        #[model(primary_key)]
        pub id: i32,
    }
}

#[test]
fn registry_lists_every_model_in_table_name_order() {
    let names: Vec<&str> = strata::registry::models().iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        ["aa_first", "book_chapter", "sessions", "zz_authors"]
    );
    let first = strata::registry::models()[0];
    assert_eq!(first, nested::First::TABLE);
    assert_eq!(first.rust_path, "metadata::nested::First");
}

#[test]
fn partial_expression_descending_and_method_indexes() {
    assert_eq!(
        Session::TABLE.indexes,
        [
            IndexDef {
                name: Some("ux_sessions_live"),
                columns: &["user_id"],
                unique: true,
                where_: Some("ended_at IS NULL"),
                ..IndexDef::BASE
            },
            IndexDef {
                expr: Some("lower(agent)"),
                ..IndexDef::BASE
            },
            IndexDef {
                columns: &["started_at", "user_id"],
                desc: &["started_at"],
                using: Some("btree"),
                ..IndexDef::BASE
            },
            IndexDef {
                columns: &["agent"],
                using: Some("gin"),
                ..IndexDef::BASE
            },
        ]
    );
    let schema = strata::schema::Schema::from_models([Session::TABLE]).expect("schema");
    let names: Vec<&str> = schema.tables["sessions"]
        .indexes
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "ux_sessions_live",
            "ix_sessions_lower_agent",
            "ix_sessions_started_at_user_id",
            "ix_sessions_agent"
        ]
    );
    let live = &schema.tables["sessions"].indexes[0];
    assert_eq!(live.where_.as_deref(), Some("ended_at IS NULL"));
    assert!(live.unique);
}
