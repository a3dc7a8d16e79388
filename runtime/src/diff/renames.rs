//! Stage 4, diff: guessing renames (a table or column dropped and one of the same shape added) for the user to confirm.
//!
//! Without a `renamed_from` hint, a rename is a drop and an add, which loses the data. When,
//! in one comparison, a table is dropped and another with the same columns is created, or
//! within a kept table a column is dropped and another of the same type, nullability and
//! default is added, the pair is a [`RenameCandidate`]: autogenerate asks about it on a
//! terminal (as Django's `makemigrations` does) and otherwise names the hint to write. Pairs are
//! made only when unambiguous: a dropped side with exactly one matching added side, which has
//! exactly one matching dropped side. Nothing here decides; [`with_renames`] turns the
//! confirmed candidates into the hints the diff already follows.

use super::{columns, filter, tables, DiffOptions};
use crate::schema::{split_table, Column, Schema, SqlType, Table};

/// A rename the diff suspects: the `from` side is dropped and the `to` side added with the
/// same shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameCandidate {
    /// Table `from` dropped, table `to` created with the same columns.
    Table {
        /// The current (database) name.
        from: String,
        /// The target (model) name.
        to: String,
    },
    /// In table `table` (its target name), column `from` dropped and column `to` added with
    /// the same type, nullability and default.
    Column {
        /// The table, by its target (model) name.
        table: String,
        /// The current (database) column name.
        from: String,
        /// The target (model) column name.
        to: String,
    },
}

impl RenameCandidate {
    /// The question to ask: `Did you rename users.name to users.full_name?`.
    pub fn question(&self) -> String {
        match self {
            RenameCandidate::Table { from, to } => format!("Did you rename table {from} to {to}?"),
            RenameCandidate::Column { table, from, to } => {
                format!("Did you rename {table}.{from} to {table}.{to}?")
            }
        }
    }

    /// What to do when nobody was asked: the drop and add stay, and the hint that makes it a
    /// rename is named.
    pub fn hint(&self) -> String {
        match self {
            RenameCandidate::Table { from, to } => format!(
                "table '{from}' is dropped and '{to}' created with the same columns; if it was \
                 renamed, the drop loses its rows: add #[model(renamed_from = \"{from}\")] to the \
                 model of '{to}' and generate the revision again"
            ),
            RenameCandidate::Column { table, from, to } => format!(
                "'{table}.{from}' is dropped and '{table}.{to}' added with the same type; if it \
                 was renamed, the drop loses its values: add #[model(renamed_from = \"{from}\")] \
                 to the field of '{to}' and generate the revision again"
            ),
        }
    }
}

/// The comparable shape of a table: its columns by name, type and nullability, sorted.
fn shape(t: &Table) -> Vec<(&str, &SqlType, bool)> {
    let mut cols: Vec<(&str, &SqlType, bool)> = t
        .columns
        .iter()
        .map(|c| (c.name.as_str(), &c.ty, c.nullable))
        .collect();
    cols.sort_by(|a, b| a.0.cmp(b.0));
    cols
}

/// Whether a dropped column and an added one could be the same column renamed.
fn same_column(dropped: &Column, added: &Column) -> bool {
    dropped.ty == added.ty
        && dropped.nullable == added.nullable
        && columns::same_default(&added.ty, dropped.default.as_ref(), added.default.as_ref())
}

/// The 1:1 pairs of `olds` and `news` under `matches`: each old with exactly one matching new,
/// which has exactly one matching old.
fn unambiguous<'a, T>(
    olds: &[&'a T],
    news: &[&'a T],
    matches: impl Fn(&T, &T) -> bool,
) -> Vec<(&'a T, &'a T)> {
    let mut out = Vec::new();
    for old in olds {
        let mut found = news.iter().filter(|n| matches(old, n));
        let (Some(new), None) = (found.next(), found.next()) else {
            continue;
        };
        if olds.iter().filter(|o| matches(o, new)).count() == 1 {
            out.push((*old, *new));
        }
    }
    out
}

/// The renames `diff(current, target, opts)` would otherwise write as a drop and an add (both
/// schemas as [`super::diff`] takes them). Tables first, in name order, then columns per kept
/// table.
pub fn rename_candidates(
    current: &Schema,
    target: &Schema,
    opts: &DiffOptions,
) -> Vec<RenameCandidate> {
    let (current, target) = filter::compared(current, target, opts);
    let matched = tables::match_tables(&current, &target);
    let dropped: Vec<&Table> = matched
        .dropped
        .iter()
        .filter_map(|n| current.table(n))
        .collect();
    let created: Vec<&Table> = matched
        .created
        .iter()
        .filter_map(|n| target.table(n))
        .collect();
    let mut out: Vec<RenameCandidate> =
        // A rename keeps the table in its schema: a table of another schema is no candidate.
        unambiguous(&dropped, &created, |a, b| {
            split_table(&a.name).0 == split_table(&b.name).0 && shape(a) == shape(b)
        })
            .into_iter()
            .map(|(a, b)| RenameCandidate::Table {
                from: a.name.clone(),
                to: b.name.clone(),
            })
            .collect();
    for (old, new) in &matched.kept {
        let (Some(cur), Some(tgt)) = (current.table(old), target.table(new)) else {
            continue;
        };
        let m = columns::match_columns(cur, tgt);
        let gone: Vec<&Column> = m.dropped.iter().filter_map(|c| cur.column(c)).collect();
        let added: Vec<&Column> = m.added.iter().filter_map(|c| tgt.column(c)).collect();
        for (a, b) in unambiguous(&gone, &added, same_column) {
            out.push(RenameCandidate::Column {
                table: new.clone(),
                from: a.name.clone(),
                to: b.name.clone(),
            });
        }
    }
    out
}

/// `target` with the `renamed_from` hints that make the diff write `confirmed` as renames.
pub fn with_renames(mut target: Schema, confirmed: &[RenameCandidate]) -> Schema {
    for c in confirmed {
        match c {
            RenameCandidate::Table { from, to } => {
                if let Some(t) = target.table_mut(to) {
                    t.renamed_from = Some(from.clone());
                }
            }
            RenameCandidate::Column { table, from, to } => {
                if let Some(col) = target.table_mut(table).and_then(|t| t.column_mut(to)) {
                    col.renamed_from = Some(from.clone());
                }
            }
        }
    }
    target
}
