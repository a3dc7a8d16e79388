//! Dialect: sqlite, reading constraint names, checks and AUTOINCREMENT from `CREATE TABLE` text.
//!
//! SQLite's pragmas report columns, keys, indexes and foreign keys but not constraint names
//! nor check constraints; those exist only in the `CREATE TABLE` statement SQLite keeps in
//! `sqlite_master.sql`. This is a small tokenizer (quotes, comments and parentheses aware)
//! and a reader of the table's column and constraint clauses; it never fails, it reports what
//! it recognises.

use crate::dialect::sql_text::strip_outer_parens;

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
    /// Every column definition as declared, in order.
    pub(super) columns: Vec<ColumnDecl>,
    /// What follows the column list (`WITHOUT ROWID`, `STRICT`), verbatim; empty when nothing.
    pub(super) options: String,
}

/// One column definition of a `CREATE TABLE` statement.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct ColumnDecl {
    /// The column name.
    pub(super) name: String,
    /// The whole definition, verbatim (`"email" TEXT COLLATE NOCASE NOT NULL`).
    pub(super) text: String,
    /// The collation named by a `COLLATE` clause, if any.
    pub(super) collation: Option<String>,
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
            let text = match (item.first(), item.last()) {
                (Some(a), Some(b)) => sql.get(a.start..b.end).unwrap_or_default().to_string(),
                _ => String::new(),
            };
            let collation = item
                .iter()
                .position(|t| is_kw(Some(t), "COLLATE"))
                .and_then(|i| ident(item.get(i + 1)));
            out.columns.push(ColumnDecl {
                name: col.clone(),
                text,
                collation,
            });
            column_constraints(sql, &col, item, &mut out);
        }
    }
    if let Some(t) = tokens.get(close).filter(|t| t.kind == Kind::Punct(')')) {
        out.options = sql.get(t.end..).unwrap_or_default().trim().to_string();
    }
    out
}

/// What the neutral schema reads from a `CREATE INDEX` statement.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct IndexShape {
    /// Per key column, in order: whether it is `DESC`.
    pub(super) desc: Vec<bool>,
    /// The one expression keyed after the columns, verbatim without its outer parentheses.
    pub(super) expr: Option<String>,
    /// The `WHERE` predicate, verbatim.
    pub(super) where_: Option<String>,
}

/// The shape of a `CREATE INDEX` statement when the neutral schema describes it exactly: key
/// columns (`ASC` or `DESC`), then at most one expression (not `DESC`), then an optional
/// `WHERE`. `None` for anything else (a `COLLATE`, an expression before a column, two
/// expressions), which stays an [`crate::schema::Unmodeled`] object.
pub(super) fn index_shape(sql: &str) -> Option<IndexShape> {
    let tokens = tokenize(sql);
    let open = tokens.iter().position(|t| t.kind == Kind::Punct('('))?;
    let close = matching(&tokens, open);
    let mut shape = IndexShape::default();
    for item in split_commas(tokens.get(open + 1..close).unwrap_or_default()) {
        let (item, desc) = match item.split_last() {
            Some((last, rest)) if is_kw(Some(last), "DESC") => (rest, true),
            Some((last, rest)) if is_kw(Some(last), "ASC") => (rest, false),
            _ => (item, false),
        };
        let (first, last) = (item.first()?, item.last()?);
        if shape.expr.is_some() || item.iter().any(|t| is_kw(Some(t), "COLLATE")) {
            return None;
        }
        if item.len() == 1 && matches!(first.kind, Kind::Word | Kind::Ident) {
            shape.desc.push(desc);
        } else if desc {
            return None;
        } else {
            let text = sql.get(first.start..last.end)?;
            shape.expr = Some(strip_outer_parens(text).trim().to_string());
        }
    }
    match tokens.get(close + 1..).unwrap_or_default() {
        [] => {}
        [kw, rest @ ..] if is_kw(Some(kw), "WHERE") && !rest.is_empty() => {
            let text = sql
                .get(rest[0].start..)?
                .trim()
                .trim_end_matches(';')
                .trim();
            shape.where_ = Some(text.to_string());
        }
        _ => return None,
    }
    Some(shape)
}

/// Whether `sql` names `name` as an identifier (bare or quoted, any case; not inside a
/// string literal or a comment).
pub(super) fn mentions(sql: &str, name: &str) -> bool {
    tokenize(sql)
        .iter()
        .any(|t| matches!(t.kind, Kind::Word | Kind::Ident) && t.text.eq_ignore_ascii_case(name))
}

/// `sql` with every identifier token equal to `from` (any case) replaced by `to`, which the
/// caller has quoted. String literals and comments are left alone.
pub(super) fn replace_ident(sql: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut at = 0;
    for t in tokenize(sql) {
        if matches!(t.kind, Kind::Word | Kind::Ident) && t.text.eq_ignore_ascii_case(from) {
            out.push_str(&sql[at..t.start]);
            out.push_str(to);
            at = t.end;
        }
    }
    out.push_str(&sql[at..]);
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
    fn column_texts_collations_and_options() {
        let t = parse_create_table(
            r#"CREATE TABLE "u" ("id" INTEGER PRIMARY KEY, "email" TEXT COLLATE NOCASE NOT NULL,
               full TEXT GENERATED ALWAYS AS (email || ',') VIRTUAL, CHECK (id > 0)) WITHOUT ROWID, STRICT"#,
        );
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "email", "full"]);
        assert_eq!(t.columns[1].text, r#""email" TEXT COLLATE NOCASE NOT NULL"#);
        assert_eq!(t.columns[1].collation.as_deref(), Some("NOCASE"));
        assert_eq!(
            t.columns[2].text,
            "full TEXT GENERATED ALWAYS AS (email || ',') VIRTUAL"
        );
        assert_eq!(t.columns[0].collation, None);
        assert_eq!(t.options, "WITHOUT ROWID, STRICT");
        assert_eq!(parse_create_table("CREATE TABLE t (a)").options, "");
    }

    #[test]
    fn index_shapes_and_the_rest() {
        let plain = index_shape(r#"CREATE INDEX "ix" ON "t" ("a", b)"#).expect("plain");
        assert_eq!(plain.desc, vec![false, false]);
        assert_eq!((plain.expr, plain.where_), (None, None));
        let shape = index_shape(
            "CREATE UNIQUE INDEX ix ON t(a ASC, b DESC, (lower(\"e\"))) WHERE deleted = 0",
        )
        .expect("modeled");
        assert_eq!(shape.desc, vec![false, true]);
        assert_eq!(shape.expr.as_deref(), Some("lower(\"e\")"));
        assert_eq!(shape.where_.as_deref(), Some("deleted = 0"));
        assert_eq!(
            index_shape("CREATE INDEX ix ON t (lower(a))")
                .expect("modeled")
                .expr
                .as_deref(),
            Some("lower(a)")
        );
        for odd in [
            "CREATE INDEX ix ON t(a COLLATE NOCASE)",
            "CREATE INDEX ix ON t(lower(a), b)",
            "CREATE INDEX ix ON t(lower(a), upper(b))",
            "CREATE INDEX ix ON t(lower(a) DESC)",
            "CREATE INDEX ix ON t(a) WHERE",
            "",
        ] {
            assert_eq!(index_shape(odd), None, "{odd}");
        }
    }

    #[test]
    fn identifiers_are_found_and_replaced_outside_literals() {
        let sql = r#"CREATE TRIGGER tr AFTER INSERT ON "users" BEGIN INSERT INTO log VALUES ('users', new."Email", new.email_x); END"#;
        assert!(mentions(sql, "USERS"));
        assert!(mentions(sql, "email"));
        assert!(!mentions(sql, "emai"));
        assert!(!mentions("SELECT 'email' -- email\n", "email"));
        assert_eq!(
            replace_ident(sql, "email", "\"mail\""),
            r#"CREATE TRIGGER tr AFTER INSERT ON "users" BEGIN INSERT INTO log VALUES ('users', new."mail", new.email_x); END"#
        );
        assert_eq!(
            replace_ident(sql, "users", "\"members\""),
            r#"CREATE TRIGGER tr AFTER INSERT ON "members" BEGIN INSERT INTO log VALUES ('users', new."Email", new.email_x); END"#
        );
    }

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
