//! Applying: a step's statements go to the server in batches, and a batch is checked.

mod roundtrip_common;

use roundtrip_common::{Live, DIALECTS};
use strata::apply::StepKind;
use strata::dialect::DialectKind;

/// If one statement's text runs into the next in a batch (here an unterminated comment, which
/// SQLite accepts at the end of input), fewer statements run than were sent, and the step is
/// replayed one statement at a time. PostgreSQL rejects the statement itself, and the error
/// names it.
#[tokio::test]
async fn a_batch_that_runs_into_the_next_statement_is_replayed() {
    for kind in DIALECTS {
        let mut live = Live::new(kind, "batchcount").await;
        let result = live
            .step(
                "r1",
                StepKind::Up,
                Some("r1"),
                vec![
                    "CREATE TABLE a (x INTEGER)".into(),
                    "CREATE TABLE b (y INTEGER) /* not closed".into(),
                    "CREATE TABLE c (z INTEGER)".into(),
                ],
            )
            .await;
        let tables: Vec<String> = live.introspect().await.schema.tables.into_keys().collect();
        match kind {
            DialectKind::Sqlite => {
                result.expect("replayed one by one");
                assert_eq!(
                    tables,
                    ["a", "b", "c"],
                    "the statement after the comment ran"
                );
            }
            DialectKind::Mysql => {
                // No batches where DDL commits statement by statement: the statement before
                // the failing one stays, and the record says so.
                let err = result.expect_err("mysql rejects the comment");
                assert!(err.contains("statement: CREATE TABLE b"), "{err}");
                assert_eq!(tables, ["a"]);
                let records = live.interrupted().await;
                assert_eq!(records.len(), 1, "{records:?}");
                assert_eq!(records[0].progress, Some((1, 3)));
            }
            _ => {
                let err = result.expect_err("postgres rejects the comment");
                assert!(err.contains("statement: CREATE TABLE b"), "{err}");
                assert!(err.contains("unterminated /* comment"), "{err}");
                assert!(tables.is_empty(), "{tables:?}");
            }
        }
    }
}

/// A step of hundreds of statements spans several batches; all of them run, in order, and a
/// failure in a late batch undoes the earlier ones (on MySQL, whose DDL commits statement by
/// statement, the earlier ones stay and the record counts them).
#[tokio::test]
async fn long_steps_span_batches_and_fail_as_one() {
    for kind in DIALECTS {
        let mut live = Live::new(kind, "batchlong").await;
        let mut statements: Vec<String> = (0..300)
            .map(|i| format!("CREATE TABLE t{i:03} (x INTEGER)"))
            .collect();
        statements.push("INSERT INTO t299 (x) VALUES (1)".into());
        live.step("r1", StepKind::Up, Some("r1"), statements)
            .await
            .expect("applies");
        assert_eq!(live.introspect().await.schema.tables.len(), 300);

        let mut statements: Vec<String> = (0..200)
            .map(|i| format!("CREATE TABLE u{i:03} (x INTEGER)"))
            .collect();
        statements.push("INSERT INTO no_such_table (x) VALUES (1)".into());
        let err = live
            .step("r2", StepKind::Up, Some("r2"), statements)
            .await
            .expect_err("the last statement fails");
        assert!(
            err.contains("statement: INSERT INTO no_such_table"),
            "{err}"
        );
        if kind == DialectKind::Mysql {
            assert!(
                err.contains("partially applied: 200 of 201 statements"),
                "{err}"
            );
            assert_eq!(live.introspect().await.schema.tables.len(), 500, "{kind}");
            let records = live.interrupted().await;
            assert_eq!(records[0].progress, Some((200, 201)), "{records:?}");
        } else {
            assert_eq!(live.introspect().await.schema.tables.len(), 300, "{kind}");
        }
    }
}
