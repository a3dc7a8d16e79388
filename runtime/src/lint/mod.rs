//! Stage 6b, lint: what a migration's ops do to a live database beyond their result (data they lose, rows they fail on, locks and rewrites they cause), found from the ops and the schema they run on.
//!
//! The rules read [`Op`]s, never SQL text: each knows the table and column it is about from
//! the op and the schema before it. Rules about locks are the dialect's ([`Rule::dialect`]):
//! PostgreSQL's lock levels, MySQL's table copies, SQLite's table rebuilds (found by rendering
//! the op, so they are exactly the rebuilds that will run). With a database at hand the
//! [`Facts`] (row counts, NULLs, duplicates) sharpen the rules that depend on the rows.
//!
//! A finding is acknowledged in the revision file: `allow = ["drop-column"]` (every finding of
//! that rule in the revision) or `allow = ["drop-column users.bio"]` (that one), each entry
//! optionally followed by `: why`.

use std::collections::{BTreeMap, BTreeSet};

use crate::dialect::{volatile_default, Dialect};
use crate::ops::Op;
use crate::render::render_op;
use crate::schema::{ColumnDefault, Schema, SqlType};

/// A lint rule. Its [`Rule::name`] is what `allow` lists and findings print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// Dropping a table loses its rows.
    DropTable,
    /// Dropping a column loses its values, and breaks the running app that still reads it.
    DropColumn,
    /// A narrower type of the same kind (`varchar(120)` -> `varchar(80)`, `bigint` -> `integer`)
    /// fails on, or cuts, values that do not fit.
    NarrowType,
    /// A type of another kind that cannot hold every value (`double` -> `integer`,
    /// `timestamp` -> `date`, `text` -> `integer`): values are rounded, cut or refused.
    TruncatingCast,
    /// A NOT NULL column without a default added to an existing table fails on its rows.
    AddNotNullWithoutDefault,
    /// Making a column NOT NULL fails when a row holds NULL.
    SetNotNull,
    /// A unique key over columns whose values repeat fails.
    AddUnique,
    /// A rename breaks the running app's queries until it is deployed with the new name.
    RenameInUse,
    /// PostgreSQL: `CREATE INDEX` without `CONCURRENTLY` blocks writes to the table while it
    /// builds.
    CreateIndexNotConcurrently,
    /// PostgreSQL: adding a foreign key scans the table under a lock that blocks writes.
    AddForeignKeyValidating,
    /// PostgreSQL: adding a check constraint scans the table under an exclusive lock.
    AddCheckValidating,
    /// PostgreSQL: `SET NOT NULL` scans the table under an exclusive lock.
    SetNotNullScan,
    /// PostgreSQL: a type change that rewrites the table under an exclusive lock.
    AlterTypeRewrite,
    /// PostgreSQL: a column with a volatile default rewrites the table.
    AddColumnVolatileDefault,
    /// MySQL: the change copies the table (`ALGORITHM=COPY`), blocking writes for its length.
    TableCopy,
    /// SQLite: the change rebuilds the table (a copy of every row).
    TableRebuild,
}

impl Rule {
    /// Every rule, in the order the README documents them.
    pub const ALL: [Rule; 16] = [
        Rule::DropTable,
        Rule::DropColumn,
        Rule::NarrowType,
        Rule::TruncatingCast,
        Rule::AddNotNullWithoutDefault,
        Rule::SetNotNull,
        Rule::AddUnique,
        Rule::RenameInUse,
        Rule::CreateIndexNotConcurrently,
        Rule::AddForeignKeyValidating,
        Rule::AddCheckValidating,
        Rule::SetNotNullScan,
        Rule::AlterTypeRewrite,
        Rule::AddColumnVolatileDefault,
        Rule::TableCopy,
        Rule::TableRebuild,
    ];

    /// The rule's name, as `allow` lists it.
    pub const fn name(self) -> &'static str {
        match self {
            Rule::DropTable => "drop-table",
            Rule::DropColumn => "drop-column",
            Rule::NarrowType => "narrow-type",
            Rule::TruncatingCast => "truncating-cast",
            Rule::AddNotNullWithoutDefault => "add-not-null-without-default",
            Rule::SetNotNull => "set-not-null",
            Rule::AddUnique => "add-unique",
            Rule::RenameInUse => "rename-in-use",
            Rule::CreateIndexNotConcurrently => "create-index-not-concurrently",
            Rule::AddForeignKeyValidating => "add-foreign-key-validating",
            Rule::AddCheckValidating => "add-check-validating",
            Rule::SetNotNullScan => "set-not-null-scan",
            Rule::AlterTypeRewrite => "alter-type-rewrite",
            Rule::AddColumnVolatileDefault => "add-column-volatile-default",
            Rule::TableCopy => "table-copy",
            Rule::TableRebuild => "table-rebuild",
        }
    }

    /// The rule named `name`.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The dialect whose locks the rule is about (`None`: every dialect).
    pub const fn dialect(self) -> Option<&'static str> {
        match self {
            Rule::CreateIndexNotConcurrently
            | Rule::AddForeignKeyValidating
            | Rule::AddCheckValidating
            | Rule::SetNotNullScan
            | Rule::AlterTypeRewrite
            | Rule::AddColumnVolatileDefault => Some("postgres"),
            Rule::TableCopy => Some("mysql"),
            Rule::TableRebuild => Some("sqlite"),
            _ => None,
        }
    }

    /// Whether the revision's `online = true` renders the op in a form this rule does not
    /// apply to (PostgreSQL: `CREATE INDEX CONCURRENTLY`, `NOT VALID` then `VALIDATE`, NOT
    /// NULL through a validated check, a backfill in batches).
    pub const fn answered_online(self) -> bool {
        matches!(
            self,
            Rule::CreateIndexNotConcurrently
                | Rule::AddForeignKeyValidating
                | Rule::AddCheckValidating
                | Rule::SetNotNullScan
                | Rule::AddColumnVolatileDefault
        )
    }

    /// The safe way, in a few words.
    pub const fn fix(self) -> &'static str {
        match self {
            Rule::DropTable => "deploy code that no longer uses it first; keep a backup",
            Rule::DropColumn => {
                "deploy code that no longer reads it first, then drop it in a later migration"
            }
            Rule::NarrowType => "check that every value fits first, or keep the wider type",
            Rule::TruncatingCast => {
                "add a column of the new type, backfill it with an explicit conversion, then swap"
            }
            Rule::AddNotNullWithoutDefault => {
                "give it a default, or add it nullable, backfill it, then make it NOT NULL"
            }
            Rule::SetNotNull => "backfill the NULLs first, in an earlier migration",
            Rule::AddUnique => "remove the duplicates first, in an earlier migration",
            Rule::RenameInUse => {
                "add the new name, write both, move readers, then drop the old one (expand/contract)"
            }
            Rule::CreateIndexNotConcurrently => {
                "`online = true` in the revision's header (CREATE INDEX CONCURRENTLY)"
            }
            Rule::AddForeignKeyValidating => {
                "`online = true` in the revision's header (NOT VALID, then VALIDATE CONSTRAINT)"
            }
            Rule::AddCheckValidating => {
                "`online = true` in the revision's header (NOT VALID, then VALIDATE CONSTRAINT)"
            }
            Rule::SetNotNullScan => {
                "`online = true` in the revision's header (a validated CHECK, then SET NOT NULL)"
            }
            Rule::AlterTypeRewrite => {
                "add a column of the new type, backfill it in batches, then swap in a later step"
            }
            Rule::AddColumnVolatileDefault => {
                "`online = true` in the revision's header (added bare, backfilled in batches)"
            }
            Rule::TableCopy => "run it off-peak, or with an online schema change tool",
            Rule::TableRebuild => "run it when a pause of the table's writes is acceptable",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing a migration's op does beyond its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// The op's index among the revision's upgrade ops.
    pub step: usize,
    /// What it is about: `table` or `table.column`.
    pub target: String,
    /// What happens.
    pub what: String,
}

impl Finding {
    /// `rule target: what (fix)`, the line `lint` prints after the file and line.
    pub fn describe(&self) -> String {
        format!(
            "{} {}: {} ({})",
            self.rule,
            self.target,
            self.what,
            self.rule.fix()
        )
    }
}

/// What the database holds, for the rules that depend on its rows; every map is keyed by
/// table name. Gathered by the caller when connected ([`Facts::needed`] says what to count).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Rows per table.
    pub rows: BTreeMap<String, i64>,
    /// NULLs per (table, column).
    pub nulls: BTreeMap<(String, String), i64>,
    /// Values that repeat per (table, columns): the number of groups of equal values.
    pub duplicates: BTreeMap<(String, Vec<String>), i64>,
}

/// What to count for [`Facts`]: tables, (table, column) NULLs, (table, columns) duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needed {
    /// Tables whose rows to count.
    pub rows: BTreeSet<String>,
    /// Columns whose NULLs to count.
    pub nulls: BTreeSet<(String, String)>,
    /// Column lists whose repeated values to count.
    pub duplicates: BTreeSet<(String, Vec<String>)>,
}

impl Facts {
    /// What [`lint`] would read from facts for `ops` on `before` (the tables that exist before
    /// the migration only: new tables have no rows).
    pub fn needed(ops: &[Op], before: &Schema) -> Needed {
        let mut n = Needed::default();
        let exists = |t: &str| before.table(t).is_some();
        for op in ops {
            match op {
                Op::AlterColumn {
                    table,
                    column,
                    nullable: Some(c),
                    ..
                } if c.from && !c.to && exists(table) => {
                    n.nulls.insert((table.clone(), column.clone()));
                }
                Op::AddUnique { table, unique } if exists(table) => {
                    n.duplicates.insert((table.clone(), unique.columns.clone()));
                }
                Op::CreateIndex { table, index } if index.unique && exists(table) => {
                    n.duplicates.insert((table.clone(), index.columns.clone()));
                }
                _ => {}
            }
            if let Some(t) = op.table().filter(|t| exists(t)) {
                n.rows.insert(t.to_string());
            }
        }
        n
    }
}

/// The findings of `ops` (one revision's upgrade) on `before`, for `dialect`; `facts` when
/// connected; `online` when the revision says `online = true`, whose forms make the locking
/// rules they answer ([`Rule::answered_online`]) pass on a dialect that has them.
pub fn lint(
    ops: &[Op],
    before: &Schema,
    dialect: &dyn Dialect,
    facts: Option<&Facts>,
    online: bool,
) -> Vec<Finding> {
    let online = online && dialect.online_forms();
    let mut out = Vec::new();
    let mut schema = before.clone();
    // Tables this migration creates: nothing in them to lose, lock or scan.
    let mut created: BTreeSet<String> = BTreeSet::new();
    let on = dialect.name();
    for (step, op) in ops.iter().enumerate() {
        let mut creates = None;
        let existing = |t: &str| schema.table(t).is_some() && !created.contains(t);
        let mut find = |rule: Rule, target: String, what: String| {
            if rule.dialect().is_none_or(|d| d == on) && !(online && rule.answered_online()) {
                out.push(Finding {
                    rule,
                    step,
                    target,
                    what,
                });
            }
        };
        let rows = |t: &str| facts.and_then(|f| f.rows.get(t).copied());
        let rows_note = |t: &str| match rows(t) {
            Some(n) => format!(" ({n} rows)"),
            None => String::new(),
        };
        match op {
            Op::CreateTable { table } => creates = Some(table.name.clone()),
            Op::DropTable { table } if existing(&table.name) => find(
                Rule::DropTable,
                table.name.clone(),
                format!("drops the table and its rows{}", rows_note(&table.name)),
            ),
            Op::RenameTable { from, to } if existing(from) => find(
                Rule::RenameInUse,
                from.clone(),
                format!("renames the table to `{to}`; queries naming `{from}` fail"),
            ),
            Op::AddColumn { table, column } if existing(table) => {
                if !column.nullable && column.default.is_none() && !column.autoincrement {
                    let fails = match rows(table) {
                        Some(0) => None,
                        Some(n) => Some(format!("fails on the table's {n} rows")),
                        None => Some("fails if the table has rows".into()),
                    };
                    if let Some(fails) = fails {
                        find(
                            Rule::AddNotNullWithoutDefault,
                            format!("{table}.{}", column.name),
                            format!("adds a NOT NULL column without a default: {fails}"),
                        );
                    }
                }
                if let Some(ColumnDefault::Sql { sql }) = &column.default {
                    if volatile_default(sql) {
                        find(
                            Rule::AddColumnVolatileDefault,
                            format!("{table}.{}", column.name),
                            format!(
                                "the volatile default `{sql}` rewrites every row{} under an \
                                 exclusive lock",
                                rows_note(table)
                            ),
                        );
                    }
                }
            }
            Op::DropColumn { table, column } if existing(table) => find(
                Rule::DropColumn,
                format!("{table}.{}", column.name),
                "drops the column and its values".into(),
            ),
            Op::AlterColumn {
                table,
                column,
                rename,
                ty,
                nullable,
                ..
            } if existing(table) => {
                let target = format!("{table}.{column}");
                if let Some(new) = rename {
                    find(
                        Rule::RenameInUse,
                        target.clone(),
                        format!("renames the column to `{new}`; queries naming `{column}` fail"),
                    );
                }
                if let Some(c) = ty {
                    if c.from.narrows_to(&c.to) {
                        let rule = if same_kind(&c.from, &c.to) {
                            Rule::NarrowType
                        } else {
                            Rule::TruncatingCast
                        };
                        find(
                            rule,
                            target.clone(),
                            format!(
                                "changes the type from {} to {}: values that do not fit are \
                                 refused or cut",
                                c.from, c.to
                            ),
                        );
                    }
                    if rewrites_on_postgres(&c.from, &c.to) {
                        find(
                            Rule::AlterTypeRewrite,
                            target.clone(),
                            format!(
                                "changing the type from {} to {} rewrites the table{} under an \
                                 exclusive lock",
                                c.from,
                                c.to,
                                rows_note(table)
                            ),
                        );
                    }
                    if copies_on_mysql(&c.from, &c.to) {
                        find(
                            Rule::TableCopy,
                            target.clone(),
                            format!(
                                "changing the type from {} to {} copies the table{}",
                                c.from,
                                c.to,
                                rows_note(table)
                            ),
                        );
                    }
                }
                if nullable.as_ref().is_some_and(|c| c.from && !c.to) {
                    let nulls =
                        facts.and_then(|f| f.nulls.get(&(table.clone(), column.clone())).copied());
                    match nulls {
                        Some(0) => {}
                        Some(n) => find(
                            Rule::SetNotNull,
                            target.clone(),
                            format!(
                                "makes the column NOT NULL: fails on the {n} rows holding NULL"
                            ),
                        ),
                        None => find(
                            Rule::SetNotNull,
                            target.clone(),
                            "makes the column NOT NULL: fails if any row holds NULL".into(),
                        ),
                    }
                    find(
                        Rule::SetNotNullScan,
                        target,
                        format!(
                            "SET NOT NULL scans the table{} under an exclusive lock",
                            rows_note(table)
                        ),
                    );
                }
            }
            Op::AddUnique { table, unique } if existing(table) => {
                unique_finding(&mut find, facts, table, &unique.columns);
            }
            Op::CreateIndex { table, index } if existing(table) => {
                if index.unique {
                    unique_finding(&mut find, facts, table, &index.columns);
                }
                find(
                    Rule::CreateIndexNotConcurrently,
                    format!("{table}.{}", index.name),
                    format!(
                        "CREATE INDEX blocks writes to the table{} while it builds",
                        rows_note(table)
                    ),
                );
            }
            Op::AddForeignKey { table, foreign_key } if existing(table) => {
                find(
                    Rule::AddForeignKeyValidating,
                    format!("{table}.{}", foreign_key.name),
                    format!(
                        "checks every row{} under a lock that blocks writes to `{table}` and \
                         `{}`",
                        rows_note(table),
                        foreign_key.ref_table
                    ),
                );
                find(
                    Rule::TableCopy,
                    format!("{table}.{}", foreign_key.name),
                    format!(
                        "adding a foreign key with foreign_key_checks on copies the table{}",
                        rows_note(table)
                    ),
                );
            }
            Op::AlterPrimaryKey {
                table,
                from: Some(_),
                to: None,
            } if existing(table) => find(
                Rule::TableCopy,
                table.clone(),
                format!(
                    "dropping the primary key without adding another copies the table{}",
                    rows_note(table)
                ),
            ),
            Op::AddCheck { table, check } if existing(table) => find(
                Rule::AddCheckValidating,
                format!("{table}.{}", check.name),
                format!(
                    "checks every row{} under an exclusive lock",
                    rows_note(table)
                ),
            ),
            _ => {}
        }
        // SQLite's rebuilds are what rendering says they are.
        if on == "sqlite" {
            if let (Some(t), Ok(st)) = (op.table(), render_op(op, dialect, &schema)) {
                if st.rebuilt.is_some() && existing(t) {
                    find(
                        Rule::TableRebuild,
                        t.to_string(),
                        format!("rebuilds the table{}: a copy of every row", rows_note(t)),
                    );
                }
            }
        }
        created.extend(creates);
        if op.apply(&mut schema).is_err() {
            // The ops do not fit the schema: rendering says so, with the op; stop here.
            break;
        }
    }
    out
}

fn unique_finding(
    find: &mut impl FnMut(Rule, String, String),
    facts: Option<&Facts>,
    table: &str,
    columns: &[String],
) {
    let Some(dups) = facts.and_then(|f| {
        f.duplicates
            .get(&(table.to_string(), columns.to_vec()))
            .copied()
    }) else {
        return;
    };
    if dups > 0 {
        find(
            Rule::AddUnique,
            format!("{table}.{}", columns.join(",")),
            format!(
                "a unique key over ({}): {dups} value(s) repeat",
                columns.join(", ")
            ),
        );
    }
}

/// Whether two types are of one kind (so a narrowing is a narrower size, not a conversion).
fn same_kind(a: &SqlType, b: &SqlType) -> bool {
    use SqlType::*;
    let kind = |t: &SqlType| match t {
        SmallInt | Integer | BigInt => 0,
        Real | Double => 1,
        Decimal { .. } => 2,
        Text | Varchar(_) => 3,
        Timestamp | TimestampTz => 4,
        _ => 5,
    };
    kind(a) == kind(b) && kind(a) != 5
}

/// Whether PostgreSQL rewrites the table for this type change: every change but a wider
/// varchar, varchar to text, a wider numeric of the same scale, and timestamp to timestamptz
/// in UTC sessions (kept as a rewrite here: the session's time zone decides).
fn rewrites_on_postgres(from: &SqlType, to: &SqlType) -> bool {
    use SqlType::*;
    match (from, to) {
        (Varchar(a), Varchar(b)) => b < a,
        (Varchar(_), Text) => false,
        (
            Decimal {
                precision: Some(p1),
                scale: s1,
            },
            Decimal {
                precision: p2,
                scale: s2,
            },
        ) => !(s1 == s2 && p2.is_none_or(|p2| p2 >= *p1)),
        (a, b) => a != b,
    }
}

/// Whether MySQL copies the table for this type change (`ALGORITHM=COPY`): every change but a
/// wider varchar that keeps its length bytes (up to 255 bytes, or from 256 on; utf8mb4: 63 /
/// 64 characters).
fn copies_on_mysql(from: &SqlType, to: &SqlType) -> bool {
    match (from, to) {
        (SqlType::Varchar(a), SqlType::Varchar(b)) => !(b >= a && ((*a <= 63) == (*b <= 63))),
        (a, b) => a != b,
    }
}

/// One entry of a revision's `allow` list: a rule, optionally the one target, optionally why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    /// The rule.
    pub rule: Rule,
    /// The target (`table` or `table.column`); `None`: every finding of the rule.
    pub target: Option<String>,
    /// Why, when given.
    pub reason: Option<String>,
}

impl Allow {
    /// Parses `rule`, `rule target` or either followed by `: why`. The error names the rule
    /// names there are.
    pub fn parse(entry: &str) -> Result<Allow, String> {
        let (head, reason) = match entry.split_once(':') {
            Some((h, r)) => (
                h.trim(),
                Some(r.trim().to_string()).filter(|r| !r.is_empty()),
            ),
            None => (entry.trim(), None),
        };
        let mut words = head.split_whitespace();
        let name = words.next().unwrap_or_default();
        let rule = Rule::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Rule::ALL.iter().map(|r| r.name()).collect();
            format!(
                "`{entry}` does not name a lint rule; the rules are: {}",
                names.join(", ")
            )
        })?;
        let target = words.next().map(str::to_string);
        if let Some(extra) = words.next() {
            return Err(format!(
                "`{entry}`: `{extra}` after the target; write `rule target: why`"
            ));
        }
        Ok(Allow {
            rule,
            target,
            reason,
        })
    }

    /// Whether this entry acknowledges `f`.
    pub fn covers(&self, f: &Finding) -> bool {
        self.rule == f.rule && self.target.as_ref().is_none_or(|t| *t == f.target)
    }
}

impl std::fmt::Display for Allow {
    /// As the file writes it: `rule[ target][: why]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.rule.name())?;
        if let Some(t) = &self.target {
            write!(f, " {t}")?;
        }
        if let Some(r) = &self.reason {
            write!(f, ": {r}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
