//! Stage 4, diff: which tables the diff looks at (`include` / `exclude` globs, `strata_*`).

use std::borrow::Cow;

use super::DiffOptions;
use crate::introspect::is_bookkeeping;
use crate::schema::Schema;

/// Whether `name` matches the glob `pattern`: `*` matches any run of characters (also none),
/// `?` exactly one; everything else matches itself, case-sensitively.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with backtracking to the last `*` (linear in practice, no recursion).
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
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
    p[pi..].iter().all(|&c| c == '*')
}

/// See [`DiffOptions::covers`].
pub(super) fn covers(opts: &DiffOptions, name: &str) -> bool {
    !is_bookkeeping(name)
        && (opts.include.is_empty() || opts.include.iter().any(|p| glob_match(p, name)))
        && !opts.exclude.iter().any(|p| glob_match(p, name))
}

/// The tables of `schema` that `opts` covers: `schema` itself when it covers them all (the
/// usual case; a copy of 5,000 tables showed in autogenerate's peak memory).
pub(super) fn filtered<'a>(schema: &'a Schema, opts: &DiffOptions) -> Cow<'a, Schema> {
    if schema.tables.values().all(|t| covers(opts, &t.name)) {
        return Cow::Borrowed(schema);
    }
    let mut out = Schema::new();
    for t in schema.tables.values().filter(|t| covers(opts, &t.name)) {
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
    }
}
