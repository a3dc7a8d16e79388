//! Stage 8, CLI: `accept`, recording the edited file of an applied revision as the one that ran.

use super::{close, Ctx};
use crate::cli::{Failure, Outcome};

impl Ctx {
    /// `migrate accept REV...`: one `Accepting ...` line per file recorded, or why there was
    /// nothing to record.
    pub(super) async fn accept(&self, revisions: &[String]) -> Result<Outcome, Failure> {
        let m = self.open_headers()?;
        let mut db = self.connect(&m, super::Access::Write).await?;
        let result = {
            let mut progress = self.out.progress(0);
            m.accept(&mut db, revisions, |e| progress.event(e)).await
        };
        close(db).await;
        if result?.is_empty() {
            self.out.info(format!(
                "Nothing to accept: the file of {} is unchanged since it ran.",
                revisions.join(", ")
            ));
        }
        Ok(Outcome::Done)
    }
}
