//! Stage 7, apply (migration files): reading one migration file's text (whole, piece by piece, or its header only).

use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::diagnostics::{find_key, located, parse_error};
use super::source::on_all_cores;
use super::{validate_revision_id, DataTest, Datetime, Header, Phase, Script, ScriptError};
use crate::ops::{Op, BATCH_SIZE};

/// The file layout as serde reads it.
///
/// `S` is how an upgrade step is read: an [`Op`] (precise error positions), or a [`Step`]
/// (which may say `allow`).
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "S: Deserialize<'de>"))]
struct RawFile<S = Step> {
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
    online: bool,
    #[serde(default)]
    phase: Option<Phase>,
    #[serde(default)]
    replaces: Vec<String>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    migration_lock_timeout_ms: Option<u64>,
    #[serde(default)]
    statement_timeout_ms: Option<u64>,
    #[serde(default)]
    lock_retries: Option<u32>,
    #[serde(default)]
    upgrade: Vec<S>,
    /// `None` when the file has neither `[[downgrade]]` nor `downgrade = [...]`.
    #[serde(default)]
    downgrade: Option<Vec<Op>>,
    #[serde(default)]
    test: Vec<DataTest>,
}

/// One upgrade step as read: its op, and the lint findings it acknowledges (`allow = [...]`
/// inside its `[[upgrade]]` table).
#[derive(Debug, PartialEq)]
struct Step {
    op: Op,
    allow: Vec<String>,
}

impl From<Op> for Step {
    fn from(op: Op) -> Self {
        Step {
            op,
            allow: Vec::new(),
        }
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut table = toml::Table::deserialize(d)?;
        let allow = match table.remove("allow") {
            None => Vec::new(),
            Some(v) => Vec::<String>::deserialize(v).map_err(|e| {
                de::Error::custom(format!(
                    "`allow` of a step: {}; write it as a list of strings, e.g. allow = \
                     [\"drop-column: the app stopped reading it in v2\"]",
                    e.message()
                ))
            })?,
        };
        let op = Op::deserialize(toml::Value::Table(table)).map_err(de::Error::custom)?;
        Ok(Step { op, allow })
    }
}

impl RawFile<Op> {
    /// The same file, its ops as steps that acknowledge nothing.
    fn with_steps(self) -> RawFile {
        RawFile {
            revision: self.revision,
            down_revision: self.down_revision,
            message: self.message,
            created: self.created,
            branch_labels: self.branch_labels,
            depends_on: self.depends_on,
            transactional: self.transactional,
            online: self.online,
            phase: self.phase,
            replaces: self.replaces,
            allow: self.allow,
            migration_lock_timeout_ms: self.migration_lock_timeout_ms,
            statement_timeout_ms: self.statement_timeout_ms,
            lock_retries: self.lock_retries,
            upgrade: self.upgrade.into_iter().map(Step::from).collect(),
            downgrade: self.downgrade,
            test: self.test,
        }
    }
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
    /// Parses the text of the migration file at `path` (the path is used for messages and to
    /// check that the file name starts with the revision id). Nothing in it is executed.
    pub fn parse(path: impl AsRef<Path>, text: &str) -> Result<Self, ScriptError> {
        let path = path.as_ref();
        if let Some(raw) = parse_by_op(text) {
            return Self::from_raw(path, text, raw, true);
        }
        // Steps read as ops give errors at their exact place; a file whose steps say `allow`
        // is read again with steps that may.
        let raw = match toml::from_str::<RawFile<Op>>(text) {
            Ok(raw) => raw.with_steps(),
            Err(e) if text.contains("allow") => match toml::from_str::<RawFile>(text) {
                Ok(raw) => raw,
                Err(_) => return Err(parse_error(path, text, &e)),
            },
            Err(e) => return Err(parse_error(path, text, &e)),
        };
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
        let mut allow = Vec::with_capacity(raw.allow.len());
        for entry in &raw.allow {
            match crate::lint::Allow::parse(entry) {
                Ok(a) => allow.push(a),
                Err(e) => {
                    let at = find_key(text, 0..text.len(), "allow").unwrap_or(0);
                    return Err(located(path, text, at, format!("`allow`: {e}")));
                }
            }
        }
        let mut step_allow = Vec::new();
        for (i, step) in raw.upgrade.iter().enumerate() {
            for entry in &step.allow {
                match crate::lint::Allow::parse(entry) {
                    Ok(a) => step_allow.push((i, a)),
                    Err(e) => {
                        let from = text
                            .match_indices("[[upgrade]]")
                            .nth(i)
                            .map_or(0, |(at, _)| at);
                        let at = find_key(text, from..text.len(), "allow").unwrap_or(from);
                        return Err(located(
                            path,
                            text,
                            at,
                            format!("`allow` of upgrade step {}: {e}", i + 1),
                        ));
                    }
                }
            }
        }
        let timeouts = [
            ("migration_lock_timeout_ms", raw.migration_lock_timeout_ms),
            ("statement_timeout_ms", raw.statement_timeout_ms),
        ];
        let bad = timeouts
            .into_iter()
            .find_map(|(key, v)| crate::apply::Timeouts::check_millis(v).map(|why| (key, why)))
            .or_else(|| {
                crate::apply::Timeouts::check_retries(raw.lock_retries)
                    .map(|why| ("lock_retries", why))
            });
        if let Some((key, why)) = bad {
            let at = find_key(text, 0..text.len(), key).unwrap_or(0);
            return Err(located(path, text, at, format!("`{key}`: {why}")));
        }
        let batched = raw
            .upgrade
            .iter()
            .map(|s| &s.op)
            .chain(raw.downgrade.iter().flatten())
            .find_map(|op| match op {
                Op::Sql {
                    batch_size: Some(0),
                    ..
                } => Some("`batch_size` must be at least 1".to_string()),
                Op::Sql {
                    sql,
                    reverse,
                    batch_size: Some(_),
                    ..
                } if !sql.contains(BATCH_SIZE)
                    && !reverse.as_ref().is_some_and(|r| r.contains(BATCH_SIZE)) =>
                {
                    Some(format!(
                        "an `sql` step with `batch_size` runs until its SQL changes no rows, so \
                         the SQL must limit its rows with `{BATCH_SIZE}`, e.g. `UPDATE t SET x = \
                         0 WHERE id IN (SELECT id FROM t WHERE x IS NULL LIMIT {BATCH_SIZE})`"
                    ))
                }
                _ => None,
            });
        if let Some(why) = batched {
            let at = find_key(text, 0..text.len(), "batch_size").unwrap_or(0);
            return Err(located(path, text, at, why));
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
                online: raw.online,
                phase: raw.phase,
                replaces: raw.replaces,
                allow,
                migration_lock_timeout_ms: raw.migration_lock_timeout_ms,
                statement_timeout_ms: raw.statement_timeout_ms,
                lock_retries: raw.lock_retries,
            },
            upgrade: raw.upgrade.into_iter().map(|s| s.op).collect(),
            downgrade_declared: raw.downgrade.is_some(),
            downgrade: raw.downgrade.unwrap_or_default(),
            checksum: Self::checksum(text),
            ops_loaded,
            tests: raw.test,
            step_allow,
        })
    }
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

/// [`RawOps`] for a piece whose steps may acknowledge lint findings (`allow`): each upgrade
/// step is read as a table first, a cost paid only by the pieces that say `allow`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSteps {
    #[serde(default)]
    upgrade: Vec<Step>,
    #[serde(default)]
    downgrade: Vec<Op>,
    #[serde(default)]
    test: Vec<DataTest>,
}

impl RawSteps {
    fn parse(piece: &str) -> Option<RawSteps> {
        if piece.contains("allow") || piece.starts_with("[[test]]") {
            return toml::from_str(piece).ok();
        }
        let ops: RawOps = toml::from_str(piece).ok()?;
        Some(RawSteps {
            upgrade: ops.upgrade.into_iter().map(Step::from).collect(),
            downgrade: ops.downgrade,
            test: Vec::new(),
        })
    }
}

/// Whether a header defines ops itself.
#[derive(Deserialize)]
struct HeaderOps {
    upgrade: Option<de::IgnoredAny>,
    downgrade: Option<de::IgnoredAny>,
    test: Option<de::IgnoredAny>,
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
        if matches!(
            line.trim_end(),
            "[[upgrade]]" | "[[downgrade]]" | "[[test]]"
        ) {
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
            if keys.upgrade.is_some() || keys.downgrade.is_some() || keys.test.is_some() {
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
            .map(|p| RawSteps::parse(p))
            .collect::<Option<Vec<_>>>()
    })?
    .into_iter()
    .collect::<Option<Vec<_>>>()?;
    for ops in parsed.into_iter().flatten() {
        raw.upgrade.extend(ops.upgrade);
        raw.test.extend(ops.test);
        if !ops.downgrade.is_empty() {
            raw.downgrade
                .get_or_insert_with(Vec::new)
                .extend(ops.downgrade);
        }
    }
    Some(raw)
}

/// Reads a header in the exact shape Strata writes it (`key = "text"`, `key = ["a", "b"]`,
/// `created = <date-time>`, `transactional = false`, `lock_retries = 5`, `#` comment lines) without the TOML
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
        online: false,
        phase: None,
        replaces: Vec::new(),
        allow: Vec::new(),
        migration_lock_timeout_ms: None,
        statement_timeout_ms: None,
        lock_retries: None,
        upgrade: Vec::new(),
        downgrade: None,
        test: Vec::new(),
    };
    // A plain decimal number, as `toml` reads it (no sign, underscores or leading zeros).
    fn number<T: std::str::FromStr>(v: &str) -> Option<T> {
        let plain = !v.is_empty()
            && v.bytes().all(|b| b.is_ascii_digit())
            && (v == "0" || !v.starts_with('0'));
        plain.then(|| v.parse().ok()).flatten()
    }
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
            "allow" => raw.allow = texts(value)?,
            "replaces" => raw.replaces = texts(value)?,
            "phase" => raw.phase = Some(Phase::from_label(&text(value)?)?),
            "migration_lock_timeout_ms" => raw.migration_lock_timeout_ms = Some(number(value)?),
            "statement_timeout_ms" => raw.statement_timeout_ms = Some(number(value)?),
            "lock_retries" => raw.lock_retries = Some(number(value)?),
            "transactional" | "online" => {
                let flag = match value {
                    "true" => true,
                    "false" => false,
                    _ => return None,
                };
                if key == "online" {
                    raw.online = flag;
                } else {
                    raw.transactional = flag;
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
            "revision = \"a1\"\nmessage = \"m\"\nmigration_lock_timeout_ms = 200\n\
             statement_timeout_ms = 60000\nlock_retries = 0\n",
            "  revision=\"a1\"\t\r\nmessage =\t\"tab\there\"\r\ndown_revision = []\n",
            "revision = \"a1\"\nmessage = \"m\"\ncreated = 2026-11-21T15:30:00.25+01:00\n",
            "revision = \"a1\"\nmessage = \"m\"\nonline = true\nphase = \"expand\"\n",
            "revision = \"a1\"\nmessage = \"m\"\nphase = \"contract\"\n",
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
            "revision = \"a1\"\nmessage = \"m\"\nlock_retries = 01\n",
            "revision = \"a1\"\nmessage = \"m\"\nlock_retries = 1_000\n",
            "revision = \"a1\"\nmessage = \"m\"\nlock_retries = -1\n",
            "revision = \"a1\"\nmessage = \"m\"\nstatement_timeout_ms = \"5\"\n",
            "revision = \"a1\"\nmessage = \"m\"\ncreated = \"2026-11-21\"\n",
            "revision = \"a1\"\nmessage = \"m\"\ndown_revision = [\"a\", [\"b\"]]\n",
            "\"revision\" = \"a1\"\nmessage = \"m\"\n",
            "message = \"m\"\n",
            "revision = \"a1\"\nmessage = \"m\"\nphase = \"expanded\"\n",
            "# bell \u{7}\nrevision = \"a1\"\nmessage = \"m\"\n",
            "# cr \r here\nrevision = \"a1\"\nmessage = \"m\"\n",
        ];
        for h in declined {
            assert_eq!(plain_header(h), None, "{h}");
        }
    }
}
