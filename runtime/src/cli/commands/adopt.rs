//! Stage 8, CLI: `adopt`, taking over a database that Flask-Migrate / Alembic (or a person) made.

use super::{close, Access, Ctx};
use crate::cli::{Failure, Outcome};
use crate::migrator::NewRevision;

impl Ctx {
    /// `migrate adopt`: writes the baseline, stamps the database with it, then reports what
    /// the models disagree with (the next `migrate -m`'s work).
    pub(super) async fn adopt(
        &self,
        message: Option<String>,
        rev_id: Option<String>,
    ) -> Result<Outcome, Failure> {
        let mut m = self.open()?;
        let mut db = self.connect(&m, Access::Write).await?;
        let new = NewRevision {
            message: message.unwrap_or_default(),
            rev_id,
            ..NewRevision::default()
        };
        // The stamp's own progress line is left out: the report below says it.
        let result = m
            .adopt(&mut db, &crate::registry::models(), new, |_| {})
            .await;
        close(db).await;
        let adopted = result?;
        let n = adopted.tables.len();
        self.out.info(format!(
            "Adopting {n} {} as they are: {}",
            if n == 1 { "table" } else { "tables" },
            adopted.tables.join(", ")
        ));
        for t in &adopted.left_alone {
            self.out.info(format!(
                "Leaving `{t}` as it is (another tool's version table; drop it once that tool \
                 no longer runs against this database)"
            ));
        }
        for what in &adopted.not_recreated {
            self.out.warning(format!(
                "the baseline does not create {what} (Strata does not model it): a fresh \
                 database upgraded from base lacks it; add an `sql` step if it needs it"
            ));
        }
        self.generated(&adopted.baseline);
        self.out.info(format!(
            "Stamped the database with {} (the baseline was not run: the database has it \
             already)",
            adopted.baseline.revision()
        ));
        match adopted.model_changes {
            Ok(changes) => {
                for note in &changes.notes {
                    self.out.warning(note);
                }
                if changes.is_empty() {
                    self.out.info("The models match the database.");
                } else {
                    self.out
                        .result("The models differ from the database (not part of the baseline):");
                    for op in &changes.upgrade {
                        for line in op.describe() {
                            self.out.result(format!("  {line}"));
                        }
                    }
                    self.out.result(
                        "Run `migrate -m \"<message>\"` next to generate a revision for these \
                         differences.",
                    );
                }
            }
            Err(e) => self.out.warning(format!(
                "the models could not be compared with the database: {e}\n  The baseline is \
                 written and stamped; fix this, then run `check`"
            )),
        }
        Ok(Outcome::Done)
    }
}
