//! Stage 8, CLI: `models --snapshot`, `compat` and `upgrade --compat`: the rolling-deploy gate against the previous release's models.

use std::path::Path;

use super::{close, Access, Ctx};
use crate::cli::{Failure, Outcome};
use crate::compat::CompatFinding;
use crate::error::Error;
use crate::schema::snapshot::Snapshot;
use crate::schema::Schema;

impl Ctx {
    /// `models`: the linked models, as lines, as a JSON snapshot, or written to a file.
    pub(super) fn models(
        &self,
        json: bool,
        snapshot: Option<std::path::PathBuf>,
    ) -> Result<Outcome, Failure> {
        if !json && snapshot.is_none() {
            for t in crate::registry::models() {
                self.out.result(format!("{} {}", t.name, t.rust_path));
            }
            return Ok(Outcome::Done);
        }
        // Named as autogenerate names them: by the migrations directory's `[naming]`.
        let settings = crate::config::Settings::load(&self.g.directory).map_err(Error::from)?;
        let schema = Schema::from_models_with(
            crate::registry::models().iter().copied(),
            settings.naming_convention(),
        )
        .map_err(Error::from)?;
        let text = Snapshot::of(&schema).to_json();
        match snapshot {
            Some(path) => {
                std::fs::write(&path, &text).map_err(|source| Error::Io {
                    what: "cannot write",
                    path: path.clone(),
                    source,
                })?;
                self.out.result(format!(
                    "Wrote {} ({} models)",
                    path.display(),
                    schema.tables.len()
                ));
            }
            None => self.out.raw(&text),
        }
        Ok(Outcome::Done)
    }

    fn read_snapshot(&self, path: &Path) -> Result<Schema, Failure> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            what: "cannot read",
            path: path.to_path_buf(),
            source,
        })?;
        let snapshot = Snapshot::parse(&path.display().to_string(), &text)
            .map_err(|e| Failure::new(e.to_string()))?;
        Ok(snapshot.schema())
    }

    /// The gate's findings for `target`: offline from base, or from the live database.
    async fn compat_findings(
        &self,
        snapshot: &Path,
        target: &str,
        database: bool,
    ) -> Result<Vec<CompatFinding>, Failure> {
        let old = self.read_snapshot(snapshot)?;
        let m = self.open()?;
        if !database {
            return Ok(m.compat_offline(&old, target)?);
        }
        let mut db = self.connect(&m, Access::Read).await?;
        let found = m.compat_live(&mut db, old, target).await;
        close(db).await;
        Ok(found?)
    }

    /// `compat --against SNAPSHOT [TARGET] [--database]`.
    pub(super) async fn compat(
        &self,
        snapshot: &Path,
        target: &str,
        database: bool,
    ) -> Result<Outcome, Failure> {
        let found = self.compat_findings(snapshot, target, database).await?;
        for f in &found {
            self.out.result(f.describe());
        }
        if found.is_empty() {
            self.out.result(format!(
                "The app built from {} keeps working at {target}.",
                snapshot.display()
            ));
            Ok(Outcome::Done)
        } else {
            Ok(Outcome::Differences)
        }
    }

    /// `upgrade --compat SNAPSHOT`: refuses when a revision it would run breaks the
    /// snapshot's app (findings the database already has are not the upgrade's doing).
    pub(super) async fn refuse_incompatible(
        &self,
        snapshot: &Path,
        target: &str,
    ) -> Result<(), Failure> {
        let found: Vec<CompatFinding> = self
            .compat_findings(snapshot, target, true)
            .await?
            .into_iter()
            .filter(|f| f.revision.is_some())
            .collect();
        if found.is_empty() {
            return Ok(());
        }
        let lines: Vec<String> = found
            .iter()
            .map(|f| format!("  {}", f.describe()))
            .collect();
        Err(Failure::new(format!(
            "the upgrade would break the app built from {} (the previous release, still \
             running during a rolling deploy); nothing was run:\n{}",
            snapshot.display(),
            lines.join("\n")
        ))
        .hint(
            "split the change into an expand revision (compatible) before the deploy and a \
             contract revision after it, or run without --compat once no old release runs",
        ))
    }
}
