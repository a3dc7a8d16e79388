//! Stage 4, diff: comparing the indexes and constraints of a kept table.
//!
//! Current constraints are first translated to target names (renamed tables and columns), then
//! compared by what they do, not by name: indexes by columns, uniqueness, descending columns,
//! method, expression and predicate (these two by the dialect's key), unique constraints
//! by columns, foreign keys by columns, referenced table and columns and actions. Check
//! constraints compare by name (a conventional name translated through a table rename) and
//! expression, through the dialect's comparison key since databases rewrite expressions
//! ([`Catalog::check_expr_key`](crate::dialect::Catalog::check_expr_key)); then the
//! leftovers by expression alone: a SQLite table rename keeps a check's old name inside the
//! table's definition. A dropped constraint is the current one as it is (database name, old table and
//! column names: drops run before renames); an added one is the target's.

use std::collections::BTreeMap;

use super::{Renames, Steps};
use crate::dialect::sql_text::rename_in_expr;
use crate::ops::Op;
use crate::schema::Table;

/// Items of `current` and of `target` that have no counterpart with the same key on the other
/// side (a multiset difference: two equal items pair with two).
fn unpaired<'a, 'b, A, B, K: PartialEq>(
    current: &'a [A],
    target: &'b [B],
    key_current: impl Fn(&A) -> K,
    key_target: impl Fn(&B) -> K,
) -> (Vec<&'a A>, Vec<&'b B>) {
    let mut used = vec![false; current.len()];
    let mut added = Vec::new();
    for t in target {
        let k = key_target(t);
        let found = current
            .iter()
            .enumerate()
            .find(|(i, c)| !used[*i] && key_current(c) == k);
        match found {
            Some((i, _)) => used[i] = true,
            None => added.push(t),
        }
    }
    let removed = current
        .iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(c, _)| c)
        .collect();
    (removed, added)
}

/// The name each check of `current` takes when the table is renamed to `new`
/// ([`Op::name_changes`], by `naming`).
fn check_names_after_rename(
    current: &Table,
    new: &str,
    naming: &crate::schema::Naming,
) -> impl Fn(&str) -> String {
    let mut one = crate::schema::Schema::with_naming(naming.clone());
    one.insert(current.clone());
    let changes = Op::RenameTable {
        from: current.name.clone(),
        to: new.to_string(),
    }
    .name_changes(&one);
    move |name: &str| {
        changes
            .iter()
            .find(|c| c.from == name && c.kind == crate::ops::NameKind::Check)
            .map_or_else(|| name.to_string(), |c| c.to.clone())
    }
}

/// `expr` with the columns `renames` renames (old -> new) under their new names. Through
/// placeholders first, so that two columns swapping names are both renamed.
fn renamed_in_expr(expr: &str, renames: Option<&BTreeMap<String, String>>) -> String {
    let Some(renames) = renames.filter(|r| !r.is_empty()) else {
        return expr.to_string();
    };
    let placeholder = |i: usize| format!("\u{1}strata{i}");
    let mut out = expr.to_string();
    for (i, old) in renames.keys().enumerate() {
        out = rename_in_expr(&out, old, &placeholder(i));
    }
    for (i, new) in renames.values().enumerate() {
        out = rename_in_expr(&out, &placeholder(i), new);
    }
    out
}

/// Adds to `steps` the ops that bring the indexes and constraints of `current` (a kept table,
/// current names) to those of `target`. The primary key is handled with the columns; check
/// expressions compare by `check_key` (the dialect's comparison form); check names after a
/// table rename by `naming`, the current schema's convention.
pub(super) fn compare(
    current: &Table,
    target: &Table,
    naming: &crate::schema::Naming,
    renames: &Renames,
    check_key: &dyn Fn(&str) -> String,
    steps: &mut Steps,
) {
    let old = current.name.as_str();
    let new = &target.name;
    let cols = |c: &[String]| renames.columns(old, c);

    // Foreign keys.
    let (removed, added) = unpaired(
        &current.foreign_keys,
        &target.foreign_keys,
        |fk| {
            (
                cols(&fk.columns),
                renames.table(&fk.ref_table).to_string(),
                renames.columns(&fk.ref_table, &fk.ref_columns),
                fk.on_delete,
                fk.on_update,
            )
        },
        |fk| {
            (
                fk.columns.clone(),
                fk.ref_table.clone(),
                fk.ref_columns.clone(),
                fk.on_delete,
                fk.on_update,
            )
        },
    );
    for fk in removed {
        steps.drop_foreign_keys.push(Op::DropForeignKey {
            table: old.to_string(),
            foreign_key: fk.clone(),
        });
    }
    for fk in added {
        steps.add_foreign_keys.push(Op::AddForeignKey {
            table: new.clone(),
            foreign_key: fk.clone(),
        });
    }

    // Unique constraints.
    let (removed, added) = unpaired(
        &current.uniques,
        &target.uniques,
        |u| cols(&u.columns),
        |u| u.columns.clone(),
    );
    for u in removed {
        steps.drop_constraints.push(Op::DropUnique {
            table: old.to_string(),
            unique: u.clone(),
        });
    }
    for u in added {
        steps.add_constraints.push(Op::AddUnique {
            table: new.clone(),
            unique: u.clone(),
        });
    }

    // Check constraints, by name (a table rename renames a conventional `ck_<old>_x`, so it
    // is compared as `ck_<new>_x`) and expression key (the current expression in the target's
    // column names); then the leftovers by expression alone, since a check renamed on SQLite
    // keeps its old name inside the table's definition. A check whose expression changed is
    // left over on both sides: dropped and added again.
    let check_name = check_names_after_rename(current, new, naming);
    let column_renames = renames.columns.get(old);
    let current_key = |expr: &str| check_key(&renamed_in_expr(expr, column_renames));
    let (removed, added) = unpaired(
        &current.checks,
        &target.checks,
        |c| (check_name(&c.name), current_key(&c.expr)),
        |c| (c.name.clone(), check_key(&c.expr)),
    );
    let (removed, added) = unpaired(
        &removed,
        &added,
        |c| current_key(&c.expr),
        |c| check_key(&c.expr),
    );
    for c in removed {
        steps.drop_constraints.push(Op::DropCheck {
            table: old.to_string(),
            check: (*c).clone(),
        });
    }
    for c in added {
        steps.add_constraints.push(Op::AddCheck {
            table: new.clone(),
            check: (*c).clone(),
        });
    }

    // Indexes, by what they do: columns, uniqueness, descending columns, method, and the
    // expression and predicate by the dialect's key (the current ones in the target's
    // column names). A partial unique index the database rewrote compares equal.
    let text_key = |text: &Option<String>| text.as_deref().map(&current_key);
    let (removed, added) = unpaired(
        &current.indexes,
        &target.indexes,
        |i| {
            let mut desc = cols(&i.desc);
            desc.sort();
            let keys = (text_key(&i.expr), text_key(&i.where_));
            (cols(&i.columns), i.unique, desc, i.method(), keys)
        },
        |i| {
            let mut desc = i.desc.clone();
            desc.sort();
            let keys = (
                i.expr.as_deref().map(check_key),
                i.where_.as_deref().map(check_key),
            );
            (i.columns.clone(), i.unique, desc, i.method(), keys)
        },
    );
    for i in removed {
        steps.drop_constraints.push(Op::DropIndex {
            table: old.to_string(),
            index: i.clone(),
        });
    }
    for i in added {
        steps.add_constraints.push(Op::CreateIndex {
            table: new.clone(),
            index: i.clone(),
        });
    }
}
