//! Stage 7, apply: Strata's own tables, `strata_version` (one row per current head) and `strata_log` (the audit trail).

use std::time::Duration;

use sqlx::{AnyConnection, Executor, Row};

use super::{run, ApplyError, PlannedStep};
use crate::dialect::Dialect;
use crate::ops::Op;
use crate::schema::{naming, Column, PrimaryKey, SqlType, Table};

/// The version table: one row per current head, as in Alembic.
pub const VERSION_TABLE: &str = "strata_version";
/// The audit log: one row per step ever run.
pub const LOG_TABLE: &str = "strata_log";

/// The version table's definition.
pub fn version_table() -> Table {
    Table {
        name: VERSION_TABLE.into(),
        columns: vec![Column::new("version_num", SqlType::Varchar(32))],
        primary_key: Some(PrimaryKey {
            name: naming::primary_key(VERSION_TABLE),
            columns: vec!["version_num".into()],
        }),
        ..Table::default()
    }
}

/// The audit log's definition.
pub fn log_table() -> Table {
    Table {
        name: LOG_TABLE.into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..Column::new("seq", SqlType::Integer)
            },
            Column::new("revision", SqlType::Varchar(32)),
            Column::new("direction", SqlType::Varchar(8)),
            Column::new("checksum", SqlType::Varchar(64)).nullable(),
            Column::new("message", SqlType::Text).nullable(),
            Column::new("started_at", SqlType::Varchar(40)),
            Column::new("finished_at", SqlType::Varchar(40)),
            Column::new("duration_ms", SqlType::BigInt),
            Column::new("strata_version", SqlType::Varchar(32)),
        ],
        primary_key: Some(PrimaryKey {
            name: naming::primary_key(LOG_TABLE),
            columns: vec!["seq".into()],
        }),
        ..Table::default()
    }
}

/// The DDL that creates both tables.
pub fn create_statements(dialect: &dyn Dialect) -> Result<Vec<String>, ApplyError> {
    let mut out = Vec::new();
    for table in [version_table(), log_table()] {
        out.extend(dialect.render(&Op::CreateTable { table }, &crate::schema::Schema::new())?);
    }
    Ok(out)
}

async fn exists(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    table: &str,
) -> Result<bool, ApplyError> {
    let row = conn
        .fetch_one(dialect.table_exists_sql(table).as_str())
        .await
        .map_err(|source| ApplyError::Database {
            doing: format!("looking for table {table}"),
            source,
        })?;
    let n: i64 = row.try_get(0).map_err(|source| ApplyError::Database {
        doing: format!("looking for table {table}"),
        source,
    })?;
    Ok(n > 0)
}

/// Creates the version and log tables when missing.
pub async fn ensure_tables(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
) -> Result<(), ApplyError> {
    for table in [version_table(), log_table()] {
        if !exists(conn, dialect, &table.name).await? {
            let name = table.name.clone();
            for sql in dialect.render(&Op::CreateTable { table }, &crate::schema::Schema::new())? {
                run(conn, &sql)
                    .await
                    .map_err(|source| ApplyError::Database {
                        doing: format!("creating {name}"),
                        source,
                    })?;
            }
        }
    }
    Ok(())
}

/// The current heads recorded in the database (empty when the version table is missing).
pub async fn read_versions(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
) -> Result<Vec<String>, ApplyError> {
    if !exists(conn, dialect, VERSION_TABLE).await? {
        return Ok(Vec::new());
    }
    let err = |source| ApplyError::Database {
        doing: "reading the version table".into(),
        source,
    };
    let rows = conn
        .fetch_all(dialect.select_versions_sql(VERSION_TABLE).as_str())
        .await
        .map_err(err)?;
    let mut heads = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    heads.sort();
    Ok(heads)
}

/// The checksum recorded for each applied revision (the latest `up`, `stamp` or `accept`
/// wins).
pub async fn read_checksums(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
) -> Result<std::collections::HashMap<String, String>, ApplyError> {
    let mut out = std::collections::HashMap::new();
    if !exists(conn, dialect, LOG_TABLE).await? {
        return Ok(out);
    }
    let err = |source| ApplyError::Database {
        doing: "reading the audit log".into(),
        source,
    };
    let rows = conn
        .fetch_all(dialect.select_checksums_sql(LOG_TABLE).as_str())
        .await
        .map_err(err)?;
    for row in rows {
        let rev: String = row.try_get(0).map_err(err)?;
        let sum: Option<String> = row.try_get(1).map_err(err)?;
        if let Some(sum) = sum {
            out.insert(rev, sum);
        }
    }
    Ok(out)
}

/// The current time in UTC, RFC 3339 with milliseconds.
pub fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The statements that move the version rows for `step` and append its audit-log row.
pub fn version_and_log_statements(
    dialect: &dyn Dialect,
    step: &PlannedStep,
    started: &str,
    duration: Duration,
) -> Vec<String> {
    let mut out = Vec::new();
    for rev in &step.remove_heads {
        out.push(dialect.delete_version_sql(VERSION_TABLE, rev));
    }
    for rev in &step.add_heads {
        out.push(dialect.insert_version_sql(VERSION_TABLE, rev));
    }
    out.push(dialect.insert_log_sql(
        LOG_TABLE,
        &[
            ("revision", Some(step.revision.clone())),
            ("direction", Some(step.direction.as_str().into())),
            ("checksum", step.checksum.clone()),
            ("message", Some(step.message.clone())),
            ("started_at", Some(started.to_string())),
            ("finished_at", Some(now_utc())),
            ("duration_ms", Some(duration.as_millis().to_string())),
            ("strata_version", Some(env!("CARGO_PKG_VERSION").into())),
        ],
    ));
    out
}
