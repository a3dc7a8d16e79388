//! Stage 4, diff: comparing two schemas and listing the ops that turn one into the other (no I/O).
//!
//! [`diff`] compares `current` (the database, introspected) with `target` (the models), both
//! already normalised by the caller, and returns a [`Changes`]: the upgrade ops in a safe order and
//! the downgrade ([`crate::ops::reverse_all`] of the upgrade).
//!
//! What is compared, and how:
//! - tables and columns by name; renames only from `renamed_from` hints on the target (a hint
//!   whose old name is gone, or whose new name already exists, is ignored: already renamed);
//!   [`rename_candidates`] lists the drops and adds of the same shape that may be renames, for
//!   the caller to confirm and turn into hints ([`with_renames`]);
//! - column type (including length / precision), nullability and default: one
//!   [`Op::AlterColumn`] per column, combined with the rename when there is one;
//! - indexes by columns, uniqueness, descending columns, method, expression and predicate
//!   (the last two by the dialect's comparison key), unique constraints by columns, foreign keys by columns,
//!   referenced table, referenced columns and actions (an action change is a drop and an add),
//!   the primary key by columns. Names are not compared: a database's own name is kept, and the
//!   database's name is the one used when dropping;
//! - check constraints by name and expression: databases rewrite check expressions
//!   (PostgreSQL adds casts and parentheses and expands `BETWEEN` and `IN`, MariaDB renames
//!   functions), so expressions compare by the dialect's comparison key
//!   ([`Catalog::check_expr_key`], through [`diff_on`]) and a changed one is a drop and an
//!   add; a conventional name follows a table rename, a renamed column is renamed in the
//!   current expression first, and checks left unpaired by name pair by expression (SQLite
//!   keeps a renamed table's check names as they were). The key ignores grouping
//!   parentheses, so a change that only moves them is not seen;
//! - table and column comments: an [`Op::AlterTableComment`] or [`Op::AlterColumnComment`]
//!   (SQLite has no comments: its normalisation drops the models' ones, so they never
//!   differ there);
//! - not compared: column order (the diff never reorders columns; added columns go last, as in
//!   Alembic) and `autoincrement`. No op can change `autoincrement` safely (dropping
//!   and re-adding an identity column loses data), so a difference is reported in
//!   [`Changes::notes`] (and [`Changes::warnings`]) instead of looping forever as a change that never
//!   goes away.
//!
//! Order of the upgrade (each step only needs what earlier steps made):
//! 1. drop foreign keys (those that changed, those pointing at dropped tables, and those that
//!    close a cycle among dropped tables);
//! 2. drop tables, referencing tables before the tables they reference; before step 3, because
//!    a dropped table's foreign key may rely on a unique constraint of a kept table that goes
//!    too (and, reversed, the downgrade re-adds that constraint before re-creating the table);
//! 3. drop indexes, unique and check constraints of kept tables;
//! 4. rename tables;
//! 5. per kept table: its comment, alter columns (renames included, each followed by its
//!    comment change), add columns, change the primary key, drop columns (the key moves off a
//!    column before that column goes);
//! 6. add unique constraints, check constraints and indexes of kept tables;
//! 7. create tables, each after the tables it references (self-references stay inline); new
//!    tables come after step 5 and 6 so that their foreign keys can use renamed or new columns
//!    and new unique constraints of kept tables;
//! 8. add foreign keys: new ones on kept tables, and those split out of created tables to
//!    break a cycle.
//!
//! The diff refuses two sets of changes that are almost always a setup mistake: an empty target
//! ([`DiffError::NoModels`]) and changes dropping every table ([`DiffError::WouldDropEverything`]).

mod columns;
mod constraints;
mod filter;
mod order;
mod renames;
mod spelling;
mod tables;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dialect::Catalog;
use crate::ops::{reverse_all, Irreversible, Op};
use crate::schema::{Schema, Table};

pub(crate) use filter::check_glob;
pub use renames::{rename_candidates, with_renames, RenameCandidate};
pub use spelling::with_model_spelling;

/// Whether `table` is another migration tool's version table (Alembic's `alembic_version`),
/// which the diff never touches and `adopt` leaves alone.
pub(crate) fn is_other_tools_table(table: &str) -> bool {
    filter::OTHER_TOOLS_TABLES.contains(&table)
}

/// Which tables the diff looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiffOptions {
    /// Glob patterns (`*`, `?`) of table names to compare; empty means every table.
    pub include: Vec<String>,
    /// Glob patterns of table names to ignore (`spatial_ref_sys`, `legacy_*`).
    pub exclude: Vec<String>,
}

impl DiffOptions {
    /// Whether the diff looks at the table `name`: never for Strata's own `strata_*` tables
    /// nor Alembic's `alembic_version` (a database adopted from Flask-Migrate keeps it),
    /// otherwise when it matches an `include` pattern (or there are none) and no `exclude` one.
    pub fn covers(&self, name: &str) -> bool {
        filter::covers(self, name)
    }
}

/// The ops that bring `current` to `target`, and those that take it back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// The upgrade, in a safe order.
    pub upgrade: Vec<Op>,
    /// The downgrade: the upgrade reversed.
    pub downgrade: Vec<Op>,
    /// Differences the diff found but no op expresses (an `autoincrement` change); they need a
    /// hand-written `sql` step.
    pub notes: Vec<String>,
}

impl Changes {
    /// Whether the schemas already match (no ops; notes may remain).
    pub fn is_empty(&self) -> bool {
        self.upgrade.is_empty()
    }

    /// What a reviewer must look at: every upgrade op that can lose data or fail on existing
    /// rows ([`Op::destructive`]), then the [`notes`](Changes::notes).
    pub fn warnings(&self) -> Vec<String> {
        self.upgrade
            .iter()
            .filter_map(Op::destructive)
            .chain(self.notes.iter().cloned())
            .collect()
    }
}

/// Changes the diff refuses to produce.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiffError {
    /// The target has no tables (after filtering).
    #[error(
        "no models are registered, so the target schema has no tables\n  \
         likely cause: the crate that defines your models is not linked into the migrate binary; \
         the linker drops crates nothing refers to. Add `use my_app as _;` (your models' crate) \
         to src/bin/migrate.rs\n  \
         also check the `include` / `exclude` table patterns, which may filter out every model"
    )]
    NoModels,
    /// The changes would drop every table of a non-empty database.
    #[error(
        "refusing to generate a migration that drops every table ({count} tables: {tables})\n  \
         likely cause: the models are not linked into the migrate binary (add `use my_app as _;` \
         with your models' crate to src/bin/migrate.rs), or they were all renamed without \
         `renamed_from` hints\n  \
         if dropping everything is really intended, write the migration by hand: `revision` \
         creates an empty migration file to fill in"
    )]
    WouldDropEverything {
        /// How many tables would be dropped.
        count: usize,
        /// Their names (the first few), comma separated.
        tables: String,
    },
    /// The upgrade cannot be reversed (cannot happen: the diff emits no `sql` steps).
    #[error(transparent)]
    Irreversible(#[from] Irreversible),
}

/// Renames decided by the diff, from current (old) names to target (new) names.
#[derive(Debug, Default)]
pub(crate) struct Renames {
    /// Old table name -> new table name.
    pub tables: BTreeMap<String, String>,
    /// Old table name -> (old column name -> new column name).
    pub columns: BTreeMap<String, BTreeMap<String, String>>,
}

impl Renames {
    /// The target name of the current table `old`.
    pub(crate) fn table<'a>(&'a self, old: &'a str) -> &'a str {
        self.tables.get(old).map_or(old, String::as_str)
    }

    /// The target name of the current column `old_table.old`.
    pub(crate) fn column<'a>(&'a self, old_table: &str, old: &'a str) -> &'a str {
        self.columns
            .get(old_table)
            .and_then(|m| m.get(old))
            .map_or(old, String::as_str)
    }

    /// `cols` of the current table `old_table`, in target names.
    pub(crate) fn columns(&self, old_table: &str, cols: &[String]) -> Vec<String> {
        cols.iter()
            .map(|c| self.column(old_table, c).to_string())
            .collect()
    }
}

/// The upgrade, step by step (see the module docs for the order and why).
#[derive(Debug, Default)]
pub(crate) struct Steps {
    pub create_schemas: Vec<Op>,
    pub drop_foreign_keys: Vec<Op>,
    pub drop_tables: Vec<Op>,
    pub drop_constraints: Vec<Op>,
    pub rename_tables: Vec<Op>,
    pub columns: Vec<Op>,
    pub add_constraints: Vec<Op>,
    pub create_tables: Vec<Op>,
    pub add_foreign_keys: Vec<Op>,
    pub drop_schemas: Vec<Op>,
}

impl Steps {
    fn into_ops(self) -> Vec<Op> {
        [
            self.create_schemas,
            self.drop_foreign_keys,
            self.drop_tables,
            self.drop_constraints,
            self.rename_tables,
            self.columns,
            self.add_constraints,
            self.create_tables,
            self.add_foreign_keys,
            self.drop_schemas,
        ]
        .concat()
    }
}

/// The ops that bring `current` (the database) to `target` (the models).
///
/// Tables outside `opts`, Strata's own `strata_*` tables and Alembic's `alembic_version` are
/// neither created, dropped nor altered. Fails with [`DiffError::NoModels`] when the target has no tables and with
/// [`DiffError::WouldDropEverything`] when every table of a non-empty `current` would go.
///
/// Check expressions compare in the form every dialect shares
/// ([`Catalog::check_expr_key`]'s default:
/// whitespace, case, quotes and grouping parentheses ignored), which is how SQLite stores
/// them; a schema read from PostgreSQL or MySQL needs [`diff_on`] with that dialect, whose
/// server rewrites them.
pub fn diff(current: &Schema, target: &Schema, opts: &DiffOptions) -> Result<Changes, DiffError> {
    diff_with(
        current,
        target,
        opts,
        &crate::dialect::check_text::check_expr_key,
    )
}

/// [`diff`] for a `current` schema read from a database of `dialect` and a `target`
/// normalised for it ([`Catalog::normalize`]): check expressions compare by the dialect's
/// [`Catalog::check_expr_key`], which sees through the server's own spelling of them. What
/// autogenerate runs.
pub fn diff_on<C: Catalog + ?Sized>(
    dialect: &C,
    current: &Schema,
    target: &Schema,
    opts: &DiffOptions,
) -> Result<Changes, DiffError> {
    diff_with(current, target, opts, &|expr: &str| {
        dialect.check_expr_key(expr)
    })
}

/// [`diff`], comparing check expressions by `check_key`.
fn diff_with(
    current: &Schema,
    target: &Schema,
    opts: &DiffOptions,
    check_key: &dyn Fn(&str) -> String,
) -> Result<Changes, DiffError> {
    let (current, target) = filter::compared(current, target, opts);
    if target.tables.is_empty() {
        return Err(DiffError::NoModels);
    }
    let matched = tables::match_tables(&current, &target);
    if !current.tables.is_empty() && matched.kept.is_empty() {
        let names: Vec<&str> = current.tables.keys().map(String::as_str).collect();
        let mut tables = names
            .iter()
            .take(10)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > 10 {
            tables.push_str(", ...");
        }
        return Err(DiffError::WouldDropEverything {
            count: names.len(),
            tables,
        });
    }
    compare_filtered(&current, &target, matched, check_key, false)
}

/// The ops that bring `current` to `target`, both read from databases of `dialect`, like
/// [`diff_on`] but without its guards: for comparing two live schemas (`migrate test`), where
/// an empty or wholly different schema is an answer, not a sign of unlinked models.
pub fn compare<C: Catalog + ?Sized>(
    dialect: &C,
    current: &Schema,
    target: &Schema,
) -> Result<Changes, DiffError> {
    let matched = tables::match_tables(current, target);
    compare_filtered(
        current,
        target,
        matched,
        &|expr: &str| dialect.check_expr_key(expr),
        true,
    )
}

/// [`compare`] for two dialect-neutral schemas (replayed from migration files), with the
/// check-expression key every dialect shares: what `migrate squash` composes a chain's net
/// effect with.
pub fn compare_neutral(current: &Schema, target: &Schema) -> Result<Changes, DiffError> {
    let matched = tables::match_tables(current, target);
    compare_filtered(
        current,
        target,
        matched,
        &crate::dialect::check_text::check_expr_key,
        true,
    )
}

fn compare_filtered(
    current: &Schema,
    target: &Schema,
    matched: tables::TableMatch,
    check_key: &dyn Fn(&str) -> String,
    drop_schemas: bool,
) -> Result<Changes, DiffError> {
    let mut renames = Renames::default();
    for (old, new) in &matched.kept {
        if old != new {
            renames.tables.insert(old.clone(), new.clone());
        }
    }
    let mut column_matches = Vec::new();
    for (old, new) in &matched.kept {
        if let (Some(cur), Some(tgt)) = (current.table(old), target.table(new)) {
            let m = columns::match_columns(cur, tgt);
            renames.columns.insert(old.clone(), m.renames.clone());
            column_matches.push((cur, tgt, m));
        }
    }

    let mut steps = Steps::default();
    let mut notes = Vec::new();

    // Schemas: created before anything goes in them. Dropped (empty, after everything) only
    // when comparing two complete schemas: a database read for autogenerate holds schemas
    // the models merely stopped using.
    for schema in target.schemas.difference(&current.schemas) {
        steps.create_schemas.push(Op::CreateSchema {
            schema: schema.clone(),
        });
    }
    if drop_schemas {
        for schema in current.schemas.difference(&target.schemas) {
            steps.drop_schemas.push(Op::DropSchema {
                schema: schema.clone(),
            });
        }
    }

    // Dropped tables: referencing ones first; foreign keys closing a cycle go beforehand.
    let dropped: Vec<Table> = matched
        .dropped
        .iter()
        .filter_map(|n| current.table(n).cloned())
        .collect();
    let (order, cut) = order::creation_order(dropped);
    for (table, fk) in cut {
        steps.drop_foreign_keys.push(Op::DropForeignKey {
            table,
            foreign_key: fk,
        });
    }
    for table in order.into_iter().rev() {
        steps.drop_tables.push(Op::DropTable {
            table: clear_hints(table),
        });
    }

    for (old, new) in &renames.tables {
        steps.rename_tables.push(Op::RenameTable {
            from: old.clone(),
            to: new.clone(),
        });
    }

    for (cur, tgt, m) in &column_matches {
        columns::column_ops(cur, tgt, m, &renames, &mut steps.columns, &mut notes);
        constraints::compare(cur, tgt, &current.naming, &renames, check_key, &mut steps);
    }

    // Created tables: referenced ones first; foreign keys closing a cycle are added afterwards.
    let created: Vec<Table> = matched
        .created
        .iter()
        .filter_map(|n| target.table(n).cloned())
        .collect();
    let (order, cut) = order::creation_order(created);
    for table in order {
        steps.create_tables.push(Op::CreateTable {
            table: clear_hints(table),
        });
    }
    for (table, fk) in cut {
        steps.add_foreign_keys.push(Op::AddForeignKey {
            table,
            foreign_key: fk,
        });
    }

    let upgrade = steps.into_ops();
    let downgrade = reverse_all(&upgrade)?;
    Ok(Changes {
        upgrade,
        downgrade,
        notes,
    })
}

/// `table` without rename hints (ops never carry them).
fn clear_hints(mut table: Table) -> Table {
    table.renamed_from = None;
    for c in &mut table.columns {
        c.renamed_from = None;
    }
    table
}

#[cfg(test)]
mod tests;
