//! Dialect: sqlite, reading constraint names, checks and AUTOINCREMENT from `CREATE TABLE` text.
//!
//! SQLite's pragmas report columns, keys, indexes and foreign keys but not constraint names
//! nor check constraints; those exist only in the `CREATE TABLE` statement SQLite keeps in
//! `sqlite_master.sql`. This is a small tokenizer (quotes, comments and parentheses aware)
//! and a reader of the table's column and constraint clauses; it never fails, it reports what
//! it recognises.

/// What one `CREATE TABLE` statement declares beyond what the pragmas say.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct CreateTable {
    /// The primary key's `CONSTRAINT` name, if given.
    pub(super) pk_name: Option<String>,
    /// Unique constraints: name (if given) and columns.
    pub(super) uniques: Vec<(Option<String>, Vec<String>)>,
    /// Foreign keys: name (if given), referencing columns, referenced table.
    pub(super) foreign_keys: Vec<(Option<String>, Vec<String>, String)>,
    /// Check constraints: name (if given) and the expression text, verbatim.
    pub(super) checks: Vec<(Option<String>, String)>,
    /// Columns declared `PRIMARY KEY AUTOINCREMENT`.
    pub(super) autoincrement: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A bare word: keyword, identifier or number.
    Word,
    /// A quoted identifier (`"x"`, `` `x` ``, `[x]`), unescaped in `text`.
    Ident,
    /// A string literal, unescaped in `text`.
    Str,
    /// Any other single character.
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    start: usize,
    end: usize,
}

fn tokenize(sql: &str) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < sql.len() {
        let Some(c) = sql[i..].chars().next() else {
            break;
        };
        let start = i;
        if c.is_whitespace() {
            i += c.len_utf8();
        } else if sql[i..].starts_with("--") {
            i = sql[i..].find('\n').map_or(sql.len(), |n| i + n + 1);
        } else if sql[i..].starts_with("/*") {
            i = sql[i + 2..].find("*/").map_or(sql.len(), |n| i + 2 + n + 2);
        } else if matches!(c, '"' | '`' | '\'' | '[') {
            let close = if c == '[' { ']' } else { c };
            let mut text = String::new();
            let mut j = i + 1;
            while let Some(d) = sql[j..].chars().next() {
                j += d.len_utf8();
                if d == close {
                    // A doubled quote is an escaped quote (not inside brackets).
                    if close != ']' && bytes.get(j) == Some(&(close as u8)) {
                        text.push(close);
                        j += 1;
                        continue;
                    }
                    break;
                }
                text.push(d);
            }
            i = j;
            let kind = if c == '\'' { Kind::Str } else { Kind::Ident };
            out.push(Token {
                kind,
                text,
                start,
                end: i,
            });
        } else if c.is_alphanumeric() || c == '_' || c == '$' || !c.is_ascii() {
            let mut j = i;
            while let Some(d) = sql[j..].chars().next() {
                if d.is_alphanumeric()
                    || d == '_'
                    || d == '$'
                    || (!d.is_ascii() && !d.is_whitespace())
                {
                    j += d.len_utf8();
                } else {
                    break;
                }
            }
            out.push(Token {
                kind: Kind::Word,
                text: sql[i..j].to_string(),
                start,
                end: j,
            });
            i = j;
        } else {
            i += c.len_utf8();
            out.push(Token {
                kind: Kind::Punct(c),
                text: c.to_string(),
                start,
                end: i,
            });
        }
    }
    out
}

fn is_kw(t: Option<&Token>, kw: &str) -> bool {
    t.is_some_and(|t| t.kind == Kind::Word && t.text.eq_ignore_ascii_case(kw))
}

fn is_punct(t: Option<&Token>, p: char) -> bool {
    t.is_some_and(|t| t.kind == Kind::Punct(p))
}

fn ident(t: Option<&Token>) -> Option<String> {
    t.filter(|t| matches!(t.kind, Kind::Word | Kind::Ident | Kind::Str))
        .map(|t| t.text.clone())
}

/// The index of the `)` matching the `(` at `open`, or the last token.
fn matching(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            Kind::Punct('(') => depth += 1,
            Kind::Punct(')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    tokens.len().saturating_sub(1)
}

/// Splits `tokens` at top-level commas.
fn split_commas(tokens: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut from = 0;
    for (i, t) in tokens.iter().enumerate() {
        match t.kind {
            Kind::Punct('(') => depth += 1,
            Kind::Punct(')') => depth = depth.saturating_sub(1),
            Kind::Punct(',') if depth == 0 => {
                out.push(&tokens[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    if from < tokens.len() {
        out.push(&tokens[from..]);
    }
    out
}

/// The column names of a parenthesised list starting at `open` (`("a" COLLATE x, b DESC)`),
/// and the index after its `)`.
fn column_list(tokens: &[Token], open: usize) -> (Vec<String>, usize) {
    if !is_punct(tokens.get(open), '(') {
        return (Vec::new(), open);
    }
    let close = matching(tokens, open);
    let cols = split_commas(tokens.get(open + 1..close).unwrap_or_default())
        .into_iter()
        .filter_map(|part| ident(part.first()))
        .collect();
    (cols, close + 1)
}

/// Reads a `CREATE TABLE` statement.
pub(super) fn parse_create_table(sql: &str) -> CreateTable {
    let tokens = tokenize(sql);
    let mut out = CreateTable::default();
    let Some(open) = tokens.iter().position(|t| t.kind == Kind::Punct('(')) else {
        return out;
    };
    let close = matching(&tokens, open);
    for item in split_commas(tokens.get(open + 1..close).unwrap_or_default()) {
        let first = item.first();
        let table_level = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|kw| is_kw(first, kw));
        if table_level {
            table_constraint(sql, item, &mut out);
        } else if let Some(col) = ident(first) {
            column_constraints(sql, &col, item, &mut out);
        }
    }
    out
}

/// The expression inside the parentheses at `open`, verbatim, and the index after them.
fn paren_text(sql: &str, tokens: &[Token], open: usize) -> (Option<String>, usize) {
    if !is_punct(tokens.get(open), '(') {
        return (None, open);
    }
    let close = matching(tokens, open);
    let (from, to) = (tokens[open].end, tokens[close].start);
    let text = sql.get(from..to.max(from)).map(|s| s.trim().to_string());
    (text, close + 1)
}

fn table_constraint(sql: &str, t: &[Token], out: &mut CreateTable) {
    let mut name = None;
    let mut i = 0;
    while i < t.len() {
        let tok = t.get(i);
        if is_kw(tok, "CONSTRAINT") {
            name = ident(t.get(i + 1));
            i += 2;
        } else if is_kw(tok, "PRIMARY") {
            out.pk_name = name.take();
            let (_, next) = column_list(t, i + 2);
            i = next.max(i + 2);
        } else if is_kw(tok, "UNIQUE") {
            let (cols, next) = column_list(t, i + 1);
            out.uniques.push((name.take(), cols));
            i = next.max(i + 1);
        } else if is_kw(tok, "CHECK") {
            let (expr, next) = paren_text(sql, t, i + 1);
            if let Some(expr) = expr {
                out.checks.push((name.take(), expr));
            }
            i = next.max(i + 1);
        } else if is_kw(tok, "FOREIGN") {
            let (cols, next) = column_list(t, i + 2);
            let mut j = next.max(i + 2);
            if is_kw(t.get(j), "REFERENCES") {
                if let Some(table) = ident(t.get(j + 1)) {
                    out.foreign_keys.push((name.take(), cols, table));
                }
                j += 2;
            }
            i = j;
        } else {
            i += 1;
        }
    }
}

fn column_constraints(sql: &str, col: &str, t: &[Token], out: &mut CreateTable) {
    let mut name = None;
    let mut i = 1;
    while i < t.len() {
        let tok = t.get(i);
        if is_kw(tok, "CONSTRAINT") {
            name = ident(t.get(i + 1));
            i += 2;
        } else if is_kw(tok, "PRIMARY") {
            out.pk_name = name.take();
            i += 1;
        } else if is_kw(tok, "AUTOINCREMENT") {
            out.autoincrement.push(col.to_string());
            i += 1;
        } else if is_kw(tok, "UNIQUE") {
            out.uniques.push((name.take(), vec![col.to_string()]));
            i += 1;
        } else if is_kw(tok, "CHECK") {
            let (expr, next) = paren_text(sql, t, i + 1);
            if let Some(expr) = expr {
                out.checks.push((name.take(), expr));
            }
            i = next.max(i + 1);
        } else if is_kw(tok, "REFERENCES") {
            if let Some(table) = ident(t.get(i + 1)) {
                out.foreign_keys
                    .push((name.take(), vec![col.to_string()], table));
            }
            i += 2;
        } else if ["NOT", "NULL", "DEFAULT", "COLLATE", "GENERATED", "AS"]
            .iter()
            .any(|kw| is_kw(tok, kw))
        {
            name = None;
            i += 1;
        } else if is_punct(tok, '(') {
            i = matching(t, i) + 1;
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_checks_and_autoincrement() {
        let sql = r#"CREATE TABLE "we""ird" (
            "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, -- the key, (with a comment
            [a b] VARCHAR(10) DEFAULT 'x,(y' CONSTRAINT "uq_a" UNIQUE,
            c INT CHECK (c > 0) REFERENCES other(id) ON DELETE CASCADE,
            d INT CONSTRAINT nn NOT NULL CONSTRAINT fk_d REFERENCES "other",
            /* block ) comment */
            CONSTRAINT "ck ""q""" CHECK (length("a b") < 5 AND c IN (1, 2)),
            UNIQUE (c, d),
            CONSTRAINT fk_cd FOREIGN KEY (c, `d`) REFERENCES other (x, y) ON UPDATE SET NULL
        )"#;
        let t = parse_create_table(sql);
        assert_eq!(t.pk_name, None);
        assert_eq!(t.autoincrement, ["id"]);
        assert_eq!(
            t.uniques,
            [
                (Some("uq_a".into()), vec!["a b".to_string()]),
                (None, vec!["c".into(), "d".into()]),
            ]
        );
        assert_eq!(
            t.checks,
            [
                (None, "c > 0".to_string()),
                (
                    Some("ck \"q\"".into()),
                    "length(\"a b\") < 5 AND c IN (1, 2)".into()
                ),
            ]
        );
        assert_eq!(
            t.foreign_keys,
            [
                (None, vec!["c".to_string()], "other".to_string()),
                (Some("fk_d".into()), vec!["d".into()], "other".into()),
                (
                    Some("fk_cd".into()),
                    vec!["c".into(), "d".into()],
                    "other".into()
                ),
            ]
        );
    }

    #[test]
    fn never_panics_on_cut_or_odd_text() {
        let sql = r#"CREATE TABLE "a""b" (x INT CONSTRAINT "k" PRIMARY KEY AUTOINCREMENT, [y z] TEXT CHECK (y > ')'), `w` INT REFERENCES t(x), CONSTRAINT c FOREIGN KEY (x) REFERENCES t (x), UNIQUE (x, [y z])) -- é /* é"#;
        for (i, _) in sql.char_indices() {
            let _ = parse_create_table(&sql[..i]);
        }
        for odd in [
            "",
            "(",
            ")",
            "((",
            "CREATE TABLE t (",
            "CREATE TABLE t (a CHECK",
            "\"",
            "'",
            "[",
            "/*",
        ] {
            let _ = parse_create_table(odd);
        }
    }

    #[test]
    fn table_level_primary_key_name() {
        let t = parse_create_table(
            r#"CREATE TABLE t (a INT, b INT, CONSTRAINT "pk_t" PRIMARY KEY ("a", "b"))"#,
        );
        assert_eq!(t.pk_name.as_deref(), Some("pk_t"));
        let t = parse_create_table("CREATE TABLE t (a INT CONSTRAINT k PRIMARY KEY)");
        assert_eq!(t.pk_name.as_deref(), Some("k"));
    }
}
