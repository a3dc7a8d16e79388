//! Migrator: linting revisions (see [`crate::lint`]): which revisions, the schema each runs on, the rows it meets when connected, and where in its file each finding is.

use std::collections::BTreeSet;
use std::path::PathBuf;

use sqlx::Row;

use super::Migrator;
use crate::db::Db;
use crate::dialect::Dialect;
use crate::error::Error;
use crate::lint::{self, Allow, Facts, Finding};
use crate::ops;

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
    /// it. The schema each revision runs on is the ops before it replayed.
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
        let Some(first) = steps.first() else {
            return Ok(Vec::new());
        };
        // One replay up to the first revision, then each revision's ops on top (not a replay
        // from base per revision: a long pending chain would replay quadratically).
        let mut schema = self.schema_before(&first.revision)?;
        // Rows are read only for the revisions an upgrade of this database runs, and only in
        // the tables that exist before the first of them (applied: in the database now).
        let pending = matches!(range, LintRange::Pending | LintRange::PendingTo(_));
        let live: BTreeSet<String> = schema.tables.keys().cloned().collect();
        let mut out = Vec::new();
        for step in steps {
            let script = self.script(&step.revision)?;
            let facts = match db.as_deref_mut() {
                Some(db) if pending => {
                    let needed = lint::Facts::needed(&script.upgrade, &schema);
                    Some(facts(db, &needed, &live).await?)
                }
                _ => None,
            };
            let online = script.header.online;
            let found = lint::lint(&script.upgrade, &schema, dialect, facts.as_ref(), online);
            ops::apply_all(&mut schema, &script.upgrade).map_err(|source| Error::Replay {
                revision: step.revision.clone(),
                path: script.path.clone(),
                source,
            })?;
            if found.is_empty() {
                continue;
            }
            let text = std::fs::read_to_string(&script.path).unwrap_or_default();
            for f in found {
                out.push(LintFinding {
                    revision: step.revision.clone(),
                    path: script.path.clone(),
                    line: upgrade_line(&text, f.step),
                    allowed: script
                        .step_allow
                        .iter()
                        .filter(|(step, _)| *step == f.step)
                        .map(|(_, a)| a)
                        .chain(&script.header.allow)
                        .find(|a| a.covers(&f))
                        .cloned(),
                    finding: f,
                });
            }
        }
        Ok(out)
    }
}

/// What a count is of.
enum Counted {
    Rows(String),
    Values(String, String),
    Duplicates(String, Vec<String>),
}

/// Counts what `needed` asks for in the tables of `live`, in one query (one scalar subquery
/// per count): one round trip per revision, whatever the number of tables.
async fn facts(
    db: &mut Db,
    needed: &lint::Needed,
    live: &BTreeSet<String>,
) -> Result<Facts, Error> {
    let d = db.dialect();
    let mut counted = Vec::new();
    let mut queries = Vec::new();
    let mut count = |what: Counted, sql: String| {
        counted.push(what);
        queries.push(format!("({sql})"));
    };
    for t in needed.rows.iter().filter(|t| live.contains(*t)) {
        count(Counted::Rows(t.clone()), d.count_rows_sql(t, None));
    }
    for (t, c) in needed.nulls.iter().filter(|(t, _)| live.contains(t)) {
        if !needed.rows.contains(t) {
            count(Counted::Rows(t.clone()), d.count_rows_sql(t, None));
        }
        count(
            Counted::Values(t.clone(), c.clone()),
            d.count_rows_sql(t, Some(c)),
        );
    }
    for (t, cols) in needed.duplicates.iter().filter(|(t, _)| live.contains(t)) {
        count(
            Counted::Duplicates(t.clone(), cols.clone()),
            d.duplicate_groups_sql(t, cols),
        );
    }
    let mut out = Facts::default();
    if queries.is_empty() {
        return Ok(out);
    }
    let err = |e| {
        Error::from(crate::apply::ApplyError::Database {
            doing: "counting rows for the lint".into(),
            source: crate::dialect::DriverError::new(e),
        })
    };
    let sql = format!("SELECT {}", queries.join(", "));
    let row = sqlx::Executor::fetch_one(&mut db.conn, sql.as_str())
        .await
        .map_err(err)?;
    let mut values = Vec::new();
    for (i, what) in counted.into_iter().enumerate() {
        values.push((what, row.try_get::<i64, _>(i).map_err(err)?));
    }
    for (what, n) in &values {
        match what {
            Counted::Rows(t) => {
                out.rows.insert(t.clone(), *n);
            }
            Counted::Duplicates(t, cols) => {
                out.duplicates.insert((t.clone(), cols.clone()), *n);
            }
            Counted::Values(..) => {}
        }
    }
    for (what, n) in &values {
        if let Counted::Values(t, c) = what {
            let rows = out.rows.get(t).copied().unwrap_or(0);
            out.nulls.insert((t.clone(), c.clone()), rows - n);
        }
    }
    // Rows counted only for a NULL count are not a fact asked for.
    out.rows.retain(|t, _| needed.rows.contains(t));
    Ok(out)
}
