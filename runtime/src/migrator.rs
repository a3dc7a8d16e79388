//! Stage 7, apply (programmatic API): [`Migrator`] ties files, graph, introspection, diff, rendering and the executor together.
//!
//! Applications use it to migrate at start-up or to refuse to start when the database is
//! behind; the `migrate` command line is a thin layer over it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), strata::Error> {
//! let migrator = strata::Migrator::open("migrations")?;
//! let mut db = migrator.connect("sqlite://app.db").await?;
//! migrator.upgrade(&mut db, "head", &Default::default(), |_| {}).await?;
//! assert!(migrator.is_up_to_date(&mut db).await?);
//! # Ok(()) }
//! ```

mod adopt;
mod lint;
mod losses;
mod partial;
mod rebase;
mod squash;
mod test;

pub use adopt::{Adoption, BASELINE_MESSAGE};
pub use lint::{LintFinding, LintRange};
pub use losses::{Count, DowngradeLosses, Loss};
pub use rebase::Rebased;
pub use test::{TestEvent, TestFailure, TestReport};

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::AnyConnection;

use crate::apply::{
    self, bookkeeping, Event, ExecuteOptions, Interruption, OnInterrupted, Partial, PlannedStep,
    StepKind, StopFlag, TxMode, LOCK_KEY,
};
use crate::config::Settings;
use crate::db::{self, Db, DriverError};
use crate::dialect::{Dialect, IntrospectOptions};
use crate::diff::{self, Changes, DiffOptions};
use crate::error::Error;
use crate::graph::{self, RevisionGraph};
use crate::introspect;
use crate::model::TableDef;
use crate::ops::{self, Op};
use crate::render::render_ops_with;
use crate::schema::Schema;
use crate::script::{self, Header, Script, SumProblem, Sums, SUM_FILE};

pub use crate::error::{ChangedFile, EmptyRange};

/// How `upgrade` and `downgrade` run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Run even when an applied migration's file changed since it ran.
    pub allow_changed: bool,
    /// Transaction grouping; `None` takes `transaction_per_migration` from strata.toml.
    pub tx_mode: Option<TxMode>,
    /// Close an open interruption record and run the interrupted revision again (the user
    /// undid its partial change); without it, an open record is an error.
    pub retry_interrupted: bool,
    /// Raise it (Ctrl-C) to stop between statements; see [`apply::cancel_running`].
    pub stop: StopFlag,
}

/// A new revision to write (`revision`, `migrate`, `merge`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewRevision {
    /// The message.
    pub message: String,
    /// The parent: a target (default: the single head).
    pub head: Option<String>,
    /// Allow a parent that is not a head.
    pub splice: bool,
    /// A branch label for the revision.
    pub branch_label: Option<String>,
    /// Revisions this one depends on.
    pub depends_on: Vec<String>,
    /// Which half of an expand/contract pair it is (`--expand-contract`).
    pub phase: Option<crate::script::Phase>,
    /// Write `online = true` whatever `strata.toml` says (an expand revision with a backfill
    /// in batches, which commit one by one only outside a transaction).
    pub online: bool,
    /// An explicit revision id.
    pub rev_id: Option<String>,
    /// Upgrade ops.
    pub upgrade: Vec<Op>,
    /// Downgrade ops.
    pub downgrade: Vec<Op>,
    /// Comments written above upgrade steps: (the step's index, the text). Autogenerate puts
    /// the lint findings there, for the reviewer of the file.
    pub notes: Vec<(usize, String)>,
}

/// A migrations directory (or embedded files), loaded and checked.
#[derive(Debug)]
pub struct Migrator {
    dir: PathBuf,
    settings: Settings,
    graph: RevisionGraph,
}

impl Migrator {
    /// Loads `dir/strata.toml` and every file in `dir/versions`, and builds the graph.
    pub fn open(dir: impl AsRef<Path>) -> Result<Migrator, Error> {
        Self::open_with(dir.as_ref(), |p| Script::load_dir(p))
    }

    /// Like [`Migrator::open`], reading only each file's header: enough for the graph,
    /// `current`, `history`, `heads`, `compare` and writing revisions, at a fraction of the
    /// time and memory on large histories. Ops are read on demand ([`Migrator::script`]).
    pub fn open_headers(dir: impl AsRef<Path>) -> Result<Migrator, Error> {
        Self::open_with(dir.as_ref(), |p| Script::load_dir_headers(p))
    }

    fn open_with(
        dir: &Path,
        load: fn(&Path) -> Result<Vec<Script>, crate::script::ScriptError>,
    ) -> Result<Migrator, Error> {
        let dir = dir.to_path_buf();
        if dir.exists() && !dir.is_dir() {
            return Err(Error::NotADirectory { path: dir });
        }
        if !dir.is_dir() {
            return Err(Error::NoDirectory(dir));
        }
        let settings = Settings::load(&dir)?;
        let versions = dir.join("versions");
        let scripts = if versions.is_dir() {
            load(&versions)?
        } else if versions.exists() || versions.is_symlink() {
            return Err(Error::VersionsNotADirectory { path: versions });
        } else {
            Vec::new()
        };
        let graph = RevisionGraph::new(scripts)?;
        Ok(Migrator {
            dir,
            settings,
            graph,
        })
    }

    /// Builds a migrator from files embedded in the binary with [`crate::embed_migrations!`].
    pub fn from_embedded(embedded: &crate::embed::Embedded) -> Result<Migrator, Error> {
        let settings = match embedded.settings {
            Some(text) => Settings::parse(
                PathBuf::from(embedded.dir).join(crate::config::SETTINGS_FILE),
                text,
            )?,
            None => Settings::default(),
        };
        let mut scripts = Vec::with_capacity(embedded.files.len());
        for f in embedded.files {
            scripts.push(Script::parse(
                PathBuf::from(embedded.dir).join("versions").join(f.name),
                f.text,
            )?);
        }
        let graph = RevisionGraph::new(scripts)?;
        Ok(Migrator {
            dir: PathBuf::from(embedded.dir),
            settings,
            graph,
        })
    }

    /// The revision graph.
    pub fn graph(&self) -> &RevisionGraph {
        &self.graph
    }

    /// The revision `id_or_prefix` with its ops (read from its file now if the migrator was
    /// opened with [`Migrator::open_headers`]).
    pub fn script(&self, id_or_prefix: &str) -> Result<std::borrow::Cow<'_, Script>, Error> {
        let script = self.graph.get(id_or_prefix)?;
        if script.ops_loaded {
            return Ok(std::borrow::Cow::Borrowed(script));
        }
        let full = Script::load(&script.path)?;
        if full.checksum != script.checksum {
            return Err(Error::FileChangedDuringRun {
                path: script.path.clone(),
            });
        }
        Ok(std::borrow::Cow::Owned(full))
    }

    /// The settings from strata.toml.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The naming convention of constraints and indexes (strata.toml's `[naming]`): what the
    /// models' schema, introspection and the replay of files name by.
    pub fn naming(&self) -> &crate::schema::Naming {
        self.settings.naming_convention()
    }

    /// An empty schema on this directory's naming convention: where a replay starts.
    fn empty_schema(&self) -> Schema {
        Schema::with_naming(self.naming().clone())
    }

    /// The migrations directory.
    pub fn directory(&self) -> &Path {
        &self.dir
    }

    /// The versions directory, where revision files live.
    pub fn versions_dir(&self) -> PathBuf {
        self.dir.join("versions")
    }

    /// What introspection reads: the configured schema, and the other schemas the migration
    /// files name (so the tables their ops touch are there to render them against).
    fn introspect_options(&self) -> IntrospectOptions {
        self.introspect_options_for(&[])
    }

    /// [`Migrator::introspect_options`], with the schemas `models` use too (what a comparison
    /// with them, or an adoption, reads).
    fn introspect_options_for(&self, models: &[&TableDef]) -> IntrospectOptions {
        let ops = self
            .graph
            .all_scripts()
            .flat_map(|s| s.upgrade.iter().chain(&s.downgrade));
        let mut schemas = crate::ops::schemas_named(ops);
        schemas.extend(models.iter().filter_map(|m| m.schema.map(str::to_owned)));
        IntrospectOptions {
            schema: self.settings.schema.clone(),
            schemas: schemas.into_iter().collect(),
            naming: self.naming().clone(),
        }
    }

    /// Connects to `url` with the built-in dialect its scheme names (`sqlite:`,
    /// `postgres://`), and selects the configured PostgreSQL schema, which must exist.
    pub async fn connect(&self, url: &str) -> Result<Db, Error> {
        self.connect_with(url, db::dialect_of(url)?).await
    }

    /// Connects to `url` and speaks `dialect` on it: how a dialect defined outside Strata
    /// (an implementation of [`Dialect`]) is used. The URL goes to the driver as it is; the
    /// configured schema is selected as with [`Migrator::connect`].
    pub async fn connect_with(
        &self,
        url: &str,
        dialect: &'static dyn Dialect,
    ) -> Result<Db, Error> {
        let mut db = db::connect_with(url, dialect).await?;
        if let Some(schema) = &self.settings.schema {
            let failed = |source| apply::ApplyError::Database {
                doing: format!("selecting schema {schema}"),
                source: DriverError::new(source),
            };
            if let Some(sql) = dialect.schema_exists_sql(schema) {
                let found = sqlx::query(&sql)
                    .fetch_optional(&mut db.conn)
                    .await
                    .map_err(failed)?;
                if found.is_none() {
                    return Err(crate::config::ConfigError::NoSuchSchema {
                        path: self.dir.join(crate::config::SETTINGS_FILE),
                        schema: schema.clone(),
                    }
                    .into());
                }
            }
            if let Some(sql) = dialect.use_schema_sql(schema) {
                apply::run(&mut db.conn, &sql).await.map_err(failed)?;
            }
        }
        Ok(db)
    }

    /// The database's current revisions (its version rows), sorted.
    pub async fn current(&self, db: &mut Db) -> Result<Vec<String>, Error> {
        let dialect = db.dialect();
        Ok(bookkeeping::read_versions(&mut db.conn, dialect).await?)
    }

    /// Whether the database is at every head of the graph (and no step was interrupted half
    /// way).
    pub async fn is_up_to_date(&self, db: &mut Db) -> Result<bool, Error> {
        let current = self.current(db).await?;
        Ok(self.check_at_heads(&current).is_ok() && self.interrupted(db).await?.is_empty())
    }

    /// Fails with [`Error::NotUpToDate`] unless the database is at every head, and with
    /// [`apply::ApplyError::Interrupted`] when a step outside a transaction stopped half way.
    pub async fn ensure_up_to_date(&self, db: &mut Db) -> Result<(), Error> {
        let records = self.interrupted(db).await?;
        if !records.is_empty() {
            return Err(apply::ApplyError::Interrupted(records).into());
        }
        let current = self.current(db).await?;
        self.check_at_heads(&current)
    }

    /// Fails with [`Error::NotUpToDate`] unless the version rows `current` are the graph's
    /// heads; its `fix` is the command that works (`upgrade`, or `upgrade heads` / `merge`
    /// with several heads). A row naming a revision no file defines fails with
    /// [`graph::GraphError::UnknownCurrent`] (restore the file, or `stamp --purge`).
    pub fn check_at_heads(&self, current: &[String]) -> Result<(), Error> {
        let at: BTreeSet<&str> = current.iter().map(String::as_str).collect();
        let heads: BTreeSet<&str> = self.graph.heads().into_iter().collect();
        if at == heads {
            return Ok(());
        }
        if let Some(unknown) = current.iter().find(|r| self.graph.script(r).is_none()) {
            return Err(graph::GraphError::UnknownCurrent {
                revision: unknown.clone(),
            }
            .into());
        }
        let fix = if heads.len() > 1 {
            format!(
                "the migrations have {} heads: run `upgrade heads` to apply every branch, or \
                 join them with `merge -m \"merge heads\"` and then `upgrade`",
                heads.len()
            )
        } else {
            "run `upgrade` first".to_string()
        };
        Err(Error::NotUpToDate {
            current: label(current),
            heads: label(&self.graph.heads()),
            fix,
        })
    }

    /// Upgrades the database to `target` (`head`, `heads`, a revision, `+1`, ...). Returns
    /// the steps run; `events` sees each step as it starts and finishes.
    pub async fn upgrade(
        &self,
        db: &mut Db,
        target: &str,
        opts: &RunOptions,
        events: impl FnMut(Event),
    ) -> Result<Vec<PlannedStep>, Error> {
        self.run(db, graph::Direction::Up, target, opts, events)
            .await
    }

    /// Downgrades the database to `target` (`-1`, `base`, a revision, ...).
    pub async fn downgrade(
        &self,
        db: &mut Db,
        target: &str,
        opts: &RunOptions,
        events: impl FnMut(Event),
    ) -> Result<Vec<PlannedStep>, Error> {
        self.run(db, graph::Direction::Down, target, opts, events)
            .await
    }

    fn execute_options(&self, opts: &RunOptions) -> ExecuteOptions {
        let per = self.settings.transaction_per_migration;
        ExecuteOptions {
            tx_mode: opts.tx_mode.unwrap_or(if per {
                TxMode::PerMigration
            } else {
                TxMode::Whole
            }),
            lock_timeout: Duration::from_secs(self.settings.lock_timeout_seconds),
            lock_key: LOCK_KEY,
            interrupted: if opts.retry_interrupted {
                OnInterrupted::Retry
            } else {
                OnInterrupted::Refuse
            },
            recreate_log: false,
            stop: opts.stop.clone(),
        }
    }

    async fn run(
        &self,
        db: &mut Db,
        direction: graph::Direction,
        target: &str,
        opts: &RunOptions,
        mut events: impl FnMut(Event),
    ) -> Result<Vec<PlannedStep>, Error> {
        let dialect = db.dialect();
        let exec = self.execute_options(opts);
        // The steps are computed once, from the rows read under the lock; later transactions
        // (one per migration) only drop the steps already done, so `-1` never walks twice.
        let mut computed: Option<Vec<graph::Step>> = None;
        // Whether a downgrade reversed a revision left partially applied; with a relative
        // target (`-1`) that was the step asked for.
        let mut reversed_partial = false;
        let relative = target.starts_with('-');
        let iopts = self.introspect_options();
        let planner = async |conn: &mut AnyConnection,
                             heads: &[String]|
               -> Result<Vec<PlannedStep>, Error> {
            if reversed_partial && relative {
                return Ok(Vec::new());
            }
            // A revision left partially applied (MySQL): continue it when the run goes
            // its way (the executor refuses otherwise).
            if !dialect.transactional_ddl() && computed.is_none() {
                let records = bookkeeping::read_interrupted(conn, dialect).await?;
                if let [record] = records.as_slice() {
                    let first = match direction {
                        graph::Direction::Up => self.graph.upgrade_steps(heads, target),
                        graph::Direction::Down => self.graph.downgrade_steps(heads, target),
                    }
                    .ok()
                    .and_then(|s| s.into_iter().next());
                    let live = introspect::introspect(conn, dialect, &iopts).await?.schema;
                    let step =
                        self.partial_step(dialect, &live, record, direction, first.as_ref())?;
                    if let Some(step) = step {
                        reversed_partial = matches!(step.partial, Some(Partial::Reverse { .. }));
                        return Ok(vec![step]);
                    }
                }
            }
            let steps = match &computed {
                Some(steps) => {
                    let applied = self.graph.applied(heads)?;
                    steps
                        .iter()
                        .filter(|s| {
                            // A squash is done once the last revision it replaces is.
                            let replaced_last = self
                                .graph
                                .script(&s.revision)
                                .and_then(|sc| sc.header.replaces.last());
                            let done = applied.contains(&s.revision)
                                || replaced_last.is_some_and(|r| applied.contains(r));
                            match s.direction {
                                graph::Direction::Up => !done,
                                graph::Direction::Down => applied.contains(&s.revision),
                            }
                        })
                        .cloned()
                        .collect()
                }
                None => {
                    self.check_files(conn, dialect, heads, opts.allow_changed)
                        .await?;
                    let steps = match direction {
                        graph::Direction::Up => self.graph.upgrade_steps(heads, target)?,
                        graph::Direction::Down => self.graph.downgrade_steps(heads, target)?,
                    };
                    // Every revision's downgrade must exist before the first one runs
                    // (planning may stop early at a hand-written `sql` step, to re-plan).
                    for s in steps
                        .iter()
                        .filter(|s| s.direction == graph::Direction::Down)
                    {
                        self.script(&s.revision)?.downgrade_ops()?;
                    }
                    computed = Some(steps.clone());
                    steps
                }
            };
            if steps.is_empty() {
                return Ok(Vec::new());
            }
            let schema = introspect::introspect(conn, dialect, &iopts).await?.schema;
            // Online, rendering stops after a step with hand-written SQL: the executor
            // asks again once it ran, and the rest is rendered from the live schema.
            self.plan_steps(dialect, &steps, schema, true)
        };
        let result = apply::execute(&mut db.conn, dialect, exec, planner, &mut events).await;
        match result {
            Err(Error::Apply(apply::ApplyError::Interrupted(records))) => {
                let heads = self.current(db).await.unwrap_or_default();
                Err(apply::ApplyError::Interrupted(self.explain(&heads, records)).into())
            }
            other => other,
        }
    }

    /// The open interruption records: steps outside a transaction that started and did not
    /// finish (open rows of `strata_log`), each with the `stamp` that records it as done.
    pub async fn interrupted(&self, db: &mut Db) -> Result<Vec<Interruption>, Error> {
        let dialect = db.dialect();
        let mut records = bookkeeping::read_interrupted(&mut db.conn, dialect).await?;
        if records.is_empty() {
            return Ok(records);
        }
        // Where a statement can take effect after its client died (MySQL), the record is
        // checked against the live schema.
        if records.iter().any(|r| r.resumable) {
            let live = introspect::introspect(&mut db.conn, dialect, &self.introspect_options())
                .await?
                .schema;
            for r in records.iter_mut().filter(|r| r.resumable) {
                if let (Some(done), Some((_, total))) =
                    (self.reconcile(dialect, &live, r), r.progress)
                {
                    r.progress = Some((done, total));
                }
            }
        }
        // Read without the lock: a record may belong to a migrator running right now.
        let running = apply::lock_is_held(&mut db.conn, dialect, LOCK_KEY)
            .await
            .unwrap_or(true);
        for r in &mut records {
            r.may_be_running = running;
        }
        let heads = self.current(db).await?;
        Ok(self.explain(&heads, records))
    }

    /// Fills in each record's `stamp_to`: the version rows the database has once the step
    /// is complete, from the rows `heads` it has now.
    fn explain(&self, heads: &[String], mut records: Vec<Interruption>) -> Vec<Interruption> {
        for r in &mut records {
            let Ok(script) = self.graph.get(&r.revision) else {
                continue;
            };
            r.stamp_to = Some(match r.kind {
                StepKind::Down => {
                    let mut rows: Vec<String> = heads
                        .iter()
                        .filter(|h| **h != r.revision)
                        .cloned()
                        .collect();
                    rows.extend(script.down_revision().iter().map(|p| p.to_string()));
                    // Keep only the heads of that set: a parent another row builds on is
                    // implied.
                    let implied = |x: &String| {
                        rows.iter().any(|y| {
                            y != x && self.graph.applied(&[y]).is_ok_and(|a| a.contains(x))
                        })
                    };
                    let mut kept: Vec<String> =
                        rows.iter().filter(|x| !implied(x)).cloned().collect();
                    kept.sort();
                    kept.dedup();
                    kept
                }
                _ => vec![r.revision.clone()],
            });
        }
        records
    }

    /// Refuses when an applied revision's file changed since it ran (unless `allow_changed`).
    async fn check_files(
        &self,
        conn: &mut AnyConnection,
        dialect: &dyn Dialect,
        heads: &[String],
        allow_changed: bool,
    ) -> Result<(), Error> {
        let applied = self.graph.applied(heads)?;
        if allow_changed {
            return Ok(());
        }
        let changed = self.changed(conn, dialect, &applied).await?;
        if changed.is_empty() {
            Ok(())
        } else {
            Err(Error::ChangedFiles(changed))
        }
    }

    /// The revisions in `applied` whose file's checksum differs from the one recorded when it
    /// ran (or was last accepted), in graph order.
    async fn changed(
        &self,
        conn: &mut AnyConnection,
        dialect: &dyn Dialect,
        applied: &BTreeSet<String>,
    ) -> Result<Vec<ChangedFile>, Error> {
        let recorded: HashMap<String, String> = bookkeeping::read_checksums(conn, dialect).await?;
        let mut out = Vec::new();
        for script in self.graph.scripts() {
            let rev = script.revision();
            if !applied.contains(rev) {
                continue;
            }
            if let Some(sum) = recorded.get(rev).filter(|sum| **sum != script.checksum) {
                out.push(ChangedFile {
                    revision: rev.to_string(),
                    path: script.path.clone(),
                    recorded: sum.clone(),
                    current: script.checksum.clone(),
                });
            }
        }
        Ok(out)
    }

    /// The applied revisions whose file was edited since it ran: its SHA-256 differs from the
    /// one `strata_log` recorded (at `up`, `stamp`, or the last [`Migrator::accept`]).
    pub async fn changed_files(&self, db: &mut Db) -> Result<Vec<ChangedFile>, Error> {
        let dialect = db.dialect();
        let heads = bookkeeping::read_versions(&mut db.conn, dialect).await?;
        let applied = self.graph.applied(&heads)?;
        self.changed(&mut db.conn, dialect, &applied).await
    }

    /// Records the files of the applied revisions `targets` (ids, prefixes or any target) as
    /// they are now: a `strata_log` row with direction `accept` and the file's new checksum,
    /// so the checksum guard stops refusing a harmless edit (comments, formatting). Runs no
    /// migration and moves no version row, under the migration lock (as `flyway repair`
    /// realigns checksums). Strata cannot tell whether the edit is harmless: a change to what
    /// the revision does belongs in a new revision. Each file must still parse. Returns the
    /// steps recorded: none when every file is unchanged.
    pub async fn accept(
        &self,
        db: &mut Db,
        targets: &[String],
        mut events: impl FnMut(Event),
    ) -> Result<Vec<PlannedStep>, Error> {
        let dialect = db.dialect();
        let exec = self.execute_options(&RunOptions::default());
        let mut planned = false;
        let planner =
            async |conn: &mut AnyConnection, heads: &[String]| -> Result<Vec<PlannedStep>, Error> {
                if std::mem::replace(&mut planned, true) {
                    return Ok(Vec::new());
                }
                let applied = self.graph.applied(heads)?;
                let mut revisions = BTreeSet::new();
                for target in targets {
                    let revs = self.graph.resolve(heads, target)?;
                    if revs.is_empty() {
                        return Err(Error::AcceptNamesNoRevision {
                            target: target.clone(),
                        });
                    }
                    for rev in revs {
                        if !applied.contains(&rev) {
                            return Err(Error::NotApplied { revision: rev });
                        }
                        revisions.insert(rev);
                    }
                }
                let changed = self.changed(conn, dialect, &revisions).await?;
                let recorded = bookkeeping::read_checksums(conn, dialect).await?;
                let mut steps = Vec::new();
                for rev in &revisions {
                    let script = self.script(rev)?;
                    let unchanged =
                        recorded.contains_key(rev) && !changed.iter().any(|c| c.revision == *rev);
                    if unchanged {
                        continue;
                    }
                    let short = |s: &str| s.chars().take(12).collect::<String>();
                    steps.push(PlannedStep {
                        revision: rev.clone(),
                        message: script.path.display().to_string(),
                        kind: StepKind::Accept,
                        remove_heads: Vec::new(),
                        add_heads: Vec::new(),
                        statements: Vec::new(),
                        transactional: true,
                        batch: true,
                        checksum: Some(script.checksum.clone()),
                        atomic: Vec::new(),
                        rebuilt_tables: Vec::new(),
                        replan_after: false,
                        partial: None,
                        timeouts: Default::default(),
                        from_label: recorded
                            .get(rev)
                            .map_or_else(|| "(none)".to_string(), |s| short(s)),
                        to_label: short(&script.checksum),
                    });
                }
                Ok(steps)
            };
        apply::execute(&mut db.conn, dialect, exec, planner, &mut events).await
    }

    /// Renders graph steps for `dialect`, starting from `schema`. With `until_replan`, stops
    /// after the first step that runs hand-written SQL on this dialect (`replan_after`).
    fn plan_steps(
        &self,
        dialect: &dyn Dialect,
        steps: &[graph::Step],
        mut schema: Schema,
        until_replan: bool,
    ) -> Result<Vec<PlannedStep>, Error> {
        let mut out = Vec::with_capacity(steps.len());
        for step in steps {
            let script = self.script(&step.revision)?;
            let (ops, dir) = match step.direction {
                graph::Direction::Up => (
                    std::borrow::Cow::Borrowed(&script.upgrade[..]),
                    StepKind::Up,
                ),
                graph::Direction::Down => (script.downgrade_ops()?, StepKind::Down),
            };
            let online = script.header.online;
            let (rendered, after) =
                render_ops_with(&ops, dialect, &schema, online).map_err(|source| {
                    Error::RenderRevision {
                        revision: step.revision.clone(),
                        path: script.path.clone(),
                        source,
                    }
                })?;
            schema = after;
            // A rebuild's statements take effect together; its table's foreign keys are
            // checked after the step.
            let mut statements = Vec::new();
            let mut atomic = Vec::new();
            let mut rebuilt_tables: Vec<String> = Vec::new();
            for r in rendered {
                if let Some(table) = r.rebuilt {
                    atomic.push(statements.len()..statements.len() + r.statements.len());
                    if !rebuilt_tables.contains(&table) {
                        rebuilt_tables.push(table);
                    }
                }
                statements.extend(r.statements);
            }
            let mut transactional =
                script.header.transactional && !(online && dialect.online_forms());
            // A statement whose effect later statements may only use once committed (an enum
            // value added on PostgreSQL) takes the step out of a single transaction: such
            // statements go first where nothing before them could make what they need, each
            // committing on its own (and safe to run again), and the rest runs as one unit, so
            // a failure there rolls all of it back. One that cannot go first splits the rest.
            if transactional && statements.iter().any(|s| dialect.commits_first(s)) {
                transactional = false;
                let mut firsts = 0;
                if atomic.is_empty() {
                    let (mut ahead, mut rest) = (Vec::new(), Vec::new());
                    for s in statements.drain(..) {
                        if dialect.commits_first(&s)
                            && rest.iter().all(|e: &String| dialect.may_precede(&s, e))
                        {
                            ahead.push(s);
                        } else {
                            rest.push(s);
                        }
                    }
                    firsts = ahead.len();
                    statements = ahead;
                    statements.extend(rest);
                }
                let mut start = firsts;
                for (i, s) in statements.iter().enumerate().skip(firsts) {
                    if dialect.commits_first(s) {
                        if start < i {
                            atomic.push(start..i);
                        }
                        start = i + 1;
                    }
                }
                if start < statements.len() {
                    atomic.push(start..statements.len());
                }
            }
            let parents = label_or_empty(script.down_revision());
            let (from_label, to_label) = match dir {
                StepKind::Down => (step.revision.clone(), parents),
                _ => (parents, step.revision.clone()),
            };
            // Hand-written SQL changes the schema in ways the replayed `schema` cannot know.
            let replan_after = ops.iter().any(|op| {
                matches!(op, Op::Sql { dialect: only, .. }
                    if only.is_none_or(|k| k.name() == dialect.name()))
            });
            out.push(PlannedStep {
                revision: step.revision.clone(),
                message: script.header.message.clone(),
                kind: dir,
                remove_heads: step.from_heads.clone(),
                add_heads: step.to_heads.clone(),
                statements,
                transactional,
                batch: !ops.iter().any(|op| matches!(op, Op::Sql { .. })),
                checksum: Some(script.checksum.clone()),
                atomic,
                rebuilt_tables,
                replan_after,
                partial: None,
                timeouts: script.header.timeouts(self.settings.timeouts()),
                from_label,
                to_label,
            });
            if until_replan && replan_after {
                break;
            }
        }
        Ok(out)
    }

    /// Marks the database as being at `targets` without running anything. Returns the version
    /// rows before and after.
    pub async fn stamp(
        &self,
        db: &mut Db,
        targets: &[String],
        purge: bool,
        mut events: impl FnMut(Event),
    ) -> Result<(Vec<String>, Vec<String>), Error> {
        let dialect = db.dialect();
        // Stamping states which revisions the schema is at: it closes open interruption
        // records, and creates a missing audit log again (both reported as events).
        let exec = ExecuteOptions {
            interrupted: OnInterrupted::Stamp,
            recreate_log: true,
            ..self.execute_options(&RunOptions::default())
        };
        let mut seen: Option<(Vec<String>, Vec<String>)> = None;
        let planner = async |_conn: &mut AnyConnection,
                             heads: &[String]|
               -> Result<Vec<PlannedStep>, Error> {
            if seen.is_some() {
                return Ok(Vec::new());
            }
            let step = self.stamp_step(heads, targets, purge)?;
            seen = Some((heads.to_vec(), step.add_heads_after.clone()));
            Ok(step.planned.into_iter().collect())
        };
        apply::execute(&mut db.conn, dialect, exec, planner, &mut events).await?;
        Ok(seen.unwrap_or_default())
    }

    fn stamp_step(
        &self,
        heads: &[String],
        targets: &[String],
        purge: bool,
    ) -> Result<StampPlan, Error> {
        let after = if purge {
            self.graph.stamp(&[] as &[String], targets, true)?
        } else {
            self.graph.stamp(heads, targets, false)?
        };
        let before: BTreeSet<&String> = heads.iter().collect();
        let after_set: BTreeSet<&String> = after.iter().collect();
        let remove: Vec<String> = before
            .difference(&after_set)
            .map(|s| s.to_string())
            .collect();
        let add: Vec<String> = after_set
            .difference(&before)
            .map(|s| s.to_string())
            .collect();
        let planned = (!remove.is_empty() || !add.is_empty()).then(|| PlannedStep {
            revision: if after.is_empty() {
                "base".into()
            } else {
                after.join(",")
            },
            message: format!("stamp {}", targets.join(" ")),
            kind: StepKind::Stamp,
            remove_heads: remove,
            add_heads: add,
            statements: Vec::new(),
            transactional: true,
            batch: true,
            checksum: None,
            atomic: Vec::new(),
            rebuilt_tables: Vec::new(),
            replan_after: false,
            partial: None,
            timeouts: Default::default(),
            from_label: label_or_empty(heads),
            to_label: label_or_empty(&after),
        });
        Ok(StampPlan {
            planned,
            add_heads_after: after,
        })
    }

    /// The SQL script for an upgrade (`target` or `start:target`; default start: base) or a
    /// downgrade (`start:target`), for `dialect`, without connecting.
    pub fn offline_sql(
        &self,
        dialect: &dyn Dialect,
        direction: graph::Direction,
        range: &str,
        tx_mode: Option<TxMode>,
    ) -> Result<String, Error> {
        let (start, target) = match range.split_once(':') {
            Some((s, t)) => (s.trim(), t.trim()),
            None if direction == graph::Direction::Up => ("base", range.trim()),
            None => {
                return Err(Error::DowngradeNeedsRange {
                    target: range.to_string(),
                })
            }
        };
        let start_heads = if start.is_empty() || start == "base" {
            Vec::new()
        } else {
            self.graph.resolve(&[] as &[String], start)?
        };
        // Offline, the schema before the first step is the replay of every applied revision.
        let schema = if start_heads.is_empty() {
            self.empty_schema()
        } else {
            self.schema_at(start)?
        };
        let steps = match direction {
            graph::Direction::Up => self.graph.upgrade_steps(&start_heads, target)?,
            graph::Direction::Down => self.graph.downgrade_steps(&start_heads, target)?,
        };
        if steps.is_empty() {
            return Err(self.empty_offline_range(direction, range, start, target));
        }
        let planned = self.plan_steps(dialect, &steps, schema, false)?;
        let mode = tx_mode.unwrap_or(if self.settings.transaction_per_migration {
            TxMode::PerMigration
        } else {
            TxMode::Whole
        });
        let script = apply::offline::script(
            dialect,
            &planned,
            start_heads.is_empty() && direction == graph::Direction::Up,
            mode,
        )?;
        Ok(self.in_schema(dialect, script))
    }

    /// Why an offline range runs nothing (`upgrade --sql head:base`), and what to write.
    fn empty_offline_range(
        &self,
        direction: graph::Direction,
        range: &str,
        start: &str,
        target: &str,
    ) -> Error {
        if self.graph.is_empty() {
            return graph::GraphError::NoRevisions.into();
        }
        let backwards = match direction {
            graph::Direction::Up => self
                .graph
                .upgrade_steps(&[] as &[String], start)
                .ok()
                .zip(self.graph.upgrade_steps(&[] as &[String], target).ok())
                .is_some_and(|(s, t)| t.len() < s.len()),
            graph::Direction::Down => false,
        };
        let start = if start.is_empty() { "base" } else { start };
        Error::EmptyRange {
            range: range.to_string(),
            start: start.to_string(),
            target: target.to_string(),
            reason: match direction {
                graph::Direction::Up if backwards => EmptyRange::UpgradeBackwards,
                graph::Direction::Up => EmptyRange::AlreadyThere,
                graph::Direction::Down => EmptyRange::DowngradeBackwards,
            },
        }
    }

    /// `script` preceded by the statement selecting the configured schema (`schema` in
    /// strata.toml), so the script targets the same schema as an online run.
    fn in_schema(&self, dialect: &dyn Dialect, script: String) -> String {
        match self
            .settings
            .schema
            .as_deref()
            .and_then(|s| dialect.use_schema_sql(s))
        {
            Some(sql) => format!("{sql};\n\n{script}"),
            None => script,
        }
    }

    /// The schema that the upgrade ops of `target` and everything it needs build on an empty
    /// database, replayed without one (`base`: empty). What offline rendering starts from.
    pub fn schema_at(&self, target: &str) -> Result<Schema, Error> {
        self.replay(target, None)
    }

    /// The schema just before `revision` runs: its ancestors' upgrade ops, replayed.
    pub fn schema_before(&self, revision: &str) -> Result<Schema, Error> {
        self.replay(revision, Some(revision))
    }

    fn replay(&self, target: &str, skip: Option<&str>) -> Result<Schema, Error> {
        let mut schema = self.empty_schema();
        for step in self.graph.upgrade_steps(&[] as &[String], target)? {
            if skip == Some(step.revision.as_str()) {
                continue;
            }
            let script = self.script(&step.revision)?;
            ops::apply_all(&mut schema, &script.upgrade).map_err(|source| Error::Replay {
                revision: step.revision.clone(),
                path: script.path.clone(),
                source,
            })?;
        }
        Ok(schema)
    }

    /// The SQL for `stamp` without connecting: the version-row changes from `start`.
    pub fn offline_stamp_sql(
        &self,
        dialect: &dyn Dialect,
        targets: &[String],
        purge: bool,
    ) -> Result<String, Error> {
        let step = self.stamp_step(&[], targets, purge)?;
        let steps: Vec<PlannedStep> = step.planned.into_iter().collect();
        let script = apply::offline::script(dialect, &steps, true, TxMode::Whole)?;
        Ok(self.in_schema(dialect, script))
    }

    /// Compares `models` with the database, which must be at the head: the changes that bring
    /// the database to the models (empty when they agree). Suspected renames stay drops and
    /// adds; [`Migrator::compare_asking`] asks about them.
    pub async fn compare(
        &self,
        db: &mut Db,
        models: &[&'static TableDef],
    ) -> Result<Changes, Error> {
        Ok(self.compare_asking(db, models, |_| false).await?.0)
    }

    /// [`Migrator::compare`], asking `confirm` about each suspected rename (a table or column
    /// dropped and one of the same shape added, [`diff::rename_candidates`]): a confirmed one
    /// is written as a rename (as a `renamed_from` hint would), the others stay a drop and an
    /// add. Returns the changes and the candidates `confirm` declined.
    pub async fn compare_asking(
        &self,
        db: &mut Db,
        models: &[&'static TableDef],
        mut confirm: impl FnMut(&diff::RenameCandidate) -> bool,
    ) -> Result<(Changes, Vec<diff::RenameCandidate>), Error> {
        self.ensure_up_to_date(db).await?;
        let dialect = db.dialect();
        let defs = models;
        let models = Schema::from_models_with(models.iter().copied(), self.naming())?;
        let current =
            introspect::introspect(&mut db.conn, dialect, &self.introspect_options_for(defs))
                .await?
                .schema;
        let mut target = models.clone();
        dialect.normalize(&mut target);
        let opts = DiffOptions {
            include: self.settings.include.clone(),
            exclude: self.settings.exclude.clone(),
        };
        let (confirmed, declined): (Vec<_>, Vec<_>) =
            diff::rename_candidates(&current, &target, &opts)
                .into_iter()
                .partition(|c| confirm(c));
        let target = diff::with_renames(target, &confirmed);
        // Compared as the database reads back; written as the models say (files are portable).
        let changes = diff::diff_on(dialect, &current, &target, &opts)?;
        // A dialect without schemas refuses a model in one now, not when the file runs.
        for op in &changes.upgrade {
            crate::render::refuse_schemas(op, dialect)?;
        }
        if !self.settings.create_schemas {
            let missing = changes.upgrade.iter().find_map(|op| match op {
                Op::CreateSchema { schema } => Some(schema),
                _ => None,
            });
            if let Some(schema) = missing {
                let model = defs
                    .iter()
                    .find(|m| m.schema == Some(schema.as_str()))
                    .map_or_else(String::new, |m| m.rust_path.to_owned());
                return Err(Error::MissingSchema {
                    schema: schema.clone(),
                    model,
                    settings: self.dir.join(crate::config::SETTINGS_FILE),
                });
            }
        }
        Ok((diff::with_model_spelling(changes, &models)?, declined))
    }

    /// The rolling-deploy gate offline: the app built from `old` (a model snapshot's schema)
    /// against the schema the revisions build from base up to `target`.
    pub fn compat_offline(
        &self,
        old: &Schema,
        target: &str,
    ) -> Result<Vec<crate::compat::CompatFinding>, Error> {
        let revisions = self.upgrade_ops(&[] as &[String], target)?;
        Ok(crate::compat::check(old, &self.empty_schema(), &revisions))
    }

    /// The rolling-deploy gate on a database: the app built from `old` against the live
    /// schema with the pending revisions up to `target` applied. Findings the database
    /// already has name no revision.
    pub async fn compat_live(
        &self,
        db: &mut Db,
        mut old: Schema,
        target: &str,
    ) -> Result<Vec<crate::compat::CompatFinding>, Error> {
        let dialect = db.dialect();
        dialect.normalize(&mut old);
        let rows = self.current(db).await?;
        let live = self.live_schema(db).await?;
        let revisions = self.upgrade_ops(&rows, target)?;
        Ok(crate::compat::check(&old, &live, &revisions))
    }

    /// Each revision an upgrade from `rows` to `target` runs, with its upgrade ops.
    fn upgrade_ops(&self, rows: &[String], target: &str) -> Result<Vec<(String, Vec<Op>)>, Error> {
        let mut out = Vec::new();
        for step in self.graph.upgrade_steps(rows, target)? {
            let script = self.script(&step.revision)?;
            out.push((step.revision.clone(), script.upgrade.clone()));
        }
        Ok(out)
    }

    /// The live database's schema, as autogenerate sees it: the tables `include`/`exclude`
    /// cover, without Strata's own.
    pub async fn live_schema(&self, db: &mut Db) -> Result<Schema, Error> {
        let dialect = db.dialect();
        let mut schema = introspect::introspect(&mut db.conn, dialect, &self.introspect_options())
            .await?
            .schema;
        let opts = DiffOptions {
            include: self.settings.include.clone(),
            exclude: self.settings.exclude.clone(),
        };
        schema.tables.retain(|name, _| opts.covers(name));
        Ok(schema)
    }

    /// The graph's head revisions.
    pub fn heads(&self) -> Vec<String> {
        self.graph.heads().into_iter().map(String::from).collect()
    }

    /// What CI runs: fails when the graph has several heads, the database is not at the
    /// head, or an applied revision's file was edited since it ran
    /// ([`Error::ChangedFiles`]); otherwise returns the changes the models still need
    /// (empty: in sync).
    pub async fn check(&self, db: &mut Db, models: &[&'static TableDef]) -> Result<Changes, Error> {
        if self.graph.heads().len() > 1 {
            self.graph.head()?;
        }
        let changed = self.changed_files(db).await?;
        if !changed.is_empty() {
            return Err(Error::ChangedFiles(changed));
        }
        self.compare(db, models).await
    }

    /// Writes a new revision file and reloads the graph; returns the new script.
    pub fn write_revision(&mut self, new: NewRevision) -> Result<Script, Error> {
        let parents = match &new.head {
            Some(head) => {
                let revs = self.graph.resolve(&[] as &[String], head)?;
                for r in &revs {
                    if !self.graph.is_head(r) && !new.splice {
                        return Err(Error::NotAHead {
                            revision: r.clone(),
                        });
                    }
                }
                revs
            }
            None if self.graph.is_empty() => Vec::new(),
            None => vec![self.graph.head()?.to_string()],
        };
        let mut depends_on = Vec::new();
        for d in &new.depends_on {
            depends_on.extend(self.graph.resolve(&[] as &[String], d)?);
        }
        self.write_script(parents, new, depends_on)
    }

    /// Writes a merge revision whose parents are `revisions` (default: every head).
    pub fn merge(&mut self, revisions: &[String], new: NewRevision) -> Result<Script, Error> {
        let parents: Vec<String> = if revisions.is_empty() {
            self.graph.heads().into_iter().map(String::from).collect()
        } else {
            let mut out = Vec::new();
            for r in revisions {
                out.extend(self.graph.resolve(&[] as &[String], r)?);
            }
            out
        };
        if parents.len() < 2 {
            return Err(Error::MergeNeedsTwo { revisions: parents });
        }
        self.write_script(parents, new, Vec::new())
    }

    /// Checks the migrations directory against its `strata.sum`: an error naming each file
    /// that changed, is not listed or is missing. A head revision's file may change: that is
    /// the review-and-edit of a revision just generated (an applied one is still caught by the
    /// database's own checksum record); the next command that writes a revision records it.
    /// A directory without `strata.sum` (from before it existed) passes; `migrate hash`
    /// ([`Migrator::write_sum`]) starts one.
    pub fn verify_sum(&self) -> Result<(), Error> {
        let path = self.dir.join(SUM_FILE);
        let Some(text) = Sums::read(&self.dir).map_err(|source| Error::Io {
            what: "cannot read",
            path: path.clone(),
            source,
        })?
        else {
            return Ok(());
        };
        let (recorded, mut problems) = Sums::parse(&text);
        problems.extend(recorded.compare(&Sums::of(self.graph.all_scripts())));
        let heads: Vec<String> = self
            .graph
            .heads()
            .into_iter()
            .filter_map(|h| self.graph.script(h))
            .filter_map(|s| s.path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        problems.retain(|p| !matches!(p, SumProblem::Changed(file) if heads.contains(file)));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Sum { path, problems })
        }
    }

    /// Writes `strata.sum` from the directory as it is; returns its path.
    pub fn write_sum(&self) -> Result<PathBuf, Error> {
        let path = self.dir.join(SUM_FILE);
        let text = Sums::of(self.graph.all_scripts()).render();
        std::fs::write(&path, text).map_err(|source| Error::Io {
            what: "cannot write",
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    fn write_script(
        &mut self,
        parents: Vec<String>,
        new: NewRevision,
        depends_on: Vec<String>,
    ) -> Result<Script, Error> {
        self.write_script_replacing(parents, new, depends_on, Vec::new())
    }

    /// Writes a squash revision: `replaces` is the chain it stands for.
    fn write_squash(
        &mut self,
        parents: Vec<String>,
        new: NewRevision,
        replaces: Vec<String>,
    ) -> Result<Script, Error> {
        self.write_script_replacing(parents, new, Vec::new(), replaces)
    }

    fn write_script_replacing(
        &mut self,
        parents: Vec<String>,
        new: NewRevision,
        depends_on: Vec<String>,
        replaces: Vec<String>,
    ) -> Result<Script, Error> {
        // A new revision must not bless an edit the integrity file does not know about.
        self.verify_sum()?;
        let id = match &new.rev_id {
            Some(id) => {
                script::validate_revision_id(id)?;
                if self.graph.script(id).is_some() {
                    return Err(Error::RevisionExists {
                        revision: id.clone(),
                    });
                }
                id.clone()
            }
            None => script::new_revision_id()?,
        };
        let mut header = Header::new(id, parents, new.message.clone());
        header.branch_labels = new.branch_label.iter().cloned().collect();
        header.phase = new.phase;
        header.depends_on = depends_on;
        header.replaces = replaces;
        header.online = self.settings.online || new.online;
        let mut script = Script::new(header, new.upgrade, new.downgrade)?;
        let path = script.write_noted(&self.versions_dir(), &new.notes)?;
        let mut scripts: Vec<Script> = self.graph.scripts().cloned().collect();
        scripts.push(script.clone());
        match RevisionGraph::new(scripts) {
            Ok(g) => self.graph = g,
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                return Err(e.into());
            }
        }
        // Kept current where the directory has one (`init` and `hash` start it).
        if self.dir.join(SUM_FILE).is_file() {
            self.write_sum()?;
        }
        Ok(script)
    }
}

struct StampPlan {
    planned: Option<PlannedStep>,
    add_heads_after: Vec<String>,
}

fn label(revs: &[impl AsRef<str>]) -> String {
    if revs.is_empty() {
        "base".into()
    } else {
        revs.iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn label_or_empty(revs: &[impl AsRef<str>]) -> String {
    revs.iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ")
}
