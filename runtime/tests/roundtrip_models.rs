//! The invariant on a realistic model set: models -> `Schema::from_models` -> normalise ->
//! apply `diff(empty, models)` through the executor -> introspect -> the diff is EMPTY; then the
//! downgrade leaves an empty database. On real SQLite and PostgreSQL.
//!
//! The models cover every neutral type, defaults of each kind (integer, float, boolean,
//! string, raw SQL incl. `CURRENT_TIMESTAMP`), a composite primary key, foreign keys with
//! actions, a self-reference, a reference to a unique non-key column, unique constraints
//! (single and multi-column), plain, unique and multi-column indexes, checks, comments, and
//! identifiers that need quoting (mixed case, spaces, keywords, embedded quotes).

mod roundtrip_common;

use roundtrip_common::{assert_matches, normalized, seed_statements, Live, DIALECTS};
use strata::apply::Direction;
use strata::diff::{diff, DiffOptions};
use strata::model::{
    CheckDef, ColumnDef, ColumnType, DefaultValue, ForeignKeyDef, IndexDef, ReferentialAction,
    TableDef, UniqueDef,
};
use strata::schema::Schema;

const fn col(name: &'static str, ty: ColumnType) -> ColumnDef {
    ColumnDef {
        name,
        field: name,
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

const fn key(name: &'static str, ty: ColumnType) -> ColumnDef {
    ColumnDef {
        primary_key: true,
        autoincrement: true,
        ..col(name, ty)
    }
}

const fn fk(
    table: &'static str,
    column: Option<&'static str>,
    on_delete: ReferentialAction,
    on_update: ReferentialAction,
) -> Option<ForeignKeyDef> {
    Some(ForeignKeyDef {
        table,
        column,
        on_delete,
        on_update,
    })
}

const fn table(name: &'static str, columns: &'static [ColumnDef]) -> TableDef {
    TableDef {
        name,
        rust_path: name,
        comment: None,
        renamed_from: None,
        columns,
        indexes: &[],
        uniques: &[],
        checks: &[],
    }
}

const USERS: TableDef = TableDef {
    comment: Some("People who sign in. It's a \"user\"."),
    uniques: &[UniqueDef {
        name: None,
        columns: &["first_name", "last_name"],
    }],
    checks: &[CheckDef {
        name: "karma_positive",
        expr: "karma >= 0",
    }],
    indexes: &[IndexDef {
        name: None,
        columns: &["last_name", "first_name"],
        unique: false,
    }],
    ..table(
        "users",
        &[
            key("id", ColumnType::Integer),
            ColumnDef {
                unique: true,
                comment: Some("Where we write; it's unique."),
                ..col("email", ColumnType::Varchar(120))
            },
            ColumnDef {
                index: true,
                ..col("first_name", ColumnType::Varchar(60))
            },
            col("last_name", ColumnType::Varchar(60)),
            ColumnDef {
                default: Some(DefaultValue::Int(0)),
                ..col("karma", ColumnType::BigInt)
            },
            ColumnDef {
                default: Some(DefaultValue::Bool(true)),
                ..col("active", ColumnType::Boolean)
            },
            ColumnDef {
                default: Some(DefaultValue::Float(0.5)),
                ..col("score", ColumnType::Double)
            },
            ColumnDef {
                nullable: true,
                default: Some(DefaultValue::Str("it's me")),
                ..col("nick", ColumnType::Text)
            },
            ColumnDef {
                default: Some(DefaultValue::Sql("CURRENT_TIMESTAMP")),
                ..col("created_at", ColumnType::Timestamp)
            },
        ],
    )
};

const GROUPS: TableDef = table(
    "groups",
    &[
        key("id", ColumnType::BigInt),
        ColumnDef {
            unique: true,
            ..col("slug", ColumnType::Varchar(40))
        },
    ],
);

/// Composite key; two foreign keys with actions; a multi-column unique index.
const MEMBERSHIPS: TableDef = TableDef {
    indexes: &[IndexDef {
        name: Some("ix_memberships_group_role"),
        columns: &["group_id", "role"],
        unique: true,
    }],
    ..table(
        "memberships",
        &[
            ColumnDef {
                primary_key: true,
                references: fk(
                    "users",
                    None,
                    ReferentialAction::Cascade,
                    ReferentialAction::Cascade,
                ),
                ..col("user_id", ColumnType::Integer)
            },
            ColumnDef {
                primary_key: true,
                references: fk(
                    "groups",
                    None,
                    ReferentialAction::Restrict,
                    ReferentialAction::NoAction,
                ),
                ..col("group_id", ColumnType::BigInt)
            },
            ColumnDef {
                default: Some(DefaultValue::Str("member")),
                ..col("role", ColumnType::Varchar(20))
            },
            ColumnDef {
                default: Some(DefaultValue::Sql("CURRENT_DATE")),
                ..col("since", ColumnType::Date)
            },
        ],
    )
};

/// A self-reference, and a reference to a unique non-key column.
const CATEGORIES: TableDef = table(
    "categories",
    &[
        key("id", ColumnType::Integer),
        ColumnDef {
            nullable: true,
            references: fk(
                "categories",
                None,
                ReferentialAction::SetNull,
                ReferentialAction::NoAction,
            ),
            ..col("parent_id", ColumnType::Integer)
        },
        ColumnDef {
            nullable: true,
            references: fk(
                "groups",
                Some("slug"),
                ReferentialAction::NoAction,
                ReferentialAction::Cascade,
            ),
            ..col("group_slug", ColumnType::Varchar(40))
        },
        col("title", ColumnType::Text),
    ],
);

/// Identifiers that need quoting everywhere.
const PROFILES: TableDef = TableDef {
    comment: Some("Mixed case, spaces, keywords."),
    checks: &[CheckDef {
        name: "order positive",
        expr: "\"order\" >= 0",
    }],
    indexes: &[IndexDef {
        name: None,
        columns: &["order", "Display Name"],
        unique: false,
    }],
    ..table(
        "User Profiles",
        &[
            key("Id", ColumnType::Integer),
            ColumnDef {
                comment: Some("What \"others\" see."),
                ..col("Display Name", ColumnType::Varchar(100))
            },
            ColumnDef {
                default: Some(DefaultValue::Int(0)),
                index: true,
                ..col("order", ColumnType::Integer)
            },
            ColumnDef {
                nullable: true,
                default: Some(DefaultValue::Str("say \"hi\", it's 'fine'")),
                ..col("say \"hi\"", ColumnType::Text)
            },
            ColumnDef {
                unique: true,
                references: fk(
                    "users",
                    Some("id"),
                    ReferentialAction::Cascade,
                    ReferentialAction::NoAction,
                ),
                ..col("UserId", ColumnType::Integer)
            },
        ],
    )
};

/// A keyword as table name, with keyword columns.
const ORDER: TableDef = table(
    "order",
    &[
        key("select", ColumnType::BigInt),
        ColumnDef {
            references: fk(
                "User Profiles",
                None,
                ReferentialAction::SetDefault,
                ReferentialAction::NoAction,
            ),
            default: Some(DefaultValue::Int(1)),
            ..col("from", ColumnType::Integer)
        },
        ColumnDef {
            default: Some(DefaultValue::Sql("CURRENT_TIMESTAMP")),
            ..col("when", ColumnType::TimestampTz)
        },
    ],
);

/// Every neutral type, with a default where the type takes one.
const EVERYTHING: TableDef = TableDef {
    checks: &[CheckDef {
        name: "small",
        expr: "small_int >= 0",
    }],
    ..table(
        "everything",
        &[
            ColumnDef {
                primary_key: true,
                ..col("id", ColumnType::Uuid)
            },
            ColumnDef {
                default: Some(DefaultValue::Int(-1)),
                ..col("small_int", ColumnType::SmallInt)
            },
            ColumnDef {
                nullable: true,
                ..col("int", ColumnType::Integer)
            },
            ColumnDef {
                default: Some(DefaultValue::Int(9_000_000_000)),
                ..col("big_int", ColumnType::BigInt)
            },
            ColumnDef {
                default: Some(DefaultValue::Float(1.5)),
                ..col("real", ColumnType::Real)
            },
            ColumnDef {
                default: Some(DefaultValue::Float(-2.25)),
                ..col("double", ColumnType::Double)
            },
            ColumnDef {
                default: Some(DefaultValue::Bool(false)),
                ..col("flag", ColumnType::Boolean)
            },
            ColumnDef {
                default: Some(DefaultValue::Str("")),
                ..col("body", ColumnType::Text)
            },
            ColumnDef {
                default: Some(DefaultValue::Str("x")),
                ..col("code", ColumnType::Varchar(3))
            },
            ColumnDef {
                nullable: true,
                ..col("raw", ColumnType::Bytes)
            },
            ColumnDef {
                default: Some(DefaultValue::Str("2024-01-31")),
                ..col("day", ColumnType::Date)
            },
            ColumnDef {
                nullable: true,
                ..col("at_time", ColumnType::Time)
            },
            ColumnDef {
                default: Some(DefaultValue::Sql("CURRENT_TIMESTAMP")),
                ..col("at", ColumnType::Timestamp)
            },
            ColumnDef {
                nullable: true,
                ..col("at_tz", ColumnType::TimestampTz)
            },
            ColumnDef {
                nullable: true,
                default: Some(DefaultValue::Str("{}")),
                ..col("doc", ColumnType::Json)
            },
            ColumnDef {
                nullable: true,
                ..col(
                    "num",
                    ColumnType::Decimal {
                        precision: None,
                        scale: None,
                    },
                )
            },
            ColumnDef {
                default: Some(DefaultValue::Int(7)),
                ..col(
                    "num_p",
                    ColumnType::Decimal {
                        precision: Some(10),
                        scale: None,
                    },
                )
            },
            ColumnDef {
                default: Some(DefaultValue::Float(9.99)),
                ..col(
                    "money",
                    ColumnType::Decimal {
                        precision: Some(12),
                        scale: Some(2),
                    },
                )
            },
            ColumnDef {
                nullable: true,
                ..col("fixed", ColumnType::Custom("char(3)"))
            },
            ColumnDef {
                nullable: true,
                ..col("blob_json", ColumnType::Custom("jsonb"))
            },
            ColumnDef {
                nullable: true,
                ..col("spelled", ColumnType::Custom("VARCHAR(10)"))
            },
            ColumnDef {
                nullable: true,
                ..col("precise_at", ColumnType::Custom("timestamp(3)"))
            },
        ],
    )
};

/// Names past PostgreSQL's 63-byte limit: the convention shortens constraint names with a
/// hash, and the table and column names themselves are cut by PostgreSQL.
const LONG: TableDef = TableDef {
    indexes: &[IndexDef {
        name: None,
        columns: &[
            "a_column_name_that_is_long_enough_to_push_every_name_over",
            "another_column_name_that_is_also_quite_long",
        ],
        unique: false,
    }],
    ..table(
        "a_table_name_that_is_long_enough_to_need_shortening_soon",
        &[
            key("id", ColumnType::Integer),
            ColumnDef {
                references: fk(
                    "users",
                    None,
                    ReferentialAction::Cascade,
                    ReferentialAction::NoAction,
                ),
                unique: true,
                ..col(
                    "a_column_name_that_is_long_enough_to_push_every_name_over",
                    ColumnType::Integer,
                )
            },
            col(
                "another_column_name_that_is_also_quite_long",
                ColumnType::Text,
            ),
        ],
    )
};

const MODELS: [&TableDef; 9] = [
    &LONG,
    &USERS,
    &GROUPS,
    &MEMBERSHIPS,
    &CATEGORIES,
    &PROFILES,
    &ORDER,
    &EVERYTHING,
    &table("empty_but_key", &[key("id", ColumnType::SmallInt)]),
];

#[tokio::test(flavor = "multi_thread")]
async fn models_round_trip_to_an_empty_diff_and_back() {
    let models = Schema::from_models(MODELS).expect("models are consistent");
    assert_eq!(models.tables.len(), MODELS.len());
    let all = DiffOptions::default();
    let mut failures = Vec::new();
    for kind in DIALECTS {
        let result = async {
            let mut live = Live::new(kind, "models").await;
            let d = live.dialect;
            let target = normalized(d, &models);
            let plan = diff(&Schema::new(), &target, &all).map_err(|e| e.to_string())?;
            let after = live
                .apply(
                    "models",
                    Direction::Up,
                    Some("models"),
                    &plan.upgrade,
                    &Schema::new(),
                )
                .await?;
            let got = live.introspect().await.schema;
            assert_matches(&got, &target, &all, "after creating the models")?;
            // The un-normalised models too: what `autogenerate` compares after normalising.
            let again = diff(&got, &normalized(d, &models), &all).map_err(|e| e.to_string())?;
            if !again.upgrade.is_empty() {
                return Err(format!("second diff: {:?}", again.upgrade));
            }
            // The tables take rows (every column, every foreign key resolving).
            for sql in seed_statements(d, &got)? {
                live.exec(&sql).await?;
            }
            live.apply("models", Direction::Down, None, &plan.downgrade, &after)
                .await?;
            let empty = live.introspect().await.schema;
            assert_matches(&empty, &Schema::new(), &all, "after the downgrade")?;
            Ok::<(), String>(())
        }
        .await;
        if let Err(e) = result {
            failures.push(format!("--- {kind}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
