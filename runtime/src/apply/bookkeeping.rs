//! Stage 7, apply: Strata's own tables, `strata_version` (one row per current head) and `strata_log` (the audit trail).

use std::time::Duration;

use sqlx::{AnyConnection, Executor, Row};

use super::{run, ApplyError, PlannedStep, StepKind};
use crate::dialect::Dialect;
use crate::dialect::DriverError;
use crate::ops::Op;
use crate::schema::{naming, Column, PrimaryKey, SqlType, Table};

/// The version table: one row per current head, as in Alembic.
pub const VERSION_TABLE: &str = "strata_version";
/// The audit log: one row per step ever run.
pub const LOG_TABLE: &str = "strata_log";

/// The version table's definition.
pub(crate) fn version_table() -> Table {
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
pub(crate) fn log_table() -> Table {
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

/// The DDL that creates one of Strata's tables.
fn create_table(dialect: &dyn Dialect, table: Table) -> Result<Vec<String>, ApplyError> {
    let op = Op::CreateTable { table };
    Ok(crate::render::render_op(&op, dialect, &crate::schema::Schema::new())?.sql)
}

/// The DDL that creates both tables.
pub(crate) fn create_statements(dialect: &dyn Dialect) -> Result<Vec<String>, ApplyError> {
    let mut out = Vec::new();
    for table in [version_table(), log_table()] {
        out.extend(create_table(dialect, table)?);
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
            source: DriverError::new(source),
        })?;
    let n: i64 = row.try_get(0).map_err(|source| ApplyError::Database {
        doing: format!("looking for table {table}"),
        source: DriverError::new(source),
    })?;
    Ok(n > 0)
}

/// Creates the version and log tables when missing. When the version table exists but the
/// log does not (dropped by hand), the checksum guard has no records: that is an error
/// ([`ApplyError::LogMissing`]) unless `recreate_log` (what `stamp` passes: stamping is how a
/// user asserts the database's state), which creates the log again, empty, and returns true.
pub(crate) async fn ensure_tables(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
    recreate_log: bool,
) -> Result<bool, ApplyError> {
    let has_version = exists(conn, dialect, VERSION_TABLE).await?;
    let has_log = exists(conn, dialect, LOG_TABLE).await?;
    if has_version && !has_log && !recreate_log {
        return Err(ApplyError::LogMissing {
            heads: read_versions(conn, dialect).await?,
        });
    }
    for (table, present) in [(version_table(), has_version), (log_table(), has_log)] {
        if !present {
            let name = table.name.clone();
            for sql in create_table(dialect, table)? {
                run(conn, &sql)
                    .await
                    .map_err(|source| ApplyError::Database {
                        doing: format!("creating {name}"),
                        source: DriverError::new(source),
                    })?;
            }
        }
    }
    Ok(has_version && !has_log)
}

/// The current heads recorded in the database (empty when the version table is missing).
pub(crate) async fn read_versions(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
) -> Result<Vec<String>, ApplyError> {
    if !exists(conn, dialect, VERSION_TABLE).await? {
        return Ok(Vec::new());
    }
    let err = |source| ApplyError::Database {
        doing: "reading the version table".into(),
        source: DriverError::new(source),
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
pub(crate) async fn read_checksums(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
) -> Result<std::collections::HashMap<String, String>, ApplyError> {
    let mut out = std::collections::HashMap::new();
    if !exists(conn, dialect, LOG_TABLE).await? {
        return Ok(out);
    }
    let err = |source| ApplyError::Database {
        doing: "reading the audit log".into(),
        source: DriverError::new(source),
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

/// The statements that move the version rows for `step`.
fn version_statements(dialect: &dyn Dialect, step: &PlannedStep) -> Vec<String> {
    let mut out = Vec::new();
    for rev in &step.remove_heads {
        out.push(dialect.delete_version_sql(VERSION_TABLE, rev));
    }
    for rev in &step.add_heads {
        out.push(dialect.insert_version_sql(VERSION_TABLE, rev));
    }
    out
}

/// The current time in UTC, RFC 3339 with milliseconds.
pub(crate) fn now_utc() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The statements that move the version rows for `step` and append its audit-log row.
pub(crate) fn version_and_log_statements(
    dialect: &dyn Dialect,
    step: &PlannedStep,
    started: &str,
    duration: Duration,
) -> Vec<String> {
    let mut out = version_statements(dialect, step);
    out.push(dialect.insert_log_sql(
        LOG_TABLE,
        &[
            ("revision", Some(step.revision.clone())),
            ("direction", Some(step.kind.as_str().into())),
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

// ---- Interruption records ----
//
// A step that runs outside a transaction (`transactional = false`) cannot be undone when it
// stops half way. Before its first statement, Strata commits an audit-log row whose direction
// is `up-run` / `down-run` and whose `finished_at` is empty: the interruption record. Its
// message starts with `[done/total]`, the number of statements that completed, updated after
// each one. The same small transaction that moves the version rows completes the row (the
// direction becomes `up` / `down`, `finished_at` and the duration are set, the message is the
// revision's again). A row still open on the next run means the step stopped half way; `stamp`
// or `--retry-interrupted` closes it (sets `finished_at`, says so in the message). The log's
// shape is unchanged: older Strata versions read these rows as neither `up` nor `stamp`.

/// The audit-log direction of an open record: a step outside a transaction is running (or
/// stopped half way).
pub(crate) fn running_marker(direction: StepKind) -> &'static str {
    match direction {
        StepKind::Down => "down-run",
        _ => "up-run",
    }
}

/// Both running markers.
const RUNNING: [&str; 2] = ["up-run", "down-run"];

/// A step outside a transaction that started and did not finish: an open interruption
/// record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interruption {
    /// The revision.
    pub revision: String,
    /// Up or down.
    pub kind: StepKind,
    /// When it started (RFC 3339, UTC).
    pub started_at: String,
    /// How many statements had completed when it stopped, of how many (`None` when the
    /// record does not say).
    pub progress: Option<(usize, usize)>,
    /// The revision's message.
    pub message: String,
    /// The version rows to `stamp` if the step did complete (filled in by the
    /// [`Migrator`](crate::Migrator), which knows the graph; `None`: not known here).
    pub stamp_to: Option<Vec<String>>,
    /// Whether another migrator may be running the step right now: the reader does not hold
    /// the migration lock and cannot tell (SQLite has no lock spanning a step outside a
    /// transaction; on PostgreSQL, someone holds the advisory lock).
    pub may_be_running: bool,
    /// Whether the record can be continued: on a dialect whose DDL commits statement by
    /// statement (MySQL), each statement either took effect or did not, so the revision is
    /// partially applied at a known statement; `upgrade` resumes it and `downgrade` reverses
    /// what ran.
    pub resumable: bool,
    /// The SHA-256 of the revision's file when the step started: resuming requires the same.
    pub checksum: Option<String>,
}

impl Interruption {
    fn verb(&self) -> &'static str {
        match self.kind {
            StepKind::Down => "downgrade",
            _ => "upgrade",
        }
    }

    /// What happened, in one sentence or two.
    pub fn describe(&self) -> String {
        if self.resumable {
            return self.describe_partial();
        }
        let mut out = format!(
            "the {} of revision {} ({}) started at {} and did not finish{}: it runs outside a \
             single transaction (`transactional = false`, `online = true`, or an enum value \
             it adds, which must commit before use), so part of it may have taken effect",
            self.verb(),
            self.revision,
            self.message,
            self.started_at,
            if self.may_be_running {
                " (unless another migrator is still running it: if so, wait for it to end)"
            } else {
                ""
            }
        );
        match self.progress {
            Some((done, total)) if done >= total => out.push_str(&format!(
                "; all {total} of its statements completed, only the version record is missing"
            )),
            Some((done, total)) => {
                out.push_str(&format!(
                    "; {done} of its {total} statements completed, statement {} was running \
                     (it may or may not have taken effect)",
                    done + 1
                ));
                if done + 2 == total {
                    out.push_str(&format!(", statement {total} did not run"));
                } else if done + 2 < total {
                    out.push_str(&format!(", statements {}-{total} did not run", done + 2));
                }
            }
            None => {}
        }
        out
    }

    /// [`Interruption::describe`] for a record that can be continued: `R partially applied:
    /// k of n statements`.
    fn describe_partial(&self) -> String {
        let what = match self.kind {
            StepKind::Down => format!("the downgrade of revision {}", self.revision),
            _ => format!("revision {}", self.revision),
        };
        let mut out = format!("{what} partially applied");
        match self.progress {
            Some((done, total)) if done >= total => out.push_str(&format!(
                ": all {total} of {total} statements, only the version record is missing"
            )),
            Some((done, total)) => out.push_str(&format!(
                ": {done} of {total} statements; statement {} failed or was interrupted and \
                 did not take effect (this database commits each DDL statement on its own, so \
                 the statements before it stay)",
                done + 1
            )),
            None => {}
        }
        out.push_str(&format!(
            " ({}; started at {}",
            self.message, self.started_at
        ));
        if self.may_be_running {
            out.push_str("; unless another migrator is still running it: if so, wait for it");
        }
        out.push(')');
        out
    }

    /// The `stamp` command that records the step as complete.
    pub fn stamp_command(&self) -> String {
        match (&self.stamp_to, self.kind) {
            (Some(to), StepKind::Down) if to.is_empty() => "stamp --purge base".into(),
            (Some(to), StepKind::Down) => format!("stamp --purge {}", to.join(" ")),
            (Some(to), _) if !to.is_empty() => format!("stamp {}", to.join(" ")),
            (_, StepKind::Down) => format!(
                "stamp --purge <the revisions the database is at without {}>",
                self.revision
            ),
            _ => format!("stamp {}", self.revision),
        }
    }

    /// What to do about it.
    pub fn remedy(&self) -> String {
        if self.resumable {
            if let (Some((done, total)), StepKind::Up) = (self.progress, self.kind) {
                if done >= total {
                    return format!(
                        "run `upgrade` again: every statement ran, so it only records revision \
                         {} (the migration file must be unchanged)",
                        self.revision
                    );
                }
            }
            let next = self.progress.map_or(1, |(done, _)| done + 1);
            let ran = self.progress.map_or(0, |(done, _)| done);
            return match self.kind {
                StepKind::Down => format!(
                    "fix what stopped statement {next} and run `downgrade` again: it resumes at \
                     statement {next} (the migration file must be unchanged)"
                ),
                _ => format!(
                    "fix what stopped statement {next} and run `upgrade` again: it resumes at \
                     statement {next} (the migration file must be unchanged); or run \
                     `downgrade` to reverse the {ran} statement(s) that ran"
                ),
            };
        }
        let flag = format!("`{} --retry-interrupted`", self.verb());
        format!(
            "if the {} completed, record it with `{}`; if not, undo what it did by hand (or \
             finish it by hand and stamp), then run {flag}, which closes this record and runs \
             the revision again",
            self.verb(),
            self.stamp_command()
        )
    }
}

impl std::fmt::Display for Interruption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The message of an open record: `[done/total] message`.
fn progress_message(step: &PlannedStep, done: usize) -> String {
    format!("[{done}/{}] {}", step.statements.len(), step.message)
}

/// The statement that opens the interruption record of `step` (committed before its first
/// statement runs).
pub(crate) fn open_record_sql(dialect: &dyn Dialect, step: &PlannedStep, started: &str) -> String {
    dialect.insert_log_sql(
        LOG_TABLE,
        &[
            ("revision", Some(step.revision.clone())),
            ("direction", Some(running_marker(step.kind).into())),
            ("checksum", step.checksum.clone()),
            ("message", Some(progress_message(step, 0))),
            ("started_at", Some(started.to_string())),
            ("finished_at", Some(String::new())),
            ("duration_ms", Some("0".into())),
            ("strata_version", Some(env!("CARGO_PKG_VERSION").into())),
        ],
    )
}

/// The statement that records that `done` statements of `step` completed.
pub(crate) fn progress_sql(dialect: &dyn Dialect, step: &PlannedStep, done: usize) -> String {
    dialect.update_open_log_sql(
        LOG_TABLE,
        &step.revision,
        running_marker(step.kind),
        &[("message", Some(progress_message(step, done)))],
    )
}

/// The statements that move the version rows for a step that ran outside a transaction and
/// complete its record; they run in one small transaction.
pub(crate) fn finish_record_statements(
    dialect: &dyn Dialect,
    step: &PlannedStep,
    duration: Duration,
) -> Vec<String> {
    let mut out = version_statements(dialect, step);
    out.push(dialect.update_open_log_sql(
        LOG_TABLE,
        &step.revision,
        running_marker(step.kind),
        &[
            ("direction", Some(step.kind.as_str().into())),
            ("message", Some(step.message.clone())),
            ("finished_at", Some(now_utc())),
            ("duration_ms", Some(duration.as_millis().to_string())),
        ],
    ));
    out
}

/// The statement that closes the open `up` record of a revision left partially applied once
/// a downgrade has reversed the `done` statements that ran.
pub(crate) fn close_reversed_sql(dialect: &dyn Dialect, step: &PlannedStep, done: usize) -> String {
    dialect.update_open_log_sql(
        LOG_TABLE,
        &step.revision,
        running_marker(StepKind::Up),
        &[
            (
                "message",
                Some(format!(
                    "partially applied ({done} statements), reversed by downgrade: {}",
                    step.message
                )),
            ),
            ("finished_at", Some(now_utc())),
        ],
    )
}

/// The statement that closes an open record without completing it (`how`: what closed it).
pub(crate) fn close_record_sql(dialect: &dyn Dialect, record: &Interruption, how: &str) -> String {
    let progress = match record.progress {
        Some((done, total)) => format!(" after {done} of {total} statements"),
        None => String::new(),
    };
    dialect.update_open_log_sql(
        LOG_TABLE,
        &record.revision,
        running_marker(record.kind),
        &[
            (
                "message",
                Some(format!(
                    "interrupted{progress}, closed by {how}: {}",
                    record.message
                )),
            ),
            ("finished_at", Some(now_utc())),
        ],
    )
}

/// A text value of `row`: the `Any` driver hands MySQL's `TEXT` columns over as bytes.
fn text(row: &sqlx::any::AnyRow, i: usize) -> Result<Option<String>, sqlx::Error> {
    match row.try_get::<Option<String>, _>(i) {
        Ok(v) => Ok(v),
        Err(e) => match row.try_get::<Option<Vec<u8>>, _>(i) {
            Ok(b) => Ok(b.map(|b| String::from_utf8_lossy(&b).into_owned())),
            Err(_) => Err(e),
        },
    }
}

/// The open interruption records, oldest first (none when the log is missing).
pub async fn read_interrupted(
    conn: &mut AnyConnection,
    dialect: &dyn Dialect,
) -> Result<Vec<Interruption>, ApplyError> {
    if !exists(conn, dialect, LOG_TABLE).await? {
        return Ok(Vec::new());
    }
    let err = |source| ApplyError::Database {
        doing: "reading the interruption records in the audit log".into(),
        source: DriverError::new(source),
    };
    let rows = conn
        .fetch_all(dialect.select_open_log_sql(LOG_TABLE, &RUNNING).as_str())
        .await
        .map_err(err)?;
    let resumable = !dialect.transactional_ddl();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let revision: String = row.try_get(0).map_err(err)?;
        let direction: String = row.try_get(1).map_err(err)?;
        let started_at: String = row.try_get(2).map_err(err)?;
        let message = text(&row, 3).map_err(err)?;
        let checksum = text(&row, 4).map_err(err)?;
        let (progress, message) = parse_progress(message.as_deref().unwrap_or_default());
        out.push(Interruption {
            revision,
            kind: if direction == running_marker(StepKind::Down) {
                StepKind::Down
            } else {
                StepKind::Up
            },
            started_at,
            progress,
            message,
            stamp_to: None,
            may_be_running: false,
            resumable,
            checksum,
        });
    }
    Ok(out)
}

/// Splits `[done/total] message`.
fn parse_progress(message: &str) -> (Option<(usize, usize)>, String) {
    let parsed = message
        .strip_prefix('[')
        .and_then(|m| m.split_once("] "))
        .and_then(|(counts, rest)| {
            let (done, total) = counts.split_once('/')?;
            Some(((done.parse().ok()?, total.parse().ok()?), rest))
        });
    match parsed {
        Some((progress, rest)) => (Some(progress), rest.to_string()),
        None => (None, message.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_round_trips_through_the_message() {
        assert_eq!(
            parse_progress("[2/5] add index [concurrently]"),
            (Some((2, 5)), "add index [concurrently]".to_string())
        );
        assert_eq!(
            parse_progress("[x/5] m"),
            (None, "[x/5] m".to_string()),
            "not a progress prefix: kept whole"
        );
        assert_eq!(parse_progress("plain"), (None, "plain".to_string()));
    }

    #[test]
    fn markers_fit_the_direction_column() {
        // `direction` is varchar(8); PostgreSQL enforces it.
        for d in [StepKind::Up, StepKind::Down] {
            assert!(running_marker(d).len() <= 8);
        }
    }

    #[test]
    fn descriptions_say_what_ran_and_what_to_do() {
        let mut r = Interruption {
            revision: "abc".into(),
            kind: StepKind::Up,
            started_at: "2025-01-01T00:00:00.000Z".into(),
            progress: Some((1, 3)),
            message: "add index".into(),
            stamp_to: None,
            may_be_running: false,
            resumable: false,
            checksum: None,
        };
        let d = r.describe();
        assert!(d.contains("1 of its 3 statements completed"), "{d}");
        assert!(d.contains("statement 2 was running"), "{d}");
        assert!(d.contains("statement 3 did not run"), "{d}");
        assert!(r.remedy().contains("`stamp abc`"), "{}", r.remedy());
        assert!(r.remedy().contains("`upgrade --retry-interrupted`"));
        r.kind = StepKind::Down;
        r.stamp_to = Some(Vec::new());
        assert!(
            r.remedy().contains("`stamp --purge base`"),
            "{}",
            r.remedy()
        );
        assert!(r.remedy().contains("`downgrade --retry-interrupted`"));
        r.progress = Some((3, 3));
        assert!(r.describe().contains("only the version record is missing"));
        assert!(!r.describe().contains("another migrator"));
        r.may_be_running = true;
        assert!(r
            .describe()
            .contains("unless another migrator is still running it"));
    }
}
