//! Stage 7, apply (migration files): revision ids and file-name slugs.

use super::ScriptError;

/// The longest revision id accepted.
pub(crate) const MAX_REVISION_LEN: usize = 32;

/// The longest slug put in a file name.
pub(crate) const MAX_SLUG_LEN: usize = 40;

/// Words with a meaning in targets (`upgrade head`), so they cannot be revision ids.
pub(crate) const RESERVED: [&str; 4] = ["head", "heads", "base", "current"];

/// A new random revision id: 12 lowercase hex digits (48 random bits).
pub fn new_revision_id() -> Result<String, ScriptError> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).map_err(|e| ScriptError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Checks a revision id given by the user (`revision --rev-id ...`) or read from a file:
/// 1 to 32 characters of `a-z`, `0-9` and `_`, and not one of the [`RESERVED`] words.
pub fn validate_revision_id(id: &str) -> Result<(), ScriptError> {
    let why = if id.is_empty() {
        "it is empty".to_string()
    } else if id.len() > MAX_REVISION_LEN {
        format!("it is {} characters long", id.len())
    } else if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        format!("it contains {c:?}")
    } else if RESERVED.contains(&id) {
        format!("`{id}` is a reserved word in targets")
    } else {
        return Ok(());
    };
    Err(ScriptError::InvalidRevisionId {
        id: id.to_string(),
        why,
    })
}

/// The file-name slug of a message: lowercase ASCII letters and digits, every run of other
/// characters turned into one `_`, no `_` at either end, at most [`MAX_SLUG_LEN`] characters.
///
/// `"Add phone column to users!"` becomes `add_phone_column_to_users`.
pub fn slug(message: &str) -> String {
    let mut out = String::new();
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.truncate(MAX_SLUG_LEN);
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// The file name of a revision: `<revision>_<slug>.toml`, or `<revision>.toml` when the
/// message has no letters or digits.
pub fn file_name(revision: &str, message: &str) -> String {
    match slug(message) {
        s if s.is_empty() => format!("{revision}.toml"),
        s => format!("{revision}_{s}.toml"),
    }
}
