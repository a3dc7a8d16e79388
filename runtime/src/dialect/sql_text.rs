//! Dialect layer: reading SQL text: type names and default literals the catalogs hand back, identifiers in expressions, expressions in comparable form.
//!
//! Shared by the dialects' introspection and normalisation, so a spelling read from a database
//! and the same spelling written in a model become the same neutral value; and the one place
//! the neutral stages (ops renaming a column in a check, the diff comparing expressions) go
//! to read SQL text, so no neutral stage reads one dialect's syntax itself.

use crate::schema::{ColumnDefault, SqlType, Table};

/// Parses a type name the way both dialects spell it, with the common synonyms:
/// `int`/`int4`/`integer`, `int2`/`smallint`, `int8`/`bigint`, `float4`/`real`,
/// `float`/`float8`/`double`/`double precision`, `bool`/`boolean`, `varchar(N)`/
/// `character varying(N)`, `bytea`/`blob`, `time [without time zone]`,
/// `timestamp [without time zone]`, `timestamptz`/`timestamp with time zone`,
/// `numeric`/`decimal` with optional precision and scale. Anything else is
/// [`SqlType::Custom`], verbatim. Each dialect's [`Catalog::parse_type`](super::Catalog::parse_type)
/// starts from this and adds its own spellings.
pub(crate) fn parse_type(s: &str) -> SqlType {
    let verbatim = s.trim();
    let lower = verbatim
        .to_ascii_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let (head, args) = match lower.find('(') {
        Some(i) => (lower[..i].trim(), &lower[i..]),
        None => (lower.as_str(), ""),
    };
    // The catalogs' synonyms, as the neutral names the file format parses.
    let neutral = match head {
        "int2" => "smallint",
        "int" | "int4" => "integer",
        "int8" => "bigint",
        "float4" => "real",
        "double precision" | "float8" | "float" if args.is_empty() => "double",
        "bool" => "boolean",
        "character varying" => "varchar",
        "bytea" | "blob" => "bytes",
        "time without time zone" => "time",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        other => other,
    };
    match format!("{neutral}{args}").parse::<SqlType>() {
        Ok(SqlType::Custom(_)) | Err(_) => SqlType::Custom(verbatim.into()),
        Ok(ty) => ty,
    }
}

/// A whole single-quoted SQL string literal at the start of `s` (`'it''s'`), unescaped, and
/// the text after it.
pub(crate) fn string_literal(s: &str) -> Option<(String, &str)> {
    let rest = s.strip_prefix('\'')?;
    let mut out = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if let Some((_, '\'')) = chars.peek() {
                out.push('\'');
                chars.next();
            } else {
                return Some((out, &rest[i + 1..]));
            }
        } else {
            out.push(c);
        }
    }
    None
}

/// An integer or float literal (`42`, `-1`, `+3`, `1.5`, `1e20`), as a default.
pub(crate) fn number(s: &str) -> Option<ColumnDefault> {
    let s = s.trim();
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E'))
        || !s.chars().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(ColumnDefault::Int(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(ColumnDefault::Float)
}

/// `s` without the parentheses around all of it (`((-1))` -> `-1`); quotes are respected,
/// so `(a) + (b)` is left alone.
pub(crate) fn strip_outer_parens(s: &str) -> &str {
    let mut s = s.trim();
    while s.starts_with('(') && s.ends_with(')') && closes_at_end(s) {
        s = s[1..s.len() - 1].trim();
    }
    s
}

/// Whether the `(` at the start of `s` is closed by its last character.
fn closes_at_end(s: &str) -> bool {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let last = s.len() - 1;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i == last;
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether `ty` is an integer or floating type (a default on it reads back as a number).
pub(crate) fn is_numeric(ty: &SqlType) -> bool {
    matches!(
        ty,
        SqlType::SmallInt
            | SqlType::Integer
            | SqlType::BigInt
            | SqlType::Real
            | SqlType::Double
            | SqlType::Decimal { .. }
    )
}

/// A boolean column's integer default is the boolean it means (`0` false, anything else true).
pub(crate) fn bool_default(ty: &SqlType, d: ColumnDefault) -> ColumnDefault {
    match (ty, d) {
        (SqlType::Boolean, ColumnDefault::Int(i)) => ColumnDefault::Bool(i != 0),
        (_, d) => d,
    }
}

/// Sorts a table's constraint and index lists by name: their order carries no meaning, and
/// both sides of a comparison must list them the same way.
pub(crate) fn sort_constraints(table: &mut Table) {
    table.uniques.sort_by(|a, b| a.name.cmp(&b.name));
    table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
    table.foreign_keys.sort_by(|a, b| a.name.cmp(&b.name));
    table.checks.sort_by(|a, b| a.name.cmp(&b.name));
}

/// `expr` with every reference to the column `from` renamed to `to`, as the database rewrites
/// it: a quoted identifier (`"from"`, `` `from` ``) equal to `from`, or an unquoted one equal to it ignoring ASCII
/// case, becomes `"to"` (quoted, so any name is safe). String literals, function names (an
/// identifier followed by `(`) and type names after `::` are left alone.
pub(crate) fn rename_in_expr(expr: &str, from: &str, to: &str) -> String {
    let quoted_to = format!("\"{}\"", to.replace('"', "\"\""));
    let chars: Vec<char> = expr.chars().collect();
    let mut out = String::with_capacity(expr.len());
    let mut i = 0;
    let next_is_paren = |mut j: usize| {
        while j < chars.len() && chars[j].is_whitespace() {
            j += 1;
        }
        j < chars.len() && chars[j] == '('
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' || c == '"' || c == '`' {
            // A literal or a quoted identifier (standard `"x"`, MySQL's `` `x` ``), to its
            // closing quote (doubled quotes escape).
            let start = i;
            let mut text = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == c {
                    if i + 1 < chars.len() && chars[i + 1] == c {
                        text.push(c);
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                text.push(chars[i]);
                i += 1;
            }
            if c != '\'' && text == from && !next_is_paren(i) {
                out.push_str(&quoted_to);
            } else {
                out.extend(&chars[start..i]);
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '$')) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let after_cast = start >= 2 && chars[start - 1] == ':' && chars[start - 2] == ':';
            if word.eq_ignore_ascii_case(from) && !after_cast && !next_is_paren(i) {
                out.push_str(&quoted_to);
            } else {
                out.push_str(&word);
            }
        } else if c.is_ascii_digit() {
            // A number (`1e5` is not the identifier `e5`).
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '.') {
                out.push(chars[i]);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// A SQL expression in a form for comparison only (never rendered): whitespace outside quotes
/// removed, unquoted text lower-cased, parentheses around the whole expression removed, and
/// casts written after a string literal (`'a'::text`, `'x'::character varying(3)`) removed.
pub(crate) fn expr_key(sql: &str) -> String {
    // Whitespace and case, outside single- and double-quoted text.
    let mut flat = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    for c in sql.chars() {
        match quote {
            Some(q) => {
                flat.push(c);
                if c == q {
                    quote = None;
                }
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    flat.push(c);
                } else if !c.is_whitespace() {
                    flat.push(c.to_ascii_lowercase());
                }
            }
        }
    }
    // Casts after string literals.
    let chars: Vec<char> = flat.chars().collect();
    let mut out = String::with_capacity(flat.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        out.push(c);
        i += 1;
        if c != '\'' {
            if c == '"' {
                while i < chars.len() {
                    out.push(chars[i]);
                    i += 1;
                    if chars[i - 1] == '"' {
                        break;
                    }
                }
            }
            continue;
        }
        // A string literal: copy to its closing quote ('' is an escaped quote).
        while i < chars.len() {
            out.push(chars[i]);
            i += 1;
            if chars[i - 1] == '\'' {
                if i < chars.len() && chars[i] == '\'' {
                    out.push('\'');
                    i += 1;
                } else {
                    break;
                }
            }
        }
        // Then any `::type`, `::type(n,m)`, `::type[]` casts on it.
        while i + 1 < chars.len() && chars[i] == ':' && chars[i + 1] == ':' {
            let mut j = i + 2;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            if j == i + 2 {
                break;
            }
            if j < chars.len() && chars[j] == '(' {
                match chars[j..].iter().position(|&c| c == ')') {
                    Some(k) => j += k + 1,
                    None => break,
                }
            }
            while j + 1 < chars.len() && chars[j] == '[' && chars[j + 1] == ']' {
                j += 2;
            }
            i = j;
        }
    }
    crate::dialect::sql_text::strip_outer_parens(&out).to_string()
}

/// The spellings of "the start of the current transaction" as a default, in [`expr_key`]
/// form: PostgreSQL documents `now()`, `CURRENT_TIMESTAMP` and `transaction_timestamp()` as
/// the same value, MySQL `now()` and `CURRENT_TIMESTAMP()` as synonyms; Alembic writes
/// `func.now()` as `now()`. (`statement_timestamp()`, `clock_timestamp()` and
/// `LOCALTIMESTAMP` mean something else and stay apart.)
const NOW_SPELLINGS: [&str; 4] = [
    "now()",
    "current_timestamp",
    "current_timestamp()",
    "transaction_timestamp()",
];

/// A column default in a form for comparison only (never rendered), see [`same_default`].
#[derive(Debug)]
enum DefaultKey {
    /// The transaction's start time, however spelled.
    Now,
    /// A number, integer or not.
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    /// Any other expression, in [`expr_key`] form.
    Expr(String),
}

impl PartialEq for DefaultKey {
    fn eq(&self, other: &Self) -> bool {
        use DefaultKey::*;
        match (self, other) {
            (Now, Now) => true,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            // Exact: `0` and `0.00` are the same value, `1` and `1.5` are not.
            #[allow(clippy::cast_precision_loss)]
            (Int(i), Float(f)) | (Float(f), Int(i)) => f.fract() == 0.0 && (*i as f64) == *f,
            (Bool(a), Bool(b)) => a == b,
            (Str(a), Str(b)) | (Expr(a), Expr(b)) => a == b,
            _ => false,
        }
    }
}

/// A boolean's spelling as a string default (`'1'`, `'true'`, `'f'`), case-insensitive.
fn bool_word(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" => Some(true),
        "0" | "false" | "f" => Some(false),
        _ => None,
    }
}

/// The comparison form of a default of a column of type `ty`.
fn default_key(ty: &SqlType, d: &ColumnDefault) -> DefaultKey {
    let numeric = is_numeric(ty);
    let boolean = *ty == SqlType::Boolean;
    match d {
        ColumnDefault::Int(i) if boolean => DefaultKey::Bool(*i != 0),
        ColumnDefault::Int(i) => DefaultKey::Int(*i),
        ColumnDefault::Float(f) => DefaultKey::Float(*f),
        ColumnDefault::Bool(b) if numeric => DefaultKey::Int(i64::from(*b)),
        ColumnDefault::Bool(b) => DefaultKey::Bool(*b),
        ColumnDefault::Str(s) => {
            if boolean {
                if let Some(b) = bool_word(s) {
                    return DefaultKey::Bool(b);
                }
            }
            if numeric {
                if let Some(n) = number(s) {
                    return default_key(ty, &n);
                }
            }
            DefaultKey::Str(s.clone())
        }
        ColumnDefault::Sql { sql } => {
            let inner = strip_outer_parens(sql);
            // A whole literal, with or without casts (`'x'::text`, `'0'::numeric`).
            if let Some((s, rest)) = string_literal(inner) {
                let only_casts = rest.trim().is_empty()
                    || (rest.trim_start().starts_with("::")
                        && rest.chars().all(|c| {
                            c.is_alphanumeric()
                                || matches!(c, '_' | ' ' | '"' | '(' | ')' | ',' | '[' | ']' | ':')
                        }));
                if only_casts {
                    return default_key(ty, &ColumnDefault::Str(s));
                }
            }
            if let Some(n) = number(inner) {
                return default_key(ty, &n);
            }
            let key = expr_key(sql);
            match key.as_str() {
                "true" => default_key(ty, &ColumnDefault::Bool(true)),
                "false" => default_key(ty, &ColumnDefault::Bool(false)),
                k if NOW_SPELLINGS.contains(&k) => DefaultKey::Now,
                _ => DefaultKey::Expr(key),
            }
        }
    }
}

/// Whether two defaults of a column of type `ty` mean the same, exact but tolerant of
/// spelling: literals compare by value (`0`, `'0'` and `0.00` on a numeric column; `true`,
/// `1` and `'1'` on a boolean one; `'x'` and `'x'::text`), the spellings of the transaction's
/// start time are one (`now()`, `CURRENT_TIMESTAMP`, `transaction_timestamp()`), and other
/// expressions compare by [`expr_key`] (databases print them back their own way).
pub(crate) fn same_default(
    ty: &SqlType,
    a: Option<&ColumnDefault>,
    b: Option<&ColumnDefault>,
) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b || default_key(ty, a) == default_key(ty, b),
        _ => false,
    }
}

/// Test support for the dialects' default tests: for each `(printed, type, model default)`,
/// the default as the server prints it (read with `parse`) and the model's default on a
/// column of that type (rewritten by the dialect's `normalize`) must compare the same.
#[cfg(test)]
pub(crate) fn assert_same_defaults(
    cases: &[(&str, SqlType, ColumnDefault)],
    normalize: impl Fn(&mut crate::schema::Schema),
    parse: impl Fn(&str, &SqlType) -> Option<ColumnDefault>,
) {
    use crate::schema::{Column, Schema};
    for (printed, ty, model) in cases {
        let mut s = Schema::new();
        s.insert(Table {
            name: "t".into(),
            columns: vec![Column {
                default: Some(model.clone()),
                ..Column::new("c", ty.clone())
            }],
            ..Table::default()
        });
        normalize(&mut s);
        let column = &s.tables["t"].columns[0];
        let live = parse(printed, &column.ty);
        assert!(
            same_default(&column.ty, live.as_ref(), column.default.as_ref()),
            "{printed} on {ty:?} (read as {live:?}) vs the model's {model:?} ({:?})",
            column.default
        );
    }
}

/// A check expression without identifier quotes (`"`, `` ` ``) and whitespace, for pairing
/// two spellings of one check: a column rename quotes the column, a database re-spaces it.
pub(crate) fn check_key(expr: &str) -> String {
    expr.chars()
        .filter(|c| !matches!(c, '"' | '`') && !c.is_whitespace())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_synonyms() {
        for (s, t) in [
            ("int", SqlType::Integer),
            ("INT4", SqlType::Integer),
            ("int8", SqlType::BigInt),
            ("Int2", SqlType::SmallInt),
            ("float4", SqlType::Real),
            ("FLOAT", SqlType::Double),
            ("double  precision", SqlType::Double),
            ("bool", SqlType::Boolean),
            ("character varying(12)", SqlType::Varchar(12)),
            ("VARCHAR( 3 )", SqlType::Varchar(3)),
            ("bytea", SqlType::Bytes),
            ("BLOB", SqlType::Bytes),
            ("time without time zone", SqlType::Time),
            ("timestamp with time zone", SqlType::TimestampTz),
            (
                "DECIMAL(8, 2)",
                SqlType::Decimal {
                    precision: Some(8),
                    scale: Some(2),
                },
            ),
            ("char(3)", SqlType::Custom("char(3)".into())),
            ("jsonb", SqlType::Custom("jsonb".into())),
            ("varchar", SqlType::Custom("varchar".into())),
        ] {
            assert_eq!(parse_type(s), t, "{s}");
        }
        assert_eq!(parse_type("DATETIME"), SqlType::Custom("DATETIME".into()));
    }

    #[test]
    fn literals() {
        assert_eq!(
            string_literal("'it''s'::text"),
            Some(("it's".to_string(), "::text"))
        );
        assert_eq!(string_literal("'open"), None);
        assert_eq!(number("-1"), Some(ColumnDefault::Int(-1)));
        assert_eq!(number("1.5"), Some(ColumnDefault::Float(1.5)));
        assert_eq!(number("1e20"), Some(ColumnDefault::Float(1e20)));
        assert_eq!(number("inf"), None);
        assert_eq!(number("e"), None);
        assert_eq!(number("1+2"), None);
        assert_eq!(strip_outer_parens("((-1))"), "-1");
        assert_eq!(strip_outer_parens("(a) + (b)"), "(a) + (b)");
        assert_eq!(strip_outer_parens("(')')"), "')'");
    }
}
