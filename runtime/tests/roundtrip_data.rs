//! Round trip with data that does not fit: narrowing a column must never lose data silently.
//! PostgreSQL refuses the migration (the executor rolls it back, rows intact); SQLite, which
//! does not enforce lengths, keeps the value whole.

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
            _ => {
                result.expect("SQLite keeps the value");
            }
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
