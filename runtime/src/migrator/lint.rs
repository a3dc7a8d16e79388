//! Migrator: linting revisions (see [`crate::lint`]): which revisions, the schema each runs on, the rows it meets when connected, and where in its file each finding is.

use std::path::PathBuf;

use sqlx::Row;

use super::Migrator;
use crate::db::Db;
use crate::dialect::Dialect;
use crate::error::Error;
use crate::lint::{self, Allow, Facts, Finding};

/// Which revisions `lint` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LintRange {
    /// The revisions not applied to the connected database yet.
    Pending,
    /// The revisions an `upgrade` to this target would run on the connected database.
    PendingTo(String),
    /// Every revision, from base to the heads.
    All,
    /// From after `from` (base when `None`) up to `to`.
    Range {
        /// Where to start (exclusive).
        from: Option<String>,
        /// Where to end (inclusive).
        to: String,
    },
}

impl LintRange {
    /// `from:to`, `to` (from base), or nothing (pending with a database, all without).
    pub fn parse(range: Option<&str>, all: bool) -> LintRange {
        match (range, all) {
            (_, true) => LintRange::All,
            (None, false) => LintRange::Pending,
            (Some(r), false) => match r.split_once(':') {
                Some((from, to)) => LintRange::Range {
                    from: (!from.is_empty() && from != "base").then(|| from.to_string()),
                    to: if to.is_empty() {
                        "heads".into()
                    } else {
                        to.into()
                    },
                },
                None => LintRange::Range {
                    from: None,
                    to: r.to_string(),
                },
            },
        }
    }
}

/// One finding, placed in its migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintFinding {
    /// The revision.
    pub revision: String,
    /// Its file.
    pub path: PathBuf,
    /// The line of the `[[upgrade]]` step that causes it (1-based).
    pub line: usize,
    /// What the rule found.
    pub finding: Finding,
    /// The `allow` entry that acknowledges it, if one does.
    pub allowed: Option<Allow>,
}

impl LintFinding {
    /// `<file>:<line>: <rule> <target>: <what happens> (<the safe way>)`.
    pub fn line(&self) -> String {
        format!(
            "{}:{}: {}",
            self.path.display(),
            self.line,
            self.finding.describe()
        )
    }
}

/// The line of the `[[upgrade]]` header of step `step` in `text` (1-based; 1 when not found).
fn upgrade_line(text: &str, step: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[upgrade]]")
        .nth(step)
        .map_or(1, |(i, _)| i + 1)
}

impl Migrator {
    /// The lint findings of the revisions `range` selects, for `dialect`, each placed in its
    /// file and marked when the revision's `allow` acknowledges it. With `db`, the rules that
    /// depend on rows read them (row counts, NULLs, duplicates); [`LintRange::Pending`] needs
    /// it. The schema each revision runs on is its ancestors' ops replayed.
    pub async fn lint(
        &self,
        mut db: Option<&mut Db>,
        dialect: &dyn Dialect,
        range: &LintRange,
    ) -> Result<Vec<LintFinding>, Error> {
        let steps = match range {
            LintRange::Pending | LintRange::PendingTo(_) => {
                let heads = match db.as_deref_mut() {
                    Some(db) => self.current(db).await?,
                    None => Vec::new(),
                };
                let target = match range {
                    LintRange::PendingTo(t) => t.as_str(),
                    _ => "heads",
                };
                self.graph.upgrade_steps(&heads, target)?
            }
            LintRange::All => self.graph.upgrade_steps(&[] as &[String], "heads")?,
            LintRange::Range { from, to } => {
                let from: Vec<String> = from.iter().cloned().collect();
                self.graph.upgrade_steps(&from, to)?
            }
        };
        let mut out = Vec::new();
        for step in steps {
            let script = self.script(&step.revision)?;
            let before = self.schema_before(&step.revision)?;
            let facts = match db.as_deref_mut() {
                Some(db) => Some(facts(db, &lint::Facts::needed(&script.upgrade, &before)).await?),
                None => None,
            };
            let found = lint::lint(&script.upgrade, &before, dialect, facts.as_ref());
            if found.is_empty() {
                continue;
            }
            let text = std::fs::read_to_string(&script.path).unwrap_or_default();
            for f in found {
                out.push(LintFinding {
                    revision: step.revision.clone(),
                    path: script.path.clone(),
                    line: upgrade_line(&text, f.step),
                    allowed: script.header.allow.iter().find(|a| a.covers(&f)).cloned(),
                    finding: f,
                });
            }
        }
        Ok(out)
    }
}

/// Counts what `needed` asks for, on the tables that exist in the database.
async fn facts(db: &mut Db, needed: &lint::Needed) -> Result<Facts, Error> {
    let d = db.dialect();
    let mut out = Facts::default();
    let mut exists = std::collections::BTreeMap::new();
    let tables = needed
        .rows
        .iter()
        .chain(needed.nulls.iter().map(|(t, _)| t))
        .chain(needed.duplicates.iter().map(|(t, _)| t));
    for t in tables {
        if !exists.contains_key(t) {
            let n = count(db, &d.table_exists_sql(t)).await?;
            exists.insert(t.clone(), n > 0);
        }
    }
    let there = |t: &String| exists.get(t).copied().unwrap_or(false);
    for t in needed.rows.iter().filter(|t| there(t)) {
        out.rows
            .insert(t.clone(), count(db, &d.count_rows_sql(t, None)).await?);
    }
    for (t, c) in needed.nulls.iter().filter(|(t, _)| there(t)) {
        let rows = count(db, &d.count_rows_sql(t, None)).await?;
        let values = count(db, &d.count_rows_sql(t, Some(c))).await?;
        out.nulls.insert((t.clone(), c.clone()), rows - values);
    }
    for (t, cols) in needed.duplicates.iter().filter(|(t, _)| there(t)) {
        out.duplicates.insert(
            (t.clone(), cols.clone()),
            count(db, &d.duplicate_groups_sql(t, cols)).await?,
        );
    }
    Ok(out)
}

async fn count(db: &mut Db, sql: &str) -> Result<i64, Error> {
    let err = |e| {
        Error::from(crate::apply::ApplyError::Database {
            doing: "counting rows for the lint".into(),
            source: crate::dialect::DriverError::new(e),
        })
    };
    let row = sqlx::Executor::fetch_one(&mut db.conn, sql)
        .await
        .map_err(err)?;
    row.try_get::<i64, _>(0).map_err(err)
}
