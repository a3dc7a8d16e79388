//! Dialect layer: DDL, one overridable method per op with the standard SQL as its default.
//!
//! The render stage matches each `Op` once, checks it fits the schema,
//! works out what the op leaves behind ([`OpContext`]), and calls the one method here that
//! writes its SQL. A dialect overrides only what it spells differently: PostgreSQL its
//! identity columns, `USING` casts and comments; SQLite the table rebuilds its `ALTER TABLE`
//! cannot do without.

use std::fmt;

use super::{RenderError, Syntax};
use crate::schema::naming::{NameChange, NameKind};
use crate::schema::{qualify, split_table, table_name};
use crate::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, Schema,
    SqlType, Table, Unique, Unmodeled,
};

/// What an op is rendered against, worked out by the render stage.
#[derive(Debug, Clone, Copy)]
pub struct OpContext<'a> {
    /// The whole schema before the op.
    pub before: &'a Schema,
    /// The op's table before it (`None` for `create_table`).
    pub table: Option<&'a Table>,
    /// The op's table once the op has run (`None` for `drop_table`).
    pub after: Option<&'a Table>,
    /// The objects Strata does not model ([`Schema::unmodeled`]) once the op has run.
    pub objects: &'a [Unmodeled],
    /// The constraint and index names the op renames along with a table or column.
    pub names: &'a [NameChange],
    /// For an op that drops a constraint or index: its name in the database, when a rename
    /// gave it another name since the migration was written.
    pub dropped_name: Option<&'a str>,
    /// The revision asks for the forms that do not block the table's readers and writers
    /// (`online = true`, see [`Ddl::online_forms`]); a dialect without such forms ignores it.
    pub online: bool,
}

impl<'a> OpContext<'a> {
    /// The op's table before it; an error for ops without one (a bug, never a panic).
    pub fn table(&self) -> Result<&'a Table, RenderError> {
        self.table
            .ok_or_else(|| RenderError::Inconsistent("the op has no table before it".into()))
    }

    /// The op's table once it has run; an error for ops without one.
    pub fn after(&self) -> Result<&'a Table, RenderError> {
        self.after
            .ok_or_else(|| RenderError::Inconsistent("the op has no table after it".into()))
    }

    /// The name to drop: the one in the database, else `name`.
    pub fn dropped<'n>(&self, name: &'n str) -> &'n str
    where
        'a: 'n,
    {
        self.dropped_name.unwrap_or(name)
    }
}

/// A column change: only what really changes, each as (from, to).
#[derive(Debug, Clone, Copy, Default)]
pub struct ColumnChange<'a> {
    /// A new name.
    pub rename: Option<&'a str>,
    /// A type change.
    pub ty: Option<(&'a SqlType, &'a SqlType)>,
    /// A nullability change.
    pub nullable: Option<(bool, bool)>,
    /// A default change.
    pub default: Option<(Option<&'a ColumnDefault>, Option<&'a ColumnDefault>)>,
    /// With a rename: the table as it is once only the rename has run.
    pub renamed: Option<&'a Table>,
}

impl ColumnChange<'_> {
    /// Whether anything but the name changes.
    pub fn changes_definition(&self) -> bool {
        self.ty.is_some() || self.nullable.is_some() || self.default.is_some()
    }
}

/// The SQL an op renders to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statements {
    /// The statements, in order, without trailing semicolons.
    pub sql: Vec<String>,
    /// The table the statements re-create (SQLite's table rebuild): they must take effect
    /// together, and the foreign keys of and to that table are checked afterwards.
    pub rebuilt: Option<String>,
}

impl From<Vec<String>> for Statements {
    fn from(sql: Vec<String>) -> Self {
        Statements { sql, rebuilt: None }
    }
}

/// `name` (an index or constraint name) in the schema of `table`: `audit.ix` for a table
/// `audit.events`, `name` itself for a table of the default schema; quote it with
/// [`Syntax::quote_table`].
pub fn in_schema_of(table: &str, name: &str) -> String {
    qualify(split_table(table).0, name)
}

/// `ALTER TABLE "table" <action>`.
pub fn alter_table<D: Syntax + ?Sized>(d: &D, table: &str, action: impl fmt::Display) -> String {
    format!("ALTER TABLE {} {action}", d.quote_table(table))
}

/// The statements of a hand-written `sql` step: the text as written, trimmed, without a
/// trailing semicolon; nothing when it is blank.
pub fn sql_statements(sql: &str) -> Vec<String> {
    let t = sql.trim().trim_end_matches(';').trim_end();
    if t.is_empty() {
        Vec::new()
    } else {
        vec![t.to_string()]
    }
}

/// The first line of a statement the executor runs again and again until it changes no
/// rows: a backfill in batches (`batch_size` on an `sql` step; the online form of a new
/// column with a volatile default). Being an SQL comment, it also tells the reader of
/// `upgrade --sql` output to loop.
pub const REPEAT_MARKER: &str = "/* strata: repeat until no rows change */";

/// `sql` marked to run again and again until it changes no rows ([`REPEAT_MARKER`]).
pub fn repeated(sql: &str) -> String {
    format!("{REPEAT_MARKER}\n{sql}")
}

/// Whether a rendered statement is to run again and again until it changes no rows.
pub fn is_repeated(sql: &str) -> bool {
    sql.starts_with(REPEAT_MARKER)
}

/// Whether a default expression is volatile (its value differs per row), as far as its text
/// says: a call of a random, clock or sequence function. Adding a column with such a default
/// computes it for every row, rewriting the table on PostgreSQL.
pub fn volatile_default(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    [
        "random(",
        "gen_random_uuid(",
        "uuid_generate_",
        "clock_timestamp(",
        "nextval(",
        "uuid()",
    ]
    .iter()
    .any(|f| lower.contains(f))
}

/// DDL: the pieces of `CREATE TABLE` and one method per op, each defaulting to standard SQL.
pub trait Ddl: Syntax {
    /// Whether the dialect has forms of some ops that do not block the table's readers and
    /// writers, chosen when [`OpContext::online`] is set (PostgreSQL: `CREATE INDEX
    /// CONCURRENTLY`, `NOT VALID` then `VALIDATE`, ...). A revision rendered so runs outside a
    /// transaction, each statement committing on its own: the point of the forms is that no
    /// strong lock is held while the long part runs. Default: none.
    fn online_forms(&self) -> bool {
        false
    }

    /// A parenthesised, comma-separated list of quoted identifiers: `("a", "b")`.
    fn ident_list(&self, names: &[String]) -> String {
        let quoted: Vec<String> = names.iter().map(|n| self.quote_ident(n)).collect();
        format!("({})", quoted.join(", "))
    }

    /// One column definition as written in `CREATE TABLE` and `ADD COLUMN`:
    /// `"name" type [NOT NULL] [DEFAULT value]`. `table` is the table the column belongs to
    /// (as it is once the statement has run), for dialects whose spelling depends on the key.
    fn column_sql(&self, table: &Table, column: &Column) -> Result<String, RenderError> {
        let _ = table;
        standard_column_sql(self, column)
    }

    /// The keyword of a referential action: `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL`,
    /// `SET DEFAULT`.
    fn referential_action_sql(&self, action: ReferentialAction) -> &'static str {
        match action {
            ReferentialAction::NoAction => "NO ACTION",
            ReferentialAction::Restrict => "RESTRICT",
            ReferentialAction::Cascade => "CASCADE",
            ReferentialAction::SetNull => "SET NULL",
            ReferentialAction::SetDefault => "SET DEFAULT",
        }
    }

    /// A named primary-key clause: `CONSTRAINT "pk_t" PRIMARY KEY ("id")`.
    fn primary_key_sql(&self, pk: &PrimaryKey) -> String {
        format!(
            "CONSTRAINT {} PRIMARY KEY {}",
            self.quote_ident(&pk.name),
            self.ident_list(&pk.columns)
        )
    }

    /// The primary-key clause `CREATE TABLE` writes for `table`, if any. The default is the
    /// named table constraint; SQLite writes none when the key is an AUTOINCREMENT column,
    /// whose definition carries it.
    fn table_primary_key_sql(&self, table: &Table) -> Option<String> {
        table
            .primary_key
            .as_ref()
            .map(|pk| self.primary_key_sql(pk))
    }

    /// A named unique clause: `CONSTRAINT "uq_t_a" UNIQUE ("a")`.
    fn unique_sql(&self, unique: &Unique) -> String {
        format!(
            "CONSTRAINT {} UNIQUE {}",
            self.quote_ident(&unique.name),
            self.ident_list(&unique.columns)
        )
    }

    /// A named foreign-key clause:
    /// `CONSTRAINT "fk" FOREIGN KEY ("a") REFERENCES "t" ("id") [ON DELETE ..] [ON UPDATE ..]`;
    /// the actions are written only when they are not `NO ACTION`.
    fn foreign_key_sql(&self, fk: &ForeignKey) -> String {
        let mut sql = format!(
            "CONSTRAINT {} FOREIGN KEY {} REFERENCES {} {}",
            self.quote_ident(&fk.name),
            self.ident_list(&fk.columns),
            self.quote_table(&fk.ref_table),
            self.ident_list(&fk.ref_columns)
        );
        if fk.on_delete != ReferentialAction::NoAction {
            sql.push_str(" ON DELETE ");
            sql.push_str(self.referential_action_sql(fk.on_delete));
        }
        if fk.on_update != ReferentialAction::NoAction {
            sql.push_str(" ON UPDATE ");
            sql.push_str(self.referential_action_sql(fk.on_update));
        }
        sql
    }

    /// A named check clause: `CONSTRAINT "ck_t_x" CHECK (expr)`; the expression is verbatim.
    fn check_sql(&self, check: &Check) -> String {
        format!(
            "CONSTRAINT {} CHECK ({})",
            self.quote_ident(&check.name),
            check.expr
        )
    }

    /// `CREATE TABLE` with every column and named constraint inline (primary key, uniques,
    /// foreign keys, checks), one item per line. Indexes and comments are separate statements.
    fn create_table_sql(&self, table: &Table) -> Result<String, RenderError> {
        let mut items = Vec::new();
        for c in &table.columns {
            items.push(self.column_sql(table, c)?);
        }
        items.extend(self.table_primary_key_sql(table));
        items.extend(table.uniques.iter().map(|u| self.unique_sql(u)));
        items.extend(table.foreign_keys.iter().map(|f| self.foreign_key_sql(f)));
        items.extend(table.checks.iter().map(|c| self.check_sql(c)));
        Ok(format!(
            "CREATE TABLE {} (\n    {}\n)",
            self.quote_table(&table.name),
            items.join(",\n    ")
        ))
    }

    /// `CREATE [UNIQUE] INDEX "name" ON "table" [USING method] ("a", "b" DESC, (expr))
    /// [WHERE predicate]`.
    fn create_index_sql(&self, table: &str, index: &Index) -> String {
        create_index_text(self, table, index, "")
    }

    /// Refuses what `index` asks and the dialect cannot write, with a typed
    /// [`RenderError::Unsupported`]. Default: an index method other than B-tree (`using`);
    /// partial, expression and descending indexes are written.
    fn check_index(&self, table: &str, index: &Index) -> Result<(), RenderError> {
        match index.method() {
            Some(method) => Err(RenderError::Unsupported {
                dialect: self.name(),
                what: format!(
                    "index `{}` on `{table}` with `using = \"{method}\"`",
                    index.name
                ),
                hint: Some(
                    "index methods other than B-tree exist on PostgreSQL only; leave `using` \
                     out of the model, or create this index in a hand-written `sql` step \
                     meant for PostgreSQL"
                        .into(),
                ),
            }),
            None => Ok(()),
        }
    }

    /// `DROP INDEX "name"` (index names are per schema on both built-in dialects: one of a
    /// table in another schema is named with it, `"audit"."ix_events_at"`).
    fn drop_index_sql(&self, table: &str, index: &Index) -> String {
        format!(
            "DROP INDEX {}",
            self.quote_table(&in_schema_of(table, &index.name))
        )
    }

    /// A table comment, where the dialect has them (PostgreSQL `COMMENT ON TABLE`). Default:
    /// none.
    fn table_comment_sql(&self, table: &Table) -> Option<String> {
        let _ = table;
        None
    }

    /// A column comment, where the dialect has them. Default: none.
    fn column_comment_sql(&self, table: &str, column: &Column) -> Option<String> {
        let _ = (table, column);
        None
    }

    /// Changes the type of `column`: `ALTER TABLE "t" ALTER COLUMN "c" TYPE <to>`.
    fn alter_type_sql(
        &self,
        table: &str,
        column: &str,
        from: &SqlType,
        to: &SqlType,
    ) -> Result<String, RenderError> {
        let _ = from;
        Ok(alter_table(
            self,
            table,
            format_args!(
                "ALTER COLUMN {} TYPE {}",
                self.quote_ident(column),
                self.type_sql(to)?
            ),
        ))
    }

    /// `ALTER TABLE "t" DROP CONSTRAINT "name"`.
    fn drop_constraint_sql(&self, table: &str, name: &str) -> String {
        alter_table(
            self,
            table,
            format_args!("DROP CONSTRAINT {}", self.quote_ident(name)),
        )
    }

    /// The statements that give constraints and indexes the names a table or column rename
    /// gave them (`changes`); `after` is the renamed table once the rename has run, `objects`
    /// the objects Strata does not model. The default, for dialects without
    /// `ALTER INDEX ... RENAME`: each index is dropped and created again under its new name;
    /// constraint names are left as they are, since they live inside the table's definition
    /// and are scoped to the table there.
    fn rename_names_sql(
        &self,
        changes: &[NameChange],
        after: &Table,
        objects: &[Unmodeled],
    ) -> Vec<String> {
        let _ = objects;
        let mut out = Vec::new();
        for c in changes.iter().filter(|c| c.kind == NameKind::Index) {
            let Some(ix) = after.indexes.iter().find(|i| i.name == c.to) else {
                continue;
            };
            let old = Index {
                name: c.from.clone(),
                ..ix.clone()
            };
            out.push(self.drop_index_sql(&c.table, &old));
            out.push(self.create_index_sql(&c.table, ix));
        }
        out
    }

    // ---- One method per op ----

    /// `create_table`: `CREATE TABLE` with its constraints, its indexes, its comments.
    fn create_table(&self, table: &Table, cx: &OpContext<'_>) -> Result<Statements, RenderError> {
        let _ = cx;
        standard_create_table(self, table)
    }

    /// `drop_table`: `DROP TABLE`.
    fn drop_table(&self, table: &Table, cx: &OpContext<'_>) -> Result<Statements, RenderError> {
        let _ = cx;
        Ok(vec![format!("DROP TABLE {}", self.quote_table(&table.name))].into())
    }

    /// `rename_table`: `ALTER TABLE ... RENAME TO`, then the names that follow the table.
    fn rename_table(
        &self,
        from: &str,
        to: &str,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        // A rename keeps the schema (render refuses a move), and RENAME TO takes the
        // table's own name.
        let mut out = vec![alter_table(
            self,
            from,
            format_args!("RENAME TO {}", self.quote_ident(table_name(to))),
        )];
        if !cx.names.is_empty() {
            out.extend(self.rename_names_sql(cx.names, cx.after()?, cx.objects));
        }
        Ok(out.into())
    }

    /// `add_column`: `ALTER TABLE ... ADD COLUMN`, and its comment.
    fn add_column(
        &self,
        table: &str,
        column: &Column,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        standard_add_column(self, table, column, cx)
    }

    /// `drop_column`: `ALTER TABLE ... DROP COLUMN`.
    fn drop_column(
        &self,
        table: &str,
        column: &Column,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = cx;
        Ok(vec![alter_table(
            self,
            table,
            format_args!("DROP COLUMN {}", self.quote_ident(&column.name)),
        )]
        .into())
    }

    /// `alter_column`: a rename (and the names that follow it), then the type
    /// ([`Ddl::alter_type_sql`]), nullability and default, each with `ALTER COLUMN`. When
    /// both type and default change, the old default is dropped first: it may not cast to
    /// the new type.
    fn alter_column(
        &self,
        table: &str,
        column: &str,
        change: &ColumnChange<'_>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        standard_alter_column(self, table, column, change, cx)
    }

    /// `alter_column_comment`: the comment of `column` becomes `comment` (`None`: no comment).
    /// Default: no statements, for a dialect without comments (SQLite). `cx.after()` is the
    /// table with the new comment, for dialects that restate the whole column (MySQL).
    fn alter_column_comment(
        &self,
        table: &str,
        column: &str,
        comment: Option<&str>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = (table, column, comment, cx);
        Ok(Statements::default())
    }

    /// `alter_table_comment`: the table's comment becomes `comment` (`None`: no comment).
    /// Default: no statements, for a dialect without comments (SQLite).
    fn alter_table_comment(
        &self,
        table: &str,
        comment: Option<&str>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = (table, comment, cx);
        Ok(Statements::default())
    }

    /// `alter_primary_key`: drop the old key constraint, add the new one.
    fn alter_primary_key(
        &self,
        table: &str,
        from: Option<&PrimaryKey>,
        to: Option<&PrimaryKey>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let mut out = Vec::new();
        if let Some(pk) = from {
            out.push(self.drop_constraint_sql(table, cx.dropped(&pk.name)));
        }
        if let Some(pk) = to {
            out.push(alter_table(
                self,
                table,
                format_args!("ADD {}", self.primary_key_sql(pk)),
            ));
        }
        Ok(out.into())
    }

    /// `add_unique`: `ALTER TABLE ... ADD CONSTRAINT ... UNIQUE`.
    fn add_unique(
        &self,
        table: &str,
        unique: &Unique,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = cx;
        Ok(vec![alter_table(
            self,
            table,
            format_args!("ADD {}", self.unique_sql(unique)),
        )]
        .into())
    }

    /// `drop_unique`: `ALTER TABLE ... DROP CONSTRAINT`.
    fn drop_unique(
        &self,
        table: &str,
        unique: &Unique,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        Ok(vec![self.drop_constraint_sql(table, cx.dropped(&unique.name))].into())
    }

    /// `add_foreign_key`: `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY`.
    fn add_foreign_key(
        &self,
        table: &str,
        foreign_key: &ForeignKey,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = cx;
        Ok(vec![alter_table(
            self,
            table,
            format_args!("ADD {}", self.foreign_key_sql(foreign_key)),
        )]
        .into())
    }

    /// `drop_foreign_key`: `ALTER TABLE ... DROP CONSTRAINT`.
    fn drop_foreign_key(
        &self,
        table: &str,
        foreign_key: &ForeignKey,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        Ok(vec![self.drop_constraint_sql(table, cx.dropped(&foreign_key.name))].into())
    }

    /// `add_check`: `ALTER TABLE ... ADD CONSTRAINT ... CHECK`.
    fn add_check(
        &self,
        table: &str,
        check: &Check,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = cx;
        Ok(vec![alter_table(
            self,
            table,
            format_args!("ADD {}", self.check_sql(check)),
        )]
        .into())
    }

    /// `drop_check`: `ALTER TABLE ... DROP CONSTRAINT`.
    fn drop_check(
        &self,
        table: &str,
        check: &Check,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        Ok(vec![self.drop_constraint_sql(table, cx.dropped(&check.name))].into())
    }

    /// `create_index`: `CREATE [UNIQUE] INDEX`.
    fn create_index(
        &self,
        table: &str,
        index: &Index,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = cx;
        self.check_index(table, index)?;
        Ok(vec![self.create_index_sql(table, index)].into())
    }

    /// `drop_index`: `DROP INDEX` (under its name in the database).
    fn drop_index(
        &self,
        table: &str,
        index: &Index,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let index = Index {
            name: cx.dropped(&index.name).to_string(),
            ..index.clone()
        };
        Ok(vec![self.drop_index_sql(table, &index)].into())
    }

    /// `create_schema`: `CREATE SCHEMA "name"`.
    fn create_schema(&self, schema: &str) -> Result<Statements, RenderError> {
        Ok(vec![format!("CREATE SCHEMA {}", self.quote_ident(schema))].into())
    }

    /// `drop_schema`: `DROP SCHEMA "name"`, which the server refuses while the schema holds
    /// anything (`RESTRICT` is the standard default), so nothing Strata does not model goes.
    fn drop_schema(&self, schema: &str) -> Result<Statements, RenderError> {
        Ok(vec![format!("DROP SCHEMA {}", self.quote_ident(schema))].into())
    }

    /// `sql`: the hand-written text, as one statement (the render stage skips steps meant for
    /// another dialect).
    fn sql(&self, sql: &str, cx: &OpContext<'_>) -> Result<Statements, RenderError> {
        let _ = cx;
        Ok(sql_statements(sql).into())
    }
}

/// The standard `add_column` ([`Ddl::add_column`]'s default): `ALTER TABLE ... ADD COLUMN`,
/// and its comment.
pub fn standard_add_column<D: Ddl + ?Sized>(
    d: &D,
    table: &str,
    column: &Column,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let mut out = vec![alter_table(
        d,
        table,
        format_args!("ADD COLUMN {}", d.column_sql(cx.after()?, column)?),
    )];
    out.extend(d.column_comment_sql(table, column));
    Ok(out.into())
}

/// The standard `create_table` ([`Ddl::create_table`]'s default), for dialects that add to it.
pub fn standard_create_table<D: Ddl + ?Sized>(
    d: &D,
    table: &Table,
) -> Result<Statements, RenderError> {
    let mut out = vec![d.create_table_sql(table)?];
    for ix in &table.indexes {
        d.check_index(&table.name, ix)?;
        out.push(d.create_index_sql(&table.name, ix));
    }
    out.extend(d.table_comment_sql(table));
    out.extend(
        table
            .columns
            .iter()
            .filter_map(|c| d.column_comment_sql(&table.name, c)),
    );
    Ok(out.into())
}

/// The standard `alter_column` ([`Ddl::alter_column`]'s default), for dialects that override
/// it for some changes only.
pub fn standard_alter_column<D: Ddl + ?Sized>(
    d: &D,
    table: &str,
    column: &str,
    change: &ColumnChange<'_>,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    let mut out = Vec::new();
    let name = match change.rename {
        Some(new) => {
            out.push(alter_table(
                d,
                table,
                format_args!(
                    "RENAME COLUMN {} TO {}",
                    d.quote_ident(column),
                    d.quote_ident(new)
                ),
            ));
            if !cx.names.is_empty() {
                out.extend(d.rename_names_sql(cx.names, cx.after()?, cx.objects));
            }
            new
        }
        None => column,
    };
    let col = d.quote_ident(name);
    let alter = |action: &str| alter_table(d, table, format_args!("ALTER COLUMN {col} {action}"));
    let drop_default_first =
        change.ty.is_some() && change.default.is_some_and(|(from, _)| from.is_some());
    if drop_default_first {
        out.push(alter("DROP DEFAULT"));
    }
    if let Some((from, to)) = change.ty {
        out.push(d.alter_type_sql(table, name, from, to)?);
    }
    if let Some((_, to)) = change.nullable {
        out.push(alter(if to { "DROP NOT NULL" } else { "SET NOT NULL" }));
    }
    if let Some((_, to)) = change.default {
        match to {
            Some(v) => out.push(alter(&format!("SET DEFAULT {}", d.default_sql(v)))),
            None if !drop_default_first => out.push(alter("DROP DEFAULT")),
            None => {}
        }
    }
    Ok(out.into())
}

/// The key list of `index` as `d` writes it: `("a", "b" DESC, (lower(email)))`; the
/// expression, written as the model gives it, is parenthesised (every dialect takes an
/// expression key so).
pub fn index_keys_sql<D: Syntax + ?Sized>(d: &D, index: &Index) -> String {
    let mut items: Vec<String> = index
        .columns
        .iter()
        .map(|c| {
            let q = d.quote_ident(c);
            if index.desc.contains(c) {
                format!("{q} DESC")
            } else {
                q
            }
        })
        .collect();
    items.extend(index.expr.iter().map(|e| format!("({e})")));
    format!("({})", items.join(", "))
}

/// `CREATE [UNIQUE] INDEX <concurrently>"name" ON "table" [USING method] (keys) [WHERE ...]`;
/// `concurrently` is `""` or PostgreSQL's `"CONCURRENTLY "`.
pub fn create_index_text<D: Syntax + ?Sized>(
    d: &D,
    table: &str,
    index: &Index,
    concurrently: &str,
) -> String {
    let mut sql = format!(
        "CREATE {}INDEX {concurrently}{} ON {}",
        if index.unique { "UNIQUE " } else { "" },
        d.quote_ident(&index.name),
        d.quote_table(table),
    );
    if let Some(method) = index.method() {
        sql.push_str(" USING ");
        sql.push_str(&d.quote_ident(&method));
    }
    sql.push(' ');
    sql.push_str(&index_keys_sql(d, index));
    if let Some(pred) = &index.where_ {
        sql.push_str(" WHERE ");
        sql.push_str(pred);
    }
    sql
}

/// The checks every dialect makes of an autoincrement column: an integer type (`hint` says
/// which the dialect takes), no default (the database generates the values).
pub fn check_autoincrement<D: Syntax + ?Sized>(
    dialect: &D,
    table: &Table,
    column: &Column,
    hint: &str,
) -> Result<(), RenderError> {
    let unsupported = |what: String, hint: &str| RenderError::Unsupported {
        dialect: dialect.name(),
        what,
        hint: Some(hint.into()),
    };
    if !matches!(
        column.ty,
        SqlType::SmallInt | SqlType::Integer | SqlType::BigInt
    ) {
        return Err(unsupported(
            format!(
                "autoincrement on column `{}.{}` of type `{}`",
                table.name, column.name, column.ty
            ),
            hint,
        ));
    }
    if column.default.is_some() {
        return Err(unsupported(
            format!(
                "a default on autoincrement column `{}.{}`",
                table.name, column.name
            ),
            "the database generates its values; remove the default or `autoincrement = false`",
        ));
    }
    Ok(())
}

/// The standard column definition `"name" type [NOT NULL] [DEFAULT value]`, which
/// [`Ddl::column_sql`] writes by default; overrides call it for ordinary columns.
pub fn standard_column_sql<D: Syntax + ?Sized>(
    dialect: &D,
    column: &Column,
) -> Result<String, RenderError> {
    let mut sql = format!(
        "{} {}",
        dialect.quote_ident(&column.name),
        dialect.type_sql(&column.ty)?
    );
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(d) = &column.default {
        sql.push_str(" DEFAULT ");
        sql.push_str(&dialect.default_sql(d));
    }
    Ok(sql)
}

/// A float default as a SQL literal that always has a decimal point (`1.0`, `2.5e20` as
/// `2.5e20`, `1e20` as `1.0e20`); non-finite values become quoted strings (`'NaN'`,
/// `'Infinity'`, `'-Infinity'`), which PostgreSQL casts to a float column.
pub fn float_literal<D: Syntax + ?Sized>(f: f64, dialect: &D) -> String {
    if f.is_nan() {
        return dialect.quote_str("NaN");
    }
    if f.is_infinite() {
        return dialect.quote_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    }
    let s = format!("{f:?}");
    if s.contains('.') {
        return s;
    }
    match s.find(['e', 'E']) {
        Some(i) => format!("{}.0{}", &s[..i], &s[i..]),
        None => format!("{s}.0"),
    }
}
