//! Migrator: `migrate test`: every revision upgraded, downgraded and upgraded again on a scratch database, with the schema compared at each turn and the revisions' data tests run.
//!
//! For each revision, from base to the heads in the order `upgrade` applies them: the schema
//! before it (S0) is read; the data tests seed their rows; the revision is upgraded (S1, and the
//! `after_upgrade` queries); downgraded (the schema must be S0 again, and the
//! `after_downgrade` queries); upgraded again (the schema must be S1 again). A difference is
//! reported with the ops that would turn one schema into the other. The database is the
//! caller's to create and drop: this never runs on one it did not get for the purpose.

use std::path::PathBuf;

use sqlx::{Executor, Row};

use super::{Migrator, RunOptions};
use crate::db::Db;
use crate::dialect::Dialect;
use crate::diff;
use crate::error::Error;
use crate::schema::Schema;
use crate::script::Expect;

/// What `migrate test` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    /// The revisions tested.
    pub revisions: usize,
    /// The data tests run.
    pub tests: usize,
    /// What failed.
    pub failures: Vec<TestFailure>,
    /// Revisions whose downgrade could not be tested, and why (an `sql` step without
    /// `reverse`): they are upgraded and the walk goes on.
    pub skipped: Vec<(String, String)>,
}

impl TestReport {
    /// Whether everything passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One failure of `migrate test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFailure {
    /// The revision.
    pub revision: String,
    /// Its file.
    pub path: PathBuf,
    /// What went wrong: the check, and the difference or the error.
    pub what: String,
}

/// Progress of `migrate test`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TestEvent {
    /// Revision `index` (1-based) of `total` is about to be tested.
    Revision {
        /// The revision.
        revision: String,
        /// Its message.
        message: String,
        /// Its position.
        index: usize,
        /// How many are tested.
        total: usize,
    },
}

/// The ops that turn `from` into `to` (both read from a database of `dialect`), described,
/// one per line; empty when they are equal.
fn difference(dialect: &dyn Dialect, from: &Schema, to: &Schema) -> Result<Vec<String>, Error> {
    let changes = diff::compare(dialect, from, to)?;
    let mut out: Vec<String> = changes
        .upgrade
        .iter()
        .flat_map(|op| op.describe())
        .collect();
    out.extend(changes.notes);
    Ok(out)
}

/// A value of a row as text: `NULL`, a string, a number or a boolean.
fn cell(row: &sqlx::any::AnyRow, i: usize) -> String {
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return v.unwrap_or_else(|| "NULL".into());
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return v.map_or_else(|| "NULL".into(), |v| v.to_string());
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return v.map_or_else(|| "NULL".into(), |v| v.to_string());
    }
    if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
        return v.map_or_else(|| "NULL".into(), |v| v.to_string());
    }
    match row.try_get::<Option<Vec<u8>>, _>(i) {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(None) => "NULL".into(),
        Err(e) => format!("<unreadable: {e}>"),
    }
}

impl Migrator {
    /// Tests the revisions on `db`, a scratch database at base: see the module docs. `range`
    /// (`from:to`, as `history` takes it) limits which revisions are tested; the others on
    /// the way are only upgraded.
    pub async fn test_revisions(
        &self,
        db: &mut Db,
        range: Option<&str>,
        mut progress: impl FnMut(TestEvent),
    ) -> Result<TestReport, Error> {
        let current = self.current(db).await?;
        if !current.is_empty() {
            return Err(Error::ScratchNotEmpty(format!(
                "it is at revision {}",
                current.join(", ")
            )));
        }
        let live = self.live_schema(db).await?;
        if !live.tables.is_empty() {
            let names: Vec<&str> = live.tables.keys().map(String::as_str).take(5).collect();
            return Err(Error::ScratchNotEmpty(format!(
                "it has tables: {}",
                names.join(", ")
            )));
        }
        let tested: Vec<String> = self
            .graph
            .history(&[] as &[String], range)?
            .iter()
            .map(|s| s.revision().to_string())
            .collect();
        let steps = self.graph.upgrade_steps(&[] as &[String], "heads")?;
        let total = steps
            .iter()
            .filter(|s| tested.contains(&s.revision))
            .count();
        let mut report = TestReport::default();
        let opts = RunOptions::default();
        for step in steps {
            let rev = step.revision.as_str();
            if !tested.contains(&step.revision) {
                self.upgrade(db, rev, &opts, |_| {}).await?;
                continue;
            }
            let script = self.script(rev)?.into_owned();
            report.revisions += 1;
            progress(TestEvent::Revision {
                revision: rev.to_string(),
                message: script.header.message.clone(),
                index: report.revisions,
                total,
            });
            let mut fail = |what: String| {
                report.failures.push(TestFailure {
                    revision: rev.to_string(),
                    path: script.path.clone(),
                    what,
                })
            };
            let before = self.live_schema(db).await?;
            for t in &script.tests {
                if let Some(seed) = &t.seed {
                    if let Err(e) = db.conn.execute(sqlx::raw_sql(seed)).await {
                        fail(format!("test {}: the seed failed: {e}", name(t)));
                    }
                }
            }
            if let Err(e) = self.upgrade(db, rev, &opts, |_| {}).await {
                fail(format!("the upgrade failed: {e}"));
                // The rest of the walk builds on this revision.
                return Ok(report);
            }
            let after = self.live_schema(db).await?;
            for t in &script.tests {
                report.tests += 1;
                for e in &t.after_upgrade {
                    if let Some(why) = expect(db, e).await {
                        fail(format!("test {} after the upgrade: {why}", name(t)));
                    }
                }
            }
            let parent_target = format!("{rev}-1");
            match self.downgrade(db, &parent_target, &opts, |_| {}).await {
                Err(Error::Script(e @ crate::script::ScriptError::Irreversible { .. })) => {
                    report.skipped.push((rev.to_string(), e.to_string()));
                    continue;
                }
                Err(e) => {
                    fail(format!("the downgrade failed: {e}"));
                    return Ok(report);
                }
                Ok(_) => {}
            }
            let reverted = self.live_schema(db).await?;
            let diff = difference(db.dialect(), &before, &reverted)?;
            if !diff.is_empty() {
                fail(format!(
                    "the downgrade does not restore the schema before it; the difference \
                     (what would turn the schema before the revision into the one after its \
                     downgrade): {}",
                    diff.join("; ")
                ));
            }
            for t in &script.tests {
                for e in &t.after_downgrade {
                    if let Some(why) = expect(db, e).await {
                        fail(format!("test {} after the downgrade: {why}", name(t)));
                    }
                }
            }
            if let Err(e) = self.upgrade(db, rev, &opts, |_| {}).await {
                fail(format!("the upgrade after the downgrade failed: {e}"));
                return Ok(report);
            }
            let again = self.live_schema(db).await?;
            let diff = difference(db.dialect(), &after, &again)?;
            if !diff.is_empty() {
                fail(format!(
                    "the upgrade is not repeatable after its downgrade; the difference (what \
                     would turn the first result into the second): {}",
                    diff.join("; ")
                ));
            }
        }
        Ok(report)
    }
}

fn name(t: &crate::script::DataTest) -> String {
    t.name
        .as_deref()
        .map_or_else(|| "(unnamed)".to_string(), |n| format!("`{n}`"))
}

/// Runs `e.query`; what differs from `e.rows`, if anything.
async fn expect(db: &mut Db, e: &Expect) -> Option<String> {
    match db.conn.fetch_all(e.query.as_str()).await {
        Err(err) => Some(format!("`{}` failed: {err}", e.query)),
        Ok(rows) => {
            let got: Vec<Vec<String>> = rows
                .iter()
                .map(|r| (0..r.len()).map(|i| cell(r, i)).collect())
                .collect();
            (got != e.rows)
                .then(|| format!("`{}` returned {:?}, expected {:?}", e.query, got, e.rows))
        }
    }
}
