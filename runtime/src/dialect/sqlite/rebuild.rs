//! Dialect: sqlite, the table rebuild that performs the schema changes `ALTER TABLE` cannot.
//!
//! The procedure of <https://sqlite.org/lang_altertable.html> ("Making Other Kinds Of Table
//! Schema Changes"): create the table as it will be under a temporary name, copy the rows,
//! drop the old table, rename the new one, then re-create everything attached to it. It must
//! run with `PRAGMA foreign_keys = OFF` (see [`crate::dialect::Dialect::run_prologue`]):
//! otherwise dropping a parent table fails or cascades to its children's rows; and its
//! statements must take effect together (the apply stage runs them in one transaction, even in
//! a `transactional = false` revision).
//!
//! What the neutral schema does not describe is carried over from the database's own text
//! ([`crate::schema::Unmodeled`]): triggers, indexes of a shape the schema cannot describe
//! (`COLLATE` columns, several expressions), generated columns, column collations and table options
//! (`WITHOUT ROWID`, `STRICT`). Views and other tables' triggers that name the table are
//! dropped before the swap and re-created after it (SQLite checks them when the new table is
//! renamed, and would fail on them). What cannot be carried over (a trigger, view or generated
//! column that uses a column the change drops) is refused before anything runs.

use std::collections::BTreeSet;

use super::ddl::{mentions, replace_ident};
use super::Sqlite;
use crate::dialect::{Ddl, DialectKind, RenderError, Syntax};
use crate::schema::unmodeled::Rename;
use crate::schema::{Table, Unmodeled, UnmodeledKind};

/// The prefix of the temporary table a rebuild creates.
pub(crate) const REBUILD_PREFIX: &str = "_strata_new_";

/// An object's text as it is now: its text when read, with the renames done since applied.
pub(super) fn current_text(d: &Sqlite, o: &Unmodeled) -> String {
    if matches!(
        o.kind,
        UnmodeledKind::Collation | UnmodeledKind::TableOptions
    ) {
        return o.sql.clone();
    }
    // The table the object belonged to when each rename happened: walk back to the name it
    // had when read, then forward again.
    let mut owner = o.table.clone();
    for r in o.renames.iter().rev() {
        if let Rename::Table { from, to } = r {
            if *to == owner && o.kind != UnmodeledKind::View {
                owner.clone_from(from);
            }
        }
    }
    let mut text = o.sql.clone();
    for r in &o.renames {
        match r {
            Rename::Table { from, to } => {
                if *from == owner && o.kind != UnmodeledKind::View {
                    owner.clone_from(to);
                }
                if mentions(&text, from) {
                    text = replace_ident(&text, from, &d.quote_ident(to));
                }
            }
            Rename::Name { from, to } => {
                text = replace_ident(&text, from, &d.quote_ident(to));
            }
            Rename::Column { table, from, to } => {
                // The text names the column only if it is about that table.
                let about = (o.kind != UnmodeledKind::View && owner == *table)
                    || (matches!(o.kind, UnmodeledKind::View | UnmodeledKind::Trigger)
                        && mentions(&text, table));
                if about && mentions(&text, from) {
                    text = replace_ident(&text, from, &d.quote_ident(to));
                }
            }
        }
    }
    text
}

fn kind_word(kind: UnmodeledKind) -> &'static str {
    match kind {
        UnmodeledKind::Index => "index",
        UnmodeledKind::Trigger => "trigger",
        UnmodeledKind::View => "view",
        UnmodeledKind::GeneratedColumn => "generated column",
        UnmodeledKind::Collation => "collation",
        UnmodeledKind::TableOptions => "table options",
    }
}

/// The views and other tables' triggers that name `table`, directly or through a view that
/// does: SQLite re-checks them when the rebuilt table is renamed into place, so they are
/// dropped before and re-created after. Indices into `objects`, in creation order.
fn dependents(table: &str, objects: &[(Unmodeled, String)]) -> Vec<usize> {
    let mut named: BTreeSet<String> = BTreeSet::from([table.to_lowercase()]);
    let mut hit: BTreeSet<usize> = BTreeSet::new();
    loop {
        let before = hit.len();
        for (i, (o, text)) in objects.iter().enumerate() {
            let candidate = match o.kind {
                UnmodeledKind::View => true,
                UnmodeledKind::Trigger => !o.belongs_to(table),
                _ => false,
            };
            if !candidate || hit.contains(&i) {
                continue;
            }
            if named.iter().any(|n| mentions(text, n)) {
                hit.insert(i);
                if o.kind == UnmodeledKind::View {
                    named.insert(o.name.to_lowercase());
                }
            }
        }
        if hit.len() == before {
            return hit.into_iter().collect();
        }
    }
}

/// The statements that turn table `before` into `after` (same name) while keeping its rows
/// and everything attached to it. `objects` are the database's unmodeled objects as they are
/// once the op has run (renames recorded).
///
/// Columns of `after` that exist in `before` (by name) are copied, and an AUTOINCREMENT
/// counter is carried over; columns only in `after` are left out of the copy so their
/// defaults apply. Columns that are renamed must be renamed natively first (so other tables'
/// foreign keys follow) and `before` given with the new name. Foreign keys of `after` that
/// point at the table itself keep its final name, which the new table takes at the end.
pub(super) fn rebuild(
    d: &Sqlite,
    before: &Table,
    after: &Table,
    objects: &[Unmodeled],
) -> Result<Vec<String>, RenderError> {
    let name = &after.name;
    // Rendered once under the real name first, so that an error names the user's table.
    d.create_table_sql(after)?;
    let objects: Vec<(Unmodeled, String)> = objects
        .iter()
        .map(|o| (o.clone(), current_text(d, o)))
        .collect();
    let dropped: Vec<&str> = before
        .columns
        .iter()
        .filter(|c| after.column(&c.name).is_none())
        .map(|c| c.name.as_str())
        .collect();
    let own: Vec<&(Unmodeled, String)> =
        objects.iter().filter(|(o, _)| o.belongs_to(name)).collect();
    let deps = dependents(name, &objects);

    // What would not survive the change is refused before anything runs.
    let refusals = own
        .iter()
        .copied()
        .filter(|(o, _)| {
            matches!(
                o.kind,
                UnmodeledKind::Trigger | UnmodeledKind::GeneratedColumn
            )
        })
        .chain(deps.iter().map(|&i| &objects[i]));
    for (o, text) in refusals {
        if let Some(col) = dropped.iter().find(|c| mentions(text, c)) {
            return Err(RenderError::Unsupported {
                dialect: DialectKind::Sqlite.name(),
                what: format!(
                    "dropping column `{name}.{col}`, which {} `{}` uses, in a table rebuild",
                    kind_word(o.kind),
                    o.name
                ),
                hint: Some(format!(
                    "Strata keeps triggers, views and generated columns when it rebuilds a \
                     table, and this one would break; drop or rewrite {} `{}` in an `sql` step \
                     before this one (and re-create it after, if it should stay)",
                    kind_word(o.kind),
                    o.name
                )),
            });
        }
    }

    let temp = format!("{REBUILD_PREFIX}{name}");
    let mut new = after.clone();
    new.name.clone_from(&temp);
    let mut out = Vec::new();
    for &i in deps.iter().rev() {
        let (o, _) = &objects[i];
        let what = if o.kind == UnmodeledKind::View {
            "VIEW"
        } else {
            "TRIGGER"
        };
        out.push(format!("DROP {what} {}", d.quote_ident(&o.name)));
    }
    out.push(create_sql(d, &new, &own)?);
    let kept: Vec<String> = after
        .columns
        .iter()
        .filter(|c| before.column(&c.name).is_some())
        .map(|c| d.quote_ident(&c.name))
        .collect();
    if !kept.is_empty() {
        let cols = kept.join(", ");
        out.push(format!(
            "INSERT INTO {} ({cols}) SELECT {cols} FROM {}",
            d.quote_ident(&temp),
            d.quote_ident(name)
        ));
    }
    if after.columns.iter().any(|c| c.autoincrement) {
        // Keep the AUTOINCREMENT high-water mark, so ids of deleted rows are never reused.
        out.push(format!(
            "DELETE FROM sqlite_sequence WHERE name = {}",
            d.quote_str(&temp)
        ));
        out.push(format!(
            "INSERT INTO sqlite_sequence (name, seq) SELECT {}, seq FROM sqlite_sequence \
             WHERE name = {}",
            d.quote_str(&temp),
            d.quote_str(name)
        ));
    }
    out.push(format!("DROP TABLE {}", d.quote_ident(name)));
    out.push(format!(
        "ALTER TABLE {} RENAME TO {}",
        d.quote_ident(&temp),
        d.quote_ident(name)
    ));
    // Indexes: a modelled one as the database wrote it when it has its own text (a COLLATE
    // column), else as Strata writes it (partial, expression and DESC ones included); then
    // those the model cannot describe (several expressions), unless they use a dropped column
    // (which drops them, as on PostgreSQL).
    let own_index = |ix: &str| {
        own.iter()
            .find(|(o, _)| o.kind == UnmodeledKind::Index && o.name == ix)
            .map(|(_, text)| text.clone())
    };
    for ix in &after.indexes {
        out.push(own_index(&ix.name).unwrap_or_else(|| d.create_index_sql(name, ix)));
    }
    for (o, text) in &own {
        let modelled = before.indexes.iter().any(|i| i.name == o.name)
            || after.indexes.iter().any(|i| i.name == o.name);
        if o.kind == UnmodeledKind::Index && !modelled && !dropped.iter().any(|c| mentions(text, c))
        {
            out.push(text.clone());
        }
    }
    // Views first (a trigger may read one), then triggers, each in creation order.
    for kind in [UnmodeledKind::View, UnmodeledKind::Trigger] {
        for (i, (o, text)) in objects.iter().enumerate() {
            let again =
                deps.contains(&i) || (o.kind == UnmodeledKind::Trigger && o.belongs_to(name));
            if o.kind == kind && again {
                out.push(text.clone());
            }
        }
    }
    Ok(out)
}

/// `CREATE TABLE` for the new table: the neutral definition, with the collations, generated
/// columns (at their positions) and table options the database had.
fn create_sql(
    d: &Sqlite,
    table: &Table,
    own: &[&(Unmodeled, String)],
) -> Result<String, RenderError> {
    let mut items = Vec::new();
    for c in &table.columns {
        let mut sql = d.column_sql(table, c)?;
        let collation = own
            .iter()
            .find(|(o, _)| o.kind == UnmodeledKind::Collation && o.name == c.name);
        if let Some((o, _)) = collation {
            sql.push_str(" COLLATE ");
            sql.push_str(&d.quote_ident(&o.sql));
        }
        items.push(sql);
    }
    let mut generated: Vec<&(Unmodeled, String)> = own
        .iter()
        .copied()
        .filter(|(o, _)| o.kind == UnmodeledKind::GeneratedColumn)
        .collect();
    generated.sort_by_key(|(o, _)| o.position);
    for (o, text) in generated {
        items.insert(o.position.min(items.len()), text.clone());
    }
    items.extend(d.table_primary_key_sql(table));
    items.extend(table.uniques.iter().map(|u| d.unique_sql(u)));
    items.extend(table.foreign_keys.iter().map(|f| d.foreign_key_sql(f)));
    items.extend(table.checks.iter().map(|c| d.check_sql(c)));
    let mut sql = format!(
        "CREATE TABLE {} (\n    {}\n)",
        d.quote_ident(&table.name),
        items.join(",\n    ")
    );
    if let Some((o, _)) = own
        .iter()
        .find(|(o, _)| o.kind == UnmodeledKind::TableOptions)
    {
        sql.push(' ');
        sql.push_str(&o.sql);
    }
    Ok(sql)
}
