//! Stage 7, apply (migration files): errors, positions (file:line:column) and did-you-mean hints for migration files.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::ops::Op;

/// What can go wrong reading or writing migration files.
#[derive(Debug, Error)]
#[non_exhaustive]
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

/// The first non-blank line of `sql`, trimmed and cut to 80 characters, for messages.
pub(super) fn first_line(sql: &str) -> String {
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

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

pub(super) fn located(path: &Path, text: &str, offset: usize, message: String) -> ScriptError {
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
pub(super) fn parse_error(path: &Path, text: &str, e: &toml::de::Error) -> ScriptError {
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
pub(super) fn find_key(text: &str, range: Range<usize>, key: &str) -> Option<usize> {
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
