//! Stage 8, CLI: `lint`, `check --lint`, the lint of `migrate` and the refusal of `upgrade` (see [`crate::lint`]).

use std::io::IsTerminal as _;

use super::{close, Access, Ctx};
use crate::cli::{Failure, Outcome};
use crate::lint::{Finding, Rule};
use crate::migrator::{LintFinding, LintRange, Migrator};

/// Whether a finding of `rule` stops `upgrade` until acknowledged: the rules that lose data or
/// fail on rows. The lock and rewrite rules are `lint`'s to report.
pub(super) fn stops_upgrade(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::DropTable
            | Rule::DropColumn
            | Rule::NarrowType
            | Rule::TruncatingCast
            | Rule::AddNotNullWithoutDefault
            | Rule::SetNotNull
            | Rule::AddUnique
    )
}

/// The `allow` entry that acknowledges `f` alone.
fn allow_entry(f: &Finding) -> String {
    format!("{} {}", f.rule, f.target)
}

impl Ctx {
    /// `migrate lint [RANGE] [--all] [--dialect D]`: one line per finding; exit 1 when one is
    /// not acknowledged.
    pub(super) async fn lint(
        &self,
        range: Option<String>,
        all: bool,
        dialect: Option<String>,
    ) -> Result<Outcome, Failure> {
        let m = self.open()?;
        let range = LintRange::parse(range.as_deref(), all);
        let found = match dialect {
            // Offline: no rows to read; without a database, "pending" is every revision.
            Some(d) => {
                let kind = self.sql_dialect(&m, Some(d))?;
                let range = if range == LintRange::Pending {
                    LintRange::All
                } else {
                    range
                };
                let d = kind.dialect().map_err(crate::error::Error::from)?;
                m.lint(None, d, &range).await?
            }
            None => {
                let mut db = self.connect(&m, Access::Read).await?;
                let d = db.dialect();
                let found = m.lint(Some(&mut db), d, &range).await;
                close(db).await;
                found?
            }
        };
        Ok(self.report(&found))
    }

    /// Prints `found`: unacknowledged findings as results, acknowledged ones as notes.
    fn report(&self, found: &[LintFinding]) -> Outcome {
        let mut open = 0;
        for f in found {
            match &f.allowed {
                None => {
                    open += 1;
                    self.out.result(f.line());
                }
                Some(a) => self.out.info(format!(
                    "{} [allowed{}]",
                    f.line(),
                    a.reason
                        .as_deref()
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                )),
            }
        }
        if open == 0 {
            self.out.info(format!(
                "No unacknowledged lint findings ({} acknowledged).",
                found.len()
            ));
            Outcome::Done
        } else {
            self.out.info(format!(
                "{open} lint finding(s) not acknowledged; acknowledge each in its revision file \
                 with `allow = [\"<rule> <target>: why\"]`, or change the migration the safe way"
            ));
            Outcome::Differences
        }
    }

    /// `check --lint`: every revision linted for the database's dialect (offline: the rows of
    /// a database at head say nothing about the revisions that led there).
    pub(super) async fn check_lint(&self, m: &Migrator) -> Result<Outcome, Failure> {
        let kind = self.sql_dialect(m, None)?;
        let d = kind.dialect().map_err(crate::error::Error::from)?;
        let found = m.lint(None, d, &LintRange::All).await?;
        Ok(self.report(&found))
    }

    /// Before `upgrade` to `target`: the findings that lose data or fail on rows, not
    /// acknowledged, among the revisions the upgrade runs. With `allow_unsafe` they are printed; on a terminal the user
    /// is asked; otherwise the upgrade is refused before anything runs.
    pub(super) async fn refuse_unsafe(
        &self,
        m: &Migrator,
        db: &mut crate::db::Db,
        target: &str,
        allow_unsafe: bool,
    ) -> Result<(), Failure> {
        let d = db.dialect();
        // The lint replays the files to know the schema each revision meets; a history that
        // does not replay (hand-written SQL the ops cannot follow) is for `lint` to report,
        // not a reason to stop an upgrade that renders from the live schema.
        let found: Vec<LintFinding> = match m
            .lint(Some(db), d, &LintRange::PendingTo(target.to_string()))
            .await
        {
            Ok(found) => found,
            Err(e) => {
                self.out
                    .warning(format!("the lint could not read the revisions to run: {e}"));
                Vec::new()
            }
        }
        .into_iter()
        .filter(|f| f.allowed.is_none() && stops_upgrade(f.finding.rule))
        .collect();
        if found.is_empty() {
            return Ok(());
        }
        for f in &found {
            self.out.warning(f.line());
        }
        if allow_unsafe {
            return Ok(());
        }
        if std::io::stdin().is_terminal() {
            let go = crate::cli::confirm::ask(
                "Upgrade anyway?",
                &mut std::io::stdin().lock(),
                &mut std::io::stderr().lock(),
            )
            .unwrap_or(false);
            if go {
                return Ok(());
            }
            return Err(Failure::new("upgrade cancelled; nothing was run")
                .hint("acknowledge the findings in the file, or pass --allow-unsafe"));
        }
        let entries: Vec<String> = found.iter().map(|f| allow_entry(&f.finding)).collect();
        Err(Failure::new(format!(
            "the upgrade loses data or fails on existing rows ({} finding(s) above) and they \
             are not acknowledged; nothing was run",
            found.len()
        ))
        .hint(format!(
            "acknowledge them in the revision file (`allow = [\"{}\"]`), or pass --allow-unsafe",
            entries.join("\", \"")
        )))
    }

    /// The findings of an autogenerated revision's `ops` on the schema at its parent, printed,
    /// and as the notes the file gets above each step.
    pub(super) fn lint_new(
        &self,
        m: &Migrator,
        parent: Option<&str>,
        dialect: &dyn crate::dialect::Dialect,
        ops: &[crate::ops::Op],
    ) -> Vec<(usize, String)> {
        let before = parent.and_then(|p| m.schema_at(p).ok()).unwrap_or_default();
        let mut notes = Vec::new();
        let online = m.settings().online;
        for f in crate::lint::lint(ops, &before, dialect, None, online) {
            self.out.warning(f.describe());
            notes.push((
                f.step,
                format!(
                    "lint: {}\n  acknowledge with: allow = [\"{}: <why>\"]",
                    f.describe(),
                    allow_entry(&f)
                ),
            ));
        }
        notes
    }
}
