//! Stage 7, apply (offline): the SQL script for a range of steps, for people who review or run SQL by hand.

use std::fmt::Write;
use std::time::Duration;

use super::{bookkeeping, ApplyError, PlannedStep, TxMode};
use crate::dialect::Dialect;

/// Renders `steps` as one script: `BEGIN;`, the version table's DDL when the run starts from
/// base (`create_bookkeeping`), a `-- Running upgrade a -> b, message` comment per step, each
/// step's statements and version-row updates, `COMMIT;`. With [`TxMode::PerMigration`], each
/// migration gets its own `BEGIN;`/`COMMIT;`. A non-transactional step runs outside them,
/// except its atomic ranges (a table rebuild) and its version-row updates, which get a
/// transaction each. Before a `COMMIT;` that ends steps rebuilding tables, the foreign-key
/// query over those tables (SQLite) is printed as a comment to run by hand.
pub(crate) fn script(
    dialect: &dyn Dialect,
    steps: &[PlannedStep],
    create_bookkeeping: bool,
    tx_mode: TxMode,
) -> Result<String, ApplyError> {
    let mut out = String::new();
    let now = bookkeeping::now_utc();
    let mut open = false;
    // Tables rebuilt in the open transaction.
    let mut rebuilt: Vec<String> = Vec::new();
    let begin = |out: &mut String, open: &mut bool| {
        if !*open {
            let _ = writeln!(out, "BEGIN;\n");
            *open = true;
        }
    };
    let commit = |out: &mut String, open: &mut bool, rebuilt: &mut Vec<String>| {
        if *open {
            fk_check(out, dialect, rebuilt);
            let _ = writeln!(out, "COMMIT;\n");
            *open = false;
        }
    };
    for sql in dialect
        .session_sql()
        .into_iter()
        .chain(dialect.run_prologue())
    {
        let _ = writeln!(out, "{sql};\n");
    }
    if create_bookkeeping {
        begin(&mut out, &mut open);
        for sql in bookkeeping::create_statements(dialect)? {
            let _ = writeln!(out, "{sql};\n");
        }
    }
    for step in steps {
        let outside = step.runs_outside(dialect);
        if outside && !dialect.transactional_ddl() {
            commit(&mut out, &mut open, &mut rebuilt);
            let _ = writeln!(
                out,
                "-- {} commits each DDL statement: they run one by one, outside a transaction",
                dialect.name()
            );
        } else if outside {
            commit(&mut out, &mut open, &mut rebuilt);
            let _ = writeln!(out, "-- Not transactional: runs outside a transaction");
        } else {
            begin(&mut out, &mut open);
            rebuilt.extend(step.rebuilt_tables.iter().cloned());
        }
        let verb = match step.kind {
            super::StepKind::Up => "upgrade",
            super::StepKind::Down => "downgrade",
            super::StepKind::Stamp => "stamp",
            super::StepKind::Accept => "accept",
        };
        let _ = writeln!(
            out,
            "-- Running {verb} {} -> {}, {}\n",
            step.from_label, step.to_label, step.message
        );
        let bookkeeping =
            bookkeeping::version_and_log_statements(dialect, step, &now, Duration::ZERO);
        // A backfill in batches loops on the server where the dialect can say so.
        let script_sql = |sql: &String| -> String {
            if crate::dialect::is_repeated(sql) {
                if let Some(block) = dialect.repeat_script_sql(sql, outside) {
                    return block;
                }
            }
            sql.clone()
        };
        if !outside {
            for sql in step
                .statements
                .iter()
                .map(script_sql)
                .chain(bookkeeping.clone())
            {
                let _ = writeln!(out, "{sql};\n");
            }
            if tx_mode == TxMode::PerMigration {
                commit(&mut out, &mut open, &mut rebuilt);
            }
            continue;
        }
        for (unit, atomic) in super::execute::units(step, dialect) {
            if atomic {
                begin(&mut out, &mut open);
                rebuilt.extend(step.rebuilt_tables.iter().cloned());
            }
            for sql in step.statements[unit].iter().map(script_sql) {
                let _ = writeln!(out, "{sql};\n");
            }
            commit(&mut out, &mut open, &mut rebuilt);
        }
        // The version rows and the log row take effect together.
        begin(&mut out, &mut open);
        for sql in &bookkeeping {
            let _ = writeln!(out, "{sql};\n");
        }
        commit(&mut out, &mut open, &mut rebuilt);
    }
    commit(&mut out, &mut open, &mut rebuilt);
    for sql in dialect.run_finally() {
        let _ = writeln!(out, "{sql};\n");
    }
    Ok(out)
}

/// The foreign-key query over the tables rebuilt in the transaction about to commit, as a
/// comment to run by hand (empty when none were rebuilt, or the dialect enforces foreign keys).
fn fk_check(out: &mut String, dialect: &dyn Dialect, rebuilt: &mut Vec<String>) {
    if let Some(sql) = dialect.foreign_key_violations_sql(rebuilt) {
        let _ = writeln!(
            out,
            "-- Rows this returns that it did not return before the script ran are foreign keys \
             the migration broke:\n{sql};\n"
        );
    }
    rebuilt.clear();
}
