//! Stage 4, diff: pairing the tables of both sides (by name, or by a `renamed_from` hint).

use std::collections::BTreeSet;

use crate::schema::Schema;

/// How the tables of both sides pair up.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct TableMatch {
    /// (current name, target name) of tables on both sides; the names differ for a rename.
    /// In target name order.
    pub kept: Vec<(String, String)>,
    /// Target tables with no current counterpart, in name order.
    pub created: Vec<String>,
    /// Current tables with no target counterpart, in name order.
    pub dropped: Vec<String>,
}

/// Pairs the tables of `current` and `target`. A target table `new` with `renamed_from = old`
/// pairs with the current table `old` when `old` exists in current, `new` does not, and no
/// other table already took `old`; otherwise the hint is ignored (already applied).
pub(super) fn match_tables(current: &Schema, target: &Schema) -> TableMatch {
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    // Renames first, so that a target table reusing a renamed-away name is a new table.
    let mut source: Vec<(&str, Option<&str>)> = Vec::new();
    for t in target.tables.values() {
        let renamed = t.renamed_from.as_deref().filter(|old| {
            current.table(old).is_some() && current.table(&t.name).is_none() && !taken.contains(old)
        });
        if let Some(old) = renamed {
            taken.insert(old);
        }
        source.push((&t.name, renamed));
    }
    let mut m = TableMatch::default();
    for (new, renamed) in source {
        match renamed {
            Some(old) => m.kept.push((old.to_string(), new.to_string())),
            None if current.table(new).is_some() && !taken.contains(new) => {
                taken.insert(new);
                m.kept.push((new.to_string(), new.to_string()));
            }
            None => m.created.push(new.to_string()),
        }
    }
    m.dropped = current
        .tables
        .keys()
        .filter(|n| !taken.contains(n.as_str()))
        .cloned()
        .collect();
    m
}
