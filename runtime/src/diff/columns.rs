//! Stage 4, diff: comparing the columns of a kept table (added, dropped, renamed, altered).

use std::collections::{BTreeMap, BTreeSet};

use super::Renames;
use crate::ops::{Change, DefaultChange, Op};
use crate::schema::{Column, ColumnDefault, SqlType, Table};

/// How the columns of a kept table pair up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ColumnMatch {
    /// Old name -> new name, for the columns renamed by a hint.
    pub renames: BTreeMap<String, String>,
    /// (current name, target name) of every column on both sides, in target order.
    pub pairs: Vec<(String, String)>,
    /// Target columns with no current counterpart, in target order.
    pub added: Vec<String>,
    /// Current columns with no target counterpart, in current order.
    pub dropped: Vec<String>,
}

/// Pairs the columns of `current` and `target` (two sides of one table). A target column
/// `new` with `renamed_from = old` pairs with the current column `old` when `old` exists in
/// current, `new` does not, and no other column already took `old`; otherwise the hint is
/// ignored (already applied).
pub(super) fn match_columns(current: &Table, target: &Table) -> ColumnMatch {
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    let mut m = ColumnMatch::default();
    let mut source: Vec<(&str, Option<&str>)> = Vec::new();
    for c in &target.columns {
        let renamed = c.renamed_from.as_deref().filter(|old| {
            current.column(old).is_some()
                && current.column(&c.name).is_none()
                && !taken.contains(old)
        });
        if let Some(old) = renamed {
            taken.insert(old);
            m.renames.insert(old.to_string(), c.name.clone());
        }
        source.push((&c.name, renamed));
    }
    for (new, renamed) in source {
        match renamed {
            Some(old) => m.pairs.push((old.to_string(), new.to_string())),
            None if current.column(new).is_some() && !taken.contains(new) => {
                taken.insert(new);
                m.pairs.push((new.to_string(), new.to_string()));
            }
            None => m.added.push(new.to_string()),
        }
    }
    m.dropped = current
        .columns
        .iter()
        .filter(|c| !taken.contains(c.name.as_str()))
        .map(|c| c.name.clone())
        .collect();
    m
}

/// The column ops of one kept table, in a safe order: the table comment, alterations (renames
/// included, each followed by the column's comment change), then
/// added columns, then the primary key change, then key columns becoming nullable, then
/// dropped columns. A column leaving the primary key can only drop NOT NULL once the key no
/// longer lists it (PostgreSQL refuses `DROP NOT NULL` on a key column), so that part of its
/// alteration is a second [`Op::AlterColumn`] after the key change. Differences no op can
/// express go to `notes`.
pub(super) fn column_ops(
    current: &Table,
    target: &Table,
    m: &ColumnMatch,
    renames: &Renames,
    ops: &mut Vec<Op>,
    notes: &mut Vec<String>,
) {
    let table = &target.name;
    let in_key = |t: &Table, name: &str| {
        t.primary_key
            .as_ref()
            .is_some_and(|pk| pk.columns.iter().any(|c| c == name))
    };
    let mut after_key = Vec::new();
    if current.comment != target.comment {
        ops.push(Op::AlterTableComment {
            table: table.clone(),
            comment: Change {
                from: current.comment.clone(),
                to: target.comment.clone(),
            },
        });
    }
    for (old, new) in &m.pairs {
        let (Some(cur), Some(tgt)) = (current.column(old), target.column(new)) else {
            continue;
        };
        let leaves_key =
            !cur.nullable && tgt.nullable && in_key(current, old) && !in_key(target, new);
        if leaves_key {
            let mut first = tgt.clone();
            first.nullable = false;
            ops.extend(alter(table, cur, &first));
            after_key.extend(alter(table, &first, tgt));
        } else if let Some(op) = alter(table, cur, tgt) {
            ops.push(op);
        }
        if cur.comment != tgt.comment {
            ops.push(Op::AlterColumnComment {
                table: table.clone(),
                column: new.clone(),
                comment: Change {
                    from: cur.comment.clone(),
                    to: tgt.comment.clone(),
                },
            });
        }
        if cur.autoincrement != tgt.autoincrement {
            notes.push(format!(
                "'{table}.{new}' {} autoincrement in the models but {} in the database; no \
                 operation changes this safely, so it is left as it is: write an `sql` step by \
                 hand if it must change",
                if tgt.autoincrement { "has" } else { "has no" },
                if cur.autoincrement { "has it" } else { "not" },
            ));
        }
    }
    for new in &m.added {
        if let Some(c) = target.column(new) {
            let mut column = c.clone();
            column.renamed_from = None;
            ops.push(Op::AddColumn {
                table: table.clone(),
                column,
            });
        }
    }
    let from = current.primary_key.clone().map(|mut pk| {
        pk.columns = renames.columns(&current.name, &pk.columns);
        pk
    });
    let before = from.as_ref().map(|pk| &pk.columns);
    let after = target.primary_key.as_ref().map(|pk| &pk.columns);
    if before != after {
        ops.push(Op::AlterPrimaryKey {
            table: table.clone(),
            from,
            to: target.primary_key.clone(),
        });
    }
    ops.extend(after_key);
    for old in &m.dropped {
        if let Some(c) = current.column(old) {
            ops.push(Op::DropColumn {
                table: table.clone(),
                column: c.clone(),
            });
        }
    }
}

/// The [`Op::AlterColumn`] turning `cur` into `tgt` (name, type, nullability, default), if
/// anything changes.
fn alter(table: &str, cur: &Column, tgt: &Column) -> Option<Op> {
    let rename = (cur.name != tgt.name).then(|| tgt.name.clone());
    let ty = (cur.ty != tgt.ty).then(|| Change {
        from: cur.ty.clone(),
        to: tgt.ty.clone(),
    });
    let nullable = (cur.nullable != tgt.nullable).then_some(Change {
        from: cur.nullable,
        to: tgt.nullable,
    });
    let default = (!same_default(&tgt.ty, cur.default.as_ref(), tgt.default.as_ref())).then(|| {
        DefaultChange {
            from: cur.default.clone(),
            to: tgt.default.clone(),
        }
    });
    if rename.is_none() && ty.is_none() && nullable.is_none() && default.is_none() {
        return None;
    }
    Some(Op::AlterColumn {
        table: table.to_string(),
        column: cur.name.clone(),
        rename,
        ty,
        nullable,
        default,
    })
}

/// Whether two defaults of a column of type `ty` mean the same (see
/// [`sql_text::same_default`](crate::dialect::sql_text::same_default)): literals by value,
/// whatever the spelling the database prints (`'0'`, `0.00`, `'x'::text`), the spellings of
/// the transaction's start time as one, other expressions in comparison form (PostgreSQL reads
/// `'a' || 'b'` back as `('a'::text || 'b'::text)`). Comparing the text would report a change
/// on every run.
pub(super) fn same_default(
    ty: &SqlType,
    a: Option<&ColumnDefault>,
    b: Option<&ColumnDefault>,
) -> bool {
    crate::dialect::sql_text::same_default(ty, a, b)
}
