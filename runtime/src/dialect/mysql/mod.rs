//! Dialect: mysql. Quoting, types, DDL rendering and catalog introspection for MySQL and MariaDB.
//!
//! One dialect, several servers: what differs between MariaDB and MySQL, and between their
//! versions, is a [`Server`] value detected when connecting ([`Transport::for_server`]), never
//! guessed from the URL. Offline SQL (`upgrade --sql`, no server) uses [`MYSQL`], which writes
//! only what every supported server runs: `CHANGE COLUMN` rather than `RENAME COLUMN`.
//!
//! Identifiers are quoted with backticks and string literals escape backslashes, with the
//! session's `sql_mode` set so that both mean what they say whatever the server's defaults
//! (`ANSI_QUOTES`, `NO_BACKSLASH_ESCAPES`): see [`Transport::session_sql`].

mod introspect;
mod render;

#[cfg(feature = "test-support")]
pub(crate) use render::backtick_identifiers;

use super::{
    Bookkeeping, Catalog, ColumnChange, Ddl, Dialect, DialectKind, OpContext, RenderError,
    Statements, Syntax, Transport,
};
use crate::dialect::catalog::{CatalogValues, IntrospectError, IntrospectOptions};
use crate::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, Schema, SqlType, Table, Unique,
};

/// Which server a MySQL-family connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Not known (offline SQL): write what every supported server runs.
    Unknown,
    /// MariaDB.
    MariaDb,
    /// Oracle MySQL.
    MySql,
}

/// The server a MySQL-family dialect writes for: its flavour and what its version can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    /// MariaDB, MySQL, or unknown.
    pub flavor: Flavor,
    /// `ALTER TABLE ... RENAME COLUMN` (MariaDB 10.5.2+, MySQL 8.0+); else `CHANGE COLUMN`.
    pub rename_column: bool,
    /// CHECK constraints are enforced and listed in `information_schema.CHECK_CONSTRAINTS`
    /// (MariaDB 10.2+, MySQL 8.0.16+).
    pub checks: bool,
}

/// The MySQL/MariaDB dialect, for one kind of [`Server`].
#[derive(Debug, Clone, Copy)]
pub struct Mysql {
    /// The server it writes for.
    pub server: Server,
}

/// Offline SQL, or a server whose version could not be read: the portable spelling.
pub static MYSQL: Mysql = Mysql {
    server: Server {
        flavor: Flavor::Unknown,
        rename_column: false,
        checks: true,
    },
};
/// MariaDB 10.5 and later (verified on 10.11).
pub static MARIADB: Mysql = Mysql {
    server: Server {
        flavor: Flavor::MariaDb,
        rename_column: true,
        checks: true,
    },
};
/// MariaDB before 10.5: no `RENAME COLUMN`.
pub static MARIADB_OLD: Mysql = Mysql {
    server: Server {
        flavor: Flavor::MariaDb,
        rename_column: false,
        checks: true,
    },
};
/// MySQL 8.0.16 and later (written from the manual; not verified on a server here).
pub static MYSQL8: Mysql = Mysql {
    server: Server {
        flavor: Flavor::MySql,
        rename_column: true,
        checks: true,
    },
};
/// MySQL 5.7 to 8.0.15: CHECK constraints are parsed and ignored, so Strata refuses them.
pub static MYSQL57: Mysql = Mysql {
    server: Server {
        flavor: Flavor::MySql,
        rename_column: false,
        checks: false,
    },
};

/// The dialect for a server whose `SELECT VERSION()` returned `version`
/// (`10.11.19-MariaDB-0+deb12u1`, `8.0.36`, `5.7.44-log`).
pub fn for_version(version: &str) -> &'static Mysql {
    let nums: Vec<u32> = version
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|p| p.parse().unwrap_or(0))
        .collect();
    let v = (
        nums.first().copied().unwrap_or(0),
        nums.get(1).copied().unwrap_or(0),
        nums.get(2).copied().unwrap_or(0),
    );
    if version.to_ascii_lowercase().contains("mariadb") {
        if v >= (10, 5, 2) {
            &MARIADB
        } else {
            &MARIADB_OLD
        }
    } else if v >= (8, 0, 16) {
        &MYSQL8
    } else if v.0 == 0 {
        &MYSQL
    } else {
        &MYSQL57
    }
}

/// The name MySQL gives every primary key.
pub(super) const PRIMARY: &str = "PRIMARY";

/// Whether `sql` is `CURRENT_TIMESTAMP` in one of its spellings (`now()`, `current_timestamp()`,
/// `CURRENT_TIMESTAMP(6)`, `LOCALTIMESTAMP`).
pub(super) fn is_current_timestamp(sql: &str) -> bool {
    let s: String = crate::dialect::sql_text::strip_outer_parens(sql)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let head = s.split('(').next().unwrap_or_default();
    let args_ok = match s.find('(') {
        None => true,
        Some(i) => s[i..]
            .trim_matches(|c| c == '(' || c == ')')
            .chars()
            .all(|c| c.is_ascii_digit()),
    };
    args_ok
        && matches!(
            head,
            "current_timestamp" | "now" | "localtimestamp" | "localtime"
        )
}

impl Syntax for Mysql {
    fn name(&self) -> &'static str {
        DialectKind::Mysql.name()
    }

    fn no_schemas_hint(&self) -> &'static str {
        "`#[model(schema = \"...\")]` is a PostgreSQL schema; on MySQL a schema is another \
         database, whose DROP SCHEMA drops everything in it and whose tables this database's \
         version record does not cover: leave `schema` out of these models and give that \
         database a migrations directory of its own (`-d <dir>`, with its URL)"
    }

    fn quote_ident(&self, ident: &str) -> String {
        format!("`{}`", ident.replace('`', "``"))
    }

    /// `'...'` with `'` doubled and `\` escaped (the session turns `NO_BACKSLASH_ESCAPES` off).
    fn quote_str(&self, s: &str) -> String {
        render::string_literal(s)
    }

    fn type_sql(&self, ty: &SqlType) -> Result<String, RenderError> {
        render::type_sql(ty)
    }

    fn default_sql(&self, d: &ColumnDefault) -> String {
        render::default_sql(self, d, None)
    }
}

impl Ddl for Mysql {
    fn column_sql(&self, table: &Table, column: &Column) -> Result<String, RenderError> {
        render::column_sql(self, table, column)
    }

    fn check_sql(&self, check: &Check) -> String {
        render::check_sql(self, check)
    }

    fn create_table_sql(&self, table: &Table) -> Result<String, RenderError> {
        render::create_table_sql(self, table)
    }

    fn create_index_sql(&self, table: &str, index: &Index) -> String {
        render::create_index_sql(self, table, index)
    }

    fn check_index(&self, table: &str, index: &Index) -> Result<(), RenderError> {
        render::check_index(self, table, index)
    }

    fn drop_index_sql(&self, table: &str, index: &Index) -> String {
        format!(
            "DROP INDEX {} ON {}",
            self.quote_ident(&index.name),
            self.quote_ident(table)
        )
    }

    fn create_table(&self, table: &Table, cx: &OpContext<'_>) -> Result<Statements, RenderError> {
        let _ = cx;
        Ok(vec![render::create_table_sql(self, table)?].into())
    }

    fn rename_table(
        &self,
        from: &str,
        to: &str,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::rename_table(self, from, to, cx)
    }

    fn add_column(
        &self,
        table: &str,
        column: &Column,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::add_column(self, table, column, cx)
    }

    fn drop_column(
        &self,
        table: &str,
        column: &Column,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::drop_column(self, table, column, cx)
    }

    fn alter_column(
        &self,
        table: &str,
        column: &str,
        change: &ColumnChange<'_>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::alter_column(self, table, column, change, cx)
    }

    fn alter_column_comment(
        &self,
        table: &str,
        column: &str,
        comment: Option<&str>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = comment;
        render::alter_column_comment(self, table, column, cx)
    }

    fn alter_table_comment(
        &self,
        table: &str,
        comment: Option<&str>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        let _ = cx;
        Ok(vec![render::table_comment_sql(self, table, comment)].into())
    }

    fn alter_primary_key(
        &self,
        table: &str,
        from: Option<&PrimaryKey>,
        to: Option<&PrimaryKey>,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::alter_primary_key(self, table, from, to, cx)
    }

    fn add_unique(
        &self,
        table: &str,
        unique: &Unique,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::add_unique(self, table, unique, cx)
    }

    fn drop_unique(
        &self,
        table: &str,
        unique: &Unique,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::drop_key(self, table, cx.dropped(&unique.name), &unique.columns, cx)
    }

    fn add_foreign_key(
        &self,
        table: &str,
        foreign_key: &ForeignKey,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::add_foreign_key(self, table, foreign_key, cx)
    }

    fn drop_foreign_key(
        &self,
        table: &str,
        foreign_key: &ForeignKey,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::drop_foreign_key(self, table, foreign_key, cx)
    }

    fn add_check(
        &self,
        table: &str,
        check: &Check,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::add_check(self, table, check, cx)
    }

    fn create_index(
        &self,
        table: &str,
        index: &Index,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::create_index(self, table, index, cx)
    }

    fn drop_index(
        &self,
        table: &str,
        index: &Index,
        cx: &OpContext<'_>,
    ) -> Result<Statements, RenderError> {
        render::drop_key(self, table, cx.dropped(&index.name), &index.columns, cx)
    }
}

impl Catalog for Mysql {
    fn parse_type(&self, spelled: &str) -> SqlType {
        introspect::parse_mysql_type(spelled)
    }

    fn catalog_queries(&self, opts: &IntrospectOptions) -> Vec<String> {
        introspect::catalog_queries(self, opts)
    }

    fn assemble(
        &self,
        results: Vec<Vec<CatalogValues>>,
        opts: &IntrospectOptions,
    ) -> Result<Schema, IntrospectError> {
        introspect::assemble(self, results, opts)
    }

    fn normalize(&self, schema: &mut Schema) {
        introspect::normalize(schema)
    }

    fn check_expr_key(&self, expr: &str) -> String {
        introspect::check_expr_key(expr)
    }
}

/// The name `GET_LOCK` takes for the migration lock `key`. Lock names are per server, so the
/// database is part of it (two databases on one server migrate independently), hashed to stay
/// within the 64 characters a lock name may have.
fn lock_name(d: &Mysql, key: i64) -> String {
    format!(
        "CONCAT('strata_', MD5(CONCAT(COALESCE(DATABASE(), ''), ':', {})))",
        d.quote_str(&key.to_string())
    )
}

impl Transport for Mysql {
    /// `lock_wait_timeout` (metadata locks: the table locks DDL waits for) and
    /// `innodb_lock_wait_timeout` (row locks, for the rows an `sql` step writes), both in
    /// whole seconds: `millis` is rounded up. Session settings either way (`local` does not
    /// matter: each statement commits on its own).
    fn lock_timeout_sql(&self, millis: Option<u64>, local: bool) -> Vec<String> {
        let _ = local;
        let value =
            millis.map_or_else(|| "DEFAULT".to_string(), |ms| ms.div_ceil(1000).to_string());
        ["lock_wait_timeout", "innodb_lock_wait_timeout"]
            .iter()
            .map(|v| format!("SET SESSION {v} = {value}"))
            .collect()
    }

    /// MariaDB: `max_statement_time`, in seconds (fractions allowed), for every statement.
    /// MySQL: `max_execution_time`, in milliseconds, which limits read-only SELECT
    /// statements only: DDL runs unlimited there.
    fn statement_timeout_sql(&self, millis: Option<u64>, local: bool) -> Vec<String> {
        let _ = local;
        let sql = match (self.server.flavor, millis) {
            (Flavor::MariaDb, Some(ms)) => format!(
                "SET SESSION max_statement_time = {}.{:03}",
                ms / 1000,
                ms % 1000
            ),
            (Flavor::MariaDb, None) => "SET SESSION max_statement_time = DEFAULT".into(),
            (_, Some(ms)) => format!("SET SESSION max_execution_time = {ms}"),
            (_, None) => "SET SESSION max_execution_time = DEFAULT".into(),
        };
        vec![sql]
    }

    /// Error 1205, ER_LOCK_WAIT_TIMEOUT: a metadata or row lock wait timed out. The statement
    /// did not take effect (and InnoDB rolled back at most that statement).
    fn is_lock_timeout_code(&self, code: &str) -> bool {
        code == "1205"
    }

    fn blocking_sessions_hint(&self) -> &'static str {
        "SHOW PROCESSLIST lists the sessions (the migration's statement shows as `Waiting for \
         table metadata lock`); SELECT trx_mysql_thread_id, trx_started FROM \
         information_schema.INNODB_TRX ORDER BY trx_started lists the open transactions, \
         oldest first; commit that session's transaction, or end it with KILL <id>"
    }

    /// DDL commits implicitly: every step that runs statements records its progress
    /// statement by statement instead.
    fn transactional_ddl(&self) -> bool {
        false
    }

    /// The session's `sql_mode`, kept from the server's but for four things Strata's SQL
    /// relies on: backslash escapes on (string literals are written with them), `ANSI_QUOTES`
    /// off (identifiers are backtick-quoted either way; a hand-written `"x"` stays a string,
    /// as MySQL users write it), `PIPES_AS_CONCAT` on (`||` concatenates, as in standard SQL
    /// and as the driver sets it anyway) and `STRICT_ALL_TABLES` on (a value that does not
    /// fit a narrowed column is an error, never silently cut or zeroed).
    fn session_sql(&self) -> Vec<String> {
        vec![
            "SET SESSION sql_mode = CONCAT(REPLACE(REPLACE(@@SESSION.sql_mode, \
             'NO_BACKSLASH_ESCAPES', ''), 'ANSI_QUOTES', ''), ',PIPES_AS_CONCAT,STRICT_ALL_TABLES')"
                .into(),
        ]
    }

    fn server_version_sql(&self) -> Option<&'static str> {
        Some("SELECT VERSION()")
    }

    fn for_server(&self, version: &str) -> Option<&'static dyn Dialect> {
        Some(for_version(version))
    }

    fn use_schema_sql(&self, schema: &str) -> Option<String> {
        Some(format!("USE {}", self.quote_ident(schema)))
    }

    fn schema_exists_sql(&self, schema: &str) -> Option<String> {
        Some(format!(
            "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = {}",
            self.quote_str(schema)
        ))
    }

    fn try_lock_sql(&self, key: i64) -> Option<String> {
        Some(format!(
            "SELECT CAST(COALESCE(GET_LOCK({}, 0), 0) AS SIGNED)",
            lock_name(self, key)
        ))
    }

    fn unlock_sql(&self, key: i64) -> Option<String> {
        Some(format!(
            "SELECT CAST(RELEASE_LOCK({}) AS CHAR)",
            lock_name(self, key)
        ))
    }

    fn lock_holder_sql(&self, key: i64) -> Option<String> {
        Some(format!(
            "SELECT COALESCE((SELECT CONCAT('connection ', p.ID, ' (user ', p.USER, ', host ', \
             p.HOST, ', ', p.TIME, ' s in state ', COALESCE(p.COMMAND, '?'), ')') \
             FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK({})), '')",
            lock_name(self, key)
        ))
    }

    fn backend_id_sql(&self) -> Option<String> {
        Some("SELECT CAST(CONNECTION_ID() AS SIGNED)".into())
    }

    fn cancel_backend_sql(&self, id: i64) -> Option<String> {
        Some(format!("KILL QUERY {id}"))
    }
}

impl Bookkeeping for Mysql {
    fn table_exists_sql(&self, table: &str) -> String {
        format!(
            "SELECT CAST(COUNT(*) AS SIGNED) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {}",
            self.quote_str(table)
        )
    }

    fn count_rows_sql(&self, table: &str, column: Option<&str>) -> String {
        format!(
            "SELECT CAST(COUNT({}) AS SIGNED) FROM {}",
            column.map_or_else(|| "*".to_string(), |c| self.quote_ident(c)),
            self.quote_ident(table)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_pick_the_server() {
        assert_eq!(
            for_version("10.11.19-MariaDB-0+deb12u1").server,
            MARIADB.server
        );
        assert_eq!(for_version("10.4.34-MariaDB").server, MARIADB_OLD.server);
        assert_eq!(for_version("8.0.36").server, MYSQL8.server);
        assert_eq!(for_version("8.4.0-commercial").server, MYSQL8.server);
        assert_eq!(for_version("8.0.15").server, MYSQL57.server);
        assert_eq!(for_version("5.7.44-log").server, MYSQL57.server);
        assert_eq!(for_version("").server, MYSQL.server);
    }

    #[test]
    fn quoting() {
        let d = &MYSQL;
        assert_eq!(d.quote_ident("a`b"), "`a``b`");
        assert_eq!(d.quote_str("it's a\\b"), "'it''s a\\\\b'");
    }
}
