//! Stage 4, diff: ordering tables by their foreign keys, cutting cycles.

use std::collections::{BTreeMap, BTreeSet};

use crate::schema::{ForeignKey, Table};

/// `tables` in an order where each comes after the tables (of the set) it references, so they
/// can be created in that order and dropped in the reverse one. Self-references do not count.
/// When foreign keys form a cycle, some are cut: removed from their table and returned as
/// (table, foreign key), to be added after every create (or dropped before every drop).
/// Deterministic: ties go by table name, and cycles are cut at the first table (by name) found
/// on one, cutting only its keys to tables of the same cycle.
pub(super) fn creation_order(tables: Vec<Table>) -> (Vec<Table>, Vec<(String, ForeignKey)>) {
    let mut remaining: BTreeMap<String, Table> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut order = Vec::new();
    let mut cut = Vec::new();
    while !remaining.is_empty() {
        let ready = remaining
            .values()
            .find(|t| deps(t, &remaining).is_empty())
            .map(|t| t.name.clone());
        let name = match ready {
            Some(name) => name,
            None => {
                let Some(on_cycle) = on_a_cycle(&remaining) else {
                    break; // unreachable: nothing ready means there is a cycle
                };
                // Cut the keys from `on_cycle` to tables that lead back to it.
                let back: BTreeSet<String> = remaining
                    .get(&on_cycle)
                    .map(|t| deps(t, &remaining))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|r| reaches(r, &on_cycle, &remaining))
                    .map(str::to_string)
                    .collect();
                if let Some(t) = remaining.get_mut(&on_cycle) {
                    let (cut_here, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut t.foreign_keys)
                        .into_iter()
                        .partition(|fk| back.contains(&fk.ref_table));
                    t.foreign_keys = keep;
                    cut.extend(cut_here.into_iter().map(|fk| (on_cycle.clone(), fk)));
                }
                continue;
            }
        };
        if let Some(t) = remaining.remove(&name) {
            order.push(t);
        }
    }
    // Whatever is left (nothing, by construction) keeps its name order.
    order.extend(remaining.into_values());
    (order, cut)
}

/// The tables of `set` that `t` references, itself excluded.
fn deps<'a>(t: &'a Table, set: &BTreeMap<String, Table>) -> BTreeSet<&'a str> {
    t.foreign_keys
        .iter()
        .map(|fk| fk.ref_table.as_str())
        .filter(|r| *r != t.name && set.contains_key(*r))
        .collect()
}

/// A table of `set` that lies on a foreign key cycle: walk from the first table along its first
/// dependency until a table repeats. Every table of a set with no ready table has a dependency,
/// so the walk always repeats.
fn on_a_cycle(set: &BTreeMap<String, Table>) -> Option<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut at = set.keys().next()?.as_str();
    loop {
        if let Some(i) = seen.iter().position(|s| *s == at) {
            // The cycle is seen[i..]; cut at its first table by name.
            return seen[i..].iter().min().map(|s| s.to_string());
        }
        seen.push(at);
        let t = set.get(at)?;
        at = deps(t, set).into_iter().next()?;
    }
}

/// Whether `to` is reachable from `from` along foreign keys between tables of `set`.
fn reaches(from: &str, to: &str, set: &BTreeMap<String, Table>) -> bool {
    let mut stack = vec![from];
    let mut seen = BTreeSet::new();
    while let Some(at) = stack.pop() {
        if at == to {
            return true;
        }
        if !seen.insert(at) {
            continue;
        }
        if let Some(t) = set.get(at) {
            stack.extend(deps(t, set));
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, SqlType};

    fn table(name: &str, refs: &[&str]) -> Table {
        Table {
            name: name.into(),
            columns: vec![Column::new("id", SqlType::Integer)],
            foreign_keys: refs
                .iter()
                .map(|r| ForeignKey {
                    name: format!("fk_{name}_{r}"),
                    columns: vec![format!("{r}_id")],
                    ref_table: (*r).into(),
                    ref_columns: vec!["id".into()],
                    on_delete: Default::default(),
                    on_update: Default::default(),
                })
                .collect(),
            ..Table::default()
        }
    }

    fn names(order: &[Table]) -> Vec<&str> {
        order.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn chain_is_ordered_referenced_first() {
        let (order, cut) = creation_order(vec![
            table("a_comments", &["b_posts", "c_users"]),
            table("b_posts", &["c_users"]),
            table("c_users", &[]),
        ]);
        assert_eq!(names(&order), ["c_users", "b_posts", "a_comments"]);
        assert!(cut.is_empty());
    }

    #[test]
    fn self_reference_and_outside_references_do_not_count() {
        let (order, cut) =
            creation_order(vec![table("b", &["b", "elsewhere"]), table("a", &["b"])]);
        assert_eq!(names(&order), ["b", "a"]);
        assert!(cut.is_empty());
        assert_eq!(order[0].foreign_keys.len(), 2);
    }

    #[test]
    fn two_cycle_is_cut_once() {
        let (order, cut) = creation_order(vec![table("a", &["b"]), table("b", &["a"])]);
        assert_eq!(names(&order), ["a", "b"]);
        assert_eq!(cut.len(), 1);
        assert_eq!(cut[0].0, "a");
        assert_eq!(cut[0].1.ref_table, "b");
        assert!(order[0].foreign_keys.is_empty());
        assert_eq!(order[1].foreign_keys.len(), 1);
    }

    #[test]
    fn only_cycle_keys_are_cut() {
        // z depends on the cycle x <-> y but is not on it; x also references w (no cycle).
        let (order, cut) = creation_order(vec![
            table("a_z", &["x"]),
            table("w", &[]),
            table("x", &["y", "w"]),
            table("y", &["x"]),
        ]);
        assert_eq!(names(&order), ["w", "x", "a_z", "y"]);
        assert_eq!(cut.len(), 1);
        assert_eq!((cut[0].0.as_str(), cut[0].1.ref_table.as_str()), ("x", "y"));
        assert_eq!(order[1].foreign_keys.len(), 1, "x keeps its key to w");
    }

    #[test]
    fn three_cycle() {
        let (order, cut) = creation_order(vec![
            table("a", &["b"]),
            table("b", &["c"]),
            table("c", &["a"]),
        ]);
        assert_eq!(cut.len(), 1);
        assert_eq!(names(&order), ["a", "c", "b"]);
    }
}
