//! Migrator: `migrate squash`, one revision with the net effect of a chain (`replaces = [...]`), composed through the diff with the chain's renames as hints, so data is renamed, never dropped and re-added.
//!
//! The chain's upgrade ops are cut at its data steps (`sql`): each stretch of schema ops
//! between two data steps becomes the ops [`diff::compare_neutral`] finds between the schema
//! before the stretch and after it, with the tables and columns the stretch renamed given
//! `renamed_from` hints (so an added then dropped column disappears, an add then an alter is
//! one add, a rename stays a rename). Data steps are kept in order between the stretches,
//! except those marked `elidable = true`. The result is checked: replayed on the schema before
//! the chain it must give the schema after it.

use std::collections::BTreeMap;

use super::{Migrator, NewRevision};
use crate::diff;
use crate::error::Error;
use crate::ops::{self, Op};
use crate::schema::Schema;
use crate::script::Script;

/// Names through a stretch of ops: for each table as it is now named, the name it had before
/// the stretch (`None` when the stretch created it), and the same for its columns.
#[derive(Default)]
struct Origins {
    tables: BTreeMap<String, (Option<String>, ColumnOrigins)>,
}

/// Each column as it is now named -> its name before the stretch (`None`: added in it).
type ColumnOrigins = BTreeMap<String, Option<String>>;

impl Origins {
    fn of(schema: &Schema) -> Origins {
        let tables = schema
            .tables
            .values()
            .map(|t| {
                let cols = t
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), Some(c.name.clone())))
                    .collect();
                (t.name.clone(), (Some(t.name.clone()), cols))
            })
            .collect();
        Origins { tables }
    }

    fn follow(&mut self, op: &Op) {
        match op {
            Op::CreateTable { table } => {
                let cols = table
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), None))
                    .collect();
                self.tables.insert(table.name.clone(), (None, cols));
            }
            Op::DropTable { table } => {
                self.tables.remove(&table.name);
            }
            Op::RenameTable { from, to } => {
                if let Some(v) = self.tables.remove(from) {
                    self.tables.insert(to.clone(), v);
                }
            }
            Op::AddColumn { table, column } => {
                if let Some((_, cols)) = self.tables.get_mut(table) {
                    cols.insert(column.name.clone(), None);
                }
            }
            Op::DropColumn { table, column } => {
                if let Some((_, cols)) = self.tables.get_mut(table) {
                    cols.remove(&column.name);
                }
            }
            Op::AlterColumn {
                table,
                column,
                rename: Some(new),
                ..
            } => {
                if let Some((_, cols)) = self.tables.get_mut(table) {
                    if let Some(v) = cols.remove(column) {
                        cols.insert(new.clone(), v);
                    }
                }
            }
            _ => {}
        }
    }

    /// `after` with `renamed_from` hints where a table or column has another name than
    /// before the stretch.
    fn hint(&self, mut after: Schema) -> Schema {
        for (name, (origin, cols)) in &self.tables {
            let Some(t) = after.tables.get_mut(name) else {
                continue;
            };
            if let Some(origin) = origin {
                if origin != name {
                    t.renamed_from = Some(origin.clone());
                }
                for c in &mut t.columns {
                    if let Some(Some(o)) = cols.get(&c.name) {
                        if *o != c.name {
                            c.renamed_from = Some(o.clone());
                        }
                    }
                }
            }
        }
        after
    }
}

/// Why a squash cannot be made.
fn refused(from: &str, to: &str, why: impl Into<String>) -> Error {
    Error::Squash {
        from: from.to_string(),
        to: to.to_string(),
        why: why.into(),
    }
}

impl Migrator {
    /// Writes a revision that replaces the chain from `from` to `to` (both included) with its
    /// net effect; see the module docs. The chain stays: a database inside it goes on through
    /// its files, one before it runs the squash instead, and once no database is inside it the
    /// replaced files can be deleted (the squash then stands in for them). Refused, with
    /// nothing written, when the revisions are not one line (a merge or a branch inside), when
    /// one is a squash or already squashed, or when the net effect cannot be expressed.
    pub fn squash(&mut self, from: &str, to: &str, message: &str) -> Result<Script, Error> {
        let first = self.graph.get(from)?.revision().to_string();
        let last = self.graph.get(to)?.revision().to_string();
        let chain = self.chain(&first, &last)?;
        let schema_before = self.schema_before(&first)?;
        let mut schema = schema_before.clone();
        let mut upgrade: Vec<Op> = Vec::new();
        let mut stretch: Vec<Op> = Vec::new();
        let mut before = schema.clone();
        let compose = |before: &Schema, stretch: &[Op], after: &Schema| -> Result<Vec<Op>, Error> {
            let mut origins = Origins::of(before);
            for op in stretch {
                origins.follow(op);
            }
            let changes = diff::compare_neutral(before, &origins.hint(after.clone()))?;
            if let Some(note) = changes.notes.first() {
                return Err(refused(
                    &first,
                    &last,
                    format!("its net effect has a change no op expresses: {note}"),
                ));
            }
            Ok(changes.upgrade)
        };
        for rev in &chain {
            let script = self.script(rev)?;
            for op in &script.upgrade {
                if let Op::Sql { elidable, .. } = op {
                    // An elidable data step goes; a kept one ends the stretch before it.
                    if !*elidable {
                        upgrade.extend(compose(&before, &stretch, &schema)?);
                        stretch.clear();
                        upgrade.push(op.clone());
                        before = schema.clone();
                    }
                    continue;
                }
                op.apply(&mut schema).map_err(|source| Error::Replay {
                    revision: rev.clone(),
                    path: script.path.clone(),
                    source,
                })?;
                stretch.push(op.clone());
            }
        }
        upgrade.extend(compose(&before, &stretch, &schema)?);
        // The squash must build exactly what the chain builds.
        let mut check = schema_before.clone();
        ops::apply_all(&mut check, &upgrade).map_err(|e| {
            refused(
                &first,
                &last,
                format!("the composed ops do not replay: {e}"),
            )
        })?;
        let left = diff::compare_neutral(&check, &schema)?;
        if !left.is_empty() {
            return Err(refused(
                &first,
                &last,
                format!(
                    "the composed ops do not build what the chain builds ({} differences); \
                     squash a shorter chain",
                    left.upgrade.len()
                ),
            ));
        }
        let downgrade = ops::reverse_all(&upgrade).unwrap_or_default();
        let parents = self
            .graph
            .parents(&first)
            .iter()
            .map(|p| p.to_string())
            .collect();
        let new = NewRevision {
            message: message.to_string(),
            upgrade,
            downgrade,
            ..NewRevision::default()
        };
        self.write_squash(parents, new, chain)
    }

    /// The revisions from `first` to `last`, oldest first: one line, nothing squashed.
    fn chain(&self, first: &str, last: &str) -> Result<Vec<String>, Error> {
        let mut chain = vec![last.to_string()];
        let mut at = last.to_string();
        while at != first {
            match self.graph.parents(&at).as_slice() {
                [p] => {
                    at = p.to_string();
                    chain.push(at.clone());
                }
                [] => {
                    return Err(refused(
                        first,
                        last,
                        format!("{first} is not an ancestor of {last}; give the older one first"),
                    ))
                }
                many => {
                    return Err(refused(
                        first,
                        last,
                        format!(
                            "{at} is a merge point (of {}); squash the chains on either side of \
                             it",
                            many.join(", ")
                        ),
                    ))
                }
            }
        }
        chain.reverse();
        if chain.len() < 2 {
            return Err(refused(first, last, "a squash needs two revisions or more"));
        }
        for (i, rev) in chain.iter().enumerate() {
            let script = self.graph.get(rev)?;
            if !script.header.replaces.is_empty() {
                return Err(refused(first, last, format!("{rev} is itself a squash")));
            }
            if let Some(s) = self.graph.squashed_into(rev) {
                return Err(refused(
                    first,
                    last,
                    format!("{rev} is already squashed into {}", s.revision()),
                ));
            }
            let children = self.graph.children(rev);
            if i + 1 < chain.len() && children.len() != 1 {
                return Err(refused(
                    first,
                    last,
                    format!(
                        "{rev} has other revisions built on it ({}); a squash replaces a single \
                         line",
                        children.join(", ")
                    ),
                ));
            }
        }
        Ok(chain)
    }
}
