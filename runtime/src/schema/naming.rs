//! Stage 2, schema: the naming convention that gives every constraint and index a deterministic name.
//!
//! The built-in convention is `pk_<table>`, `uq_<table>_<cols>`, `ix_<table>_<cols>`,
//! `fk_<table>_<cols>_<reftable>`, `ck_<table>_<name>`; a `[naming]` table in strata.toml
//! replaces any of them with a template in SQLAlchemy's `naming_convention` tokens
//! ([`Naming`]). A name longer than [`MAX_NAME_LEN`] bytes is cut and given a stable hash
//! suffix, so it is the same on every machine and every run. A table in a schema
//! (`audit.events`) is named by its own name (`pk_events`): names live in the table's schema.

use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::table_name;

/// The longest name the convention produces (PostgreSQL's identifier limit).
pub const MAX_NAME_LEN: usize = 63;

/// `pk_<table>`: the built-in convention ([`Naming::default`]), which Strata's own tables
/// keep whatever strata.toml says.
pub fn primary_key(table: &str) -> String {
    shorten(format!("pk_{}", table_name(table)))
}

/// `uq_<table>_<cols>` (the built-in convention).
pub fn unique(table: &str, columns: &[impl AsRef<str>]) -> String {
    shorten(format!("uq_{}_{}", table_name(table), join(columns)))
}

/// `ix_<table>_<cols>` (the built-in convention).
pub fn index(table: &str, columns: &[impl AsRef<str>]) -> String {
    shorten(format!("ix_{}_{}", table_name(table), join(columns)))
}

/// `fk_<table>_<cols>_<reftable>` (the built-in convention).
pub fn foreign_key(table: &str, columns: &[impl AsRef<str>], ref_table: &str) -> String {
    shorten(format!(
        "fk_{}_{}_{}",
        table_name(table),
        join(columns),
        table_name(ref_table)
    ))
}

/// `ck_<table>_<name>` (the built-in convention).
pub fn check(table: &str, name: &str) -> String {
    shorten(format!("ck_{}_{name}", table_name(table)))
}

fn join(columns: &[impl AsRef<str>]) -> String {
    columns
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join("_")
}

/// Cuts `name` to [`MAX_NAME_LEN`] bytes when longer, ending it with `_` and the first
/// 8 hex digits of the SHA-256 of the full name.
pub fn shorten(name: String) -> String {
    if name.len() <= MAX_NAME_LEN {
        return name;
    }
    let hash = Sha256::digest(name.as_bytes());
    let suffix: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut cut = MAX_NAME_LEN - suffix.len() - 1;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{suffix}", &name[..cut])
}

/// The `[naming]` table of strata.toml as written: one template per kind of object, each
/// optional (a missing one keeps the built-in convention). [`Naming::from_templates`] checks
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamingTemplates {
    /// Primary keys (built-in: `pk_%(table_name)s`).
    pub pk: Option<String>,
    /// Unique constraints (built-in: `uq_%(table_name)s_%(column_0_N_name)s`).
    pub uq: Option<String>,
    /// Indexes (built-in: `ix_%(table_name)s_%(column_0_N_name)s`).
    pub ix: Option<String>,
    /// Foreign keys (built-in:
    /// `fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s`).
    pub fk: Option<String>,
    /// Check constraints (built-in: `ck_%(table_name)s_%(constraint_name)s`).
    pub ck: Option<String>,
}

/// A `[naming]` template that cannot name objects.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct NamingError {
    /// The key (`pk`, `uq`, `ix`, `fk`, `ck`).
    pub key: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// One token of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `%(table_name)s`.
    Table,
    /// `%(column_0_name)s`: the first column.
    Column0,
    /// `%(column_0_N_name)s`: every column, joined by `_`.
    Columns,
    /// `%(column_0_label)s`: `<table>_<first column>`.
    Column0Label,
    /// `%(referred_table_name)s`.
    ReferredTable,
    /// `%(constraint_name)s`: a check's own name.
    ConstraintName,
}

impl Token {
    const ALL: [(&'static str, Token); 6] = [
        ("table_name", Token::Table),
        ("column_0_name", Token::Column0),
        ("column_0_N_name", Token::Columns),
        ("column_0_label", Token::Column0Label),
        ("referred_table_name", Token::ReferredTable),
        ("constraint_name", Token::ConstraintName),
    ];

    fn spelled(self) -> String {
        let name = Token::ALL
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("", |(n, _)| n);
        format!("%({name})s")
    }

    /// Whether the names it puts in tell two tables apart.
    fn names_table(self) -> bool {
        matches!(self, Token::Table | Token::Column0Label)
    }

    /// Whether it puts in column names.
    fn names_columns(self) -> bool {
        matches!(self, Token::Column0 | Token::Columns | Token::Column0Label)
    }
}

/// A piece of a template: fixed text or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Token(Token),
}

/// One checked template.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Template {
    parts: Vec<Part>,
}

/// What a template is filled with.
struct Values<'a> {
    table: &'a str,
    columns: &'a [&'a str],
    referred_table: &'a str,
    constraint_name: &'a str,
}

impl Template {
    /// Reads `text`, the template of `key`, accepting the tokens in `allowed`.
    fn parse(key: &'static str, text: &str, allowed: &[Token]) -> Result<Template, NamingError> {
        let err = |message: String| NamingError { key, message };
        let listed = || {
            allowed
                .iter()
                .map(|t| t.spelled())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts = Vec::new();
        let mut text_part = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('%') {
            text_part.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            if let Some(r) = after.strip_prefix('%') {
                text_part.push('%');
                rest = r;
                continue;
            }
            let token = after
                .strip_prefix('(')
                .and_then(|r| r.split_once(')'))
                .filter(|(_, r)| r.starts_with('s'));
            let Some((name, r)) = token else {
                return Err(err(format!(
                    "template {text:?}: a `%` that does not start a token; tokens are written \
                     `%(name)s` ({}), and `%%` is a literal `%`",
                    listed()
                )));
            };
            let Some(&(_, t)) = Token::ALL.iter().find(|(n, _)| *n == name) else {
                return Err(err(format!(
                    "template {text:?}: unknown token `%({name})s`; `{key}` takes {}",
                    listed()
                )));
            };
            if !allowed.contains(&t) {
                return Err(err(format!(
                    "template {text:?}: `{key}` cannot use `{}`; it takes {}",
                    t.spelled(),
                    listed()
                )));
            }
            if !text_part.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text_part)));
            }
            parts.push(Part::Token(t));
            rest = &r[1..];
        }
        text_part.push_str(rest);
        if !text_part.is_empty() {
            parts.push(Part::Text(text_part));
        }
        let template = Template { parts };
        let has = |f: fn(Token) -> bool| template.tokens().any(f);
        if !template.parts.iter().any(|p| matches!(p, Part::Text(_))) {
            return Err(err(format!(
                "template {text:?} has no fixed text, so its names can equal a table's name \
                 (PostgreSQL and SQLite keep tables and indexes in one namespace); add a \
                 prefix such as `{key}_`"
            )));
        }
        if !has(Token::names_table) {
            return Err(err(format!(
                "template {text:?} has no `%(table_name)s`, so two tables would get the same \
                 name; add `%(table_name)s`"
            )));
        }
        let needs_columns = matches!(key, "uq" | "ix" | "fk");
        if needs_columns && !has(Token::names_columns) {
            return Err(err(format!(
                "template {text:?} has no column token, so two {} of one table would get the \
                 same name; add `%(column_0_N_name)s` (every column) or `%(column_0_name)s`",
                match key {
                    "uq" => "unique constraints",
                    "ix" => "indexes",
                    _ => "foreign keys",
                }
            )));
        }
        if key == "ck" && !has(|t| t == Token::ConstraintName) {
            return Err(err(format!(
                "template {text:?} has no `%(constraint_name)s`, so two checks of one table \
                 would get the same name; add `%(constraint_name)s`"
            )));
        }
        Ok(template)
    }

    fn tokens(&self) -> impl Iterator<Item = Token> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Token(t) => Some(*t),
            Part::Text(_) => None,
        })
    }

    /// The text of a token.
    fn value(t: Token, v: &Values<'_>) -> String {
        let first = v.columns.first().copied().unwrap_or_default();
        match t {
            Token::Table => table_name(v.table).to_string(),
            Token::Column0 => first.to_string(),
            Token::Columns => join(v.columns),
            Token::Column0Label => format!("{}_{first}", table_name(v.table)),
            Token::ReferredTable => table_name(v.referred_table).to_string(),
            Token::ConstraintName => v.constraint_name.to_string(),
        }
    }

    /// The name, shortened past [`MAX_NAME_LEN`].
    fn render(&self, v: &Values<'_>) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(s) => out.push_str(s),
                Part::Token(t) => out.push_str(&Template::value(*t, v)),
            }
        }
        shorten(out)
    }

    /// The pieces of the name with every token but `%(constraint_name)s` filled in by `fill`
    /// (`None`: left open).
    fn segments(&self, fill: impl Fn(Token) -> Option<String>) -> Vec<Segment> {
        let mut out: Vec<Segment> = Vec::new();
        for p in &self.parts {
            let text = match p {
                Part::Text(s) => Some(s.clone()),
                Part::Token(Token::ConstraintName) => {
                    out.push(Segment::Name);
                    continue;
                }
                Part::Token(t) => fill(*t),
            };
            match (text, out.last_mut()) {
                (Some(s), Some(Segment::Fixed(prev))) => prev.push_str(&s),
                (Some(s), _) => out.push(Segment::Fixed(s)),
                (None, _) => out.push(Segment::Open),
            }
        }
        out
    }
}

/// A piece of a name being matched against a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Known text.
    Fixed(String),
    /// The check's own name.
    Name,
    /// Any non-empty text.
    Open,
}

/// Whether `name` is `segments` with each [`Segment::Name`] equal to `s` and each
/// [`Segment::Open`] some non-empty text.
fn matches(segments: &[Segment], name: &str, s: &str) -> bool {
    match segments.split_first() {
        None => name.is_empty(),
        Some((Segment::Fixed(f), rest)) => name
            .strip_prefix(f.as_str())
            .is_some_and(|r| matches(rest, r, s)),
        Some((Segment::Name, rest)) => name.strip_prefix(s).is_some_and(|r| matches(rest, r, s)),
        Some((Segment::Open, rest)) => (1..=name.len())
            .filter(|&i| name.is_char_boundary(i))
            .any(|i| matches(rest, &name[i..], s)),
    }
}

/// The naming convention: how a primary key, unique constraint, index, foreign key or check
/// without an explicit name is named. [`Naming::default`] is the built-in convention
/// (`pk_<table>`, `uq_<table>_<cols>`, `ix_<table>_<cols>`, `fk_<table>_<cols>_<reftable>`,
/// `ck_<table>_<name>`); strata.toml's `[naming]` table replaces any of them
/// ([`Naming::from_templates`]). Every name is shortened past [`MAX_NAME_LEN`] bytes
/// ([`shorten`]).
///
/// A plain value: the schema built from the models, introspection and the replay of
/// migration files carry the one from strata.toml ([`crate::schema::Schema::naming`]).
///
/// Cheap to clone (the checked templates are shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    templates: Arc<Templates>,
}

/// The checked templates of a [`Naming`].
#[derive(Debug, PartialEq, Eq)]
struct Templates {
    pk: Template,
    uq: Template,
    ix: Template,
    fk: Template,
    ck: Template,
}

/// The built-in templates, one per key.
const BUILT_IN: [(&str, &str); 5] = [
    ("pk", "pk_%(table_name)s"),
    ("uq", "uq_%(table_name)s_%(column_0_N_name)s"),
    ("ix", "ix_%(table_name)s_%(column_0_N_name)s"),
    (
        "fk",
        "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    ),
    ("ck", "ck_%(table_name)s_%(constraint_name)s"),
];

impl Default for Naming {
    fn default() -> Self {
        static BUILT_IN: OnceLock<Naming> = OnceLock::new();
        BUILT_IN
            .get_or_init(|| {
                Naming::from_templates(&NamingTemplates::default()).unwrap_or_else(|e| {
                    unreachable!("the built-in naming templates are valid: {e}")
                })
            })
            .clone()
    }
}

impl Naming {
    /// The convention `templates` describe, each missing key keeping the built-in template.
    /// A template with an unknown token, a token its key cannot use (`%(constraint_name)s`
    /// outside `ck`, `%(referred_table_name)s` outside `fk`, a column outside `pk`, `uq`, `ix`,
    /// `fk`), or one that cannot tell objects apart (no table token; no column token in `uq`,
    /// `ix`, `fk`; no `%(constraint_name)s` in `ck`; no fixed text), and two keys with one
    /// template, are errors naming the key and the fix.
    pub fn from_templates(templates: &NamingTemplates) -> Result<Naming, NamingError> {
        use Token::{Column0, Column0Label, Columns, ConstraintName, ReferredTable, Table};
        const COLUMNS: [Token; 4] = [Table, Column0, Columns, Column0Label];
        let mut seen: Vec<(&'static str, Template)> = Vec::with_capacity(5);
        let mut take = |i: usize, given: &Option<String>| -> Result<Template, NamingError> {
            let (key, built_in) = BUILT_IN[i];
            let allowed: &[Token] = match key {
                "fk" => &[Table, Column0, Columns, Column0Label, ReferredTable],
                "ck" => &[Table, ConstraintName],
                _ => &COLUMNS,
            };
            let text = given.as_deref().unwrap_or(built_in);
            let template = Template::parse(key, text, allowed)?;
            if let Some((other, _)) = seen.iter().find(|(_, t)| *t == template) {
                return Err(NamingError {
                    key,
                    message: format!(
                        "template {text:?} is also `{other}`'s, so {} and {} on the same \
                         columns would get the same name; give `{key}` another prefix",
                        kind_words(other),
                        kind_words(key)
                    ),
                });
            }
            seen.push((key, template.clone()));
            Ok(template)
        };
        let templates = Templates {
            pk: take(0, &templates.pk)?,
            uq: take(1, &templates.uq)?,
            ix: take(2, &templates.ix)?,
            fk: take(3, &templates.fk)?,
            ck: take(4, &templates.ck)?,
        };
        Ok(Naming {
            templates: Arc::new(templates),
        })
    }

    /// The name of the primary key of `table` over `columns`.
    pub fn primary_key(&self, table: &str, columns: &[impl AsRef<str>]) -> String {
        let columns: Vec<&str> = columns.iter().map(AsRef::as_ref).collect();
        self.templates.pk.render(&Values {
            table,
            columns: &columns,
            referred_table: "",
            constraint_name: "",
        })
    }

    /// The name of a unique constraint of `table` over `columns`.
    pub fn unique(&self, table: &str, columns: &[impl AsRef<str>]) -> String {
        let columns: Vec<&str> = columns.iter().map(AsRef::as_ref).collect();
        self.templates.uq.render(&Values {
            table,
            columns: &columns,
            referred_table: "",
            constraint_name: "",
        })
    }

    /// The name of an index of `table` over `columns` (for an expression index, its columns
    /// and the expression's words).
    pub fn index(&self, table: &str, columns: &[impl AsRef<str>]) -> String {
        let columns: Vec<&str> = columns.iter().map(AsRef::as_ref).collect();
        self.templates.ix.render(&Values {
            table,
            columns: &columns,
            referred_table: "",
            constraint_name: "",
        })
    }

    /// The name of a foreign key of `table` over `columns` referencing `ref_table`.
    pub fn foreign_key(&self, table: &str, columns: &[impl AsRef<str>], ref_table: &str) -> String {
        let columns: Vec<&str> = columns.iter().map(AsRef::as_ref).collect();
        self.templates.fk.render(&Values {
            table,
            columns: &columns,
            referred_table: ref_table,
            constraint_name: "",
        })
    }

    /// The name of the check named `name` in the models (or numbered, when SQLite has it
    /// unnamed) of `table`.
    pub fn check(&self, table: &str, name: &str) -> String {
        self.templates.ck.render(&Values {
            table,
            columns: &[],
            referred_table: "",
            constraint_name: name,
        })
    }

    /// The check's own name `s` when `name` is exactly [`Naming::check`]`(table, s)`.
    pub fn check_own_name(&self, table: &str, name: &str) -> Option<String> {
        let segments = self
            .templates
            .ck
            .segments(|t| (t == Token::Table).then(|| table_name(table).to_string()));
        let fixed: usize = segments
            .iter()
            .map(|s| match s {
                Segment::Fixed(f) => f.len(),
                _ => 0,
            })
            .sum();
        let count = segments.iter().filter(|s| **s == Segment::Name).count();
        let len = name.len().checked_sub(fixed)?;
        if count == 0 || len % count != 0 {
            return None;
        }
        let len = len / count;
        // The text where the first `%(constraint_name)s` stands.
        let mut at = 0;
        for s in &segments {
            match s {
                Segment::Fixed(f) => at += f.len(),
                Segment::Name => break,
                Segment::Open => return None,
            }
        }
        let own = name.get(at..at + len)?;
        (self.check(table, own) == name).then(|| own.to_string())
    }

    /// Whether `name` is the name of the check `own` of some table (of any name): how a file
    /// written before a table rename names a check the rename renamed.
    pub fn is_check_named(&self, name: &str, own: &str) -> bool {
        let segments = self.templates.ck.segments(|_| None);
        matches(&segments, name, own)
    }
}

/// The words for the objects a key names, in messages.
fn kind_words(key: &str) -> &'static str {
    match key {
        "pk" => "a primary key",
        "uq" => "a unique constraint",
        "ix" => "an index",
        "fk" => "a foreign key",
        _ => "a check",
    }
}

/// What kind of object a renamed name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameKind {
    /// A primary key (`pk_<table>`).
    PrimaryKey,
    /// A unique constraint (`uq_<table>_<cols>`).
    Unique,
    /// An index (`ix_<table>_<cols>`).
    Index,
    /// A foreign key (`fk_<table>_<cols>_<reftable>`).
    ForeignKey,
    /// A check constraint (`ck_<table>_<name>`).
    Check,
}

/// One constraint or index renamed along with a table or column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameChange {
    /// The table it belongs to, by its name once the op has run.
    pub table: String,
    /// What it is.
    pub kind: NameKind,
    /// The name before.
    pub from: String,
    /// The name after.
    pub to: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_names() {
        assert_eq!(primary_key("users"), "pk_users");
        assert_eq!(unique("users", &["email"]), "uq_users_email");
        assert_eq!(
            index("posts", &["user_id", "created_at"]),
            "ix_posts_user_id_created_at"
        );
        assert_eq!(
            foreign_key("posts", &["user_id"], "users"),
            "fk_posts_user_id_users"
        );
        assert_eq!(check("users", "age_positive"), "ck_users_age_positive");
    }

    fn convention(text: &str) -> Result<Naming, NamingError> {
        let templates: NamingTemplates = toml::from_str(text).expect("toml");
        Naming::from_templates(&templates)
    }

    #[test]
    fn the_default_convention_is_the_built_in_one() {
        let n = Naming::default();
        let long = "a_very_long_column_name_number_one_that_goes_on_and_on";
        for table in ["users", "t", "a_table_with_a_long_name_that_goes_on_and_on"] {
            for cols in [
                vec!["email"],
                vec!["user_id", "created_at"],
                vec![long, "x"],
            ] {
                assert_eq!(n.primary_key(table, &cols), primary_key(table));
                assert_eq!(n.unique(table, &cols), unique(table, &cols));
                assert_eq!(n.index(table, &cols), index(table, &cols));
                assert_eq!(
                    n.foreign_key(table, &cols, "users"),
                    foreign_key(table, &cols, "users")
                );
                assert_eq!(n.check(table, cols[0]), check(table, cols[0]));
            }
        }
        assert_eq!(convention("").expect("empty"), n);
        let spelled_out = convention(
            "pk = \"pk_%(table_name)s\"\n\
             uq = \"uq_%(table_name)s_%(column_0_N_name)s\"\n\
             ix = \"ix_%(table_name)s_%(column_0_N_name)s\"\n\
             fk = \"fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s\"\n\
             ck = \"ck_%(table_name)s_%(constraint_name)s\"\n",
        )
        .expect("the built-in templates");
        assert_eq!(spelled_out, n);
    }

    #[test]
    fn templates_make_names() {
        let n = convention(
            "pk = \"%(table_name)s_pkey\"\n\
             uq = \"%(table_name)s_%(column_0_name)s_key\"\n\
             ix = \"idx_%(column_0_label)s\"\n\
             fk = \"%(table_name)s_%(column_0_N_name)s_fkey_%(referred_table_name)s\"\n\
             ck = \"chk_%(constraint_name)s_%(table_name)s\"\n",
        )
        .expect("valid");
        assert_eq!(n.primary_key("users", &["id"]), "users_pkey");
        assert_eq!(n.unique("users", &["email", "org"]), "users_email_key");
        assert_eq!(n.index("posts", &["user_id", "at"]), "idx_posts_user_id");
        assert_eq!(
            n.foreign_key("posts", &["a", "b"], "users"),
            "posts_a_b_fkey_users"
        );
        assert_eq!(n.check("users", "age"), "chk_age_users");
        // Only the keys given change; `%%` is a literal `%`.
        let n = convention("uq = \"u%%_%(table_name)s_%(column_0_N_name)s\"").expect("valid");
        assert_eq!(n.unique("t", &["a", "b"]), "u%_t_a_b");
        assert_eq!(n.index("t", &["a"]), "ix_t_a");
        // Long names are shortened as with the built-in convention.
        let long = n.unique("t", &["c".repeat(80)]);
        assert_eq!(long.len(), MAX_NAME_LEN);
        assert_eq!(long, n.unique("t", &["c".repeat(80)]));
    }

    #[test]
    fn bad_templates_name_the_key_and_the_fix() {
        let cases = [
            ("ix = \"ix_%(table_name)s\"", "ix", "no column token"),
            ("uq = \"uq_%(column_0_name)s\"", "uq", "add `%(table_name)s`"),
            ("ck = \"ck_%(table_name)s\"", "ck", "add `%(constraint_name)s`"),
            ("pk = \"%(table_name)s\"", "pk", "no fixed text"),
            ("fk = \"fk_%(table_name)s_%(col_name)s\"", "fk", "unknown token `%(col_name)s`"),
            ("ix = \"ix_%(table_name)s_%(constraint_name)s_%(column_0_name)s\"", "ix", "cannot use `%(constraint_name)s`"),
            ("pk = \"pk_%(table_name)s_%(referred_table_name)s\"", "pk", "cannot use"),
            ("ck = \"ck_%(table_name)s_%(column_0_name)s_%(constraint_name)s\"", "ck", "cannot use"),
            ("ix = \"ix_%(table_name)s_%(column_0_name)d\"", "ix", "`%%` is a literal"),
            ("ix = \"ix 100% %(table_name)s_%(column_0_name)s\"", "ix", "does not start a token"),
            ("uq = \"k_%(table_name)s_%(column_0_N_name)s\"\nix = \"k_%(table_name)s_%(column_0_N_name)s\"", "ix", "also `uq`'s"),
        ];
        for (text, key, says) in cases {
            let e = convention(text).expect_err(text);
            assert_eq!(e.key, key, "{text}: {e}");
            assert!(e.message.contains(says), "{text}: {e}");
        }
        assert!(toml::from_str::<NamingTemplates>("idx = \"x\"").is_err());
    }

    #[test]
    fn check_own_names_are_read_back() {
        let n = Naming::default();
        assert_eq!(
            n.check_own_name("users", "ck_users_age").as_deref(),
            Some("age")
        );
        assert_eq!(n.check_own_name("users", "ck_posts_age"), None);
        assert!(n.is_check_named("ck_people_age", "age"));
        assert!(!n.is_check_named("ck_people_size", "age"));
        let n = convention("ck = \"%(table_name)s_%(constraint_name)s_check_%(constraint_name)s\"")
            .expect("valid");
        assert_eq!(n.check("t", "a_b"), "t_a_b_check_a_b");
        assert_eq!(
            n.check_own_name("t", "t_a_b_check_a_b").as_deref(),
            Some("a_b")
        );
        assert_eq!(n.check_own_name("t", "t_a_b_check_a_c"), None);
        assert!(n.is_check_named("old_name_a_b_check_a_b", "a_b"));
        assert!(!n.is_check_named("_a_b_check_a_b", "a_b"));
    }

    #[test]
    fn long_names_are_cut_with_a_stable_hash() {
        let cols = [
            "a_very_long_column_name_number_one",
            "another_long_column_name",
        ];
        let a = index("a_table_with_a_long_name", &cols);
        let b = index("a_table_with_a_long_name", &cols);
        assert_eq!(a, b);
        assert_eq!(a.len(), MAX_NAME_LEN);
        assert!(a.starts_with("ix_a_table_with_a_long_name_a_very_long"));
        let other = index(
            "a_table_with_a_long_name",
            &["a_very_long_column_name_number_one", "x"],
        );
        assert_ne!(a, other);
        // Multi-byte characters are never split.
        let s = shorten("é".repeat(40));
        assert!(s.len() <= MAX_NAME_LEN);
    }
}
