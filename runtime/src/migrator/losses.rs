//! Stage 7, apply (programmatic API): what a downgrade would destroy, read before it runs.
//!
//! [`Migrator::downgrade_losses`] plans the downgrade as [`Migrator::downgrade`] would, and
//! lists every step that drops a table or a column, narrows a type or makes a column NOT NULL
//! ([`Op::destructive`]), with the rows or values there now where the database can tell.

use std::collections::HashMap;

use sqlx::{Executor, Row};

use super::Migrator;
use crate::apply::bookkeeping;
use crate::apply::StepKind;
use crate::db::Db;
use crate::error::Error;
use crate::introspect;
use crate::ops::Op;
use crate::schema::Schema;

/// One downgrade step that destroys data or can fail on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loss {
    /// The revision whose downgrade runs the step.
    pub revision: String,
    /// That revision's message.
    pub message: String,
    /// What the step does ([`Op::destructive`]): "drops table 'users' and all its rows".
    pub what: String,
    /// The rows of the table it drops, or the non-NULL values of the column it drops or
    /// changes, counted now; `None` when the table or column does not exist yet at the start
    /// (an earlier step of the same downgrade creates it) or the count failed.
    pub count: Option<Count>,
}

/// What a [`Loss`] counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// Rows of a table.
    Rows(i64),
    /// Non-NULL values of a column.
    Values(i64),
}

/// What a downgrade would do to the data, before it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DowngradeLosses {
    /// How many revisions it reverts.
    pub steps: usize,
    /// Whether it reverts every applied revision (`downgrade base`).
    pub to_base: bool,
    /// The destructive steps, in the order they would run.
    pub losses: Vec<Loss>,
}

impl DowngradeLosses {
    /// Whether the downgrade should be confirmed: it goes to base with something applied, or
    /// some step destroys data.
    pub fn is_destructive(&self) -> bool {
        (self.to_base && self.steps > 0) || !self.losses.is_empty()
    }
}

/// Where each table and column of the schema replayed so far was at the start, so counts are
/// taken from the right live object (renamed since, or created by the downgrade: none).
#[derive(Default)]
struct Origins {
    tables: HashMap<String, Option<String>>,
    columns: HashMap<(String, String), Option<String>>,
}

impl Origins {
    fn table(&self, live: &Schema, name: &str) -> Option<String> {
        match self.tables.get(name) {
            Some(origin) => origin.clone(),
            None => live.table(name).map(|_| name.to_string()),
        }
    }

    /// The live (table, column) the column `table.column` is now.
    fn column(&self, live: &Schema, table: &str, column: &str) -> Option<(String, String)> {
        let origin = self.table(live, table)?;
        let col = match self.columns.get(&(table.to_string(), column.to_string())) {
            Some(c) => c.clone()?,
            None => column.to_string(),
        };
        live.table(&origin)?.column(&col)?;
        Some((origin, col))
    }

    /// Follows `op` (before it is replayed on `schema`, the schema it applies to).
    fn follow(&mut self, live: &Schema, schema: &Schema, op: &Op) {
        match op {
            Op::CreateTable { table } | Op::DropTable { table } => {
                self.tables.insert(table.name.clone(), None);
                self.columns.retain(|(t, _), _| *t != table.name);
            }
            Op::RenameTable { from, to } => {
                let origin = self.table(live, from);
                self.tables.insert(from.clone(), None);
                self.tables.insert(to.clone(), origin);
                let cols: Vec<String> = schema
                    .table(from)
                    .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
                    .unwrap_or_default();
                for c in cols {
                    let o = self.columns.remove(&(from.clone(), c.clone()));
                    self.columns
                        .insert((to.clone(), c.clone()), o.unwrap_or(Some(c)));
                }
            }
            Op::AddColumn { table, column } | Op::DropColumn { table, column } => {
                self.columns
                    .insert((table.clone(), column.name.clone()), None);
            }
            Op::AlterColumn {
                table,
                column,
                rename: Some(new),
                ..
            } => {
                let origin = match self.columns.get(&(table.clone(), column.clone())) {
                    Some(o) => o.clone(),
                    None => Some(column.clone()),
                };
                self.columns.insert((table.clone(), column.clone()), None);
                self.columns.insert((table.clone(), new.clone()), origin);
            }
            _ => {}
        }
    }
}

impl Migrator {
    /// What downgrading to `target` would destroy, from the database as it is now: the same
    /// steps and ops [`Migrator::downgrade`] would run (so an irreversible revision is the
    /// same error here), each destructive one with the rows or values it would lose. Runs
    /// only queries (introspection and `count`); the downgrade itself plans again under the
    /// migration lock.
    pub async fn downgrade_losses(
        &self,
        db: &mut Db,
        target: &str,
    ) -> Result<DowngradeLosses, Error> {
        let heads = self.current(db).await?;
        let dialect = db.dialect();
        // An upgrade left partially applied (MySQL): the downgrade reverses what ran first,
        // and with a relative target (`-1`) that is all it does, as `downgrade` runs it.
        let records = if dialect.transactional_ddl() {
            Vec::new()
        } else {
            bookkeeping::read_interrupted(&mut db.conn, dialect).await?
        };
        let partial_live = match records.as_slice() {
            [record] if record.resumable && record.kind != StepKind::Down => {
                let live =
                    introspect::introspect(&mut db.conn, dialect, &self.introspect_options())
                        .await?
                        .schema;
                self.partial_reversal(dialect, &live, record)?
                    .map(|(message, ops)| ((record.revision.clone(), message, ops), live))
            }
            _ => None,
        };
        let steps = match &partial_live {
            Some(_) if target.starts_with('-') => Vec::new(),
            _ => self.graph.downgrade_steps(&heads, target)?,
        };
        let mut out = DowngradeLosses {
            steps: steps.len() + usize::from(partial_live.is_some()),
            to_base: !steps.is_empty() && steps.len() == self.graph.applied(&heads)?.len(),
            losses: Vec::new(),
        };
        let mut plan: Vec<(String, String, Vec<Op>)> = Vec::new();
        let live = match partial_live {
            Some((reversal, live)) => {
                plan.push(reversal);
                live
            }
            None if steps.is_empty() => return Ok(out),
            None => {
                introspect::introspect(&mut db.conn, dialect, &self.introspect_options())
                    .await?
                    .schema
            }
        };
        for step in &steps {
            let script = self.script(&step.revision)?;
            let ops = script.downgrade_ops()?.into_owned();
            plan.push((step.revision.clone(), script.header.message.clone(), ops));
        }
        let mut schema = live.clone();
        let mut origins = Origins::default();
        for (revision, message, ops) in &plan {
            for op in ops.iter() {
                if let Some(what) = op.destructive() {
                    let object = match op {
                        Op::DropTable { table } => {
                            origins.table(&live, &table.name).map(|t| (t, None))
                        }
                        Op::DropColumn { table, column } => origins
                            .column(&live, table, &column.name)
                            .map(|(t, c)| (t, Some(c))),
                        Op::AlterColumn { table, column, .. } => origins
                            .column(&live, table, column)
                            .map(|(t, c)| (t, Some(c))),
                        _ => None,
                    };
                    let mut count = None;
                    if let Some((t, c)) = object {
                        let sql = dialect.count_rows_sql(&t, c.as_deref());
                        let n = db
                            .conn
                            .fetch_one(sql.as_str())
                            .await
                            .ok()
                            .and_then(|r| r.try_get::<i64, _>(0).ok());
                        count = n.map(|n| {
                            if c.is_some() {
                                Count::Values(n)
                            } else {
                                Count::Rows(n)
                            }
                        });
                    }
                    out.losses.push(Loss {
                        revision: revision.clone(),
                        message: message.clone(),
                        what,
                        count,
                    });
                }
                origins.follow(&live, &schema, op);
                // An op that does not replay is reported by the downgrade itself.
                if op.apply(&mut schema).is_err() {
                    return Ok(out);
                }
            }
        }
        Ok(out)
    }
}
