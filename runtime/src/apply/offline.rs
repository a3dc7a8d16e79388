//! Stage 7, apply (offline): the SQL script for a range of steps, for people who review or run SQL by hand.

use std::fmt::Write;
use std::time::Duration;

use super::{bookkeeping, ApplyError, PlannedStep, TxMode};
use crate::dialect::Dialect;

/// Renders `steps` as one script: `BEGIN;`, the version table's DDL when the run starts from
/// base (`create_bookkeeping`), a `-- Running upgrade a -> b, message` comment per step, each
/// step's statements and version-row updates, `COMMIT;`. With [`TxMode::PerMigration`], each
/// migration gets its own `BEGIN;`/`COMMIT;`; a non-transactional step never has one.
pub fn script(
    dialect: &dyn Dialect,
    steps: &[PlannedStep],
    create_bookkeeping: bool,
    tx_mode: TxMode,
) -> Result<String, ApplyError> {
    let mut out = String::new();
    let now = bookkeeping::now_utc();
    let mut open = false;
    let begin = |out: &mut String, open: &mut bool| {
        if !*open {
            let _ = writeln!(out, "BEGIN;\n");
            *open = true;
        }
    };
    let commit = |out: &mut String, open: &mut bool| {
        if *open {
            for check in dialect.run_epilogue_checks() {
                let _ = writeln!(out, "-- Must return no rows:\n{check};\n");
            }
            let _ = writeln!(out, "COMMIT;\n");
            *open = false;
        }
    };
    for sql in dialect.run_prologue() {
        let _ = writeln!(out, "{sql};\n");
    }
    if create_bookkeeping {
        begin(&mut out, &mut open);
        for sql in bookkeeping::create_statements(dialect)? {
            let _ = writeln!(out, "{sql};\n");
        }
    }
    for step in steps {
        if !step.transactional {
            commit(&mut out, &mut open);
            let _ = writeln!(out, "-- Not transactional: runs outside a transaction");
        } else {
            begin(&mut out, &mut open);
        }
        let verb = match step.direction {
            super::Direction::Up => "upgrade",
            super::Direction::Down => "downgrade",
            super::Direction::Stamp => "stamp",
            super::Direction::Accept => "accept",
        };
        let _ = writeln!(
            out,
            "-- Running {verb} {} -> {}, {}\n",
            step.from_label, step.to_label, step.message
        );
        for sql in &step.statements {
            let _ = writeln!(out, "{sql};\n");
        }
        for sql in bookkeeping::version_and_log_statements(dialect, step, &now, Duration::ZERO) {
            let _ = writeln!(out, "{sql};\n");
        }
        if !step.transactional || tx_mode == TxMode::PerMigration {
            commit(&mut out, &mut open);
        }
    }
    commit(&mut out, &mut open);
    for sql in dialect.run_finally() {
        let _ = writeln!(out, "{sql};\n");
    }
    Ok(out)
}
