//! Stage 7, apply (concurrency): eight `migrate upgrade` processes started at the same moment
//! against one database all exit 0, and each revision is applied exactly once (SQLite,
//! PostgreSQL, MySQL/MariaDB); where the lock is the server's (PostgreSQL's advisory lock,
//! MySQL's `GET_LOCK`), a migrator that cannot get it in time names the connection holding it.

mod common;

use std::process::{Command, Stdio};

use sqlx::{Executor, Row};
use strata::apply::LOCK_KEY;
use strata::dialect::DialectKind;
use strata::ops::Op;
use strata::schema::{Column, PrimaryKey, SqlType, Table};
use strata::testing::TestDb;
use strata::{Migrator, NewRevision};

use common::{linkapp_binary, Dir};

const PROCESSES: usize = 8;

/// A migrations directory with a slow first revision (so the processes overlap) and four more.
fn migrations(kind: DialectKind, tag: &str) -> Dir {
    let dir = std::env::temp_dir().join(format!("strata-race-{tag}-{kind}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("versions")).expect("mkdir");
    let mut m = Migrator::open(&dir).expect("open");
    let slow = match kind {
        DialectKind::Postgres => "SELECT pg_sleep(0.5)".to_string(),
        DialectKind::Mysql => "SELECT SLEEP(0.5)".to_string(),
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
            batch_size: None,
            elidable: false,
        },
    ]];
    for i in 1..5 {
        // Not idempotent: a second application would leave two rows for `i`.
        revs.push(vec![Op::Sql {
            sql: format!("INSERT INTO counters (n) VALUES ({i})"),
            reverse: Some(format!("DELETE FROM counters WHERE n = {i}")),
            dialect: None,
            batch_size: None,
            elidable: false,
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
    let dir = migrations(kind, "eight");
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
    assert_eq!(versions(&mut db).await.expect("versions"), ["000000000005"]);
}

/// The version rows.
async fn versions(db: &mut strata::db::Db) -> Result<Vec<String>, sqlx::Error> {
    Ok(db
        .conn()
        .fetch_all("SELECT version_num FROM strata_version")
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

#[tokio::test]
async fn eight_processes_on_sqlite() {
    race(DialectKind::Sqlite).await;
}

#[tokio::test]
async fn eight_processes_on_postgres() {
    race(DialectKind::Postgres).await;
}

#[tokio::test]
async fn eight_processes_on_mysql() {
    race(DialectKind::Mysql).await;
}

/// Another connection holds the migration lock: `upgrade` waits `lock_timeout_seconds`, then
/// fails naming that connection (its id as the server numbers it), and has run nothing; once
/// the lock is free it runs.
async fn lock_timeout_names_the_holder(kind: DialectKind) {
    let bin = linkapp_binary();
    let dir = migrations(kind, "lock");
    std::fs::write(dir.0.join("strata.toml"), "lock_timeout_seconds = 1\n").expect("settings");
    let tdb = TestDb::new(kind, "race_lock").await;
    let mut holder = strata::testing::connect(&tdb.url).await.expect("connect");
    let dialect = holder.dialect();
    let id: i64 = holder
        .conn()
        .fetch_one(dialect.backend_id_sql().expect("a backend id").as_str())
        .await
        .expect("backend id")
        .get(0);
    let take = dialect.try_lock_sql(LOCK_KEY).expect("a server-side lock");
    let row = holder
        .conn()
        .fetch_one(take.as_str())
        .await
        .expect("take the lock");
    let taken = row
        .try_get::<bool, _>(0)
        .or_else(|_| row.try_get::<i64, _>(0).map(|n| n == 1))
        .expect("the lock query's answer");
    assert!(taken, "{kind}: the lock was free");

    let upgrade = || {
        Command::new(&bin)
            .arg("-d")
            .arg(&dir.0)
            .args(["--database-url", &tdb.url, "upgrade"])
            .output()
            .expect("run migrate")
    };
    let started = std::time::Instant::now();
    let out = upgrade();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{kind}: {stderr}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "{kind}: gave up before the timeout"
    );
    let holder_named = match kind {
        DialectKind::Postgres => format!("backend pid {id} ("),
        _ => format!("connection {id} (user "),
    };
    assert!(
        stderr.starts_with("Error: the migration lock was not free within 1s: ")
            && stderr.contains(&holder_named)
            && stderr.contains("lock_timeout_seconds"),
        "{kind}: the error names {holder_named:?}:\n{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("Running upgrade"),
        "{kind}: ran without the lock"
    );
    let mut db = strata::testing::connect(&tdb.url).await.expect("connect");
    assert!(
        versions(&mut db).await.unwrap_or_default().is_empty(),
        "{kind}: nothing was applied"
    );

    holder
        .conn()
        .execute(dialect.unlock_sql(LOCK_KEY).expect("unlock").as_str())
        .await
        .expect("release the lock");
    let out = upgrade();
    assert!(
        out.status.success(),
        "{kind}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        versions(&mut db).await.expect("versions"),
        ["000000000005"],
        "{kind}"
    );
}

#[tokio::test]
async fn lock_timeout_names_the_holder_on_postgres() {
    lock_timeout_names_the_holder(DialectKind::Postgres).await;
}

#[tokio::test]
async fn lock_timeout_names_the_holder_on_mysql() {
    lock_timeout_names_the_holder(DialectKind::Mysql).await;
}
