//! Round trip with data that does not fit: narrowing a column must never lose data silently.
//! PostgreSQL refuses the migration (the executor rolls it back, rows intact); MySQL refuses
//! the statement (the session is strict) and, its DDL committing statement by statement,
//! records the revision as partially applied at statement 0 of 1 (column and rows intact);
//! SQLite, which does not enforce lengths, keeps the value whole.

mod roundtrip_common;

use roundtrip_common::{Live, DIALECTS};
use strata::apply::StepKind;
use strata::dialect::DialectKind;
use strata::diff::{diff, DiffOptions};
use strata::schema::{Column, PrimaryKey, Schema, SqlType, Table};

fn schema(name_type: SqlType) -> Schema {
    let mut s = Schema::new();
    s.insert(Table {
        name: "people".into(),
        columns: vec![
            Column::new("id", SqlType::Integer),
            Column::new("name", name_type),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_people".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    });
    s
}

#[tokio::test]
async fn narrowing_a_varchar_never_truncates() {
    let long = "x".repeat(100);
    for kind in DIALECTS {
        let mut live = Live::new(kind, "narrow").await;
        let wide = schema(SqlType::Varchar(120));
        let narrow = schema(SqlType::Varchar(80));
        let opts = DiffOptions::default();
        let create = diff(&Schema::new(), &wide, &opts).expect("diff");
        let wide_db = live
            .apply(
                "a",
                StepKind::Up,
                Some("a"),
                &create.upgrade,
                &Schema::new(),
            )
            .await
            .expect("create");
        live.exec(&format!(
            "INSERT INTO people (id, name) VALUES (1, '{long}'), (2, 'short')"
        ))
        .await
        .expect("seed");
        let plan = diff(&wide, &narrow, &opts).expect("diff");
        let result = live
            .apply("b", StepKind::Up, Some("b"), &plan.upgrade, &wide_db)
            .await;
        match kind {
            DialectKind::Postgres => {
                let err = result.expect_err("PostgreSQL must refuse to cut a value");
                assert!(err.contains("too long"), "{err}");
            }
            DialectKind::Mysql => {
                let err = result.expect_err("MySQL must refuse to cut a value");
                assert!(err.contains("Data truncated for column 'name'"), "{err}");
                assert!(
                    err.contains("partially applied: 0 of 1 statements"),
                    "{err}"
                );
                let records = live.interrupted().await;
                assert_eq!(records.len(), 1, "{records:?}");
                assert_eq!(records[0].revision, "b");
                assert_eq!(records[0].progress, Some((0, 1)), "{records:?}");
                assert!(records[0].resumable, "{records:?}");
                // Nothing ran: the column is as wide as before.
                let got = live.introspect().await.schema;
                let name = got
                    .table("people")
                    .and_then(|t| t.column("name"))
                    .map(|c| c.ty.clone());
                assert_eq!(name, Some(SqlType::Varchar(120)));
            }
            DialectKind::Sqlite => {
                result.expect("SQLite keeps the value");
            }
            _ => panic!("{kind}: say what narrowing does here"),
        }
        let rows = live.rows(&narrow).await.expect("rows");
        let names: Vec<Option<String>> = rows["people"].iter().map(|r| r["name"].clone()).collect();
        assert_eq!(
            names,
            [Some(long.clone()), Some("short".into())],
            "{kind}: the value was cut"
        );
    }
}
