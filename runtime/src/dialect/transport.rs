//! Dialect layer: how the apply stage talks to the server: transactions, batches, savepoints, the migration lock, cancelling.

use super::Syntax;

/// Transport: the SQL and facts the apply stage needs around the migration statements. Every
/// method has a default (standard SQL, or "not needed here").
pub trait Transport: Syntax {
    /// Whether DDL runs inside transactions (and rolls back with them).
    fn transactional_ddl(&self) -> bool {
        true
    }

    /// Statements that make this dialect's SQL mean what it says on the session, run right
    /// after connecting (a failure fails the connection) and written at the top of offline
    /// scripts. MySQL: the `sql_mode` its string literals and checks assume. Default: none.
    fn session_sql(&self) -> Vec<String> {
        Vec::new()
    }

    /// A query returning the server's version as one text row, when the dialect writes
    /// differently for different servers ([`Transport::for_server`]). Default: `None`.
    fn server_version_sql(&self) -> Option<&'static str> {
        None
    }

    /// The dialect to speak to a server whose [`Transport::server_version_sql`] returned
    /// `version` (MySQL: MariaDB or MySQL, and what their version can do); `None` keeps this
    /// one. Default: `None`.
    fn for_server(&self, version: &str) -> Option<&'static dyn super::Dialect> {
        let _ = version;
        None
    }

    /// Whether `sql`, run outside a transaction, waits for locks without making anyone wait
    /// behind it, and may leave work behind when it fails half way (PostgreSQL: `CREATE` and
    /// `DROP INDEX CONCURRENTLY`, which wait for older transactions to end and leave an invalid
    /// index when they fail). Such a statement runs under the server's lock timeout rather than
    /// the migration's, and a lock timeout of it is not retried. Default: none.
    fn waits_harmlessly(&self, sql: &str) -> bool {
        let _ = sql;
        false
    }

    /// Whether `sql` must be committed before anything after it can use what it made
    /// (PostgreSQL: `ALTER TYPE ... ADD VALUE`, whose new value "cannot be used until the
    /// transaction has been committed"). A step holding one runs outside a single transaction:
    /// such statements go first where [`Transport::may_precede`] allows, each committing on
    /// its own, and the rest runs as one unit. Default: none.
    fn commits_first(&self, sql: &str) -> bool {
        let _ = sql;
        false
    }

    /// Whether `first` (a statement that [commits first](Transport::commits_first)) may run
    /// before `earlier`, a statement written before it in the same step: `earlier` cannot
    /// make or change what `first` needs (PostgreSQL: it names no type). Default: no.
    fn may_precede(&self, first: &str, earlier: &str) -> bool {
        let _ = (first, earlier);
        false
    }

    /// For an offline script: a statement marked to run until it changes no rows
    /// ([`is_repeated`](crate::dialect::is_repeated), a backfill in batches) as one statement
    /// that loops on the server, committing after each batch when `commit_each` (the step runs
    /// outside a transaction). `None` where the dialect has no such block (the script then
    /// holds the statement once, under its marker comment, for the operator to repeat).
    fn repeat_script_sql(&self, sql: &str, commit_each: bool) -> Option<String> {
        let _ = (sql, commit_each);
        None
    }

    /// Statements to run on the connection BEFORE the migration transaction begins, for settings
    /// that cannot change inside a transaction. SQLite: `PRAGMA foreign_keys = OFF`, so a table
    /// rebuild's `DROP TABLE` neither fails on nor cascades to referencing rows. Default: none.
    fn run_prologue(&self) -> Vec<String> {
        Vec::new()
    }

    /// A query listing the rows whose foreign keys point nowhere, in `tables` and in the tables
    /// whose foreign keys reference one of them: rows of (table text, rowid int8, parent text).
    /// The apply stage runs it before and after steps that re-create `tables` (inside the
    /// migration transaction): a violation the steps added fails the migration, one that was
    /// there before is reported as pre-existing. SQLite: `pragma_foreign_key_check` per table
    /// (foreign keys are not enforced while the prologue has them off). `None` where the
    /// database enforces foreign keys statement by statement. Default: `None`.
    fn foreign_key_violations_sql(&self, tables: &[String]) -> Option<String> {
        let _ = tables;
        None
    }

    /// Statements to run AFTER the transaction ends, whether it committed or rolled back,
    /// undoing [`Transport::run_prologue`]. SQLite: `PRAGMA foreign_keys = ON`. Default: none.
    fn run_finally(&self) -> Vec<String> {
        Vec::new()
    }

    /// The SQL that runs `statements` (each one complete statement, no trailing semicolon) in
    /// one call to the server; it must produce exactly `statements.len()` results. The apply
    /// stage sends a step's statements this way, inside the savepoint
    /// [`Transport::savepoint_sql`] opens, only where DDL is transactional: a failed batch is
    /// undone to the savepoint and replayed one statement at a time to name the failing one.
    fn batch_sql(&self, statements: &[String]) -> String {
        let mut sql = String::with_capacity(statements.iter().map(|s| s.len() + 3).sum());
        for statement in statements {
            sql.push_str(statement);
            // A newline first where the statement may end in a `--` comment, which would
            // swallow the `;`; otherwise none, since SQLite keeps a `CREATE` statement's text
            // up to the `;` and a table rebuild re-creates indexes and triggers from it.
            sql.push_str(if statement.contains("--") {
                "\n;\n"
            } else {
                ";\n"
            });
        }
        sql
    }

    /// Opens the savepoint a batch runs in. Sent on its own: PostgreSQL parses a whole batch
    /// before running any of it, so a savepoint inside a batch with a syntax error would never
    /// be set.
    fn savepoint_sql(&self) -> String {
        format!("SAVEPOINT {}", self.quote_ident(self.batch_savepoint()))
    }

    /// The name of the savepoint a batch runs in.
    fn batch_savepoint(&self) -> &'static str {
        "strata_step"
    }

    /// Undoes a failed batch to its savepoint, inside the still-open transaction.
    fn rollback_batch_sql(&self) -> String {
        format!(
            "ROLLBACK TO SAVEPOINT {}",
            self.quote_ident(self.batch_savepoint())
        )
    }

    /// Releases the batch's savepoint (after the batch, or after a failed batch was replayed
    /// one statement at a time).
    fn release_batch_sql(&self) -> String {
        format!(
            "RELEASE SAVEPOINT {}",
            self.quote_ident(self.batch_savepoint())
        )
    }

    /// The statement that creates the empty database `name` on the server (`migrate test`'s
    /// scratch database); `None` where a database is a file (SQLite).
    fn create_database_sql(&self, name: &str) -> Option<String> {
        Some(format!("CREATE DATABASE {}", self.quote_ident(name)))
    }

    /// The statement that drops the database `name`, with any session still in it; `None`
    /// where a database is a file.
    fn drop_database_sql(&self, name: &str) -> Option<String> {
        Some(format!(
            "DROP DATABASE IF EXISTS {}",
            self.quote_ident(name)
        ))
    }

    /// The statement that makes `schema` the default for unqualified names; `None` where the
    /// dialect has no schemas.
    fn use_schema_sql(&self, schema: &str) -> Option<String> {
        let _ = schema;
        None
    }

    /// A query that returns a row when `schema` exists; `None` where the dialect has no
    /// schemas.
    fn schema_exists_sql(&self, schema: &str) -> Option<String> {
        let _ = schema;
        None
    }

    /// The statement that opens a migration transaction.
    fn begin_sql(&self) -> &'static str {
        "BEGIN"
    }

    /// A query returning one boolean: whether the migration lock `key` was taken without
    /// waiting. `None` when the dialect locks another way (SQLite's `BEGIN IMMEDIATE`).
    fn try_lock_sql(&self, key: i64) -> Option<String> {
        let _ = key;
        None
    }

    /// The statement that releases the migration lock `key`.
    fn unlock_sql(&self, key: i64) -> Option<String> {
        let _ = key;
        None
    }

    /// A query returning one text row describing who holds the migration lock `key`.
    fn lock_holder_sql(&self, key: i64) -> Option<String> {
        let _ = key;
        None
    }

    /// The statement that sets how long a statement waits for a lock another connection
    /// holds before failing, in milliseconds (SQLite: `PRAGMA busy_timeout`). `None` where
    /// the migration lock is taken another way. Default: `None`.
    fn lock_wait_sql(&self, millis: u64) -> Option<String> {
        let _ = millis;
        None
    }

    /// Whether a database error code means "another connection holds the lock; try again"
    /// (SQLite: `SQLITE_BUSY`). Default: never.
    fn is_busy_code(&self, code: &str) -> bool {
        let _ = code;
        false
    }

    /// Statements run once on the migration connection before the lock is taken. Failures are
    /// ignored (settings an older server does not know). PostgreSQL: have the server stop a
    /// running statement soon after its client is gone (killed), so a crashed migrator does
    /// not keep the lock for the rest of a long statement. Default: none.
    fn session_setup_sql(&self) -> Vec<String> {
        Vec::new()
    }

    /// A query returning one int8: the server's id for this connection, with which another
    /// connection can cancel its running statement ([`Transport::cancel_backend_sql`]). `None`
    /// where statements cannot be cancelled that way. Default: `None`.
    fn backend_id_sql(&self) -> Option<String> {
        None
    }

    /// A query (one row) that cancels the statement running on backend `id`, as psql does on
    /// Ctrl-C. Default: `None`.
    fn cancel_backend_sql(&self, id: i64) -> Option<String> {
        let _ = id;
        None
    }

    /// Statements that set how long each following statement may wait for a lock another
    /// session holds: `millis`, or the server's setting again when `None`. `local`: inside
    /// the migration transaction, ending with it; otherwise for the session. Default: none
    /// (SQLite has no such setting: its busy timeout covers the migration lock only).
    fn lock_timeout_sql(&self, millis: Option<u64>, local: bool) -> Vec<String> {
        let _ = (millis, local);
        Vec::new()
    }

    /// Statements that set how long each following statement may run, as
    /// [`Transport::lock_timeout_sql`] does for the lock wait. Default: none (SQLite).
    fn statement_timeout_sql(&self, millis: Option<u64>, local: bool) -> Vec<String> {
        let _ = (millis, local);
        Vec::new()
    }

    /// Whether a server error code (PostgreSQL's SQLSTATE, MySQL's error number) means "the
    /// statement waited longer than the lock timeout", so that it did not take effect and may
    /// run again. Default: never.
    fn is_lock_timeout_code(&self, code: &str) -> bool {
        let _ = code;
        false
    }

    /// How to find the session holding a lock the migration waited for, for messages (a
    /// query to run, and how to end that session). Default: empty.
    fn blocking_sessions_hint(&self) -> &'static str {
        ""
    }
}
