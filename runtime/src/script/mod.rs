//! Stage 7, apply (migration files): migration files (`migrations/versions/<revision>_<slug>.toml`), written and parsed.
//!
//! A migration file is declarative TOML, never executed as code: a header (the revision id,
//! its parent(s), the message, ...) and two lists of [`Op`]s, `[[upgrade]]` and
//! `[[downgrade]]`:
//!
//! ```toml
//! # Add phone column to users
//! revision = "a1b2c3d4e5f6"
//! down_revision = "9f8e7d6c5b4a"   # absent for the first revision; an array for a merge
//! message = "Add phone column to users"
//! created = 2026-11-21T15:30:00Z
//! # optional: branch_labels = ["..."], depends_on = ["..."], transactional = false
//!
//! [[upgrade]]
//! op = "add_column"
//! table = "users"
//! column = { name = "phone", type = "varchar(20)", nullable = true }
//!
//! [[downgrade]]
//! op = "drop_column"
//! table = "users"
//! column = { name = "phone", type = "varchar(20)", nullable = true }
//! ```
//!
//! [`Script::render`] writes that layout, [`Script::parse`] reads it back (also after hand
//! edits), and [`Script::load_dir`] reads a whole `versions` directory. Errors name the file,
//! line and column. The revision graph ([`crate::graph`]) chains the scripts together.

mod id;
mod write;

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

pub use id::{
    file_name, new_revision_id, slug, validate_revision_id, MAX_REVISION_LEN, MAX_SLUG_LEN,
    RESERVED,
};
/// A TOML date-time, as stored in `created`.
pub use toml::value::Datetime;

use crate::ops::Op;

/// The header of a migration file: everything but the ops.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The revision id (`revision = "..."`), also the file name's prefix.
    pub revision: String,
    /// The parent revisions (`down_revision`): none for a first revision, one normally,
    /// several for a merge point.
    pub down_revision: Vec<String>,
    /// The message given to `revision -m` (`message = "..."`).
    pub message: String,
    /// When the file was generated (`created = 2026-11-21T15:30:00Z`); optional in
    /// hand-written files.
    pub created: Option<Datetime>,
    /// Branch labels this revision starts or carries (`branch_labels = [...]`).
    pub branch_labels: Vec<String>,
    /// Revisions that must be applied before this one without being its parents
    /// (`depends_on = [...]`).
    pub depends_on: Vec<String>,
    /// Whether the revision runs inside one transaction (`transactional = false` to opt out,
    /// e.g. for `CREATE INDEX CONCURRENTLY`). Defaults to true.
    pub transactional: bool,
}

impl Header {
    /// A header for a new revision created now (UTC, to the second), transactional, with no
    /// branch labels or dependencies.
    pub fn new(
        revision: impl Into<String>,
        down_revision: Vec<String>,
        message: impl Into<String>,
    ) -> Self {
        Header {
            revision: revision.into(),
            down_revision,
            message: message.into(),
            created: now(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            transactional: true,
        }
    }
}

/// The current time as a TOML date-time (UTC, whole seconds).
fn now() -> Option<Datetime> {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
        .parse()
        .ok()
}

/// One migration file: its header and its ops.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// Where the file is (or will be, relative to the versions directory, for a script built
    /// in memory with [`Script::new`]).
    pub path: PathBuf,
    /// The header.
    pub header: Header,
    /// The ops that apply this revision, in order.
    pub upgrade: Vec<Op>,
    /// The ops that undo it, in order, as the file writes them (`[[downgrade]]`); see
    /// [`Script::downgrade_ops`] for the ops a downgrade runs.
    pub downgrade: Vec<Op>,
    /// Whether the file declares its downgrade: `[[downgrade]]` ops, or `downgrade = []` in the
    /// header for a downgrade that intentionally does nothing. When false (no `[[downgrade]]`
    /// and no `downgrade = []`), the downgrade is the upgrade reversed.
    pub downgrade_declared: bool,
    /// SHA-256 (lowercase hex) of the file text with line endings normalised to LF; see
    /// [`Script::checksum`].
    pub checksum: String,
    /// Whether `upgrade` and `downgrade` were read. [`Script::parse_header`] reads only the
    /// header (what `history`, `heads`, `current` and autogenerate need); [`Script::load`]
    /// reads the whole file.
    pub ops_loaded: bool,
}

/// What can go wrong reading or writing migration files.
#[derive(Debug, Error)]
pub enum ScriptError {
    /// The file is not valid TOML or not a valid migration file.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The column (1-based, in characters).
        column: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// The revision id inside the file does not match the file name.
    #[error("{}: the file declares `revision = \"{declared}\"` but its name starts with `{from_name}`; rename the file to start with `{declared}_` or fix `revision` (and any `down_revision` that points at it)", file.display())]
    NameMismatch {
        /// The file.
        file: PathBuf,
        /// The id in `revision = ...`.
        declared: String,
        /// The start of the file name.
        from_name: String,
    },
    /// A revision id that is not allowed.
    #[error("invalid revision id `{id}`: {why}; a revision id is 1 to 32 characters of a-z, 0-9 and _, and not head, heads, base or current")]
    InvalidRevisionId {
        /// The id.
        id: String,
        /// Why it is refused.
        why: String,
    },
    /// Two files define the same revision id.
    #[error("revision `{revision}` is defined twice, in {} and in {}; give one of them a new id (its file name and `revision`) and fix the `down_revision` that should point at it", first.display(), second.display())]
    DuplicateRevision {
        /// The id.
        revision: String,
        /// The first file.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// A file or directory cannot be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// "read", "write", "list", "create"...
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The system error.
        #[source]
        source: std::io::Error,
    },
    /// The operating system could not provide random bytes for a revision id.
    #[error("cannot generate a random revision id ({0}); pass an id explicitly")]
    Random(String),
    /// The revision has no `[[downgrade]]`, so its downgrade is its upgrade reversed, and an
    /// upgrade `sql` step has no `reverse`.
    #[error("revision {revision} ({}) cannot be downgraded: it has no [[downgrade]] ops, so its downgrade is its upgrade reversed, and its upgrade step #{step} (`sql`: {first_line}) has no `reverse`{}; nothing was run. Add `reverse = \"...\"` with the SQL that undoes that step, or write the revision's [[downgrade]] ops (`downgrade = []` in the header when undoing it needs nothing)", file.display(), if others.is_empty() { String::new() } else { format!(" (nor do steps {})", others.iter().map(|n| format!("#{n}")).collect::<Vec<_>>().join(", ")) })]
    Irreversible {
        /// The revision.
        revision: String,
        /// Its file.
        file: PathBuf,
        /// The first upgrade step without a reverse (1-based).
        step: usize,
        /// The first line of that step's SQL.
        first_line: String,
        /// The other upgrade steps without a reverse (1-based).
        others: Vec<usize>,
    },
    /// The ops cannot be written as TOML (should not happen for ops built by Strata).
    #[error("cannot write revision `{revision}` as TOML: {message}")]
    Render {
        /// The revision.
        revision: String,
        /// The serializer's message.
        message: String,
    },
}

/// The file layout as serde reads it.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    revision: String,
    #[serde(default, deserialize_with = "one_or_many")]
    down_revision: Vec<String>,
    message: String,
    #[serde(default)]
    created: Option<Datetime>,
    #[serde(default, deserialize_with = "one_or_many")]
    branch_labels: Vec<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    depends_on: Vec<String>,
    #[serde(default = "yes")]
    transactional: bool,
    #[serde(default)]
    upgrade: Vec<Op>,
    /// `None` when the file has neither `[[downgrade]]` nor `downgrade = [...]`.
    #[serde(default)]
    downgrade: Option<Vec<Op>>,
}

fn yes() -> bool {
    true
}

/// A string or an array of strings (`down_revision = "a"`, `down_revision = ["a", "b"]`).
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a revision id string or an array of them")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

impl Script {
    /// A script built in memory (by `revision` / `autogenerate`, or by tests): its path is its
    /// [`file_name`] and its checksum that of [`Script::render`]'s text.
    /// An empty `downgrade` leaves the downgrade undeclared: it is the upgrade reversed (see
    /// [`Script::with_downgrade`] to declare a downgrade that does nothing).
    pub fn new(header: Header, upgrade: Vec<Op>, downgrade: Vec<Op>) -> Result<Self, ScriptError> {
        let declared = (!downgrade.is_empty()).then_some(downgrade);
        Self::with_downgrade(header, upgrade, declared)
    }

    /// [`Script::new`] with the downgrade given exactly: `None` leaves it undeclared (the
    /// upgrade reversed), `Some(vec![])` declares a downgrade that does nothing (written
    /// `downgrade = []`).
    pub fn with_downgrade(
        header: Header,
        upgrade: Vec<Op>,
        downgrade: Option<Vec<Op>>,
    ) -> Result<Self, ScriptError> {
        let mut script = Script {
            path: PathBuf::from(file_name(&header.revision, &header.message)),
            header,
            upgrade,
            downgrade_declared: downgrade.is_some(),
            downgrade: downgrade.unwrap_or_default(),
            checksum: String::new(),
            ops_loaded: true,
        };
        script.checksum = Self::checksum(&script.render()?);
        Ok(script)
    }

    /// The revision id.
    pub fn revision(&self) -> &str {
        &self.header.revision
    }

    /// The parent revision ids (none, one, or several for a merge).
    pub fn down_revision(&self) -> &[String] {
        &self.header.down_revision
    }

    /// The ops a downgrade of this revision runs, in order: the `[[downgrade]]` ops when the
    /// file declares them (`downgrade = []` declares none), else the upgrade reversed (each
    /// op's reverse, last op first). [`ScriptError::Irreversible`] when the downgrade is the
    /// upgrade reversed and an upgrade `sql` step has no `reverse`. Needs the ops read
    /// ([`Script::ops_loaded`]).
    pub fn downgrade_ops(&self) -> Result<std::borrow::Cow<'_, [Op]>, ScriptError> {
        if self.downgrade_declared {
            return Ok(std::borrow::Cow::Borrowed(&self.downgrade));
        }
        let mut missing = self
            .upgrade
            .iter()
            .enumerate()
            .filter_map(|(i, op)| op.reverse().err().map(|e| (i + 1, e.sql)));
        if let Some((step, sql)) = missing.next() {
            return Err(ScriptError::Irreversible {
                revision: self.header.revision.clone(),
                file: self.path.clone(),
                step,
                first_line: first_line(&sql),
                others: missing.map(|(n, _)| n).collect(),
            });
        }
        crate::ops::reverse_all(&self.upgrade)
            .map(std::borrow::Cow::Owned)
            .map_err(|e| ScriptError::Irreversible {
                revision: self.header.revision.clone(),
                file: self.path.clone(),
                step: 0,
                first_line: first_line(&e.sql),
                others: Vec::new(),
            })
    }

    /// The file text: header keys first, then each `[[upgrade]]` and `[[downgrade]]` op; a
    /// script with no ops gets commented examples instead. Parses back to an equal script.
    pub fn render(&self) -> Result<String, ScriptError> {
        let downgrade = self.downgrade_declared.then_some(self.downgrade.as_slice());
        write::render(&self.header, &self.upgrade, downgrade).map_err(|e| ScriptError::Render {
            revision: self.header.revision.clone(),
            message: e.to_string(),
        })
    }

    /// Writes this script as a new file in `versions_dir` (created if missing), named by its
    /// [`file_name`], and points [`Script::path`] at it. Refuses to overwrite a file.
    pub fn write(&mut self, versions_dir: &Path) -> Result<PathBuf, ScriptError> {
        use std::io::Write as _;
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| ScriptError::Io {
                action,
                path,
                source,
            }
        };
        self.check_types()?;
        let text = self.render()?;
        std::fs::create_dir_all(versions_dir).map_err(io("create", versions_dir))?;
        let path = versions_dir.join(file_name(&self.header.revision, &self.header.message));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io("create", &path))?;
        f.write_all(text.as_bytes()).map_err(io("write", &path))?;
        self.checksum = Self::checksum(&text);
        self.path = path.clone();
        Ok(path)
    }

    /// Refuses a column type that the file could not be read back with (a model's
    /// `sql_type = "intger"`, say): written, it would break every command.
    fn check_types(&self) -> Result<(), ScriptError> {
        let mut types: Vec<(String, &crate::schema::SqlType)> = Vec::new();
        for op in self.upgrade.iter().chain(&self.downgrade) {
            match op {
                Op::CreateTable { table } | Op::DropTable { table } => {
                    for c in &table.columns {
                        types.push((format!("{}.{}", table.name, c.name), &c.ty));
                    }
                }
                Op::AddColumn { table, column } | Op::DropColumn { table, column } => {
                    types.push((format!("{table}.{}", column.name), &column.ty));
                }
                Op::AlterColumn {
                    table,
                    column,
                    ty: Some(change),
                    ..
                } => {
                    types.push((format!("{table}.{column}"), &change.from));
                    types.push((format!("{table}.{column}"), &change.to));
                }
                _ => {}
            }
        }
        for (column, ty) in types {
            if let Err(e) = crate::schema::SqlType::parse_checked(&ty.to_string()) {
                return Err(ScriptError::Render {
                    revision: self.header.revision.clone(),
                    message: format!(
                        "column `{column}`: {e}; the file would not read back, so it was not \
                         written (fix the type where it comes from: the model's `sql_type`)"
                    ),
                });
            }
        }
        Ok(())
    }

    /// SHA-256 (lowercase hex) of `text` with CRLF and CR line endings turned into LF, so a
    /// checkout with other line endings keeps the same checksum.
    pub fn checksum(text: &str) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = if text.contains('\r') {
            Sha256::digest(text.replace("\r\n", "\n").replace('\r', "\n").as_bytes())
        } else {
            Sha256::digest(text.as_bytes())
        };
        let mut hex = String::with_capacity(2 * digest.len());
        for b in digest {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        hex
    }

    /// Parses the text of the migration file at `path` (the path is used for messages and to
    /// check that the file name starts with the revision id). Nothing in it is executed.
    pub fn parse(path: impl AsRef<Path>, text: &str) -> Result<Self, ScriptError> {
        let path = path.as_ref();
        if let Some(raw) = parse_by_op(text) {
            return Self::from_raw(path, text, raw, true);
        }
        let raw: RawFile = toml::from_str(text).map_err(|e| parse_error(path, text, &e))?;
        Self::from_raw(path, text, raw, true)
    }

    /// Parses only the header of a migration file (the keys before the first `[[upgrade]]` or
    /// `[[downgrade]]`), leaving the ops unread ([`Script::ops_loaded`] is false). The checksum
    /// still covers the whole text. Much cheaper than [`Script::parse`] on large files.
    pub fn parse_header(path: impl AsRef<Path>, text: &str) -> Result<Self, ScriptError> {
        let path = path.as_ref();
        let end = header_end(text);
        let header = &text[..end];
        match plain_header(header).map_or_else(|| toml::from_str::<RawFile>(header), Ok) {
            Ok(raw) => Self::from_raw(path, text, raw, false),
            // A header this cut cannot read (a multi-line string holding a `[` line, say):
            // the full parse reads it, or reports the error at its real place.
            Err(_) => Self::parse(path, text),
        }
    }

    fn from_raw(
        path: &Path,
        text: &str,
        raw: RawFile,
        ops_loaded: bool,
    ) -> Result<Self, ScriptError> {
        if let Err(e) = validate_revision_id(&raw.revision) {
            let at = find_key(text, 0..text.len(), "revision").unwrap_or(0);
            return Err(located(path, text, at, e.to_string()));
        }
        for (key, list) in [
            ("down_revision", &raw.down_revision),
            ("depends_on", &raw.depends_on),
            ("branch_labels", &raw.branch_labels),
        ] {
            if let Some(dup) = list
                .iter()
                .enumerate()
                .find_map(|(i, v)| list[..i].contains(v).then_some(v))
            {
                let at = find_key(text, 0..text.len(), key).unwrap_or(0);
                return Err(located(
                    path,
                    text,
                    at,
                    format!("`{key}` lists `{dup}` twice; list each revision once"),
                ));
            }
        }
        if raw.down_revision.contains(&raw.revision) || raw.depends_on.contains(&raw.revision) {
            let key = if raw.down_revision.contains(&raw.revision) {
                "down_revision"
            } else {
                "depends_on"
            };
            let at = find_key(text, 0..text.len(), key).unwrap_or(0);
            return Err(located(
                path,
                text,
                at,
                format!(
                    "`{key}` names this revision itself (`{}`); name its parent",
                    raw.revision
                ),
            ));
        }
        let stem = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".toml"))
            .unwrap_or("");
        let matches = stem == raw.revision
            || stem
                .strip_prefix(raw.revision.as_str())
                .is_some_and(|rest| rest.starts_with('_'));
        if !matches {
            return Err(ScriptError::NameMismatch {
                file: path.to_path_buf(),
                declared: raw.revision,
                from_name: stem.split('_').next().unwrap_or(stem).to_string(),
            });
        }
        Ok(Script {
            path: path.to_path_buf(),
            header: Header {
                revision: raw.revision,
                down_revision: raw.down_revision,
                message: raw.message,
                created: raw.created,
                branch_labels: raw.branch_labels,
                depends_on: raw.depends_on,
                transactional: raw.transactional,
            },
            upgrade: raw.upgrade,
            downgrade_declared: raw.downgrade.is_some(),
            downgrade: raw.downgrade.unwrap_or_default(),
            checksum: Self::checksum(text),
            ops_loaded,
        })
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ScriptError> {
        let path = path.as_ref();
        Self::parse(path, &read(path)?)
    }

    /// Reads the file at `path` and parses its header only (see [`Script::parse_header`]).
    pub fn load_header(path: impl AsRef<Path>) -> Result<Self, ScriptError> {
        let path = path.as_ref();
        Self::parse_header(path, &read(path)?)
    }

    /// Reads every `*.toml` file in `versions_dir` (other files and hidden files are
    /// ignored), in file-name order. Two files with the same revision id are an error.
    pub fn load_dir(versions_dir: impl AsRef<Path>) -> Result<Vec<Self>, ScriptError> {
        Self::load_dir_with(versions_dir.as_ref(), |p| Self::load(p))
    }

    /// [`Script::load_dir`], reading only each file's header.
    pub fn load_dir_headers(versions_dir: impl AsRef<Path>) -> Result<Vec<Self>, ScriptError> {
        Self::load_dir_with(versions_dir.as_ref(), |p| Self::load_header(p))
    }

    fn load_dir_with(
        dir: &Path,
        load: fn(&Path) -> Result<Self, ScriptError>,
    ) -> Result<Vec<Self>, ScriptError> {
        let list = |source| ScriptError::Io {
            action: "list",
            path: dir.to_path_buf(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(list)? {
            let entry = entry.map_err(list)?;
            let path = entry.path();
            let lossy = entry.file_name().to_string_lossy().into_owned();
            if lossy.starts_with('.') || !lossy.ends_with(".toml") {
                continue;
            }
            let refuse = |why: String| ScriptError::Io {
                action: "use",
                path: path.clone(),
                source: std::io::Error::other(why),
            };
            if entry.file_name().to_str().is_none() {
                return Err(refuse(
                    "its name is not valid UTF-8; rename it to `<revision>_<slug>.toml`".into(),
                ));
            }
            // The directory listing usually knows the type: no `stat` per file (it shows at
            // 10,000 revisions). Directories are skipped. Symbolic links are followed; one
            // whose target is missing is an error, never skipped (a revision would silently
            // vanish from the graph), and so is a pipe or socket (reading it would block).
            let (is_file, is_dir) = match entry.file_type() {
                Ok(t) if t.is_symlink() => {
                    if !path.exists() {
                        let target = std::fs::read_link(&path)
                            .map(|t| t.display().to_string())
                            .unwrap_or_else(|_| "?".into());
                        return Err(refuse(format!(
                            "it is a symbolic link to {target}, which does not exist; restore \
                             the target or remove the link"
                        )));
                    }
                    (path.is_file(), path.is_dir())
                }
                Ok(t) => (t.is_file(), t.is_dir()),
                Err(_) => (path.is_file(), path.is_dir()),
            };
            if is_dir {
                continue;
            }
            if !is_file {
                return Err(refuse(
                    "it is not a regular file (a pipe, socket or device); move it out of the \
                     versions directory"
                        .into(),
                ));
            }
            paths.push(path);
        }
        // One directory: ordering by file name is ordering by path. `file_name()` re-parses
        // the path on every call, so the names are taken once (it showed at 10,000 files).
        paths.sort_by_cached_key(|p| p.file_name().map(|n| n.to_os_string()));
        // Reading and parsing thousands of small files is the whole cost of `history` on a
        // long history: spread it over the cores, keeping file-name order.
        let loaded = on_all_cores(&paths, 256, |part| {
            part.iter().map(|p| load(p)).collect::<Result<Vec<_>, _>>()
        })
        .unwrap_or_else(|| {
            vec![Err(ScriptError::Io {
                action: "read",
                path: dir.to_path_buf(),
                source: std::io::Error::other("a loader thread panicked"),
            })]
        });
        let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut scripts = Vec::with_capacity(paths.len());
        for (script, path) in loaded
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .zip(paths)
        {
            if let Some(first) = seen.get(script.revision()) {
                return Err(ScriptError::DuplicateRevision {
                    revision: script.header.revision,
                    first: first.clone(),
                    second: path,
                });
            }
            seen.insert(script.header.revision.clone(), path);
            scripts.push(script);
        }
        Ok(scripts)
    }
}

/// The first non-blank line of `sql`, trimmed and cut to 80 characters, for messages.
fn first_line(sql: &str) -> String {
    let line = sql
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let more = sql.trim().len() > line.len();
    let mut out: String = line.chars().take(80).collect();
    if more || line.chars().count() > 80 {
        out.push_str(" ...");
    }
    out
}

fn read(path: &Path) -> Result<String, ScriptError> {
    use std::io::Read;
    let io = |source| ScriptError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    // Not `fs::read_to_string`, which asks for the file's size first: one system call less
    // per file, which shows when `history` reads 10,000 of them. Most files fit the first
    // buffer; larger ones grow it as usual.
    let file = std::fs::File::open(path).map_err(io)?;
    let mut text = String::with_capacity(8 * 1024);
    file.take(u64::MAX)
        .read_to_string(&mut text)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => io(std::io::Error::other(
                "it is not valid UTF-8 text; save it as UTF-8",
            )),
            _ => io(e),
        })?;
    Ok(text)
}

/// The ops of one `[[upgrade]]` / `[[downgrade]]` piece of a file (see [`parse_by_op`]).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOps {
    #[serde(default)]
    upgrade: Vec<Op>,
    #[serde(default)]
    downgrade: Vec<Op>,
}

/// Whether a header defines ops itself.
#[derive(Deserialize)]
struct HeaderOps {
    upgrade: Option<de::IgnoredAny>,
    downgrade: Option<de::IgnoredAny>,
}

/// Files larger than this are parsed on all cores (see [`parse_by_op`]).
const PARALLEL_PARSE_BYTES: usize = 64 * 1024;

/// Parses a migration file piece by piece: the header, then each `[[upgrade]]` or
/// `[[downgrade]]` table on its own (on all cores for a large file), and concatenates the
/// ops in file order. Same result as parsing the whole document, at a fraction of the memory
/// and time on large files (a 5,000-table initial revision is 7.7 MB of TOML); `None` when
/// any piece does not parse on its own, and the caller parses the whole file, which then
/// also reports any error at its real place.
///
/// Why the pieces are the document: a piece starts at a line that is exactly `[[upgrade]]`
/// or `[[downgrade]]`; if such a line sat inside a multi-line string or array, the piece
/// before it would end inside that string or array and fail. A table header in a piece
/// that reaches back into another piece (`[upgrade.table]` under `[[downgrade]]`) or any
/// other key fails [`RawOps`]; ops in the header fail the check below.
fn parse_by_op(text: &str) -> Option<RawFile> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if matches!(line.trim_end(), "[[upgrade]]" | "[[downgrade]]") {
            starts.push(offset);
        }
        offset += line.len();
    }
    let first = *starts.first()?;
    let header = &text[..first];
    let mut raw = match plain_header(header) {
        Some(raw) => raw,
        None => {
            // `upgrade = []` in the header and `[[upgrade]]` below do not make one document.
            let keys: HeaderOps = toml::from_str(header).ok()?;
            if keys.upgrade.is_some() || keys.downgrade.is_some() {
                return None;
            }
            toml::from_str(header).ok()?
        }
    };
    starts.push(text.len());
    let pieces: Vec<&str> = starts.windows(2).map(|w| &text[w[0]..w[1]]).collect();
    // A small file is parsed on this thread: one part of all its pieces.
    let min_part = if text.len() < PARALLEL_PARSE_BYTES {
        pieces.len()
    } else {
        1
    };
    let parsed = on_all_cores(&pieces, min_part, |part| {
        part.iter()
            .map(|p| toml::from_str::<RawOps>(p).ok())
            .collect::<Option<Vec<_>>>()
    })?
    .into_iter()
    .collect::<Option<Vec<_>>>()?;
    for ops in parsed.into_iter().flatten() {
        raw.upgrade.extend(ops.upgrade);
        if !ops.downgrade.is_empty() {
            raw.downgrade
                .get_or_insert_with(Vec::new)
                .extend(ops.downgrade);
        }
    }
    Some(raw)
}

/// Runs `f` on `items` cut into one contiguous part per core, each of at least `min_part`
/// items, and returns the results in order; on this thread when there is one part (a new
/// thread's allocations pay for a fresh malloc arena, and asking for the core count reads
/// cgroup files). `None` when a thread panicked.
fn on_all_cores<T: Sync, R: Send>(
    items: &[T],
    min_part: usize,
    f: impl Fn(&[T]) -> R + Sync,
) -> Option<Vec<R>> {
    if items.len() <= min_part.max(1) {
        return Some(vec![f(items)]);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let part = items.len().div_ceil(threads).max(min_part).max(1);
    if part >= items.len() {
        return Some(vec![f(items)]);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(part)
            .map(|chunk| scope.spawn(move || f(chunk)))
            .collect();
        workers.into_iter().map(|w| w.join().ok()).collect()
    })
}

/// Reads a header in the exact shape Strata writes it (`key = "text"`, `key = ["a", "b"]`,
/// `created = <date-time>`, `transactional = false`, `#` comment lines) without the TOML
/// machinery, which costs ~20,000 instructions per header and showed in `history` at 10,000
/// revisions. `None` for anything else (an escape, a trailing comment, an unknown or repeated
/// key, ...): the caller then parses with `toml`, which also reports errors.
fn plain_header(header: &str) -> Option<RawFile> {
    fn text(v: &str) -> Option<String> {
        let inner = v.strip_prefix('"')?.strip_suffix('"')?;
        let plain = inner
            .chars()
            .all(|c| c != '"' && c != '\\' && (c == '\t' || !c.is_control()));
        plain.then(|| inner.to_string())
    }
    fn texts(v: &str) -> Option<Vec<String>> {
        let inner = v.strip_prefix('[')?.strip_suffix(']')?;
        if inner.trim().is_empty() {
            return Some(Vec::new());
        }
        inner.split(',').map(|s| text(s.trim())).collect()
    }
    fn one_or_many(v: &str) -> Option<Vec<String>> {
        if v.starts_with('[') {
            texts(v)
        } else {
            text(v).map(|s| vec![s])
        }
    }
    let mut raw = RawFile {
        revision: String::new(),
        down_revision: Vec::new(),
        message: String::new(),
        created: None,
        branch_labels: Vec::new(),
        depends_on: Vec::new(),
        transactional: true,
        upgrade: Vec::new(),
        downgrade: None,
    };
    let mut seen: Vec<&str> = Vec::with_capacity(8);
    for line in header.lines() {
        let line = line.trim_matches([' ', '\t']);
        if line.starts_with('#') && line.chars().any(|c| c.is_control() && c != '\t') {
            // TOML refuses control characters in comments: let `toml` report it.
            return None;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=')?;
        let (key, value) = (
            key.trim_end_matches([' ', '\t']),
            value.trim_start_matches([' ', '\t']),
        );
        if seen.contains(&key) {
            return None;
        }
        seen.push(key);
        match key {
            "revision" => raw.revision = text(value)?,
            "down_revision" => raw.down_revision = one_or_many(value)?,
            "message" => raw.message = text(value)?,
            "created" if value.starts_with(|c: char| c.is_ascii_digit()) => {
                raw.created = Some(value.parse().ok()?)
            }
            "branch_labels" => raw.branch_labels = one_or_many(value)?,
            "depends_on" => raw.depends_on = one_or_many(value)?,
            "transactional" => {
                raw.transactional = match value {
                    "true" => true,
                    "false" => false,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    (seen.contains(&"revision") && seen.contains(&"message")).then_some(raw)
}

/// Where the header ends: the start of the first line that opens a table (`[[upgrade]]`,
/// `[upgrade.table]`, ...). Header values are single-line strings or arrays of strings, so a
/// line starting with `[` is always a table header there.
fn header_end(text: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with('[') {
            return offset;
        }
        offset += line.len();
    }
    text.len()
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

fn located(path: &Path, text: &str, offset: usize, message: String) -> ScriptError {
    let (line, column) = line_col(text, offset);
    ScriptError::Parse {
        file: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// Turns a toml error into one that points at the exact key when it can and says which op
/// the problem is in.
fn parse_error(path: &Path, text: &str, e: &toml::de::Error) -> ScriptError {
    let span = e.span().unwrap_or(0..0);
    let mut message = e.message().trim_end().to_string();
    let mut at = span.start;
    if let Some((section, index, name)) = failing_op(text, &message) {
        if let Some(range) = op_ranges(text)
            .into_iter()
            .filter(|(s, _)| *s == section)
            .nth(index)
            .map(|(_, r)| r)
        {
            if !range.contains(&at) {
                at = range.start;
            }
            let key = message
                .strip_prefix("unknown field `")
                .and_then(|m| m.split('`').next());
            if let Some(pos) = key.and_then(|k| find_key(text, range.clone(), k)) {
                at = pos;
            } else if let Some(pos) = find_type_value(text, range, &message) {
                at = pos;
            }
        }
        let name = name.map(|n| format!(" (`{n}`)")).unwrap_or_default();
        message = format!("in {section} op #{}{name}: {message}", index + 1);
    } else if let Some(key) = key_at(text, at).filter(|k| !message.contains(&format!("`{k}`"))) {
        message = format!("`{key}`: {message}");
    }
    if let Some(hint) = did_you_mean(e.message()) {
        message.push_str(&hint);
    }
    located(path, text, at, message)
}

/// `; did you mean `add_column`?` for serde's "unknown variant `add_colum`, expected one of
/// ..." and "unknown field `tabel`, expected ..." when one expected name is close.
pub(crate) fn did_you_mean(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown variant `")
        .or_else(|| message.strip_prefix("unknown field `"))?;
    let (word, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected")?.1;
    let candidates = expected.split('`').skip(1).step_by(2);
    crate::schema::closest(word, candidates).map(|c| format!("; did you mean `{c}`?"))
}

/// The key set on the line holding byte `at` (`message = 3` -> `message`), for messages.
fn key_at(text: &str, at: usize) -> Option<&str> {
    let start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let key = line.split_once('=')?.0.trim();
    (!key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(key)
}

/// Where the type named in an "invalid column type `X`" message is written in `range`.
fn find_type_value(text: &str, range: Range<usize>, message: &str) -> Option<usize> {
    let ty = message
        .split("invalid column type `")
        .nth(1)?
        .split('`')
        .next()?;
    let hay = text.get(range.clone())?;
    let quoted = format!("{ty:?}");
    hay.find(&quoted)
        .or_else(|| hay.find(&format!("'{ty}'")))
        .map(|i| range.start + i)
}

/// Which op fails to deserialize with `message`: its section, 0-based index and `op` name.
/// `None` when the file is not valid TOML or the problem is not in an op.
fn failing_op(text: &str, message: &str) -> Option<(&'static str, usize, Option<String>)> {
    let table: toml::Table = toml::from_str(text).ok()?;
    let mut first = None;
    for section in ["upgrade", "downgrade"] {
        let Some(ops) = table.get(section).and_then(toml::Value::as_array) else {
            continue;
        };
        for (i, v) in ops.iter().enumerate() {
            if let Err(err) = Op::deserialize(v.clone()) {
                let name = v.get("op").and_then(|o| o.as_str()).map(str::to_string);
                if err.message().trim_end() == message {
                    return Some((section, i, name));
                }
                first.get_or_insert((section, i, name));
            }
        }
    }
    first
}

/// The byte ranges of the `[[upgrade]]` / `[[downgrade]]` blocks, each from its header to the
/// next `[[...]]` header, with its section name.
fn op_ranges(text: &str) -> Vec<(&'static str, Range<usize>)> {
    let mut out: Vec<(&'static str, Range<usize>)> = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let compact: String = line
            .split('#')
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if compact.starts_with("[[") {
            if let Some(last) = out.last_mut() {
                if last.1.end == text.len() {
                    last.1.end = pos;
                }
            }
            match compact.as_str() {
                "[[upgrade]]" => out.push(("upgrade", pos..text.len())),
                "[[downgrade]]" => out.push(("downgrade", pos..text.len())),
                _ => {}
            }
        }
        pos += line.len();
    }
    out
}

/// The byte offset of `key` used as a key (`key =`, at a line start or after `{` / `,`)
/// inside `range` of `text`.
fn find_key(text: &str, range: Range<usize>, key: &str) -> Option<usize> {
    let hay = text.get(range.clone())?;
    let mut from = 0;
    while let Some(i) = hay[from..].find(key) {
        let at = from + i;
        let before = hay[..at].trim_end_matches([' ', '\t']);
        let after = hay[at + key.len()..].trim_start_matches([' ', '\t']);
        if (before.is_empty() || before.ends_with(['\n', '{', ','])) && after.starts_with('=') {
            return Some(range.start + at);
        }
        from = at + key.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{plain_header, RawFile};

    /// The plain reader reads Strata's own header shape exactly as `toml` does, and declines
    /// everything else (leaving it to `toml`).
    #[test]
    fn plain_headers_read_as_toml_does() {
        let read = [
            "# m\nrevision = \"a1\"\nmessage = \"m\"\n",
            "# Add x\nrevision = \"a1\"\ndown_revision = \"b2\"\nmessage = \"Add x: it's #1\"\n\
             created = 2026-11-21T15:30:00Z\n\n",
            "revision = \"a1\"\ndown_revision = [\"b2\", \"c3\"]\nmessage = \"merge\"\n\
             branch_labels = [\"billing\"]\ndepends_on = [\"x9\", \"y8\"]\n\
             transactional = false\n",
            "  revision=\"a1\"\t\r\nmessage =\t\"tab\there\"\r\ndown_revision = []\n",
            "revision = \"a1\"\nmessage = \"m\"\ncreated = 2026-11-21T15:30:00.25+01:00\n",
        ];
        for h in read {
            let toml: RawFile = toml::from_str(h).unwrap_or_else(|e| panic!("{e}\n{h}"));
            assert_eq!(plain_header(h), Some(toml), "{h}");
        }
        let declined = [
            "revision = \"a1\"\nmessage = \"say \\\"hi\\\"\"\n",
            "revision = \"a1\"\nmessage = 'literal'\n",
            "revision = \"a1\"\nmessage = \"m\" # comment\n",
            "revision = \"a1\"\nmessage = \"\"\"\nm\"\"\"\n",
            "revision = \"a1\"\nmessage = \"m\"\nmessage = \"n\"\n",
            "revision = \"a1\"\nmessage = \"m\"\nupgrade = []\n",
            "revision = \"a1\"\nmessage = \"m\"\ntransactional = 0\n",
            "revision = \"a1\"\nmessage = \"m\"\ncreated = \"2026-11-21\"\n",
            "revision = \"a1\"\nmessage = \"m\"\ndown_revision = [\"a\", [\"b\"]]\n",
            "\"revision\" = \"a1\"\nmessage = \"m\"\n",
            "message = \"m\"\n",
            "# bell \u{7}\nrevision = \"a1\"\nmessage = \"m\"\n",
            "# cr \r here\nrevision = \"a1\"\nmessage = \"m\"\n",
        ];
        for h in declined {
            assert_eq!(plain_header(h), None, "{h}");
        }
    }
}
