//! Stage 5, ops: constraint and index names that follow a table or column rename.
//!
//! Strata names constraints and indexes after their table and columns, by the naming
//! convention the schema carries ([`crate::schema::Naming`], strata.toml's `[naming]`). When a
//! table or column is renamed, every name that is exactly the convention's name for the old
//! table or column is renamed to the convention's name for the new one, so that a later table
//! with the old name does not collide with `pk_<old>` (PostgreSQL index and constraint names
//! are per schema; SQLite index names per database).
//! Hand-chosen names stay. This module decides which names change; the dialect writes the SQL
//! ([`crate::dialect::Dialect::rename_names_sql`]).

use std::collections::BTreeSet;

use super::Op;
use crate::schema::naming::{NameChange, NameKind};
use crate::schema::Naming;
use crate::schema::{Schema, Table};

/// Every constraint and index name in `schema` (the names a rename must not take).
fn taken(schema: &Schema) -> BTreeSet<&str> {
    let mut out = BTreeSet::new();
    for t in schema.tables.values() {
        out.extend(t.primary_key.iter().map(|p| p.name.as_str()));
        out.extend(t.uniques.iter().map(|u| u.name.as_str()));
        out.extend(t.indexes.iter().map(|i| i.name.as_str()));
        out.extend(t.foreign_keys.iter().map(|f| f.name.as_str()));
        out.extend(t.checks.iter().map(|c| c.name.as_str()));
    }
    out
}

/// `cols` with `from` replaced by `to`.
fn renamed(cols: &[String], from: &str, to: &str) -> Vec<String> {
    cols.iter()
        .map(|c| if c == from { to.to_string() } else { c.clone() })
        .collect()
}

/// The names `t` (named `old` before and `new` after the op) changes: each object's name is
/// compared with `conventional(old, before-columns)` and, when equal, becomes
/// `conventional(new, after-columns)`, by `naming`.
fn changes_in(
    naming: &Naming,
    t: &Table,
    old: &str,
    new: &str,
    cols: impl Fn(&[String]) -> Vec<String>,
    table_renamed: bool,
    out: &mut Vec<NameChange>,
) {
    let mut push = |kind, from: &str, to: String| {
        if from != to {
            out.push(NameChange {
                table: new.to_string(),
                kind,
                from: from.to_string(),
                to,
            });
        }
    };
    if let Some(pk) = &t.primary_key {
        if pk.name == naming.primary_key(old, &pk.columns) {
            push(
                NameKind::PrimaryKey,
                &pk.name,
                naming.primary_key(new, &cols(&pk.columns)),
            );
        }
    }
    for u in &t.uniques {
        if u.name == naming.unique(old, &u.columns) {
            push(
                NameKind::Unique,
                &u.name,
                naming.unique(new, &cols(&u.columns)),
            );
        }
    }
    for i in &t.indexes {
        if i.name == naming.index(old, &i.columns) {
            push(
                NameKind::Index,
                &i.name,
                naming.index(new, &cols(&i.columns)),
            );
        }
    }
    for fk in &t.foreign_keys {
        if fk.name == naming.foreign_key(old, &fk.columns, &fk.ref_table) {
            let ref_table = if table_renamed && fk.ref_table == old {
                new
            } else {
                &fk.ref_table
            };
            push(
                NameKind::ForeignKey,
                &fk.name,
                naming.foreign_key(new, &cols(&fk.columns), ref_table),
            );
        }
    }
    if table_renamed {
        for ck in &t.checks {
            if let Some(s) = naming.check_own_name(old, &ck.name) {
                push(NameKind::Check, &ck.name, naming.check(new, &s));
            }
        }
    }
}

impl Op {
    /// The constraint and index names this op renames along with the table or column it
    /// renames (empty for every other op), given the schema `before` it runs: the names that
    /// are exactly the name `before`'s naming convention ([`Schema::naming`]) gives the old
    /// table or column become the convention's name for the new one; hand-chosen names stay.
    /// A table rename renames its primary key, unique, index, foreign key and check names and
    /// the foreign key names of other tables' foreign keys that reference it; a column rename
    /// the primary key, unique, index and foreign key names that list the column. A name is
    /// left as it is when the new name is already taken.
    pub fn name_changes(&self, before: &Schema) -> Vec<NameChange> {
        let mut out = Vec::new();
        let naming = &before.naming;
        match self {
            Op::RenameTable { from, to } if from != to => {
                let Some(t) = before.table(from) else {
                    return out;
                };
                changes_in(naming, t, from, to, <[String]>::to_vec, true, &mut out);
                for other in before.tables.values().filter(|o| o.name != *from) {
                    for fk in other.foreign_keys.iter().filter(|f| f.ref_table == *from) {
                        if fk.name == naming.foreign_key(&other.name, &fk.columns, from) {
                            out.push(NameChange {
                                table: other.name.clone(),
                                kind: NameKind::ForeignKey,
                                from: fk.name.clone(),
                                to: naming.foreign_key(&other.name, &fk.columns, to),
                            });
                        }
                    }
                }
            }
            Op::AlterColumn {
                table,
                column,
                rename: Some(new),
                ..
            } if new != column => {
                let Some(t) = before.table(table) else {
                    return out;
                };
                changes_in(
                    naming,
                    t,
                    table,
                    table,
                    |cols| renamed(cols, column, new),
                    false,
                    &mut out,
                );
                // Only the objects that list the column: the others keep their names anyway.
                out.retain(|c| c.from != c.to);
            }
            _ => return out,
        }
        // Never onto a name in use, nor two objects onto one name.
        let used = taken(before);
        let mut seen = BTreeSet::new();
        out.retain(|c| !used.contains(c.to.as_str()) && seen.insert(c.to.clone()));
        out
    }
}

/// Gives the objects of `schema` (already renamed by the op) their new names.
pub(super) fn apply_changes(schema: &mut Schema, changes: &[NameChange]) {
    for c in changes {
        let Some(t) = schema.table_mut(&c.table) else {
            continue;
        };
        let rename = |name: &mut String| {
            if *name == c.from {
                name.clone_from(&c.to);
            }
        };
        match c.kind {
            NameKind::PrimaryKey => t.primary_key.iter_mut().for_each(|p| rename(&mut p.name)),
            NameKind::Unique => t.uniques.iter_mut().for_each(|u| rename(&mut u.name)),
            NameKind::Index => t.indexes.iter_mut().for_each(|i| rename(&mut i.name)),
            NameKind::ForeignKey => t.foreign_keys.iter_mut().for_each(|f| rename(&mut f.name)),
            NameKind::Check => t.checks.iter_mut().for_each(|k| rename(&mut k.name)),
        }
    }
}

/// The check of `table` named `naming.check(table, s)` when `name` is
/// `naming.check(other, s)` (the conventional name it had before a table rename), the longest
/// such `s` first: how a drop written with the old name finds a check whose expression the
/// database rewrote.
fn renamed_check(naming: &Naming, table: &Table, name: &str) -> Option<String> {
    table
        .checks
        .iter()
        .filter_map(|c| {
            let s = naming.check_own_name(&table.name, &c.name)?;
            let fits = naming.is_check_named(name, &s);
            fits.then_some((s.len(), c.name.clone()))
        })
        .max()
        .map(|(_, n)| n)
}

impl Op {
    /// The name the constraint or index this op drops has in `table` (as it is before the op):
    /// the op's own name when the table has it, else the name of the one that does the same
    /// (an index with the same columns and uniqueness, a unique constraint or foreign key with
    /// the same columns and target, a check with the same expression, the table's primary
    /// key). A file written against a database where a rename kept the old names (SQLite
    /// keeps constraint names inside the table's definition) thus drops the right object
    /// where the rename renamed them (a check by `naming`, the convention of the table's
    /// schema). `None` for other ops, or when nothing matches.
    pub(crate) fn existing_name(&self, table: &Table, naming: &Naming) -> Option<String> {
        fn pick<T>(
            items: &[T],
            name: impl Fn(&T) -> &str,
            wanted: &str,
            same: impl Fn(&T) -> bool,
        ) -> Option<String> {
            items
                .iter()
                .find(|x| name(x) == wanted)
                .or_else(|| items.iter().find(|x| same(x)))
                .map(|x| name(x).to_string())
        }
        match self {
            // A unique index and a unique constraint are one thing where the database has one
            // kind of unique key (MySQL reads both back as a constraint): each op finds the
            // other when its own kind is missing.
            Op::DropIndex { index, .. } => pick(
                &table.indexes,
                |i| &i.name,
                &index.name,
                |i| i.columns == index.columns && i.unique == index.unique,
            )
            .or_else(|| {
                index
                    .unique
                    .then(|| {
                        pick(
                            &table.uniques,
                            |u| &u.name,
                            &index.name,
                            |u| u.columns == index.columns,
                        )
                    })
                    .flatten()
            }),
            Op::DropUnique { unique, .. } => pick(
                &table.uniques,
                |u| &u.name,
                &unique.name,
                |u| u.columns == unique.columns,
            )
            .or_else(|| {
                pick(
                    &table.indexes,
                    |i| &i.name,
                    &unique.name,
                    |i| i.unique && i.columns == unique.columns,
                )
            }),
            Op::DropForeignKey { foreign_key, .. } => pick(
                &table.foreign_keys,
                |f| &f.name,
                &foreign_key.name,
                |f| {
                    f.columns == foreign_key.columns
                        && f.ref_table == foreign_key.ref_table
                        && f.ref_columns == foreign_key.ref_columns
                },
            ),
            Op::DropCheck { check, .. } => pick(
                &table.checks,
                |c| &c.name,
                &check.name,
                |c| {
                    crate::dialect::sql_text::check_key(&c.expr)
                        == crate::dialect::sql_text::check_key(&check.expr)
                },
            )
            .or_else(|| renamed_check(naming, table, &check.name)),
            Op::AlterPrimaryKey { from: Some(_), .. } => {
                table.primary_key.as_ref().map(|p| p.name.clone())
            }
            _ => None,
        }
    }
}
