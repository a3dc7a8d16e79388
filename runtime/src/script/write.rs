//! Stage 7, apply (migration files): the migration-file writer, laid out for code review.
//!
//! Layout: the message as a comment, the header keys, then one `[[upgrade]]` / `[[downgrade]]`
//! block per op. Inside a block, scalar keys come first, small structures are inline tables
//! (`column = { name = "phone", type = "varchar(20)", nullable = true }`), arrays of
//! structures are one inline table per line, and a structure holding such an array (the
//! table of `create_table`) becomes a sub-table (`[upgrade.table]`). Everything is plain
//! TOML 1.0, so the text parses back to the same ops.

use std::fmt::Write as _;

use toml::{Table, Value};

use super::Header;
use crate::ops::Op;

/// Shown in a revision created without ops (`revision -m ...`): how to write them.
pub(super) const EMPTY_TEMPLATE: &str = r#"
# This revision has no operations yet. Add `[[upgrade]]` entries (run in order) and
# `[[downgrade]]` entries that undo them (also run in order). Without `[[downgrade]]`
# entries the downgrade is the upgrade reversed (every `sql` step then needs `reverse`);
# `downgrade = []` above the entries declares a downgrade that does nothing. For example:
#
# [[upgrade]]
# op = "add_column"
# table = "users"
# column = { name = "phone", type = "varchar(20)", nullable = true }
#
# [[upgrade]]
# op = "sql"
# sql = "UPDATE users SET phone = ''"
# reverse = "UPDATE users SET phone = NULL"  # optional; without it the step cannot be downgraded
# dialect = "postgres"                       # optional; run only on this dialect
#
# [[downgrade]]
# op = "sql"
# sql = "UPDATE users SET phone = NULL"
#
# [[downgrade]]
# op = "drop_column"
# table = "users"
# column = { name = "phone", type = "varchar(20)", nullable = true }
#
# Other ops: create_table, drop_table, rename_table, alter_column, alter_primary_key,
# create_index, drop_index, add_unique, drop_unique, add_foreign_key, drop_foreign_key,
# add_check, drop_check. Column types: integer, bigint, text, varchar(N), numeric(P,S), ...
"#;

/// The file text for a header and its ops; `downgrade` is `None` when the revision does not
/// declare its downgrade (it is then the upgrade reversed), and `Some(&[])` is written
/// `downgrade = []`.
pub(super) fn render(
    header: &Header,
    upgrade: &[Op],
    downgrade: Option<&[Op]>,
) -> Result<String, toml::ser::Error> {
    let mut out = String::new();
    for line in header.message.lines() {
        let line = line.trim_end();
        out.push_str(if line.is_empty() { "#" } else { "# " });
        // TOML comments cannot hold control characters (a raw one makes the file
        // unreadable); `message = "..."` below keeps the exact text.
        for c in line.chars() {
            if c.is_control() && c != '\t' {
                let _ = write!(out, "\\u{:04X}", c as u32);
            } else {
                out.push(c);
            }
        }
        out.push('\n');
    }
    let string = |s: &str| Value::String(s.to_string()).to_string();
    let strings =
        |v: &[String]| inline(&Value::Array(v.iter().cloned().map(Value::from).collect()));
    let _ = writeln!(out, "revision = {}", basic(&header.revision));
    match header.down_revision.as_slice() {
        [] => {}
        [one] => {
            let _ = writeln!(out, "down_revision = {}", basic(one));
        }
        many => {
            let _ = writeln!(out, "down_revision = {}", strings(many));
        }
    }
    let _ = writeln!(out, "message = {}", string(&header.message));
    if let Some(created) = &header.created {
        let _ = writeln!(out, "created = {created}");
    }
    if !header.branch_labels.is_empty() {
        let _ = writeln!(out, "branch_labels = {}", strings(&header.branch_labels));
    }
    if !header.depends_on.is_empty() {
        let _ = writeln!(out, "depends_on = {}", strings(&header.depends_on));
    }
    if !header.transactional {
        out.push_str("transactional = false\n");
    }
    if header.online {
        out.push_str("online = true\n");
    }
    if let Some(phase) = header.phase {
        let _ = writeln!(out, "phase = {}", string(phase.as_str()));
    }
    if !header.replaces.is_empty() {
        let _ = writeln!(out, "replaces = {}", strings(&header.replaces));
    }
    for (key, value) in [
        (
            "migration_lock_timeout_ms",
            header.migration_lock_timeout_ms,
        ),
        ("statement_timeout_ms", header.statement_timeout_ms),
        ("lock_retries", header.lock_retries.map(u64::from)),
    ] {
        if let Some(v) = value {
            let _ = writeln!(out, "{key} = {v}");
        }
    }
    if !header.allow.is_empty() {
        let entries: Vec<String> = header.allow.iter().map(|a| a.to_string()).collect();
        let _ = writeln!(out, "allow = {}", strings(&entries));
    }
    if downgrade.is_some_and(<[Op]>::is_empty) {
        out.push_str("downgrade = []  # the downgrade intentionally does nothing\n");
    }
    if upgrade.is_empty() && downgrade.is_none_or(<[Op]>::is_empty) {
        out.push_str(EMPTY_TEMPLATE);
        return Ok(out);
    }
    for (section, ops) in [("upgrade", Some(upgrade)), ("downgrade", downgrade)] {
        match ops {
            None => {
                out.push_str("\n# No [[downgrade]] ops: the downgrade is the upgrade reversed.\n");
            }
            Some([]) if section == "upgrade" => {
                let _ = writeln!(out, "\n# No [[{section}]] ops.");
            }
            _ => {}
        }
        for op in ops.unwrap_or_default() {
            let _ = writeln!(out, "\n[[{section}]]");
            match Value::try_from(op)? {
                Value::Table(t) => body(&mut out, section, &t),
                other => {
                    // Ops always serialize as tables; keep the text valid regardless.
                    let _ = writeln!(out, "op = {}", inline(&other));
                }
            }
        }
    }
    Ok(out)
}

/// Writes the keys of `t`, whose header `[path]` or `[[path]]` is already written.
fn body(out: &mut String, path: &str, t: &Table) {
    let mut sections = Vec::new();
    for (k, v) in t {
        match v {
            Value::Table(sub) if needs_section(sub) => sections.push((k, sub)),
            Value::Array(items) if is_array_of_tables(items) => {
                let _ = writeln!(out, "{} = [", key(k));
                for item in items {
                    let _ = writeln!(out, "  {},", inline(item));
                }
                out.push_str("]\n");
            }
            // Top-level strings may use TOML's multi-line and literal forms (readable SQL).
            Value::String(_) => {
                let _ = writeln!(out, "{} = {v}", key(k));
            }
            _ => {
                let _ = writeln!(out, "{} = {}", key(k), inline(v));
            }
        }
    }
    for (k, sub) in sections {
        let sub_path = format!("{path}.{}", key(k));
        let _ = writeln!(out, "\n[{sub_path}]");
        body(out, &sub_path, sub);
    }
}

fn is_array_of_tables(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(Value::is_table)
}

/// Whether a table holds an array of tables (directly or below), so it reads better as a
/// `[section]` than as one long inline table.
fn needs_section(t: &Table) -> bool {
    t.values().any(|v| match v {
        Value::Array(items) => is_array_of_tables(items),
        Value::Table(sub) => needs_section(sub),
        _ => false,
    })
}

/// A value on one line: strings as escaped basic strings, arrays as `[a, b]`, tables as
/// `{ k = v }`.
fn inline(v: &Value) -> String {
    match v {
        Value::String(s) => basic(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Table(t) if t.is_empty() => "{}".to_string(),
        Value::Table(t) => {
            let pairs: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{} = {}", key(k), inline(v)))
                .collect();
            format!("{{ {} }}", pairs.join(", "))
        }
        other => other.to_string(),
    }
}

/// A key, bare when TOML allows it, quoted otherwise.
fn key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        k.to_string()
    } else {
        basic(k)
    }
}

/// A single-line TOML basic string.
fn basic(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use crate::script::{Header, Script};

    /// Every control character in a message keeps the file parseable, the message exact
    /// and the comment line free of raw control characters.
    #[test]
    fn control_characters_in_messages_round_trip() {
        let mut message: String = (0u32..0x20)
            .chain([0x7f, 0x85, 0x9b])
            .filter_map(char::from_u32)
            .collect();
        message.push_str("end \u{1b}[31mred\u{1b}[0m\r\nsecond\u{0}line");
        let header = Header::new("a1", Vec::new(), message.clone());
        let script = Script::new(header, Vec::new(), Vec::new()).expect("script");
        let text = script.render().expect("render");
        for line in text.lines().take_while(|l| l.starts_with('#')) {
            assert!(
                !line.chars().any(|c| c.is_control() && c != '\t'),
                "raw control character in {line:?}"
            );
        }
        assert!(text.starts_with("# \\u0000\\u0001"), "{text}");
        let back = Script::parse("a1_x.toml", &text).expect("parses back");
        assert_eq!(back.header.message, message);
    }
}
