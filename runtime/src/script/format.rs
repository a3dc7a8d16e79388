//! Stage 7, apply (migration files): what a migration file holds (its header and ops), its checksum and its downgrade.

use std::borrow::Cow;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::diagnostics::first_line;
use super::{file_name, write, Datetime, ScriptError};
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
    /// Whether its ops are rendered in the forms that do not block the tables' readers and
    /// writers (`online = true`; PostgreSQL: `CREATE INDEX CONCURRENTLY`, `NOT VALID` then
    /// `VALIDATE`, NOT NULL through a validated check, backfills in batches). Such a revision
    /// runs outside a transaction, each statement committing on its own. Defaults to false;
    /// `online = true` in `strata.toml` writes it into new revisions.
    pub online: bool,
    /// Which half of an expand/contract pair this revision is (`phase = "expand"` or
    /// `"contract"`, written by `migrate -m --expand-contract`): the targets `expand@head`
    /// and `contract@head` name the newest revision of that phase up to the head.
    pub phase: Option<Phase>,
    /// The revisions this one squashes (`replaces = [...]`, written by `migrate squash`): a
    /// chain from the first to the last, which a database before the first runs as this one
    /// revision, while a database inside the chain goes on through the replaced files.
    pub replaces: Vec<String>,
    /// Lint findings the revision acknowledges (`allow = ["drop-column users.bio: why"]`);
    /// see [`crate::lint`].
    pub allow: Vec<crate::lint::Allow>,
    /// How long each of its statements may wait for a table lock, in milliseconds
    /// (`migration_lock_timeout_ms = 2000`); `None`: `strata.toml`'s setting.
    pub migration_lock_timeout_ms: Option<u64>,
    /// How long each of its statements may run, in milliseconds (`statement_timeout_ms`);
    /// `None`: `strata.toml`'s setting.
    pub statement_timeout_ms: Option<u64>,
    /// How often a lock timeout is retried (`lock_retries`); `None`: `strata.toml`'s.
    pub lock_retries: Option<u32>,
}

impl Header {
    /// The timeouts its statements run under: `global` (`strata.toml`) with this header's
    /// keys in place of the ones it sets.
    pub fn timeouts(&self, global: crate::apply::Timeouts) -> crate::apply::Timeouts {
        crate::apply::Timeouts {
            lock_timeout_ms: self.migration_lock_timeout_ms.or(global.lock_timeout_ms),
            statement_timeout_ms: self.statement_timeout_ms.or(global.statement_timeout_ms),
            lock_retries: self.lock_retries.unwrap_or(global.lock_retries),
        }
    }

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
            online: false,
            phase: None,
            replaces: Vec::new(),
            allow: Vec::new(),
            migration_lock_timeout_ms: None,
            statement_timeout_ms: None,
            lock_retries: None,
        }
    }
}

/// The half of an expand/contract pair a revision is (see [`Header::phase`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Compatible with the previous release: run before the deploy (`upgrade expand@head`).
    Expand,
    /// What the previous release cannot live with: run after the deploy.
    Contract,
}

impl Phase {
    /// `expand` or `contract`, as written in the file and in targets.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Expand => "expand",
            Phase::Contract => "contract",
        }
    }

    /// The phase a target label names (`expand`, `contract`).
    pub fn from_label(label: &str) -> Option<Phase> {
        match label {
            "expand" => Some(Phase::Expand),
            "contract" => Some(Phase::Contract),
            _ => None,
        }
    }
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
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
    /// The revision's data tests (`[[test]]`), run only by `migrate test`.
    pub tests: Vec<DataTest>,
    /// Lint findings acknowledged at one upgrade step (`allow = [...]` inside its
    /// `[[upgrade]]` table): the step's index and the entry. They cover findings of that step
    /// only; the header's `allow` covers the whole revision.
    pub step_allow: Vec<(usize, crate::lint::Allow)>,
}

impl Script {
    /// A script built in memory (by `revision` / `autogenerate`, or by tests): its path is its
    /// file name (`<revision>_<slug of the message>.toml`) and its checksum that of [`Script::render`]'s text.
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
            tests: Vec::new(),
            step_allow: Vec::new(),
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
    pub fn downgrade_ops(&self) -> Result<Cow<'_, [Op]>, ScriptError> {
        if self.downgrade_declared {
            return Ok(Cow::Borrowed(&self.downgrade));
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
            .map(Cow::Owned)
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

    /// Refuses a column type that the file could not be read back with (a model's
    /// `sql_type = "intger"`, say): written, it would break every command.
    pub(super) fn check_types(&self) -> Result<(), ScriptError> {
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
    /// checkout with other line endings keeps the same checksum, and without its `[[test]]`
    /// tables: data tests change nothing a database runs, so adding one to an applied revision
    /// is not an edit of it.
    pub fn checksum(text: &str) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let without_tests;
        let text = if text.contains("[[test]]") {
            without_tests = strip_tests(text);
            without_tests.as_str()
        } else {
            text
        };
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
}

/// `text` without its `[[test]]` tables: each from a line `[[test]]` (with the blank lines
/// before it) to the next `[[upgrade]]`, `[[downgrade]]` or `[[test]]` line, or the end. So a
/// file with tests appended at its end has the checksum it had before.
pub(crate) fn strip_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_test = false;
    for line in text.split_inclusive('\n') {
        match line.trim_end() {
            "[[test]]" => {
                // The blank lines that set the test apart go with it.
                while out.ends_with("\n\n") {
                    out.pop();
                }
                in_test = true
            }
            "[[upgrade]]" | "[[downgrade]]" => in_test = false,
            _ => {}
        }
        if !in_test {
            out.push_str(line);
        }
    }
    out
}

/// A data test of a revision (`[[test]]`), run only by `migrate test`: rows seeded before the
/// upgrade, and queries with the rows they must return after the upgrade and after the
/// downgrade. Values compare as text; NULL is `NULL`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataTest {
    /// What it checks, for messages.
    #[serde(default)]
    pub name: Option<String>,
    /// SQL run on the schema before the upgrade.
    #[serde(default)]
    pub seed: Option<String>,
    /// What queries return once the revision is applied.
    #[serde(default)]
    pub after_upgrade: Vec<Expect>,
    /// What queries return once it is reverted.
    #[serde(default)]
    pub after_downgrade: Vec<Expect>,
}

/// A query and the rows it must return, in order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The query.
    pub query: String,
    /// The rows, each a list of values as text.
    pub rows: Vec<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_tests_appended_at_the_end_keep_the_checksum() {
        let file = "revision = \"a\"\nmessage = \"m\"\n\n[[upgrade]]\nop = \"sql\"\nsql = \"x\"\n";
        let with_tests =
            format!("{file}\n[[test]]\nname = \"t\"\n\n[[test]]\nseed = \"INSERT\"\n\n");
        assert_eq!(Script::checksum(file), Script::checksum(&with_tests));
        assert_eq!(strip_tests(&with_tests), file);
        // The ops are still covered.
        assert_ne!(
            Script::checksum(file),
            Script::checksum(&file.replace("\"x\"", "\"y\""))
        );
    }
}
