//! Stage 6c, compat: whether an app built from earlier models (a snapshot) keeps working on the schema the revisions build, for rolling deploys (no I/O).
//!
//! During a rolling deploy the previous release runs against the new schema. For every table
//! and column the previous models use, [`check`] asks: is it still there under that name, with
//! a type its field still decodes, never NULL where its field cannot hold NULL; and can that
//! release still insert rows: no new NOT NULL column without a default, no new unique or check
//! constraint it does not know. Each finding names the revision that causes it (the last one
//! after which it holds) and the safe sequence (expand/contract).

use std::collections::{BTreeMap, BTreeSet};

use crate::ops::Op;
use crate::schema::{Schema, SqlType, Table};

/// What breaks the previous release.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Break {
    /// A table it uses is gone (dropped, or renamed).
    TableGone,
    /// A column it reads is gone (dropped, or renamed).
    ColumnGone,
    /// A column it reads has a type its field does not decode.
    TypeChanged {
        /// The type it knows.
        from: String,
        /// The type now.
        to: String,
    },
    /// A column its field cannot hold NULL in may now be NULL.
    NowNullable,
    /// A NOT NULL column without a default that its inserts do not fill.
    RequiredColumn,
    /// A unique constraint or index its inserts do not know about.
    NewUnique {
        /// Its columns.
        columns: Vec<String>,
    },
    /// A check constraint its inserts do not know about.
    NewCheck {
        /// Its name.
        name: String,
    },
}

/// One finding of the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompatFinding {
    /// The table (the previous model's).
    pub table: String,
    /// The column, for column findings.
    pub column: Option<String>,
    /// What breaks.
    pub what: Break,
    /// The revision after which it holds; `None`: already so before the revisions checked
    /// (the database as it is).
    pub revision: Option<String>,
}

impl CompatFinding {
    /// `table.column` or `table`.
    pub fn target(&self) -> String {
        match &self.column {
            Some(c) => format!("{}.{c}", self.table),
            None => self.table.clone(),
        }
    }

    /// One line: what breaks and the safe sequence.
    pub fn describe(&self) -> String {
        let (what, safe) = match &self.what {
            Break::TableGone => (
                "the table is gone (dropped or renamed); the previous release still queries it"
                    .to_string(),
                "keep it until no running release uses it: create the new table, write both, \
                 backfill, move readers, drop the old one in a later release",
            ),
            Break::ColumnGone => (
                "the column is gone (dropped or renamed); the previous release still reads it"
                    .to_string(),
                "keep it until no running release reads it; for a rename, add the new column, \
                 backfill, write both, and drop the old one after the deploy",
            ),
            Break::TypeChanged { from, to } => (
                format!("the type changed from {from} to {to}, which its field does not decode"),
                "add a column of the new type, backfill it, move readers, drop the old column \
                 after the deploy",
            ),
            Break::NowNullable => (
                "the column may now hold NULL, which its field cannot".to_string(),
                "keep it NOT NULL until the release that reads it as optional is deployed \
                 everywhere",
            ),
            Break::RequiredColumn => (
                "a NOT NULL column without a default: the previous release's inserts fail"
                    .to_string(),
                "add it with a default (or nullable), deploy, then make it required",
            ),
            Break::NewUnique { columns } => (
                format!(
                    "a new unique key over ({}): the previous release's inserts may fail on it",
                    columns.join(", ")
                ),
                "add it once the release that knows about it is deployed everywhere",
            ),
            Break::NewCheck { name } => (
                format!("a new check `{name}`: the previous release's inserts may fail on it"),
                "add it once the release that knows about it is deployed everywhere",
            ),
        };
        let by = match &self.revision {
            Some(r) => format!("revision {r}"),
            None => "the database as it is".to_string(),
        };
        format!("{}: {what} ({by}; {safe})", self.target())
    }
}

/// Whether a field that decodes `from` still decodes `to`: the same type, or text to text
/// of any length, or a decimal of another precision.
fn decodes(from: &SqlType, to: &SqlType) -> bool {
    let class = |t: &SqlType| match t {
        SqlType::Text | SqlType::Varchar(_) => "text".to_string(),
        SqlType::Decimal { .. } => "decimal".to_string(),
        SqlType::Custom(s) => s.trim().to_ascii_lowercase(),
        other => other.to_string(),
    };
    class(from) == class(to)
}

fn sorted(columns: &[String]) -> Vec<String> {
    let mut c = columns.to_vec();
    c.sort();
    c
}

/// The unique column sets of `t`: unique constraints, unique indexes and the primary key.
fn unique_sets(t: &Table) -> BTreeSet<Vec<String>> {
    let mut out: BTreeSet<Vec<String>> = t.uniques.iter().map(|u| sorted(&u.columns)).collect();
    out.extend(
        t.indexes
            .iter()
            .filter(|i| i.unique)
            .map(|i| sorted(&i.columns)),
    );
    out.extend(t.primary_key.iter().map(|pk| sorted(&pk.columns)));
    out
}

/// The findings of `old` (the previous models) against `now`, unattributed.
fn findings(old: &Schema, now: &Schema) -> Vec<CompatFinding> {
    let mut out = Vec::new();
    let mut add = |table: &str, column: Option<&str>, what: Break| {
        out.push(CompatFinding {
            table: table.to_string(),
            column: column.map(str::to_string),
            what,
            revision: None,
        })
    };
    for t in old.tables.values() {
        let Some(n) = now.table(&t.name) else {
            add(&t.name, None, Break::TableGone);
            continue;
        };
        for c in &t.columns {
            match n.column(&c.name) {
                None => add(&t.name, Some(&c.name), Break::ColumnGone),
                Some(nc) => {
                    if !decodes(&c.ty, &nc.ty) {
                        add(
                            &t.name,
                            Some(&c.name),
                            Break::TypeChanged {
                                from: c.ty.to_string(),
                                to: nc.ty.to_string(),
                            },
                        );
                    }
                    if !c.nullable && nc.nullable {
                        add(&t.name, Some(&c.name), Break::NowNullable);
                    }
                }
            }
        }
        for nc in &n.columns {
            let known = t.column(&nc.name).is_some();
            if !known && !nc.nullable && nc.default.is_none() && !nc.autoincrement {
                add(&t.name, Some(&nc.name), Break::RequiredColumn);
            }
        }
        let known = unique_sets(t);
        for set in unique_sets(n) {
            if !known.contains(&set) {
                add(&t.name, None, Break::NewUnique { columns: set });
            }
        }
        for ck in &n.checks {
            if !t.checks.iter().any(|k| k.name == ck.name) {
                add(
                    &t.name,
                    None,
                    Break::NewCheck {
                        name: ck.name.clone(),
                    },
                );
            }
        }
    }
    out
}

/// The key that identifies a finding across revisions.
fn key(f: &CompatFinding) -> (String, Option<String>, Break) {
    (f.table.clone(), f.column.clone(), f.what.clone())
}

/// Checks `old` (the previous release's models) against the schema `start` becomes once each
/// revision's upgrade ops in `revisions` (in order) are applied. Each finding of the final
/// schema names the revision after which it holds without a break (`None` when it held at
/// `start` already). Ops that do not replay (a broken history) stop the walk there.
pub fn check(old: &Schema, start: &Schema, revisions: &[(String, Vec<Op>)]) -> Vec<CompatFinding> {
    let mut schema = start.clone();
    // For each finding: since which revision it holds (`None`: from the start).
    let mut since: BTreeMap<(String, Option<String>, Break), Option<String>> =
        findings(old, &schema)
            .iter()
            .map(|f| (key(f), None))
            .collect();
    for (rev, ops) in revisions {
        for op in ops {
            if op.apply(&mut schema).is_err() {
                break;
            }
        }
        let now: BTreeSet<_> = findings(old, &schema).iter().map(key).collect();
        since.retain(|k, _| now.contains(k));
        for k in now {
            since.entry(k).or_insert_with(|| Some(rev.clone()));
        }
    }
    let mut out: Vec<CompatFinding> = findings(old, &schema);
    for f in &mut out {
        f.revision = since.get(&key(f)).cloned().flatten();
    }
    out
}

pub mod split;

#[cfg(test)]
mod tests;
