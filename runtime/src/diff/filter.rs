//! Stage 4, diff: which tables the diff looks at (`include` / `exclude` globs, `strata_*`, `alembic_version`).

use std::borrow::Cow;

use super::DiffOptions;
use crate::introspect::is_bookkeeping;
use crate::schema::{split_table, Schema, Table};

/// One piece of a compiled glob.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `*`: any run of characters.
    Star,
    /// `?`: one character.
    Any,
    /// A character that matches itself.
    Lit(char),
    /// `[abc]`, `[a-z]`, `[!abc]`: one character in (or, negated, not in) the ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Compiles a glob; `Err` says what is wrong and how to write it.
fn compile(pattern: &str) -> Result<Vec<Token>, String> {
    if pattern.is_empty() {
        return Err("an empty pattern matches no table; remove it".into());
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => out.push(Token::Star),
            '?' => out.push(Token::Any),
            '[' => {
                let open = i;
                i += 1;
                let negated = matches!(chars.get(i), Some('!' | '^'));
                if negated {
                    i += 1;
                }
                let mut ranges = Vec::new();
                // A `]` right after `[` or `[!` is a literal `]`, as in fnmatch.
                let mut first = true;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(format!(
                                "the `[` at position {} opens a character class that is never \
                                 closed with `]`; write `[[]` for a literal `[`",
                                open + 1
                            ))
                        }
                        Some(']') if !first => break,
                        Some(&c) => {
                            if chars.get(i + 1) == Some(&'-')
                                && chars.get(i + 2).is_some_and(|&e| e != ']')
                            {
                                let end = chars[i + 2];
                                if end < c {
                                    return Err(format!(
                                        "the range `{c}-{end}` in the character class at \
                                         position {} is backwards; write `{end}-{c}`",
                                        open + 1
                                    ));
                                }
                                ranges.push((c, end));
                                i += 3;
                            } else {
                                ranges.push((c, c));
                                i += 1;
                            }
                        }
                    }
                    first = false;
                }
                out.push(Token::Class { negated, ranges });
            }
            ']' => {
                return Err(format!(
                    "the `]` at position {} closes no character class; write `[]]` for a \
                     literal `]`",
                    i + 1
                ))
            }
            '{' | '}' => {
                return Err(
                    "braces (`{a,b}`) are not supported; list each pattern separately".into(),
                )
            }
            '\\' => {
                return Err(
                    "a backslash escapes nothing in these patterns; write `[*]` or `[?]` for a \
                     literal `*` or `?`"
                        .into(),
                )
            }
            c => out.push(Token::Lit(c)),
        }
        i += 1;
    }
    if pattern.starts_with('^') || pattern.ends_with('$') || pattern.contains(".*") {
        return Err(
            "this looks like a regular expression, but patterns are globs: `*` matches any run \
             of characters, `?` one character, `[abc]` one of a set (for example `legacy_*`)"
                .into(),
        );
    }
    Ok(out)
}

/// Checks an `include` / `exclude` pattern: `Err` says what is wrong with it (an unclosed
/// `[`, a regular expression, ...).
pub(crate) fn check_glob(pattern: &str) -> Result<(), String> {
    compile(pattern).map(|_| ())
}

/// Whether `name` matches the glob `pattern`: `*` matches any run of characters (also none),
/// `?` exactly one, `[abc]` / `[a-z]` one character of a set and `[!abc]` one not in it;
/// everything else matches itself, case-sensitively. A pattern [`check_glob`] refuses
/// matches nothing (settings are checked when they are read).
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let Ok(p) = compile(pattern) else {
        return false;
    };
    let n: Vec<char> = name.chars().collect();
    let one = |t: &Token, c: char| match t {
        Token::Any => true,
        Token::Lit(l) => *l == c,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|&(a, b)| a <= c && c <= b) != *negated
        }
        Token::Star => false,
    };
    // Iterative matching with backtracking to the last `*` (linear in practice, no recursion).
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some(Token::Star) => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(t) if one(t, n[ni]) => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == Token::Star)
}

/// The version tables of other migration tools, which a database adopted from them keeps
/// for as long as the old tool still runs: Alembic's (Flask-Migrate's) `alembic_version`.
/// Never created, altered or dropped by the diff.
pub(crate) const OTHER_TOOLS_TABLES: [&str; 1] = ["alembic_version"];

/// See [`DiffOptions::covers`].
pub(super) fn covers(opts: &DiffOptions, name: &str) -> bool {
    !is_bookkeeping(name)
        && !OTHER_TOOLS_TABLES.contains(&name)
        && (opts.include.is_empty() || opts.include.iter().any(|p| glob_match(p, name)))
        && !opts.exclude.iter().any(|p| glob_match(p, name))
}

/// The tables of `schema` that `opts` covers: `schema` itself when it covers them all (the
/// usual case; a copy of 5,000 tables showed in autogenerate's peak memory).
pub(super) fn filtered<'a>(schema: &'a Schema, opts: &DiffOptions) -> Cow<'a, Schema> {
    if schema.tables.values().all(|t| covers(opts, &t.name)) {
        return Cow::Borrowed(schema);
    }
    let mut out = Schema::with_naming(schema.naming.clone());
    out.schemas = schema.schemas.clone();
    for t in schema.tables.values().filter(|t| covers(opts, &t.name)) {
        out.insert(t.clone());
    }
    Cow::Owned(out)
}

/// What autogenerate compares of `current` (the database) and `target` (the models): the
/// tables `opts` covers, and of `current` only those of the default schema and the schemas
/// `target` uses (Alembic's `include_schemas`, for those), so a schema the models stopped
/// using is left as it is. The diff and the rename candidates both look at these.
pub(super) fn compared<'a>(
    current: &'a Schema,
    target: &'a Schema,
    opts: &DiffOptions,
) -> (Cow<'a, Schema>, Cow<'a, Schema>) {
    let target = filtered(target, opts);
    let current = match filtered(current, opts) {
        Cow::Borrowed(c) => in_schemas_of(c, &target),
        Cow::Owned(c) => Cow::Owned(in_schemas_of(&c, &target).into_owned()),
    };
    (current, target)
}

/// `current` without the tables of schemas `target` does not use.
fn in_schemas_of<'a>(current: &'a Schema, target: &Schema) -> Cow<'a, Schema> {
    let compared = |t: &Table| {
        split_table(&t.name)
            .0
            .is_none_or(|s| target.schemas.contains(s))
    };
    if current.tables.values().all(compared) {
        return Cow::Borrowed(current);
    }
    let mut out = Schema::with_naming(current.naming.clone());
    out.schemas = current.schemas.clone();
    out.unmodeled = current.unmodeled.clone();
    for t in current.tables.values().filter(|t| compared(t)) {
        out.insert(t.clone());
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("spatial_ref_sys", "spatial_ref_sys"));
        assert!(!glob_match("spatial_ref_sys", "spatial_ref_sy"));
        assert!(glob_match("legacy_*", "legacy_"));
        assert!(glob_match("legacy_*", "legacy_users"));
        assert!(!glob_match("legacy_*", "users_legacy_x"));
        assert!(glob_match("*_log", "audit_log"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*b*c", "axxbyy"));
        assert!(glob_match("t?", "t1"));
        assert!(!glob_match("t?", "t"));
        assert!(!glob_match("t?", "t12"));
        assert!(glob_match("*a*a*a*b", "aaaaaaaaaaaaaaab"));
        assert!(!glob_match("*a*a*a*b", "aaaaaaaaaaaaaaaa"));
        assert!(glob_match("é?", "éü"));
        assert!(!glob_match("Users", "users"));
        assert!(glob_match("t[0-9]", "t7"));
        assert!(!glob_match("t[0-9]", "tx"));
        assert!(glob_match("t[!0-9]", "tx"));
        assert!(!glob_match("t[!0-9]", "t7"));
        assert!(glob_match("[]]x", "]x"));
        assert!(glob_match("a[[]b", "a[b"));
        assert!(glob_match("*[_]log", "audit_log"));
        assert!(
            !glob_match("a[bc", "a[bc"),
            "an invalid pattern matches nothing"
        );
    }

    #[test]
    fn invalid_globs_say_why() {
        for (pattern, needle) in [
            ("", "empty pattern"),
            ("a[bc", "never closed"),
            ("a]", "closes no character class"),
            ("t[z-a]", "backwards"),
            ("{a,b}", "braces"),
            ("a\\*", "backslash"),
            ("^users$", "regular expression"),
            ("legacy_.*", "regular expression"),
        ] {
            let why = check_glob(pattern).expect_err(pattern);
            assert!(why.contains(needle), "{pattern}: {why}");
        }
        for ok in ["*", "users", "legacy_*", "t?", "t[0-9]", "[!_]*", "a.b"] {
            assert_eq!(check_glob(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn covers_applies_include_exclude_and_bookkeeping() {
        let all = DiffOptions::default();
        assert!(covers(&all, "users"));
        assert!(!covers(&all, "strata_version"));
        let opts = DiffOptions {
            include: vec!["app_*".into(), "users".into()],
            exclude: vec!["app_tmp*".into()],
        };
        assert!(covers(&opts, "users"));
        assert!(covers(&opts, "app_posts"));
        assert!(!covers(&opts, "app_tmp_1"));
        assert!(!covers(&opts, "other"));
        let include_bookkeeping = DiffOptions {
            include: vec!["*".into()],
            exclude: vec![],
        };
        assert!(!covers(&include_bookkeeping, "strata_log"));
        assert!(!covers(&all, "alembic_version"));
        assert!(!covers(&include_bookkeeping, "alembic_version"));
        assert!(covers(&all, "alembic_versions"));
    }
}
