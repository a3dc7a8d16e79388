//! Migrator: continuing a revision left partially applied where DDL commits statement by statement (MySQL): resuming it, or reversing what ran.
//!
//! The open interruption record says how many of the revision's statements ran. Before trusting
//! it, the live schema is compared with the schema the ops replay to: a statement can take effect
//! after its client was killed (the server finishes it), which the record cannot know. When the
//! op after the recorded ones is visibly done, the progress moves past it ([`Migrator::reconcile`]).
//! Then `upgrade` renders the rest of the ops from the live schema and resumes; `downgrade`
//! renders the reverse of the ops that ran and runs that. Either needs the file unchanged
//! (its checksum is in the record) and a statement count that falls between two ops.

use std::borrow::Cow;

use super::Migrator;
use crate::apply::{Interruption, Partial, PlannedStep, StepKind};
use crate::dialect::Dialect;
use crate::diff::{self, DiffOptions};
use crate::error::Error;
use crate::graph;
use crate::ops::{self, Op};
use crate::render::render_ops_with;
use crate::schema::Schema;
use crate::script::Script;

/// A partially applied revision, read against its file.
struct Progress<'s> {
    script: Cow<'s, Script>,
    ops: Vec<Op>,
    /// The schema before each op (and after the last), replayed from the files.
    states: Vec<Schema>,
    /// The statements each op renders to.
    counts: Vec<usize>,
    /// The statements of the whole revision, rendered from the replayed schema.
    statements: Vec<String>,
    /// The ops that ran.
    ops_done: usize,
    /// The statements that ran.
    done: usize,
}

impl Migrator {
    fn partial_error(&self, script: &Script, reason: impl Into<String>) -> Error {
        Error::PartialRevision {
            revision: script.header.revision.clone(),
            path: script.path.clone(),
            reason: reason.into(),
        }
    }

    /// Reads `record` against its file and the live schema: which ops ran.
    fn progress(
        &self,
        dialect: &dyn Dialect,
        live: &Schema,
        record: &Interruption,
    ) -> Result<Progress<'_>, Error> {
        let script = self.script(&record.revision)?;
        if record.checksum.as_deref() != Some(script.checksum.as_str()) {
            return Err(self.partial_error(
                &script,
                "its migration file changed since it ran, so which of the new file's statements \
                 ran is unknown; restore the file as it was (from version control), or make the \
                 schema match a revision by hand and `stamp` it",
            ));
        }
        let (ops, mut schema) = match record.kind {
            StepKind::Down => (
                script.downgrade_ops()?.into_owned(),
                self.schema_at(&record.revision)?,
            ),
            _ => (
                script.upgrade.clone(),
                self.schema_before(&record.revision)?,
            ),
        };
        let mut states = vec![schema.clone()];
        let mut counts = Vec::with_capacity(ops.len());
        let mut statements = Vec::new();
        for op in &ops {
            let online = script.header.online;
            let (rendered, after) =
                render_ops_with(std::slice::from_ref(op), dialect, &schema, online).map_err(
                    |source| Error::RenderRevision {
                        revision: record.revision.clone(),
                        path: script.path.clone(),
                        source,
                    },
                )?;
            let sql: Vec<String> = rendered.into_iter().flat_map(|r| r.statements).collect();
            counts.push(sql.len());
            statements.extend(sql);
            schema = after;
            states.push(schema.clone());
        }
        let (recorded, total) = record.progress.ok_or_else(|| {
            self.partial_error(&script, "its record does not say how many statements ran")
        })?;
        if total != statements.len() {
            return Err(self.partial_error(
                &script,
                format!(
                    "it rendered to {total} statements when it ran and renders to {} now",
                    statements.len()
                ),
            ));
        }
        let mut ops_done = 0;
        let mut sum = 0;
        while ops_done < counts.len() && sum + counts[ops_done] <= recorded {
            sum += counts[ops_done];
            ops_done += 1;
        }
        if recorded > total {
            return Err(self.partial_error(
                &script,
                format!(
                    "its record says {recorded} of {total} statements ran, which cannot be; \
                     make the schema match a revision by hand and `stamp` it"
                ),
            ));
        }
        if sum != recorded {
            return Err(self.partial_error(
                &script,
                format!(
                    "the {recorded} statements that ran end inside op {} ({}), which cannot be \
                     resumed or reversed half way; finish or undo it by hand, then `stamp`",
                    ops_done + 1,
                    ops[ops_done].describe().join("; ")
                ),
            ));
        }
        let mut p = Progress {
            script,
            ops,
            states,
            counts,
            statements,
            ops_done,
            done: recorded,
        };
        // A statement the server finished after its client was gone is not in the record:
        // the next op is done when the live schema shows it.
        if p.ops_done < p.ops.len()
            && p.counts[p.ops_done] > 0
            && !matches!(p.ops[p.ops_done], Op::Sql { .. })
        {
            let op = &p.ops[p.ops_done];
            let before = &p.states[p.ops_done];
            let after = &p.states[p.ops_done + 1];
            if !matches_on(dialect, live, before, op) && matches_on(dialect, live, after, op) {
                p.done += p.counts[p.ops_done];
                p.ops_done += 1;
            }
        }
        Ok(p)
    }

    /// How many statements of `record`'s revision ran, the record checked against the live
    /// schema (see the module docs); the record's own count when it cannot be checked.
    pub(super) fn reconcile(
        &self,
        dialect: &dyn Dialect,
        live: &Schema,
        record: &Interruption,
    ) -> Option<usize> {
        self.progress(dialect, live, record).ok().map(|p| p.done)
    }

    /// The step that continues the open `record` for a run in `direction`, whose plan would
    /// otherwise start with `first` (from the graph): resuming the record's revision when the
    /// run goes its way and starts with it, or reversing what ran when a downgrade meets an
    /// upgrade left half way. `None` when the run cannot continue it (it then refuses).
    pub(super) fn partial_step(
        &self,
        dialect: &dyn Dialect,
        live: &Schema,
        record: &Interruption,
        direction: graph::Direction,
        first: Option<&graph::Step>,
    ) -> Result<Option<PlannedStep>, Error> {
        if !record.resumable {
            return Ok(None);
        }
        let resume = match (direction, record.kind) {
            (graph::Direction::Up, StepKind::Up) | (graph::Direction::Down, StepKind::Down) => true,
            (graph::Direction::Down, StepKind::Up) => false,
            _ => return Ok(None),
        };
        let p = self.progress(dialect, live, record)?;
        let script = &p.script;
        let render_from_live = |ops: &[Op]| -> Result<Vec<String>, Error> {
            let online = script.header.online;
            let (rendered, _) = render_ops_with(ops, dialect, live, online).map_err(|source| {
                Error::RenderRevision {
                    revision: record.revision.clone(),
                    path: script.path.clone(),
                    source,
                }
            })?;
            Ok(rendered.into_iter().flat_map(|r| r.statements).collect())
        };
        let parents = super::label_or_empty(script.down_revision());
        let mut step = PlannedStep {
            revision: record.revision.clone(),
            message: script.header.message.clone(),
            kind: record.kind,
            remove_heads: Vec::new(),
            add_heads: Vec::new(),
            statements: Vec::new(),
            transactional: script.header.transactional
                && !(script.header.online && dialect.online_forms()),
            batch: !p.ops.iter().any(|op| matches!(op, Op::Sql { .. })),
            checksum: Some(script.checksum.clone()),
            atomic: Vec::new(),
            rebuilt_tables: Vec::new(),
            // The rest of the plan is asked for again once this step is done.
            replan_after: true,
            partial: None,
            timeouts: script.header.timeouts(self.settings.timeouts()),
            from_label: parents.clone(),
            to_label: record.revision.clone(),
        };
        if resume {
            let Some(first) = first.filter(|s| s.revision == record.revision) else {
                return Ok(None);
            };
            step.remove_heads = first.from_heads.clone();
            step.add_heads = first.to_heads.clone();
            if record.kind == StepKind::Down {
                step.from_label = record.revision.clone();
                step.to_label = parents;
            }
            step.statements = p.statements[..p.done].to_vec();
            step.statements
                .extend(render_from_live(&p.ops[p.ops_done..])?);
            step.partial = Some(Partial::Resume { done: p.done });
            return Ok(Some(step));
        }
        // A downgrade meets an upgrade left half way: reverse the ops that ran.
        let reversed = self.reverse_ran(&p)?;
        step.kind = StepKind::Down;
        step.statements = render_from_live(&reversed)?;
        step.batch = !reversed.iter().any(|op| matches!(op, Op::Sql { .. }));
        step.partial = Some(Partial::Reverse { done: p.done });
        step.message = format!("{} (reversing {} statement(s))", step.message, p.done);
        step.from_label = format!("{} (partial)", record.revision);
        step.to_label = parents;
        Ok(Some(step))
    }
}

impl Migrator {
    /// The ops that reverse what ran of the upgrade `p` reads.
    fn reverse_ran(&self, p: &Progress<'_>) -> Result<Vec<Op>, Error> {
        ops::reverse_all(&p.ops[..p.ops_done]).map_err(|e| {
            self.partial_error(
                &p.script,
                format!(
                    "one of the ops that ran cannot be reversed ({e}); undo it by hand, then \
                     `stamp` the revision before it"
                ),
            )
        })
    }

    /// What a downgrade runs first when `record` is an upgrade left partially applied (MySQL):
    /// the revision's message and the ops that reverse the statements that ran. `None` for
    /// any other record.
    pub(super) fn partial_reversal(
        &self,
        dialect: &dyn Dialect,
        live: &Schema,
        record: &Interruption,
    ) -> Result<Option<(String, Vec<Op>)>, Error> {
        if !record.resumable || record.kind == StepKind::Down {
            return Ok(None);
        }
        let p = self.progress(dialect, live, record)?;
        let reversed = self.reverse_ran(&p)?;
        Ok(Some((p.script.header.message.clone(), reversed)))
    }
}

/// Whether the live schema matches `expected` on the tables `op` works on.
fn matches_on(dialect: &dyn Dialect, live: &Schema, expected: &Schema, op: &Op) -> bool {
    let mut tables: Vec<&str> = op.table().into_iter().collect();
    if let Op::RenameTable { from, .. } = op {
        tables.push(from);
    }
    let pick = |s: &Schema| {
        let mut out = Schema::new();
        for t in &tables {
            if let Some(table) = s.table(t) {
                out.insert(table.clone());
            }
        }
        out
    };
    let mut want = pick(expected);
    dialect.normalize(&mut want);
    let have = pick(live);
    diff::diff_on(dialect, &have, &want, &DiffOptions::default())
        .is_ok_and(|plan| plan.upgrade.is_empty() && plan.notes.is_empty())
}
