//! Dialect: sqlite, the table rebuild that performs the schema changes `ALTER TABLE` cannot.
//!
//! The procedure of <https://sqlite.org/lang_altertable.html> ("Making Other Kinds Of Table
//! Schema Changes"): create the table as it will be under a temporary name, copy the rows,
//! drop the old table, rename the new one, recreate its indexes. It must run with
//! `PRAGMA foreign_keys = OFF` (see [`crate::dialect::Dialect::run_prologue`]): otherwise
//! dropping a parent table fails or cascades to its children's rows.

use super::Sqlite;
use crate::dialect::{Dialect, RenderError};
use crate::schema::Table;

/// The prefix of the temporary table a rebuild creates.
pub(crate) const REBUILD_PREFIX: &str = "_strata_new_";

/// The statements that turn table `before` into `after` (same name) while keeping its rows.
///
/// Columns of `after` that exist in `before` (by name) are copied, and an AUTOINCREMENT
/// counter is carried over; columns only in `after` are
/// left out of the copy so their defaults apply. Columns that are renamed must be renamed
/// natively first (so other tables' foreign keys follow) and `before` given with the new name.
/// Foreign keys of `after` that point at the table itself keep its final name, which the
/// new table takes at the end.
pub(super) fn rebuild(
    d: &Sqlite,
    before: &Table,
    after: &Table,
) -> Result<Vec<String>, RenderError> {
    let name = &after.name;
    // Rendered once under the real name first, so that an error names the user's table.
    d.create_table_sql(after)?;
    let temp = format!("{REBUILD_PREFIX}{name}");
    let mut new = after.clone();
    new.name.clone_from(&temp);
    let kept: Vec<String> = after
        .columns
        .iter()
        .filter(|c| before.column(&c.name).is_some())
        .map(|c| d.quote_ident(&c.name))
        .collect();
    let mut out = vec![d.create_table_sql(&new)?];
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
    out.extend(after.indexes.iter().map(|ix| d.create_index_sql(name, ix)));
    Ok(out)
}
