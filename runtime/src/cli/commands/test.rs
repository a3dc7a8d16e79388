//! Stage 8, CLI: `test`, each revision upgraded, downgraded and upgraded again on a scratch database that Strata creates and drops.

use std::io::IsTerminal as _;

use sqlx::Executor;

use super::{close, Ctx};
use crate::cli::url::url_with_database;
use crate::cli::{Failure, Outcome};
use crate::db::redact;
use crate::dialect::DialectKind;
use crate::migrator::{Migrator, TestEvent};

/// Where `migrate test` runs: a database it made (and drops), or the one given.
struct Scratch {
    /// Its URL.
    url: String,
    /// What to drop afterwards: (the URL of a connection to the server, the database name),
    /// or a SQLite file to remove.
    cleanup: Cleanup,
}

enum Cleanup {
    /// The `--scratch-url` database: left as it is.
    None,
    /// A SQLite file.
    File(std::path::PathBuf),
    /// A database on the server, dropped through a connection to `server`.
    Database { server: String, name: String },
}

impl Ctx {
    /// `migrate test [RANGE] [--scratch-url URL]`.
    pub(super) async fn test(
        &self,
        range: Option<String>,
        scratch_url: Option<String>,
    ) -> Result<Outcome, Failure> {
        let m = self.open()?;
        m.verify_sum()?;
        let scratch = self.scratch(&m, scratch_url).await?;
        self.out.info(format!(
            "Testing on the scratch database {}",
            redact(&scratch.url)
        ));
        let result = self.test_on(&m, &scratch.url, range.as_deref()).await;
        self.drop_scratch(&m, scratch).await;
        let report = result?;
        for (rev, why) in &report.skipped {
            self.out.warning(format!(
                "revision {rev}: its downgrade was not tested: {why}"
            ));
        }
        for f in &report.failures {
            self.out.result(format!(
                "FAILED {} ({}): {}",
                f.revision,
                f.path.display(),
                f.what
            ));
        }
        let summary = format!(
            "{} revisions, {} tests, {}",
            report.revisions,
            report.tests,
            if report.passed() {
                "all passed".to_string()
            } else {
                format!("{} failed", report.failures.len())
            }
        );
        self.out.result(summary);
        Ok(if report.passed() {
            Outcome::Done
        } else {
            Outcome::Differences
        })
    }

    async fn test_on(
        &self,
        m: &Migrator,
        url: &str,
        range: Option<&str>,
    ) -> Result<crate::migrator::TestReport, Failure> {
        let mut db = m.connect(url).await.map_err(Failure::from)?;
        let tty = std::io::stdout().is_terminal();
        let result = m
            .test_revisions(&mut db, range, |e| match e {
                TestEvent::Revision {
                    revision,
                    message,
                    index,
                    total,
                } => {
                    if tty || self.out.verbose() {
                        self.out
                            .info(format!("[{index}/{total}] {revision} {message}"));
                    }
                }
            })
            .await;
        close(db).await;
        Ok(result?)
    }

    /// The scratch database: `--scratch-url` (which must be empty), else a new database on
    /// the configured server (SQLite: a temporary file).
    async fn scratch(&self, m: &Migrator, given: Option<String>) -> Result<Scratch, Failure> {
        if let Some(url) = given {
            return Ok(Scratch {
                url,
                cleanup: Cleanup::None,
            });
        }
        let configured = self.resolve(m)?.url;
        let kind = DialectKind::from_url(&configured).map_err(|e| Failure::new(e.to_string()))?;
        let dialect = kind.dialect().map_err(|e| Failure::new(e.to_string()))?;
        let name = format!(
            "strata_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        let Some(create) = dialect.create_database_sql(&name) else {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            return Ok(Scratch {
                url: format!("sqlite://{}?mode=rwc", path.display()),
                cleanup: Cleanup::File(path),
            });
        };
        let mut server = m.connect(&configured).await.map_err(Failure::from)?;
        let created = server.conn.execute(create.as_str()).await;
        close(server).await;
        created.map_err(|e| {
            Failure::new(format!(
                "cannot create the scratch database {name} on {}: {e}",
                redact(&configured)
            ))
            .hint("grant the user CREATE DATABASE, or give an empty database with --scratch-url")
        })?;
        Ok(Scratch {
            url: url_with_database(&configured, &name),
            cleanup: Cleanup::Database {
                server: configured,
                name,
            },
        })
    }

    async fn drop_scratch(&self, m: &Migrator, scratch: Scratch) {
        match scratch.cleanup {
            Cleanup::None => {}
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { server, name } => {
                let dropped = async {
                    let kind = DialectKind::from_url(&server).ok()?;
                    let sql = kind.dialect().ok()?.drop_database_sql(&name)?;
                    let mut db = m.connect(&server).await.ok()?;
                    let r = db.conn.execute(sql.as_str()).await;
                    close(db).await;
                    r.ok()
                }
                .await;
                if dropped.is_none() {
                    self.out.warning(format!(
                        "could not drop the scratch database {name}; drop it by hand"
                    ));
                }
            }
        }
    }
}
