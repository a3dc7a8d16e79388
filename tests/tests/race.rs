//! Stage 7, apply (concurrency): eight `migrate upgrade` processes started at the same moment
//! against one database all exit 0, and each revision is applied exactly once.

mod common;

use std::process::{Command, Stdio};

use sqlx::{Executor, Row};
use strata::dialect::DialectKind;
use strata::ops::Op;
use strata::schema::{Column, PrimaryKey, SqlType, Table};
use strata::testing::TestDb;
use strata::{Migrator, NewRevision};

use common::{linkapp_binary, Dir};

const PROCESSES: usize = 8;

/// A migrations directory with a slow first revision (so the processes overlap) and four more.
fn migrations(kind: DialectKind) -> Dir {
    let dir = std::env::temp_dir().join(format!("strata-race-{kind}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("versions")).expect("mkdir");
    let mut m = Migrator::open(&dir).expect("open");
    let slow = match kind {
        DialectKind::Postgres => "SELECT pg_sleep(0.5)".to_string(),
        _ => "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) \
              SELECT count(*) FROM c"
            .to_string(),
    };
    let table = Table {
        name: "counters".into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..Column::new("id", SqlType::Integer)
            },
            Column::new("n", SqlType::Integer),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_counters".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    };
    let mut revs = vec![vec![
        Op::CreateTable { table },
        Op::Sql {
            sql: slow,
            reverse: Some("SELECT 1".into()),
            dialect: None,
        },
    ]];
    for i in 1..5 {
        // Not idempotent: a second application would leave two rows for `i`.
        revs.push(vec![Op::Sql {
            sql: format!("INSERT INTO counters (n) VALUES ({i})"),
            reverse: Some(format!("DELETE FROM counters WHERE n = {i}")),
            dialect: None,
        }]);
    }
    for (i, upgrade) in revs.into_iter().enumerate() {
        let downgrade = strata::ops::reverse_all(&upgrade).expect("reversible");
        m.write_revision(NewRevision {
            message: format!("step {i}"),
            rev_id: Some(format!("{:012x}", i + 1)),
            upgrade,
            downgrade,
            ..NewRevision::default()
        })
        .expect("write revision");
    }
    Dir(dir)
}

async fn race(kind: DialectKind) {
    let bin = linkapp_binary();
    let dir = migrations(kind);
    let tdb = TestDb::new(kind, "race").await;
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&bin)
                .arg("-d")
                .arg(&dir.0)
                .args(["--database-url", &tdb.url, "upgrade"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn migrate")
        })
        .collect();
    let mut ran = 0;
    for child in children {
        let out = child.wait_with_output().expect("wait");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{kind}: a concurrent upgrade failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        ran += stdout.matches("Running upgrade").count();
    }
    assert_eq!(
        ran, 5,
        "{kind}: each revision runs once across all processes"
    );

    let mut db = strata::testing::connect(&tdb.url).await.expect("connect");
    let ups: Vec<(String, i64)> = db
        .conn()
        .fetch_all(
            "SELECT revision, count(*) FROM strata_log WHERE direction = 'up' \
             GROUP BY revision ORDER BY revision",
        )
        .await
        .expect("log")
        .iter()
        .map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1)))
        .collect();
    assert_eq!(ups.len(), 5, "{kind}: {ups:?}");
    assert!(
        ups.iter().all(|(_, n)| *n == 1),
        "{kind}: applied more than once: {ups:?}"
    );
    let rows: i64 = db
        .conn()
        .fetch_one("SELECT count(*) FROM counters")
        .await
        .expect("counters")
        .get(0);
    assert_eq!(rows, 4, "{kind}: each data step ran once");
    let heads: Vec<String> = db
        .conn()
        .fetch_all("SELECT version_num FROM strata_version")
        .await
        .expect("versions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(heads, ["000000000005"]);
}

#[tokio::test]
async fn eight_processes_on_sqlite() {
    race(DialectKind::Sqlite).await;
}

#[tokio::test]
async fn eight_processes_on_postgres() {
    race(DialectKind::Postgres).await;
}
