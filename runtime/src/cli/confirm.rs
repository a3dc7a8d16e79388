//! Stage 8, CLI: saying what a downgrade destroys before it runs, and asking on a terminal.
//!
//! `downgrade` lists the steps that drop tables or columns or narrow types (with the rows or
//! values there now), and `downgrade base`; on a terminal it asks `[y/N]` unless `--yes`;
//! when stdin is not a terminal (CI, scripts) it prints the list and runs as asked.

use std::io::{BufRead, IsTerminal as _, Write};

use super::output::Out;
use super::Failure;
use crate::db::Db;
use crate::migrator::{Count, DowngradeLosses, Migrator};

/// Before a downgrade to `target`: lists what it destroys; on a terminal asks unless `yes`.
/// `Err` when the user says no (nothing has run) or the downgrade cannot run anyway (an
/// irreversible revision, or an edited applied file without `allow_changed`), so nobody is
/// asked about a downgrade that would then be refused.
pub(crate) async fn downgrade(
    out: &Out,
    m: &Migrator,
    db: &mut Db,
    target: &str,
    yes: bool,
    allow_changed: bool,
) -> Result<(), Failure> {
    if !allow_changed {
        let changed = m.changed_files(db).await?;
        if !changed.is_empty() {
            return Err(crate::Error::ChangedFiles(changed).into());
        }
    }
    let lines = report(&m.downgrade_losses(db, target).await?);
    if lines.is_empty() {
        return Ok(());
    }
    if yes || !std::io::stdin().is_terminal() {
        for line in &lines {
            out.warning(line);
        }
        return Ok(());
    }
    let mut stderr = std::io::stderr().lock();
    for line in &lines {
        let _ = writeln!(stderr, "WARNING: {line}");
    }
    let go = ask(
        "Downgrade anyway?",
        &mut std::io::stdin().lock(),
        &mut stderr,
    )
    .unwrap_or(false);
    if go {
        Ok(())
    } else {
        Err(Failure::new("downgrade cancelled; nothing was changed")
            .hint("pass --yes to downgrade without the question"))
    }
}

/// The warning lines for `losses` (empty when nothing is destroyed).
pub(crate) fn report(losses: &DowngradeLosses) -> Vec<String> {
    if !losses.is_destructive() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let n = losses.steps;
    let revisions = if n == 1 { "revision" } else { "revisions" };
    if losses.to_base {
        lines.push(format!(
            "this downgrade goes to base: it reverts every applied revision ({n} {revisions})"
        ));
    }
    if losses.losses.is_empty() {
        lines.push("no step drops a table or column".into());
        return lines;
    }
    lines.push(format!(
        "this downgrade ({n} {revisions}) destroys data that is not restored by upgrading again:"
    ));
    for l in &losses.losses {
        let count = match l.count {
            Some(Count::Rows(1)) => " (1 row now)".to_string(),
            Some(Count::Rows(n)) => format!(" ({n} rows now)"),
            Some(Count::Values(1)) => " (1 non-NULL value now)".to_string(),
            Some(Count::Values(n)) => format!(" ({n} non-NULL values now)"),
            None => String::new(),
        };
        lines.push(format!(
            "  revision {} ({}): {}{count}",
            l.revision, l.message, l.what
        ));
    }
    lines
}

/// Writes `question` and ` [y/N] ` to `output`, reads one line from `input`: true for `y` or
/// `yes` (any case), false for anything else, an empty line or the end of input.
pub(crate) fn ask(
    question: &str,
    input: &mut impl BufRead,
    output: &mut impl Write,
) -> std::io::Result<bool> {
    write!(output, "{question} [y/N] ")?;
    output.flush()?;
    let mut line = String::new();
    input.read_line(&mut line)?;
    let answer = line.trim().to_ascii_lowercase();
    Ok(answer == "y" || answer == "yes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrator::Loss;

    #[test]
    fn only_y_or_yes_confirms() {
        for (typed, confirmed) in [
            ("y\n", true),
            ("YES\n", true),
            (" yes \r\n", true),
            ("\n", false),
            ("", false),
            ("n\n", false),
            ("yep\n", false),
            ("no\n", false),
        ] {
            let mut shown = Vec::new();
            let got = ask("Downgrade anyway?", &mut typed.as_bytes(), &mut shown).expect("ask");
            assert_eq!(got, confirmed, "{typed:?}");
            assert_eq!(String::from_utf8_lossy(&shown), "Downgrade anyway? [y/N] ");
        }
    }

    #[test]
    fn the_report_names_what_is_lost() {
        assert!(report(&DowngradeLosses::default()).is_empty());
        let base = DowngradeLosses {
            steps: 2,
            to_base: true,
            losses: vec![Loss {
                revision: "a1".into(),
                message: "create users".into(),
                what: "drops table 'users' and all its rows".into(),
                count: Some(Count::Rows(3)),
            }],
        };
        assert_eq!(
            report(&base),
            [
                "this downgrade goes to base: it reverts every applied revision (2 revisions)",
                "this downgrade (2 revisions) destroys data that is not restored by upgrading again:",
                "  revision a1 (create users): drops table 'users' and all its rows (3 rows now)",
            ]
        );
        let empty_base = DowngradeLosses {
            steps: 1,
            to_base: true,
            losses: Vec::new(),
        };
        assert_eq!(report(&empty_base).len(), 2);
    }
}
