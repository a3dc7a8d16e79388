//! Dialect: postgres. Quoting, types, DDL rendering and catalog introspection for postgres.

mod enums;
mod introspect;
mod online;
mod render;

pub use online::BACKFILL_BATCH;

use super::{
    alter_table, in_schema_of, standard_add_column, standard_alter_column, standard_create_table,
    Bookkeeping, Catalog, ColumnChange, Ddl, DialectKind, OpContext, RenderError, Statements,
    Syntax, Transport,
};
use crate::dialect::catalog::{CatalogValues, IntrospectError, IntrospectOptions};
use crate::schema::naming::NameChange;
use crate::schema::{Check, Column, ForeignKey, Index, Schema, SqlType, Table, Unique, Unmodeled};

/// The postgres dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Postgres;

impl Syntax for Postgres {
    fn name(&self) -> &'static str {
        DialectKind::Postgres.name()
    }

    fn has_schemas(&self) -> bool {
        true
    }

    fn type_sql(&self, ty: &SqlType) -> Result<String, RenderError> {
        render::type_sql(ty)
    }
}

impl Ddl for Postgres {
    fn online_forms(&self) -> bool {
        true
    }

    fn create_table(&self, table: &Table, cx: &OpContext<'_>) -> Result<Statements, RenderError> {
        enums::with_types(self, cx, standard_create_table(self, table)?)
    }

    fn drop_table(&self, table: &Table, cx: &OpContext<'_>) -> Result<Statements, RenderError> {
        let sql = vec![format!("DROP TABLE {}", self.quote_table(&table.name))];
        enums::with_types(self, cx, sql.into())
    }

    fn add_column(
        &self,
        table: &str,
        column: &Column,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        if cx.online {
            if let Some(online) = online::add_column(self, table, column, cx)? {
                return enums::with_types(self, cx, online);
            }
        }
        enums::with_types(self, cx, standard_add_column(self, table, column, cx)?)
    }

    fn drop_column(
        &self,
        table: &str,
        column: &Column,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let sql = vec![alter_table(
            self,
            table,
            format_args!("DROP COLUMN {}", self.quote_ident(&column.name)),
        )];
        enums::with_types(self, cx, sql.into())
    }

    fn alter_column(
        &self,
        table: &str,
        column: &str,
        change: &ColumnChange<'_>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        // A change of an enum's values is a change of its type, not of the column.
        let mut change = *change;
        let mut values = Vec::new();
        if let Some((
            SqlType::Enum {
                name: a,
                values: from,
            },
            SqlType::Enum {
                name: b,
                values: to,
            },
        )) = change.ty
        {
            if a == b {
                values = enums::change_values(self, cx, (table, column), a, (from, to));
                change.ty = None;
            }
        }
        // A default does not cast to or from an enum type by itself: it is dropped before the
        // type changes and set again after.
        let kept = cx
            .table
            .and_then(|t| t.column(column))
            .and_then(|c| c.default.as_ref());
        if let (Some((from, to)), None, Some(d)) = (change.ty, change.default, kept) {
            if matches!(from, SqlType::Enum { .. }) || matches!(to, SqlType::Enum { .. }) {
                change.default = Some((Some(d), Some(d)));
            }
        }
        let body = if !change.changes_definition() && change.rename.is_none() {
            Statements::default()
        } else if cx.online {
            online::alter_column(self, table, column, &change, cx)?
        } else {
            standard_alter_column(self, table, column, &change, cx)?
        };
        let mut out = enums::with_types(self, cx, body)?;
        out.sql.splice(0..0, values);
        Ok(out)
    }

    fn add_unique(
        &self,
        table: &str,
        unique: &Unique,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        if cx.online {
            return Ok(online::add_unique(
                self,
                table,
                &unique.name,
                &unique.columns,
            ));
        }
        Ok(vec![alter_table(
            self,
            table,
            format_args!("ADD {}", self.unique_sql(unique)),
        )]
        .into())
    }

    fn add_foreign_key(
        &self,
        table: &str,
        foreign_key: &ForeignKey,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        if cx.online {
            return Ok(online::add_foreign_key(self, table, foreign_key));
        }
        let fk = self.foreign_key_sql(foreign_key);
        Ok(vec![alter_table(self, table, format_args!("ADD {fk}"))].into())
    }

    fn add_check(
        &self,
        table: &str,
        check: &Check,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        if cx.online {
            return Ok(online::add_check(self, table, check));
        }
        Ok(vec![alter_table(
            self,
            table,
            format_args!("ADD {}", self.check_sql(check)),
        )]
        .into())
    }

    /// Every index method, predicate and expression is written.
    fn check_index(&self, table: &str, index: &Index) -> Result<(), RenderError> {
        let _ = (table, index);
        Ok(())
    }

    fn create_index(
        &self,
        table: &str,
        index: &Index,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        if cx.online {
            return Ok(online::create_index(self, table, index));
        }
        self.check_index(table, index)?;
        Ok(vec![self.create_index_sql(table, index)].into())
    }

    fn drop_index(
        &self,
        table: &str,
        index: &Index,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let name = in_schema_of(table, cx.dropped(&index.name));
        if cx.online {
            return Ok(online::drop_index(self, &name));
        }
        Ok(vec![format!("DROP INDEX {}", self.quote_table(&name))].into())
    }

    fn column_sql(&self, table: &Table, column: &Column) -> Result<String, RenderError> {
        render::column_sql(self, table, column)
    }

    fn table_comment_sql(&self, table: &Table) -> Option<String> {
        let text = table.comment.as_deref()?;
        Some(render::table_comment(self, &table.name, Some(text)))
    }

    fn column_comment_sql(&self, table: &str, column: &Column) -> Option<String> {
        let text = column.comment.as_deref()?;
        Some(render::column_comment(
            self,
            table,
            &column.name,
            Some(text),
        ))
    }

    fn alter_column_comment(
        &self,
        table: &str,
        column: &str,
        comment: Option<&str>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = cx;
        Ok(vec![render::column_comment(self, table, column, comment)].into())
    }

    fn alter_table_comment(
        &self,
        table: &str,
        comment: Option<&str>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = cx;
        Ok(vec![render::table_comment(self, table, comment)].into())
    }

    fn alter_type_sql(
        &self,
        table: &str,
        column: &str,
        from: &SqlType,
        to: &SqlType,
    ) -> Result<String, RenderError> {
        let _ = from;
        render::alter_type_sql(self, table, column, to)
    }

    fn rename_names_sql(
        &self,
        changes: &[NameChange],
        after: &Table,
        objects: &[Unmodeled],
    ) -> Vec<String> {
        let _ = (after, objects);
        render::rename_names_sql(self, changes)
    }
}

impl Catalog for Postgres {
    fn parse_type(&self, spelled: &str) -> SqlType {
        introspect::parse_pg_type(spelled)
    }

    fn catalog_queries(&self, opts: &IntrospectOptions) -> Vec<String> {
        introspect::catalog_queries(opts)
    }

    fn assemble(
        &self,
        results: Vec<Vec<CatalogValues>>,
        opts: &IntrospectOptions,
    ) -> Result<Schema, IntrospectError> {
        introspect::assemble(results, opts)
    }

    fn normalize(&self, schema: &mut Schema) {
        introspect::normalize(schema)
    }

    fn check_expr_key(&self, expr: &str) -> String {
        introspect::check_expr_key(expr)
    }
}

impl Transport for Postgres {
    fn drop_database_sql(&self, name: &str) -> Option<String> {
        Some(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.quote_ident(name)
        ))
    }

    fn waits_harmlessly(&self, sql: &str) -> bool {
        online::waits_harmlessly(sql)
    }

    fn commits_first(&self, sql: &str) -> bool {
        enums::adds_value(sql)
    }

    fn may_precede(&self, first: &str, earlier: &str) -> bool {
        enums::adds_value(first) && !enums::names_a_type(earlier)
    }

    fn repeat_script_sql(&self, sql: &str, commit_each: bool) -> Option<String> {
        online::repeat_script_sql(sql, commit_each)
    }

    fn lock_timeout_sql(&self, millis: Option<u64>, local: bool) -> Vec<String> {
        vec![set_setting("lock_timeout", millis, local)]
    }

    fn statement_timeout_sql(&self, millis: Option<u64>, local: bool) -> Vec<String> {
        vec![set_setting("statement_timeout", millis, local)]
    }

    /// `55P03` lock_not_available: `lock_timeout` expired (or a `NOWAIT` lock was taken).
    fn is_lock_timeout_code(&self, code: &str) -> bool {
        code == "55P03"
    }

    fn blocking_sessions_hint(&self) -> &'static str {
        "SELECT pid, state, xact_start, query FROM pg_stat_activity WHERE xact_start IS NOT \
         NULL ORDER BY xact_start lists the open transactions, oldest first; commit that \
         session's transaction, or end it with SELECT pg_terminate_backend(pid)"
    }

    fn use_schema_sql(&self, schema: &str) -> Option<String> {
        Some(format!("SET search_path TO {}", self.quote_ident(schema)))
    }

    fn schema_exists_sql(&self, schema: &str) -> Option<String> {
        Some(format!(
            "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = {}",
            self.quote_str(schema)
        ))
    }

    fn try_lock_sql(&self, key: i64) -> Option<String> {
        Some(format!("SELECT pg_try_advisory_lock({key})"))
    }

    fn unlock_sql(&self, key: i64) -> Option<String> {
        Some(format!("SELECT pg_advisory_unlock({key})::text"))
    }

    fn lock_holder_sql(&self, key: i64) -> Option<String> {
        // A bigint advisory key is stored as classid (high 32 bits) and objid (low 32 bits).
        let (hi, lo) = ((key >> 32) as u32, key as u32);
        Some(format!(
            "SELECT coalesce(string_agg(format('backend pid %s (application %L, user %L, client %s, since %s)', \
             a.pid, a.application_name, a.usename, coalesce(a.client_addr::text, 'local'), \
             a.backend_start), '; '), '') \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {hi} AND l.objid = {lo} AND l.objsubid = 1"
        ))
    }

    /// `client_connection_check_interval` (PostgreSQL 14 and later; skipped where unknown):
    /// a killed migrator's running statement stops within a second, and with it the lock.
    fn session_setup_sql(&self) -> Vec<String> {
        vec![
            "SELECT set_config(name, '1000', false) FROM pg_catalog.pg_settings \
              WHERE name = 'client_connection_check_interval'"
                .into(),
        ]
    }

    fn backend_id_sql(&self) -> Option<String> {
        Some("SELECT pg_backend_pid()::int8".into())
    }

    fn cancel_backend_sql(&self, id: i64) -> Option<String> {
        Some(format!("SELECT pg_cancel_backend({id})::text"))
    }
}

/// `SET [LOCAL] <setting> = '<n>ms'`, or `TO DEFAULT` (the server's value) when `None`.
fn set_setting(setting: &str, millis: Option<u64>, local: bool) -> String {
    let scope = if local { "LOCAL " } else { "" };
    match millis {
        Some(ms) => format!("SET {scope}{setting} = '{ms}ms'"),
        None => format!("SET {scope}{setting} TO DEFAULT"),
    }
}

impl Bookkeeping for Postgres {
    fn table_exists_sql(&self, table: &str) -> String {
        format!(
            "SELECT count(*)::int8 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = {}",
            self.quote_str(table)
        )
    }
}
