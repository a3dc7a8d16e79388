//! Stage 8, CLI: each command, as a thin layer over [`Migrator`].

use std::collections::BTreeSet;
use std::io::IsTerminal as _;
use std::path::Path;

use super::args::{Command, Global, PictureFormat, RevisionOptions};
use super::confirm;
use super::format::{self, LineOpts};
use super::output::Out;
use super::url::is_transient_sqlite;
use super::url::{self, url_database, ResolvedUrl, UrlSource};
use super::{signals, Failure, Outcome};
use crate::apply::ApplyError;
use crate::config;
use crate::db::{redact, Db};
use crate::dialect::{DialectKind, Refusal};
use crate::error::Error;
use crate::graph;
use crate::migrator::{Migrator, NewRevision, RunOptions};
use crate::render::render_ops_with;
use crate::script::Script;

mod accept;
mod adopt;
mod compat;
mod lint;
mod test;

/// The message of a revision created without `-m` (as Flask-Migrate writes it).
const DEFAULT_MESSAGE: &str = "empty message";

/// The `README` that `init` writes into the migrations directory.
const README: &str = "\
Strata migrations.

- strata.toml: settings (database URL, transactions, table filters).
- versions/: one TOML file per revision. Review them like code and commit them.

Commands (cargo run --bin migrate -- <command>; `--help` lists them all):
  migrate -m \"message\"   autogenerate a revision from the models
  revision -m \"message\"  write an empty revision to fill in by hand
  upgrade                apply the pending revisions
  downgrade              revert the last revision
  history                list the revisions, newest first
  current                show the database's revision
  check                  exit 1 when the models and the database differ
";

/// What a command does with the database it connects to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Reads only (`current`, `history -i`, `check`, ...).
    Read,
    /// Compares it with the models to write a revision (`migrate`, `revision --autogenerate`).
    Compare,
    /// Writes to it (`upgrade`, `downgrade`, `stamp`).
    Write,
}

/// A command's environment: the global options and the output.
#[derive(Debug)]
pub(crate) struct Ctx {
    g: Global,
    out: Out,
}

impl Ctx {
    pub(crate) fn new(g: Global, out: Out) -> Ctx {
        Ctx { g, out }
    }

    /// Runs one command.
    pub(crate) async fn run(&self, command: Command) -> Result<Outcome, Failure> {
        match command {
            Command::Init => self.init(),
            Command::Migrate {
                message,
                empty,
                expand_contract,
                rev,
            } => self.revision(message, !empty, rev, expand_contract).await,
            Command::Revision {
                message,
                autogenerate,
                rev,
            } => self.revision(message, autogenerate, rev, false).await,
            Command::Upgrade {
                target,
                sql,
                dialect,
                allow_changed,
                retry_interrupted,
                allow_unsafe,
                compat,
            } => {
                if let Some(snapshot) = &compat {
                    if !sql {
                        self.refuse_incompatible(snapshot, &target).await?;
                    }
                }
                let opts = RunOptions {
                    allow_changed,
                    retry_interrupted,
                    ..RunOptions::default()
                };
                self.run_steps(
                    graph::Direction::Up,
                    &target,
                    sql,
                    dialect,
                    opts,
                    allow_unsafe,
                )
                .await
            }
            Command::Downgrade {
                target,
                sql,
                dialect,
                allow_changed,
                yes,
                retry_interrupted,
            } => {
                let opts = RunOptions {
                    allow_changed,
                    retry_interrupted,
                    ..RunOptions::default()
                };
                self.run_steps(graph::Direction::Down, &target, sql, dialect, opts, yes)
                    .await
            }
            Command::Current { check_heads } => self.current(check_heads).await,
            Command::History {
                rev_range,
                indicate_current,
                graph,
            } => self.history(rev_range, indicate_current, graph).await,
            Command::Graph { format } => {
                let m = self.open_headers()?;
                let text = match format {
                    PictureFormat::Mermaid => crate::graph::draw::mermaid(m.graph()),
                    PictureFormat::Dot => crate::graph::draw::dot(m.graph()),
                };
                self.out.raw(&text);
                Ok(Outcome::Done)
            }
            Command::Schema {
                format,
                from_database,
            } => self.schema_picture(format, from_database).await,
            Command::Heads => self.heads(),
            Command::Branches => self.branches(),
            Command::Show {
                revision,
                sql,
                dialect,
            } => self.show(&revision, sql, dialect).await,
            Command::Stamp {
                revisions,
                purge,
                sql,
                dialect,
            } => self.stamp(&revisions, purge, sql, dialect).await,
            Command::Accept { revisions } => self.accept(&revisions).await,
            Command::Adopt { message, rev_id } => self.adopt(message, rev_id).await,
            Command::Merge {
                revisions,
                message,
                branch_label,
                rev_id,
            } => self.merge(&revisions, message, branch_label, rev_id),
            Command::Edit { revision } => self.edit(&revision).await,
            Command::Check { lint } => self.check(lint).await,
            Command::Lint {
                range,
                all,
                dialect,
            } => self.lint(range, all, dialect).await,
            Command::Test { range, scratch_url } => self.test(range, scratch_url).await,
            Command::Squash { from, to, message } => {
                let mut m = self.open()?;
                let s = m.squash(&from, &to, &message)?;
                self.out.result(format!(
                    "Generating {} ... done ({} steps, replaces {})",
                    s.path.display(),
                    s.upgrade.len(),
                    s.header.replaces.join(", ")
                ));
                Ok(Outcome::Done)
            }
            Command::Rebase { revision, onto } => {
                let mut m = self.open()?;
                let r = m.rebase(&revision, &onto)?;
                let moved = if r.moved.is_empty() {
                    String::new()
                } else {
                    format!(
                        " with {} built on it ({})",
                        r.moved.len(),
                        r.moved.join(", ")
                    )
                };
                self.out.result(format!(
                    "Rebased {}{moved} onto {} (was on {}): {}",
                    r.revision,
                    r.onto,
                    if r.from.is_empty() {
                        "base".to_string()
                    } else {
                        r.from.join(", ")
                    },
                    r.path.display()
                ));
                self.out.info(format!("Heads now: {}", r.heads.join(", ")));
                Ok(Outcome::Done)
            }
            Command::Hash => {
                let m = self.open_headers()?;
                let path = m.write_sum()?;
                self.out.result(format!(
                    "Wrote {} ({} revision files)",
                    path.display(),
                    m.graph().scripts().count()
                ));
                Ok(Outcome::Done)
            }
            Command::Models { json, snapshot } => self.models(json, snapshot),
            Command::Compat {
                against,
                target,
                database,
            } => self.compat(&against, &target, database).await,
        }
    }

    /// Opens the migrations directory reading only file headers: what every command that does
    /// not run or show ops needs (fast on long histories and large revisions).
    fn open_headers(&self) -> Result<Migrator, Failure> {
        Ok(Migrator::open_headers(&self.g.directory)?)
    }

    fn open(&self) -> Result<Migrator, Failure> {
        Ok(Migrator::open(&self.g.directory)?)
    }

    /// The database URL and where it came from; a broken source is an error.
    fn resolve(&self, m: &Migrator) -> Result<ResolvedUrl, Failure> {
        url::resolve_url(self.g.database_url.as_deref(), m.settings(), m.directory())
            .map_err(|e| Failure::new(e.to_string()))
    }

    /// Connects to the resolved URL. Commands that write (and autogenerate) first print
    /// which database and where its URL came from (`-q` hides it); the default URL is
    /// announced on every run, on stderr; a failure says where the URL came from.
    async fn connect(&self, m: &Migrator, access: Access) -> Result<Db, Failure> {
        let resolved = self.resolve(m)?;
        let shown = redact(&resolved.url);
        if access == Access::Write && is_transient_sqlite(&resolved.url) {
            return Err(Failure::new(format!(
                "`{shown}` (from {}) is an in-memory SQLite database: it disappears when this \
                 command exits, so nothing it writes would persist",
                resolved.from
            ))
            .hint(
                "name a database file, for example --database-url sqlite://app.db \
                 (or sqlite:///absolute/path.db)",
            ));
        }
        if resolved.source == UrlSource::Default {
            self.out.note(format!(
                "Using the default database {shown}: no --database-url, DATABASE_URL, \
                 DATABASE_URL in ./.env or `url` in {} names one",
                m.directory().join(config::SETTINGS_FILE).display()
            ));
        } else if access != Access::Read {
            self.out
                .info(format!("Using {shown} (from {})", resolved.from));
        }
        match m.connect(&resolved.url).await {
            Ok(db) => Ok(db),
            Err(e @ Error::Connect(crate::db::ConnectError::Dialect { .. })) => {
                Err(Failure::new(e.to_string()).hint(format!(
                    "the URL came from {}; it must start with sqlite:, postgres://, mysql:// or \
                     mariadb:// (for example sqlite://app.db, postgres://user@host/db, \
                     mysql://user@host/db)",
                    resolved.from
                )))
            }
            Err(e @ Error::Connect(crate::db::ConnectError::NotBuilt(_))) => Err(e.into()),
            Err(e @ Error::Connect(_)) => {
                let refusal = match &e {
                    Error::Connect(crate::db::ConnectError::Connect { source, .. }) => {
                        source.refusal()
                    }
                    _ => None,
                };
                let from = match resolved.source {
                    UrlSource::Default => format!(
                        "the default {} (no --database-url, DATABASE_URL, .env or `url` in \
                         strata.toml)",
                        url::DEFAULT_URL
                    ),
                    _ => resolved.from.clone(),
                };
                let hint = match refusal {
                    Some(Refusal::Credentials) => format!(
                        "the server refused the user name and password in the URL, which came \
                         from {from}; check them (and that this user may connect from this host)"
                    ),
                    Some(Refusal::NoDatabase) => format!(
                        "the server has no database `{}`; create it (CREATE DATABASE {0}) or \
                         fix the database name in the URL, which came from {from}",
                        url_database(&resolved.url)
                    ),
                    None => format!(
                        "the URL came from {from}; check it, and that the database server is \
                         running"
                    ),
                };
                Err(Failure::new(e.to_string()).hint(hint))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The dialect for offline SQL: `--dialect`, else the URL's scheme (no connection).
    fn sql_dialect(&self, m: &Migrator, flag: Option<String>) -> Result<DialectKind, Failure> {
        if let Some(d) = flag {
            return d.parse().map_err(|e: crate::dialect::UnknownDialect| {
                Failure::new(format!("--dialect: {e}"))
            });
        }
        let resolved = self.resolve(m)?;
        let kind = DialectKind::from_url(&resolved.url).map_err(|e| {
            Failure::new(format!(
                "database URL `{}` (from {}): {e}",
                redact(&resolved.url),
                resolved.from
            ))
            .hint("pass --dialect sqlite, --dialect postgres or --dialect mysql")
        })?;
        if resolved.source == UrlSource::Default {
            // stderr: the script on stdout stays pure SQL.
            self.out.note(format!(
                "Writing SQL for {kind}, the dialect of the default database {}: no \
                 --database-url, DATABASE_URL, .env or `url` in strata.toml names one \
                 (or pass --dialect)",
                url::DEFAULT_URL
            ));
        }
        Ok(kind)
    }

    fn init(&self) -> Result<Outcome, Failure> {
        let dir = &self.g.directory;
        let io = |what: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| Failure::from(Error::Io { what, path, source })
        };
        if dir.exists() {
            let non_empty = !dir.is_dir()
                || std::fs::read_dir(dir)
                    .map_err(io("cannot list", dir))?
                    .next()
                    .is_some();
            if non_empty {
                return Err(Failure::new(format!(
                    "Directory {} already exists and is not empty",
                    dir.display()
                ))
                .hint("choose another directory with -d/--directory, or remove this one"));
            }
        } else {
            std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
        }
        self.out
            .info(format!("Creating directory {} ... done", dir.display()));
        let versions = dir.join("versions");
        std::fs::create_dir_all(&versions).map_err(io("cannot create", &versions))?;
        // Keeps the empty directory in git; hidden files are not migrations.
        let keep = versions.join(".gitkeep");
        std::fs::write(&keep, "").map_err(io("cannot write", &keep))?;
        self.out.info(format!(
            "Creating directory {} ... done",
            versions.display()
        ));
        let no_revisions = crate::script::Sums::of([]).render();
        for (name, text) in [
            (config::SETTINGS_FILE, config::SETTINGS_TEMPLATE),
            ("README", README),
            (crate::script::SUM_FILE, no_revisions.as_str()),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(io("cannot write", &path))?;
            self.out
                .info(format!("Generating {} ... done", path.display()));
        }
        self.out.info(format!(
            "Please edit the configuration in {} as needed (database URL, table filters).",
            dir.join(config::SETTINGS_FILE).display()
        ));
        Ok(Outcome::Done)
    }

    async fn revision(
        &self,
        message: Option<String>,
        autogenerate: bool,
        rev: RevisionOptions,
        expand_contract: bool,
    ) -> Result<Outcome, Failure> {
        let mut m = self.open_headers()?;
        let mut new = NewRevision {
            message: message.unwrap_or_else(|| DEFAULT_MESSAGE.into()),
            head: rev.head,
            splice: rev.splice,
            branch_label: rev.branch_label,
            depends_on: rev.depends_on,
            rev_id: rev.rev_id,
            ..NewRevision::default()
        };
        let heads = m.graph().heads();
        if heads.len() > 1 && new.head.is_none() {
            return Err(Failure::new(format!(
                "there are several heads ({}) and a new revision needs one parent",
                heads.join(", ")
            ))
            .hint(
                "join them with `merge -m \"merge heads\"` (then `upgrade`), or pass `--head <rev>` \
                 to add this revision to one branch",
            ));
        }
        if autogenerate {
            let mut db = self.connect(&m, Access::Compare).await?;
            // A suspected rename: asked on a terminal (as Django's makemigrations does);
            // without one, the drop and add stay and a warning names the hint to write.
            let tty = std::io::stdin().is_terminal();
            let compared = m
                .compare_asking(&mut db, &crate::registry::models(), |c| {
                    tty && confirm::ask(
                        &c.question(),
                        &mut std::io::stdin().lock(),
                        &mut std::io::stderr().lock(),
                    )
                    .unwrap_or(false)
                })
                .await;
            close(db).await;
            let (changes, declined) = compared?;
            if !tty {
                for c in &declined {
                    self.out.warning(c.hint());
                }
            }
            if changes.is_empty() {
                for note in &changes.notes {
                    self.out.warning(note);
                }
                self.out.info("No changes in schema detected.");
                return Ok(Outcome::Done);
            }
            for op in &changes.upgrade {
                for line in op.describe() {
                    self.out.info(line);
                }
            }
            for note in &changes.notes {
                self.out.warning(note);
            }
            let parent = new
                .head
                .clone()
                .or_else(|| heads.first().map(|h| h.to_string()));
            let dialect = self.resolve(&m).ok().and_then(|r| {
                DialectKind::from_url(&r.url)
                    .ok()
                    .and_then(|k| k.dialect().ok())
            });
            if let Some(d) = dialect {
                new.notes = self.lint_new(&m, parent.as_deref(), d, &changes.upgrade);
            }
            if expand_contract {
                let before = parent.as_deref().map_or_else(
                    || Ok(crate::schema::Schema::with_naming(m.naming().clone())),
                    |p| m.schema_at(p),
                )?;
                return self.write_expand_contract(&mut m, new, &changes.upgrade, &before);
            }
            new.upgrade = changes.upgrade;
            new.downgrade = changes.downgrade;
        }
        let script = m.write_revision(new)?;
        self.generated(&script);
        Ok(Outcome::Done)
    }

    /// `migrate --expand-contract`: the change as an expand revision and a contract revision
    /// built on it (or one revision when either half is empty).
    fn write_expand_contract(
        &self,
        m: &mut Migrator,
        new: NewRevision,
        ops: &[crate::ops::Op],
        before: &crate::schema::Schema,
    ) -> Result<Outcome, Failure> {
        let split = crate::compat::split::expand_contract(ops, before);
        for note in &split.notes {
            self.out.warning(note);
        }
        let reverse = |ops: &[crate::ops::Op]| crate::ops::reverse_all(ops).unwrap_or_default();
        if split.expand.is_empty() || split.contract.is_empty() {
            let which = if split.expand.is_empty() {
                "nothing in it is compatible with the previous release: it is all contract"
            } else {
                "all of it is compatible with the previous release: it is all expand"
            };
            self.out.info(format!("One revision: {which}."));
            let upgrade = [split.expand, split.contract].concat();
            let script = m.write_revision(NewRevision {
                downgrade: reverse(&upgrade),
                upgrade,
                ..new
            })?;
            self.generated(&script);
            return Ok(Outcome::Done);
        }
        // A backfill in batches commits batch by batch only outside a transaction: on
        // PostgreSQL, in the online forms (which also build its indexes concurrently).
        let online = split.expand.iter().any(|op| {
            matches!(
                op,
                crate::ops::Op::Sql {
                    batch_size: Some(_),
                    ..
                }
            )
        });
        let expand = m.write_revision(NewRevision {
            message: format!("{} (expand)", new.message),
            online,
            downgrade: reverse(&split.expand),
            upgrade: split.expand,
            head: new.head.clone(),
            splice: new.splice,
            branch_label: new.branch_label.clone(),
            depends_on: new.depends_on.clone(),
            rev_id: new.rev_id.clone(),
            phase: Some(crate::script::Phase::Expand),
            ..NewRevision::default()
        })?;
        self.generated(&expand);
        if online && !m.settings().online {
            self.out.info(
                "The expand revision runs online (`online = true`): it copies data in batches, \
                 which on PostgreSQL commit one by one, with its indexes built concurrently; \
                 remove the line from its header to run it in one transaction.",
            );
        }
        let contract = m.write_revision(NewRevision {
            message: format!("{} (contract)", new.message),
            downgrade: reverse(&split.contract),
            upgrade: split.contract,
            head: Some(expand.revision().to_string()),
            phase: Some(crate::script::Phase::Contract),
            ..NewRevision::default()
        })?;
        self.generated(&contract);
        self.out.info(format!(
            "Before deploying the new release: `upgrade expand@head` (here revision {}; the \
             previous release keeps working); after it is deployed everywhere: `upgrade`.",
            expand.revision()
        ));
        Ok(Outcome::Done)
    }

    fn generated(&self, script: &Script) {
        self.out
            .info(format!("Generating {} ... done", script.path.display()));
    }

    /// `upgrade` / `downgrade`, online or with `--sql`. `yes` is the user's go-ahead: for
    /// `downgrade`, `--yes` (no question about destroyed data); for `upgrade`,
    /// `--allow-unsafe` (no refusal of unacknowledged lint findings).
    async fn run_steps(
        &self,
        direction: graph::Direction,
        target: &str,
        sql: bool,
        dialect: Option<String>,
        opts: RunOptions,
        yes: bool,
    ) -> Result<Outcome, Failure> {
        let m = self.open()?;
        m.verify_sum()?;
        if sql {
            let kind = self.sql_dialect(&m, dialect)?;
            let text = m.offline_sql(
                kind.dialect().map_err(Error::from)?,
                direction,
                target,
                None,
            )?;
            self.out.raw(&text);
            return Ok(Outcome::Done);
        }
        if dialect.is_some() {
            return Err(Failure::new(
                "--dialect only applies with --sql; online, the dialect is the database's",
            ));
        }
        let mut db = self.connect(&m, Access::Write).await?;
        if direction == graph::Direction::Up {
            if let Err(e) = self.refuse_unsafe(&m, &mut db, target, yes).await {
                close(db).await;
                return Err(e);
            }
        }
        if direction == graph::Direction::Down {
            let checked =
                confirm::downgrade(&self.out, &m, &mut db, target, yes, opts.allow_changed);
            if let Err(e) = checked.await {
                close(db).await;
                return Err(e);
            }
        }
        let total = if self.out.is_tty() {
            let current = m.current(&mut db).await.unwrap_or_default();
            match direction {
                graph::Direction::Up => m.graph().upgrade_steps(&current, target),
                graph::Direction::Down => m.graph().downgrade_steps(&current, target),
            }
            .map_or(0, |s| s.len())
        } else {
            0
        };
        // Ctrl-C / SIGTERM: stop, cancel the running statement, roll back, say where it is.
        let url = self.resolve(&m)?.url;
        let (result, signal) = {
            let mut progress = self.out.progress(total);
            let events = |e| progress.event(e);
            let run = async {
                match direction {
                    graph::Direction::Up => m.upgrade(&mut db, target, &opts, events).await,
                    graph::Direction::Down => m.downgrade(&mut db, target, &opts, events).await,
                }
            };
            signals::run_interruptible(run, &opts.stop, &url, &self.out).await
        };
        let outcome = match result {
            Ok(steps) => {
                if signal.is_some() {
                    self.out.info(format!(
                        "The run had finished before it could stop: {}",
                        state(&m, &mut db).await.0
                    ));
                }
                if steps.is_empty() && direction == graph::Direction::Down {
                    self.out.info(format!(
                        "Nothing to downgrade: the database is at `{target}` already"
                    ));
                }
                Ok(Outcome::Done)
            }
            Err(e) => {
                // After a failed or stopped step, say where the database is now.
                let report = matches!(
                    e,
                    Error::Apply(
                        ApplyError::Statement { .. }
                            | ApplyError::Stopped { .. }
                            | ApplyError::ForeignKeyCheck { .. }
                    )
                );
                let mut failure = Failure::from(e);
                if report {
                    let (mut hint, recorded) = state(&m, &mut db).await;
                    if signal.is_some() && !recorded {
                        hint.push_str("; run the command again to continue");
                    }
                    failure = failure.hint(hint);
                }
                if let Some(code) = signal {
                    failure = failure.exit_code(code);
                }
                Err(failure)
            }
        };
        close(db).await;
        outcome
    }

    /// The database's current revisions (connecting) when `needed`, else none.
    async fn current_rows(&self, m: &Migrator, needed: bool) -> Result<Vec<String>, Failure> {
        if !needed {
            return Ok(Vec::new());
        }
        let mut db = self.connect(m, Access::Read).await?;
        let rows = m.current(&mut db).await;
        close(db).await;
        Ok(rows?)
    }

    async fn current(&self, check_heads: bool) -> Result<Outcome, Failure> {
        let m = self.open_headers()?;
        let mut db = self.connect(&m, Access::Read).await?;
        let rows = m.current(&mut db).await;
        let interrupted = m.interrupted(&mut db).await;
        close(db).await;
        let (rows, interrupted) = (rows?, interrupted?);
        let g = m.graph();
        for rev in &rows {
            match g.script(rev) {
                Some(s) if self.out.verbose() => self.out.result(format::entry(g, s, None)),
                Some(s) => self.out.result(format::line(
                    g,
                    s,
                    LineOpts {
                        tree: true,
                        ..LineOpts::default()
                    },
                )),
                None => self
                    .out
                    .result(format!("{rev} (no migration file defines this revision)")),
            }
        }
        for r in &interrupted {
            self.out
                .warning(format!("{}.\n  What to do: {}", r.describe(), r.remedy()));
        }
        if check_heads {
            if !interrupted.is_empty() {
                return Err(Error::from(ApplyError::Interrupted(interrupted)).into());
            }
            m.check_at_heads(&rows)?;
        }
        Ok(Outcome::Done)
    }

    /// `schema`: the models (or the live database) as a Mermaid ER diagram.
    async fn schema_picture(
        &self,
        format: PictureFormat,
        from_database: bool,
    ) -> Result<Outcome, Failure> {
        if format != PictureFormat::Mermaid {
            return Err(Failure::new(
                "`schema` draws Mermaid only; use --format mermaid (or leave it out)",
            ));
        }
        let schema = if from_database {
            let m = self.open_headers()?;
            let mut db = self.connect(&m, Access::Read).await?;
            let schema = m.live_schema(&mut db).await;
            close(db).await;
            schema?
        } else {
            crate::schema::Schema::from_models(crate::registry::models().iter().copied())
                .map_err(Error::from)?
        };
        self.out.raw(&crate::schema::diagram::mermaid(&schema));
        Ok(Outcome::Done)
    }

    async fn history(
        &self,
        range: Option<String>,
        indicate: bool,
        draw: bool,
    ) -> Result<Outcome, Failure> {
        let m = self.open_headers()?;
        // `current` and relative targets (`-2:`) in a range need the database's rows.
        let needs_db = indicate
            || range
                .as_deref()
                .is_some_and(|r| r.contains("current") || r.contains(['+', '-']));
        let rows = self.current_rows(&m, needs_db).await?;
        let current: BTreeSet<String> = rows.iter().cloned().collect();
        let marked = indicate.then_some(&current);
        let g = m.graph();
        // One write for the whole listing, not one per revision (10,000 revisions: ~20 ms).
        let mut text = String::new();
        let listed = g.history(&rows, range.as_deref())?;
        let lanes = if draw {
            let order: Vec<&str> = listed.iter().map(|s| s.revision()).collect();
            crate::graph::draw::lanes(&order, |id| g.parents(id))
        } else {
            Vec::new()
        };
        for (i, s) in listed.into_iter().enumerate() {
            let replaced = g
                .squashed_into(s.revision())
                .map(|sq| format!(" (replaced by squash {})", sq.revision()));
            let entry = if self.out.verbose() {
                format::entry(g, s, marked)
            } else {
                format::line(
                    g,
                    s,
                    LineOpts {
                        parents: true,
                        branches: true,
                        doc: true,
                        tree: true,
                        current: marked,
                    },
                )
            };
            let entry = match replaced {
                Some(note) => {
                    let (first, rest) = entry.split_once('\n').unwrap_or((&entry, ""));
                    if rest.is_empty() {
                        format!("{first}{note}")
                    } else {
                        format!("{first}{note}\n{rest}")
                    }
                }
                None => entry,
            };
            match lanes.get(i) {
                Some(row) => {
                    for line in &row.before {
                        text.push_str(&self.out.lanes(line));
                        text.push('\n');
                    }
                    for (n, line) in entry.lines().enumerate() {
                        let lane = if n == 0 {
                            self.out.lanes(&row.node)
                        } else {
                            self.out.lanes(&row.through)
                        };
                        text.push_str(&format!("{lane} {line}\n"));
                    }
                    for line in &row.after {
                        text.push_str(&self.out.lanes(line));
                        text.push('\n');
                    }
                }
                None => {
                    text.push_str(&entry);
                    text.push('\n');
                }
            }
        }
        if let Some(text) = text.strip_suffix('\n') {
            self.out.result(text);
        }
        Ok(Outcome::Done)
    }

    fn heads(&self) -> Result<Outcome, Failure> {
        let m = self.open_headers()?;
        let g = m.graph();
        for rev in g.heads() {
            let Some(s) = g.script(rev) else { continue };
            if self.out.verbose() {
                self.out.result(format::entry(g, s, None));
            } else {
                self.out.result(format::line(
                    g,
                    s,
                    LineOpts {
                        branches: true,
                        ..LineOpts::default()
                    },
                ));
            }
        }
        Ok(Outcome::Done)
    }

    fn branches(&self) -> Result<Outcome, Failure> {
        let m = self.open_headers()?;
        let g = m.graph();
        for s in g.scripts().rev() {
            let children = g.children(s.revision());
            if children.len() < 2 {
                continue;
            }
            let head = if self.out.verbose() {
                format::entry(g, s, None)
            } else {
                format::line(
                    g,
                    s,
                    LineOpts {
                        branches: true,
                        tree: true,
                        ..LineOpts::default()
                    },
                )
            };
            self.out.result(head);
            let pad = " ".repeat(s.revision().len());
            for child in children {
                let Some(c) = g.script(child) else { continue };
                let text = format::line(
                    g,
                    c,
                    LineOpts {
                        branches: true,
                        tree: true,
                        doc: self.out.verbose(),
                        ..LineOpts::default()
                    },
                );
                self.out.result(format!("{pad} -> {text}"));
            }
        }
        Ok(Outcome::Done)
    }

    async fn show(
        &self,
        target: &str,
        sql: bool,
        dialect: Option<String>,
    ) -> Result<Outcome, Failure> {
        let m = self.open()?;
        let needs_db = target.contains("current") || target.contains(['+', '-']);
        let rows = self.current_rows(&m, needs_db).await?;
        let g = m.graph();
        let revs = g.resolve(&rows, target)?;
        if revs.is_empty() {
            return Err(Failure::new(format!(
                "`{target}` names no revision (it is base, before the first revision)"
            ))
            .hint("`history` lists the revisions"));
        }
        let kind = if sql {
            Some(self.sql_dialect(&m, dialect)?)
        } else {
            None
        };
        for (i, rev) in revs.iter().enumerate() {
            let s = g.get(rev)?;
            if i > 0 {
                self.out.result("");
            }
            self.out.result(format::entry(g, s, None));
            // The downgrade as `downgrade` runs it: the file's, or the upgrade reversed.
            let down = s.downgrade_ops();
            let down_title = if s.downgrade_declared {
                "Downgrade"
            } else {
                "Downgrade (the upgrade reversed: the file has no [[downgrade]])"
            };
            for (title, list) in [
                ("Upgrade", Ok(&s.upgrade[..])),
                (down_title, down.as_deref().map_err(|e| e.to_string())),
            ] {
                self.out.result(format!("{title}:"));
                let list = match list {
                    Ok(list) => list,
                    Err(e) => {
                        self.out.result(format!("    (none possible) {e}"));
                        continue;
                    }
                };
                if list.is_empty() {
                    self.out.result("    (no operations)");
                }
                for op in list.iter() {
                    for line in op.describe() {
                        let line = line.strip_prefix("Detected ").unwrap_or(&line);
                        self.out.result(format!("    {line}"));
                    }
                }
            }
            if let Some(kind) = kind {
                let (up, down) = revision_sql(&m, kind, s)?;
                for (title, statements) in [("upgrade", Ok(up)), ("downgrade", down)] {
                    self.out.result(format!("\n-- SQL ({kind}), {title}:"));
                    match statements {
                        Ok(statements) => {
                            for st in statements {
                                self.out.result(format!("{st};"));
                            }
                        }
                        Err(e) => self.out.result(format!("-- (none possible) {e}")),
                    }
                }
            }
        }
        Ok(Outcome::Done)
    }

    async fn stamp(
        &self,
        revisions: &[String],
        purge: bool,
        sql: bool,
        dialect: Option<String>,
    ) -> Result<Outcome, Failure> {
        let m = self.open_headers()?;
        if sql {
            let kind = self.sql_dialect(&m, dialect)?;
            self.out.raw(&m.offline_stamp_sql(
                kind.dialect().map_err(Error::from)?,
                revisions,
                purge,
            )?);
            return Ok(Outcome::Done);
        }
        let mut db = self.connect(&m, Access::Write).await?;
        let result = {
            let mut progress = self.out.progress(0);
            m.stamp(&mut db, revisions, purge, |e| progress.event(e))
                .await
        };
        close(db).await;
        result?;
        Ok(Outcome::Done)
    }

    fn merge(
        &self,
        revisions: &[String],
        message: Option<String>,
        branch_label: Option<String>,
        rev_id: Option<String>,
    ) -> Result<Outcome, Failure> {
        let mut m = self.open_headers()?;
        let script = m.merge(
            revisions,
            NewRevision {
                message: message.unwrap_or_else(|| DEFAULT_MESSAGE.into()),
                branch_label,
                rev_id,
                ..NewRevision::default()
            },
        )?;
        self.generated(&script);
        Ok(Outcome::Done)
    }

    async fn edit(&self, target: &str) -> Result<Outcome, Failure> {
        let m = self.open_headers()?;
        let needs_db = target.contains("current") || target.contains(['+', '-']);
        let rows = self.current_rows(&m, needs_db).await?;
        let revs = m.graph().resolve(&rows, target)?;
        if revs.is_empty() {
            return Err(Failure::new(format!(
                "`{target}` names no revision (it is base, before the first revision)"
            ))
            .hint("`history` lists the revisions"));
        }
        // $EDITOR, then $VISUAL, then vi; split on whitespace so `code --wait` works.
        let set = ["EDITOR", "VISUAL"].iter().find_map(|k| {
            std::env::var(k)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(|v| (v, format!("${k}")))
        });
        let fallback = set.is_none();
        let (editor, from) =
            set.unwrap_or_else(|| ("vi".into(), "the fallback (no $EDITOR or $VISUAL)".into()));
        for rev in &revs {
            let path = m.graph().get(rev)?.path.clone();
            if fallback && !std::io::stdin().is_terminal() {
                // vi without a terminal would wait forever.
                return Err(Failure::new(format!(
                    "no editor to edit {}: $EDITOR and $VISUAL are not set, and the fallback \
                     `vi` needs a terminal",
                    path.display()
                ))
                .hint("set EDITOR (for example `export EDITOR=nano`), or open the file yourself"));
            }
            let mut words = editor.split_whitespace();
            let program = words.next().unwrap_or_default();
            let status = std::process::Command::new(program)
                .args(words)
                .arg(&path)
                .status()
                .map_err(|e| {
                    Failure::new(format!(
                        "cannot run editor `{editor}` ({from}) to edit {}: {e}",
                        path.display()
                    ))
                    .hint(
                        "set EDITOR to an installed editor (for example `export EDITOR=nano`), \
                         or open the file yourself",
                    )
                })?;
            if !status.success() {
                return Err(Failure::new(format!(
                    "editor `{editor}` ({from}) exited with {status} while editing {}",
                    path.display()
                )));
            }
            Script::load(&path).map_err(|e| {
                Failure::from(e)
                    .hint("the file was saved but does not parse; fix it and run `edit` again")
            })?;
        }
        Ok(Outcome::Done)
    }

    async fn check(&self, lint: bool) -> Result<Outcome, Failure> {
        let m = self.open()?;
        m.verify_sum()?;
        let heads = m.graph().heads();
        if heads.len() > 1 {
            return Err(Failure::new(format!(
                "there are several heads ({}); `check` compares the models with one head",
                heads.join(", ")
            ))
            .hint(
                "join them with `merge -m \"merge heads\"`, then run `upgrade` and `check` again",
            ));
        }
        let mut db = self.connect(&m, Access::Read).await?;
        let changes = m.check(&mut db, &crate::registry::models()).await;
        close(db).await;
        let changes = changes?;
        let linted = if lint {
            self.check_lint(&m).await?
        } else {
            Outcome::Done
        };
        if changes.is_empty() {
            self.out.info("No new upgrade operations detected.");
            return Ok(linted);
        }
        self.out.result("New upgrade operations detected:");
        for op in &changes.upgrade {
            for line in op.describe() {
                self.out.result(format!("  {line}"));
            }
        }
        self.out
            .result("Run `migrate -m \"<message>\"` to generate a revision.");
        Ok(Outcome::Differences)
    }
}

/// A revision's downgrade statements, or why it has none.
type Downgrade = Result<Vec<String>, String>;

/// The SQL of one revision's upgrade and downgrade for `kind`, rendered against the schema
/// its ancestors build (replayed offline). The downgrade is what `downgrade` runs (the
/// upgrade reversed when the file has no `[[downgrade]]`), or why there is none.
fn revision_sql(
    m: &Migrator,
    kind: DialectKind,
    s: &Script,
) -> Result<(Vec<String>, Downgrade), Failure> {
    let dialect = kind.dialect().map_err(Error::from)?;
    let schema = m.schema_before(s.revision())?;
    let online = s.header.online;
    let (up, after) = render_ops_with(&s.upgrade, dialect, &schema, online).map_err(Error::from)?;
    let flat = |r: Vec<crate::render::Rendered>| r.into_iter().flat_map(|r| r.statements).collect();
    let down = match s.downgrade_ops() {
        Ok(ops) => Ok(flat(
            render_ops_with(&ops, dialect, &after, online)
                .map_err(Error::from)?
                .0,
        )),
        Err(e) => Err(e.to_string()),
    };
    Ok((flat(up), down))
}

/// Where the database is: its version rows, and any interruption record with what to do
/// (true when there is one).
async fn state(m: &Migrator, db: &mut Db) -> (String, bool) {
    let rows = match m.current(db).await {
        Ok(rows) if rows.is_empty() => "base (no version rows)".to_string(),
        Ok(rows) => format!("revision {}", rows.join(", ")),
        Err(e) => {
            return (
                format!("could not read the version rows afterwards: {e}"),
                false,
            )
        }
    };
    let mut out = format!("the database is at {rows}");
    let mut recorded = false;
    match m.interrupted(db).await {
        Ok(records) => {
            for r in records {
                out.push_str(&format!("; {}; {}", r.describe(), r.remedy()));
                recorded = true;
            }
        }
        Err(e) => out.push_str(&format!("; could not read the interruption records: {e}")),
    }
    (out, recorded)
}

/// Closes a connection politely (PostgreSQL logs abrupt disconnects).
async fn close(db: Db) {
    db.close().await;
}
