//! The invariant at scale: 300 generated models (7 columns each, foreign keys to earlier tables,
//! single, unique and multi-column indexes) are created through the executor, introspected in
//! as many catalog queries as a 3-table schema takes, and diff empty against the models. On
//! real SQLite and PostgreSQL.

mod roundtrip_common;

use std::time::Instant;

use roundtrip_common::{assert_matches, normalized, Live, DIALECTS};
use strata::apply::StepKind;
use strata::diff::{diff, DiffOptions};
use strata::model::{
    ColumnDef, ColumnType, DefaultValue, ForeignKeyDef, IndexDef, ReferentialAction, TableDef,
    UniqueDef,
};
use strata::schema::Schema;

const TABLES: usize = 300;

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

fn name(i: usize) -> &'static str {
    Box::leak(format!("t{i:03}").into_boxed_str())
}

const fn col(name: &'static str, ty: ColumnType) -> ColumnDef {
    ColumnDef::new(name, ty)
}

/// Table `i`: a key, a name, an amount, a flag, a timestamp, a note, and (past the first) a
/// reference to an earlier table; every 5th has a multi-column index, every 10th a unique
/// constraint, every 7th a unique index.
fn model(i: usize) -> TableDef {
    let mut columns = vec![
        ColumnDef {
            primary_key: true,
            autoincrement: true,
            ..col("id", ColumnType::Integer)
        },
        col("name", ColumnType::Varchar(80)),
        ColumnDef {
            default: Some(DefaultValue::Float(0.5)),
            ..col(
                "amount",
                ColumnType::Decimal {
                    precision: Some(10),
                    scale: Some(2),
                },
            )
        },
        ColumnDef {
            default: Some(DefaultValue::Bool(false)),
            ..col("flag", ColumnType::Boolean)
        },
        ColumnDef {
            default: Some(DefaultValue::Sql("CURRENT_TIMESTAMP")),
            ..col("created_at", ColumnType::Timestamp)
        },
        ColumnDef {
            nullable: true,
            ..col("note", ColumnType::Text)
        },
    ];
    if i > 0 {
        columns.push(ColumnDef {
            nullable: true,
            index: true,
            references: Some(ForeignKeyDef {
                table: name(i / 2),
                column: None,
                on_delete: if i % 3 == 0 {
                    ReferentialAction::Cascade
                } else {
                    ReferentialAction::NoAction
                },
                on_update: ReferentialAction::NoAction,
                name: None,
            }),
            ..col("parent_id", ColumnType::Integer)
        });
    }
    let mut indexes = Vec::new();
    if i % 5 == 0 {
        indexes.push(IndexDef {
            name: None,
            columns: leak(vec!["name", "flag"]),
            unique: false,
            ..IndexDef::BASE
        });
    }
    if i % 7 == 0 {
        indexes.push(IndexDef {
            name: None,
            columns: leak(vec!["created_at", "id"]),
            unique: true,
            ..IndexDef::BASE
        });
    }
    let uniques = if i % 10 == 0 {
        vec![UniqueDef {
            name: None,
            columns: leak(vec!["name"]),
        }]
    } else {
        Vec::new()
    };
    TableDef {
        name: name(i),
        schema: None,
        rust_path: name(i),
        comment: None,
        renamed_from: None,
        columns: leak(columns),
        indexes: leak(indexes),
        uniques: leak(uniques),
        checks: &[],
        primary_key_name: None,
    }
}

fn models(n: usize) -> Schema {
    let defs: Vec<TableDef> = (0..n).map(model).collect();
    Schema::from_models(defs.iter()).expect("generated models are consistent")
}

#[tokio::test(flavor = "multi_thread")]
async fn three_hundred_tables_round_trip_in_a_fixed_number_of_queries() {
    let all = DiffOptions::default();
    let many = models(TABLES);
    let few = models(3);
    assert_eq!(many.tables.len(), TABLES);
    for kind in DIALECTS {
        // The reference: a 3-table schema.
        let mut small = Live::new(kind, "scale3").await;
        let target = normalized(small.dialect, &few);
        let plan = diff(&Schema::new(), &target, &all).expect("diff");
        small
            .apply(
                "few",
                StepKind::Up,
                Some("few"),
                &plan.upgrade,
                &Schema::new(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let read_few = small.introspect().await;
        assert_eq!(read_few.schema.tables.len(), 3);
        assert_matches(small.dialect, &read_few.schema, &target, &all, "3 tables")
            .unwrap_or_else(|e| panic!("{e}"));

        let mut live = Live::new(kind, "scale300").await;
        let target = normalized(live.dialect, &many);
        let plan = diff(&Schema::new(), &target, &all).expect("diff");
        assert_eq!(plan.upgrade.len(), TABLES, "{kind}: one create per table");
        let started = Instant::now();
        let after = live
            .apply(
                "many",
                StepKind::Up,
                Some("many"),
                &plan.upgrade,
                &Schema::new(),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let created_in = started.elapsed();
        let started = Instant::now();
        let read = live.introspect().await;
        let read_in = started.elapsed();
        assert_eq!(
            read.queries, read_few.queries,
            "{kind}: introspecting {TABLES} tables took {} queries, 3 tables {}",
            read.queries, read_few.queries
        );
        assert_eq!(read.schema.tables.len(), TABLES, "{kind}");
        assert_matches(
            live.dialect,
            &read.schema,
            &target,
            &all,
            &format!("{kind}: {TABLES} tables"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "{kind}: created {TABLES} tables in {created_in:?}, introspected in {read_in:?} \
             with {} queries",
            read.queries
        );

        // And back down to nothing.
        live.apply("many", StepKind::Down, None, &plan.downgrade, &after)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let empty = live.introspect().await;
        assert!(empty.schema.tables.is_empty(), "{kind}: tables left");
    }
}
