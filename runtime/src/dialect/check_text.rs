//! Dialect layer: check expressions in a form for comparison, so that a check the database rewrote and the model's text compare equal.
//!
//! Databases store a check's expression their own way: PostgreSQL deparses it (casts such as
//! `::text`, parentheses around every operation, `BETWEEN` and `IN` expanded), MySQL and
//! MariaDB quote identifiers with backticks and rename functions (`lower` is `lcase`), SQLite
//! keeps the text. The diff compares two checks of one name by the key
//! [`Catalog::check_expr_key`](super::Catalog::check_expr_key) gives: the expression as
//! [`Tok`]ens, with what the dialect's own spelling adds taken out by the dialect module,
//! then [`canonical`] here, which every dialect shares:
//!
//! - whitespace, the case of keywords and names, and identifier quotes do not count;
//! - string literals compare by value (`'it''s'` and MySQL's `'it\'s'`), numbers by value
//!   (`1.5e3` and `1500`, `0.50` and `0.5`);
//! - parentheses that only group are dropped (those of a call or an `IN` list are kept);
//! - `!=` is `<>`, `==` is `=`; `x IN (a)` is `x = a`, `x IN (a, b)` is
//!   `x = ANY (ARRAY[a, b])` (and `NOT IN` is `<>` / `<> ALL`); `x BETWEEN a AND b` is
//!   `x >= a AND x <= b` (`NOT BETWEEN`: `x < a OR x > b`).
//!
//! The limit: since grouping parentheses are dropped, a change that only moves parentheses
//! (`(a OR b) AND c` to `a OR (b AND c)`) is not seen; nor is a change between spellings
//! that differ only in what the key ignores (the case of a quoted name). A key errs on the
//! side of "the same": a false change would be dropped and re-added on every run.

/// One token of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A keyword, name or function name, unquoted and lower-cased.
    Word(String),
    /// A string literal's value.
    Str(String),
    /// A number, as written.
    Num(String),
    /// An operator or punctuation (`(`, `,`, `<>`, `::`).
    Punct(String),
}

impl Tok {
    fn is(&self, s: &str) -> bool {
        match self {
            Tok::Word(w) | Tok::Punct(w) => w == s,
            _ => false,
        }
    }
}

/// Operators of more than one character, longest first.
const OPERATORS: [&str; 22] = [
    "!~~*", "~~*", "!~~", "->>", "#>>", "::", "<>", "!=", "<=", ">=", "==", "||", "~~", "!~", "~*",
    "->", "#>", "@>", "<@", "<<", ">>", "&&",
];

/// The tokens of `expr`; `backslash_escapes`: a backslash escapes the next character in a
/// string literal (MySQL). `None` when a quote is not closed.
pub(crate) fn tokens(expr: &str, backslash_escapes: bool) -> Option<Vec<Tok>> {
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut value = String::new();
            i += 1;
            loop {
                let n = *chars.get(i)?;
                i += 1;
                if n == '\'' {
                    if chars.get(i) == Some(&'\'') {
                        value.push('\'');
                        i += 1;
                    } else {
                        break;
                    }
                } else if n == '\\' && backslash_escapes {
                    let e = *chars.get(i)?;
                    i += 1;
                    value.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        other => other,
                    });
                } else {
                    value.push(n);
                }
            }
            out.push(Tok::Str(value));
        } else if c == '"' || c == '`' {
            let mut name = String::new();
            i += 1;
            loop {
                let n = *chars.get(i)?;
                i += 1;
                if n == c {
                    if chars.get(i) == Some(&c) {
                        name.push(c);
                        i += 1;
                    } else {
                        break;
                    }
                } else {
                    name.push(n);
                }
            }
            out.push(Tok::Word(name.to_lowercase()));
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && matches!(chars[i], 'e' | 'E') {
                let mut j = i + 1;
                if j < chars.len() && matches!(chars[j], '+' | '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            out.push(Tok::Num(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '$')) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(Tok::Word(word.to_lowercase()));
        } else {
            let rest: String = chars[i..chars.len().min(i + 4)].iter().collect();
            let op = OPERATORS
                .iter()
                .find(|op| rest.starts_with(*op))
                .map_or_else(|| c.to_string(), |op| (*op).to_string());
            i += op.chars().count();
            out.push(Tok::Punct(op));
        }
    }
    Some(out)
}

/// Words after which a `(` groups (rather than opening a call's arguments or an `IN` list).
const GROUPING_AFTER: [&str; 11] = [
    "and", "or", "not", "between", "like", "ilike", "is", "case", "when", "then", "else",
];

/// Words and punctuation that end an operand (for `BETWEEN`'s upper bound and the like).
pub(crate) fn ends_operand(t: &Tok) -> bool {
    matches!(t, Tok::Word(w) if matches!(w.as_str(), "and" | "or" | "then" | "else" | "end" | "when"))
        || t.is(")")
        || t.is(",")
}

/// Index of the `)` closing the `(` at `open`.
pub(crate) fn closing(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        if t.is("(") {
            depth += 1;
        } else if t.is(")") {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// The index just past the simple operand starting at `i`: a name, literal or number,
/// followed by a call's arguments when it is a name. `None` for anything else.
pub(crate) fn operand_end(toks: &[Tok], i: usize) -> Option<usize> {
    match toks.get(i)? {
        Tok::Word(w) if !GROUPING_AFTER.contains(&w.as_str()) => {
            if toks.get(i + 1).is_some_and(|t| t.is("(")) {
                closing(toks, i + 1).map(|c| c + 1)
            } else {
                Some(i + 1)
            }
        }
        Tok::Str(_) | Tok::Num(_) => Some(i + 1),
        _ => None,
    }
}

/// Where the simple operand ending just before `end` starts (see [`operand_end`]).
fn operand_start(toks: &[Tok], end: usize) -> Option<usize> {
    let last = end.checked_sub(1)?;
    if toks[last].is(")") {
        let mut depth = 0usize;
        for j in (0..=last).rev() {
            if toks[j].is(")") {
                depth += 1;
            } else if toks[j].is("(") {
                depth -= 1;
                if depth == 0 {
                    return match j.checked_sub(1).map(|k| &toks[k]) {
                        Some(Tok::Word(w)) if !GROUPING_AFTER.contains(&w.as_str()) => Some(j - 1),
                        _ => None,
                    };
                }
            }
        }
        return None;
    }
    (operand_end(toks, last) == Some(end)).then_some(last)
}

/// The shared part of every dialect's check key (see the module docs), joined with spaces.
pub(crate) fn canonical(toks: Vec<Tok>) -> String {
    let toks = literals(toks);
    let toks = without_grouping(toks);
    let toks = in_lists(toks);
    let toks = betweens(toks);
    let words: Vec<String> = toks
        .iter()
        .map(|t| match t {
            Tok::Word(w) | Tok::Num(w) | Tok::Punct(w) => w.clone(),
            Tok::Str(s) => format!("'{}'", s.replace('\'', "''")),
        })
        .collect();
    words.join(" ")
}

/// `!=` as `<>`, `==` as `=`, a minus sign before a number part of it, numbers by value.
fn literals(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut it = toks.into_iter().peekable();
    while let Some(t) = it.next() {
        let t = match t {
            Tok::Punct(p) if p == "!=" => Tok::Punct("<>".into()),
            Tok::Punct(p) if p == "==" => Tok::Punct("=".into()),
            Tok::Punct(p)
                if p == "-"
                    && matches!(it.peek(), Some(Tok::Num(_)))
                    && !ends_value(out.last()) =>
            {
                match it.next() {
                    Some(Tok::Num(n)) => Tok::Num(number(&format!("-{n}"))),
                    _ => Tok::Punct(p),
                }
            }
            Tok::Num(n) => Tok::Num(number(&n)),
            other => other,
        };
        out.push(t);
    }
    out
}

/// Whether a token ends a value, so that a `-` after it subtracts (rather than negates).
fn ends_value(t: Option<&Tok>) -> bool {
    match t {
        Some(Tok::Word(w)) => !GROUPING_AFTER.contains(&w.as_str()),
        Some(Tok::Num(_) | Tok::Str(_)) => true,
        Some(Tok::Punct(p)) => p == ")" || p == "]",
        None => false,
    }
}

/// A number by value (`1.50` is `1.5`, `1e3` is `1000`); as written when it does not parse.
pub(crate) fn number(n: &str) -> String {
    match n.parse::<f64>() {
        Ok(f) if f.is_finite() => {
            let f = if f == 0.0 { 0.0 } else { f };
            format!("{f}")
        }
        _ => n.to_string(),
    }
}

/// The tokens without the parentheses that only group.
fn without_grouping(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out = Vec::with_capacity(toks.len());
    let mut stack: Vec<bool> = Vec::new();
    for t in toks {
        if t.is("(") {
            let grouping = match out.last() {
                None | Some(Tok::Str(_) | Tok::Num(_)) => true,
                Some(Tok::Word(w)) => GROUPING_AFTER.contains(&w.as_str()),
                Some(Tok::Punct(p)) => p != "]",
            };
            stack.push(grouping);
            if grouping {
                continue;
            }
        } else if t.is(")") && stack.pop() == Some(true) {
            continue;
        }
        out.push(t);
    }
    out
}

/// `[NOT] IN (...)` as a comparison: `= a` / `<> a` for one value, `= ANY (ARRAY[...])` /
/// `<> ALL (ARRAY[...])` for several, as PostgreSQL stores them.
fn in_lists(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        if toks[i].is("in") && toks.get(i + 1).is_some_and(|t| t.is("(")) {
            if let Some(close) = closing(&toks, i + 1) {
                let negated = out.last().is_some_and(|t| t.is("not"));
                if negated {
                    out.pop();
                }
                let items = &toks[i + 2..close];
                let mut depth = 0i32;
                let several = items.iter().any(|t| {
                    if t.is("(") {
                        depth += 1;
                    } else if t.is(")") {
                        depth -= 1;
                    }
                    depth == 0 && t.is(",")
                });
                let op = |s: &str| Tok::Punct(s.into());
                if several {
                    out.push(op(if negated { "<>" } else { "=" }));
                    out.push(Tok::Word(if negated { "all" } else { "any" }.into()));
                    out.push(op("("));
                    out.push(Tok::Word("array".into()));
                    out.push(op("["));
                    out.extend_from_slice(items);
                    out.push(op("]"));
                    out.push(op(")"));
                } else {
                    out.push(op(if negated { "<>" } else { "=" }));
                    out.extend_from_slice(items);
                }
                i = close + 1;
                continue;
            }
        }
        out.push(toks[i].clone());
        i += 1;
    }
    out
}

/// `x [NOT] BETWEEN a AND b` as `x >= a AND x <= b` (`x < a OR x > b`), as PostgreSQL stores
/// it, when `x` is a simple operand.
fn betweens(mut toks: Vec<Tok>) -> Vec<Tok> {
    let mut i = 0;
    while i < toks.len() {
        if !toks[i].is("between") {
            i += 1;
            continue;
        }
        let negated = i > 0 && toks[i - 1].is("not");
        let left_end = if negated { i - 1 } else { i };
        let Some(left_start) = operand_start(&toks, left_end) else {
            i += 1;
            continue;
        };
        let Some(and) = (i + 1..toks.len()).find(|&j| toks[j].is("and")) else {
            i += 1;
            continue;
        };
        let mut depth = 0i32;
        let mut hi_end = toks.len();
        for (j, t) in toks.iter().enumerate().skip(and + 1) {
            if t.is("(") {
                depth += 1;
            } else if t.is(")") && depth > 0 {
                depth -= 1;
                continue;
            }
            if depth == 0 && ends_operand(t) {
                hi_end = j;
                break;
            }
        }
        let x = toks[left_start..left_end].to_vec();
        let lo = toks[i + 1..and].to_vec();
        let hi = toks[and + 1..hi_end].to_vec();
        let (ge, join, le) = if negated {
            ("<", "or", ">")
        } else {
            (">=", "and", "<=")
        };
        let mut repl = x.clone();
        repl.push(Tok::Punct(ge.into()));
        repl.extend(lo);
        repl.push(Tok::Word(join.into()));
        repl.extend(x);
        repl.push(Tok::Punct(le.into()));
        repl.extend(hi);
        let next = left_start + repl.len();
        toks.splice(left_start..hi_end, repl);
        i = next;
    }
    toks
}

/// The key of a check expression with no dialect spelling taken out (SQLite's, which keeps
/// the text, and the default of [`Catalog::check_expr_key`](super::Catalog::check_expr_key)).
/// An expression that does not tokenize (a quote left open) is its own key.
pub(crate) fn check_expr_key(expr: &str) -> String {
    tokens(expr, false).map_or_else(|| expr.to_string(), canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) {
        assert_eq!(check_expr_key(a), check_expr_key(b), "{a}  vs  {b}");
    }

    fn differ(a: &str, b: &str) {
        assert_ne!(check_expr_key(a), check_expr_key(b), "{a}  vs  {b}");
    }

    #[test]
    fn spacing_case_quotes_and_grouping_do_not_count() {
        same("length(username) > 2", "(LENGTH(\"username\")>2)");
        same("a > 0 AND b > 0", "((a > 0) AND (b > 0))");
        same("lower(email) = email", "lower((email)) = (email)");
        same("\"order\" > 0", "`order` > 0");
        same("a != b", "a <> b");
        same("a > -1", "a > - 1");
        same("price = 0.50", "price = 0.5");
        same("f > 1.5e3", "f > 1500");
        same("email = 'It''s'", "email='It''s'");
    }

    #[test]
    fn in_and_between_take_the_expanded_form() {
        same("status IN ('a', 'b')", "status = ANY (ARRAY['a', 'b'])");
        same("status NOT IN ('a','b')", "status <> ALL (ARRAY['a', 'b'])");
        same("x IN (7)", "x = 7");
        same("status NOT IN ('x')", "status <> 'x'");
        same("x BETWEEN 1 AND 10", "((x >= 1) AND (x <= 10))");
        same("x NOT BETWEEN 1 AND 5", "((x < 1) OR (x > 5))");
        same(
            "length(name) BETWEEN 1 AND 5 AND a > 0",
            "((length(name) >= 1) AND (length(name) <= 5)) AND (a > 0)",
        );
    }

    #[test]
    fn real_changes_differ() {
        differ("length(username) > 2", "length(username) > 3");
        differ("a > 0", "a >= 0");
        differ("status IN ('a', 'b')", "status IN ('a', 'c')");
        differ("name <> ''", "name <> 'x'");
        differ("a > 0", "b > 0");
        differ("x BETWEEN 1 AND 10", "x BETWEEN 1 AND 11");
    }

    #[test]
    fn an_open_quote_is_its_own_key() {
        assert_eq!(check_expr_key("a = 'x"), "a = 'x");
        assert_eq!(tokens("a = `x", false), None);
    }
}
