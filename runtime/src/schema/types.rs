//! Stage 2, schema: the neutral column type and its text form (`varchar(80)`, `numeric(10,2)`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::ColumnType;

/// A dialect-neutral column type. Its text form (used in migration files) is lowercase:
/// `smallint`, `integer`, `bigint`, `real`, `double`, `boolean`, `text`, `varchar(N)`,
/// `bytes`, `date`, `time`, `timestamp`, `timestamptz`, `uuid`, `json`, `numeric`,
/// `numeric(P)`, `numeric(P,S)`; anything else is a verbatim [`SqlType::Custom`] type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SqlType {
    /// 2-byte integer.
    SmallInt,
    /// 4-byte integer.
    Integer,
    /// 8-byte integer.
    BigInt,
    /// 4-byte float.
    Real,
    /// 8-byte float.
    Double,
    /// Boolean.
    Boolean,
    /// Unbounded text.
    Text,
    /// Bounded text.
    Varchar(u32),
    /// Binary data.
    Bytes,
    /// Calendar date.
    Date,
    /// Time of day.
    Time,
    /// Timestamp without time zone.
    Timestamp,
    /// Timestamp with time zone.
    TimestampTz,
    /// UUID.
    Uuid,
    /// JSON document.
    Json,
    /// Exact decimal.
    Decimal {
        /// Total digits.
        precision: Option<u32>,
        /// Digits after the point.
        scale: Option<u32>,
    },
    /// A named enumeration (`#[derive(strata::Enum)]`); text form `enum mood('happy','sad')`.
    /// PostgreSQL makes it a named type, MySQL an `ENUM(...)` column, SQLite text with a
    /// check. The name is empty where the database keeps none (read back from MySQL).
    Enum {
        /// The type name (PostgreSQL's `CREATE TYPE` name).
        name: String,
        /// The values, in order.
        values: Vec<String>,
    },
    /// A verbatim type the neutral set does not cover.
    Custom(String),
}

impl SqlType {
    /// Whether changing a column from `self` to `to` can lose data or fail on existing rows
    /// (a shorter varchar, a smaller integer, fewer decimal digits, text to anything else, ...).
    pub fn narrows_to(&self, to: &SqlType) -> bool {
        use SqlType::*;
        if self == to {
            return false;
        }
        match (self, to) {
            (Enum { values: a, .. }, Enum { values: b, .. }) => a.iter().any(|v| !b.contains(v)),
            (Varchar(a), Varchar(b)) => b < a,
            (Varchar(_), Text) => false,
            (SmallInt, Integer | BigInt) | (Integer, BigInt) => false,
            (SmallInt | Integer, Real | Double | Decimal { .. }) => false,
            (BigInt, Decimal { .. }) => false,
            (Real, Double) => false,
            (
                Decimal {
                    precision: p1,
                    scale: s1,
                },
                Decimal {
                    precision: p2,
                    scale: s2,
                },
            ) => {
                let wider = |a: &Option<u32>, b: &Option<u32>| match (a, b) {
                    (_, None) => true,
                    (None, Some(_)) => false,
                    (Some(a), Some(b)) => b >= a,
                };
                !(wider(p1, p2) && wider(s1, s2))
            }
            (Timestamp, TimestampTz) => false,
            // Every value has a text form; bytes do not.
            (Bytes, Text) => true,
            (_, Text) => false,
            _ => true,
        }
    }
}

impl From<ColumnType> for SqlType {
    fn from(t: ColumnType) -> Self {
        match t {
            ColumnType::SmallInt => SqlType::SmallInt,
            ColumnType::Integer => SqlType::Integer,
            ColumnType::BigInt => SqlType::BigInt,
            ColumnType::Real => SqlType::Real,
            ColumnType::Double => SqlType::Double,
            ColumnType::Boolean => SqlType::Boolean,
            ColumnType::Text => SqlType::Text,
            ColumnType::Varchar(n) => SqlType::Varchar(n),
            ColumnType::Bytes => SqlType::Bytes,
            ColumnType::Date => SqlType::Date,
            ColumnType::Time => SqlType::Time,
            ColumnType::Timestamp => SqlType::Timestamp,
            ColumnType::TimestampTz => SqlType::TimestampTz,
            ColumnType::Uuid => SqlType::Uuid,
            ColumnType::Json => SqlType::Json,
            ColumnType::Decimal { precision, scale } => SqlType::Decimal { precision, scale },
            ColumnType::Enum(def) => SqlType::Enum {
                name: def.name.to_string(),
                values: def.values.iter().map(|v| v.to_string()).collect(),
            },
            // A verbatim type that happens to spell a neutral one ("integer") is that type.
            ColumnType::Custom(s) => s
                .parse()
                .unwrap_or_else(|e: std::convert::Infallible| match e {}),
        }
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::SmallInt => f.write_str("smallint"),
            SqlType::Integer => f.write_str("integer"),
            SqlType::BigInt => f.write_str("bigint"),
            SqlType::Real => f.write_str("real"),
            SqlType::Double => f.write_str("double"),
            SqlType::Boolean => f.write_str("boolean"),
            SqlType::Text => f.write_str("text"),
            SqlType::Varchar(n) => write!(f, "varchar({n})"),
            SqlType::Bytes => f.write_str("bytes"),
            SqlType::Date => f.write_str("date"),
            SqlType::Time => f.write_str("time"),
            SqlType::Timestamp => f.write_str("timestamp"),
            SqlType::TimestampTz => f.write_str("timestamptz"),
            SqlType::Uuid => f.write_str("uuid"),
            SqlType::Json => f.write_str("json"),
            SqlType::Decimal {
                precision: None, ..
            } => f.write_str("numeric"),
            SqlType::Decimal {
                precision: Some(p),
                scale: None,
            } => write!(f, "numeric({p})"),
            SqlType::Decimal {
                precision: Some(p),
                scale: Some(s),
            } => write!(f, "numeric({p},{s})"),
            SqlType::Enum { name, values } => {
                f.write_str("enum")?;
                if !name.is_empty() {
                    write!(f, " {name}")?;
                }
                f.write_str("(")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "'{}'", v.replace('\'', "''"))?;
                }
                f.write_str(")")
            }
            SqlType::Custom(s) => f.write_str(s),
        }
    }
}

impl FromStr for SqlType {
    type Err = std::convert::Infallible;

    /// Parses the neutral text form; anything unrecognised is kept verbatim as `Custom`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if let Some(e) = parse_enum(t) {
            return Ok(e);
        }
        let lower = t.to_ascii_lowercase();
        let (head, args) = match lower.find('(') {
            Some(i) if lower.ends_with(')') => {
                let args: Vec<&str> = lower[i + 1..lower.len() - 1]
                    .split(',')
                    .map(str::trim)
                    .collect();
                (lower[..i].trim(), Some(args))
            }
            _ => (lower.as_str(), None),
        };
        let num = |a: &str| a.parse::<u32>().ok();
        let ty = match (head, args.as_deref()) {
            ("smallint", None) => SqlType::SmallInt,
            ("integer", None) => SqlType::Integer,
            ("bigint", None) => SqlType::BigInt,
            ("real", None) => SqlType::Real,
            ("double", None) => SqlType::Double,
            ("boolean", None) => SqlType::Boolean,
            ("text", None) => SqlType::Text,
            ("varchar", Some([n])) if num(n).is_some() => SqlType::Varchar(num(n).unwrap_or(0)),
            ("bytes", None) => SqlType::Bytes,
            ("date", None) => SqlType::Date,
            ("time", None) => SqlType::Time,
            ("timestamp", None) => SqlType::Timestamp,
            ("timestamptz", None) => SqlType::TimestampTz,
            ("uuid", None) => SqlType::Uuid,
            ("json", None) => SqlType::Json,
            ("numeric" | "decimal", None) => SqlType::Decimal {
                precision: None,
                scale: None,
            },
            ("numeric" | "decimal", Some([p])) if num(p).is_some() => SqlType::Decimal {
                precision: num(p),
                scale: None,
            },
            ("numeric" | "decimal", Some([p, s])) if num(p).is_some() && num(s).is_some() => {
                SqlType::Decimal {
                    precision: num(p),
                    scale: num(s),
                }
            }
            _ => SqlType::Custom(t.to_string()),
        };
        Ok(ty)
    }
}

impl Serialize for SqlType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SqlType {
    /// Reads a type written in a migration file, checked with [`SqlType::parse_checked`].
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SqlType::parse_checked(&s).map_err(serde::de::Error::custom)
    }
}

/// Reads `enum name('a','b')` (or `enum('a','b')`, without a name; case-insensitive keyword,
/// values as SQL string literals with `''` for a quote); `None` for anything else.
pub(crate) fn parse_enum(t: &str) -> Option<SqlType> {
    let rest = t
        .get(..4)
        .filter(|h| h.eq_ignore_ascii_case("enum"))
        .map(|_| &t[4..])?;
    let open = rest.find('(')?;
    let name = rest[..open].trim();
    if !(name.is_empty() && open == 0 || rest.starts_with(' ')) {
        return None;
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    {
        return None;
    }
    let list = rest[open + 1..].trim().strip_suffix(')')?;
    let values = parse_string_list(list)?;
    (!values.is_empty()).then(|| SqlType::Enum {
        name: name.to_string(),
        values,
    })
}

/// Reads `'a', 'b''s'` (SQL string literals separated by commas) into their values.
pub(crate) fn parse_string_list(list: &str) -> Option<Vec<String>> {
    let mut values = Vec::new();
    let mut chars = list.trim().chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next()? != '\'' {
            return None;
        }
        let mut v = String::new();
        loop {
            match chars.next()? {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    v.push('\'');
                }
                '\'' => break,
                c => v.push(c),
            }
        }
        values.push(v);
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => return Some(values),
            Some(',') => {}
            Some(_) => return None,
        }
    }
}

/// The neutral type names (and `decimal`, read as `numeric`).
const NEUTRAL: [&str; 17] = [
    "smallint",
    "integer",
    "bigint",
    "real",
    "double",
    "boolean",
    "text",
    "varchar",
    "bytes",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "uuid",
    "json",
    "numeric",
    "decimal",
];

/// Real database types one letter away from a neutral name: never "did you mean".
const NOT_TYPOS: [&str; 5] = ["jsonb", "bytea", "nvarchar", "ntext", "timetz"];

impl SqlType {
    /// Parses a type as written in a migration file, refusing what cannot be meant: an empty
    /// type; `;` or an SQL comment (`--`, `/*`) or a control character (a type is pasted
    /// into DDL); `varchar` whose length is not a whole number from 1 up; `numeric` whose
    /// precision is not from 1 to 1000 or whose scale is larger than the precision; and a
    /// near-miss of a neutral name (`intger`: "did you mean `integer`?"). Anything else the
    /// neutral set does not name is kept verbatim (`citext`, `integer[]`, `jsonb`).
    pub fn parse_checked(s: &str) -> Result<SqlType, String> {
        let t = s.trim();
        let bad = |why: String| Err(format!("invalid column type `{}`: {why}", t.escape_debug()));
        if t.is_empty() {
            return Err(format!(
                "invalid column type `{}`: it is empty; write a type such as `text` or \
                 `integer`",
                s.escape_debug()
            ));
        }
        if t.contains(';') || t.contains("--") || t.contains("/*") {
            return bad(
                "a type cannot contain `;` or an SQL comment; write only the type \
                        (an `sql` op runs other statements)"
                    .into(),
            );
        }
        if t.chars().any(char::is_control) {
            return bad("a type cannot contain control characters or line breaks".into());
        }
        let ty: SqlType = t
            .parse()
            .unwrap_or_else(|e: std::convert::Infallible| match e {});
        let lower = t.to_ascii_lowercase();
        let head_end = lower.find(['(', '[', ' ']).unwrap_or(lower.len());
        let head = lower[..head_end].trim();
        let args = lower[head_end..]
            .trim_start()
            .strip_prefix('(')
            .map(|rest| rest.split(')').next().unwrap_or(rest));
        match (&ty, head) {
            (SqlType::Varchar(0), _) => return bad("a varchar length must be at least 1".into()),
            (SqlType::Custom(_), "varchar")
                if args.is_some_and(|a| a.trim().parse::<u32>().map_or(true, |n| n == 0)) =>
            {
                return bad(
                    "the length must be a whole number from 1 up, as in `varchar(80)`".into(),
                )
            }
            (
                SqlType::Decimal {
                    precision: Some(p),
                    scale,
                },
                _,
            ) => {
                if !(1..=1000).contains(p) {
                    return bad(format!("the precision is {p}; it must be from 1 to 1000"));
                }
                if let Some(sc) = scale.filter(|sc| sc > p) {
                    return bad(format!(
                        "the scale ({sc}) is larger than the precision ({p}); write \
                         `numeric(P,S)` with S <= P (`numeric({sc},{p})` if they are swapped)"
                    ));
                }
            }
            (SqlType::Custom(_), "numeric" | "decimal")
                if args.is_some_and(|a| !valid_numeric_args(a)) =>
            {
                return bad(
                    "write `numeric`, `numeric(P)` or `numeric(P,S)` with whole numbers, \
                            as in `numeric(10,2)`"
                        .into(),
                )
            }
            (SqlType::Custom(_), head)
                if !NEUTRAL.contains(&head) && !NOT_TYPOS.contains(&head) =>
            {
                let near = NEUTRAL.iter().copied().filter(|n| {
                    let limit = if n.len() >= 7 { 2 } else { 1 };
                    edit_distance(head, n) <= limit
                });
                if let Some(n) = near.min_by_key(|n| edit_distance(head, n)) {
                    return bad(format!(
                        "unknown type `{head}`; did you mean `{n}`? (a type the neutral set does \
                         not name is passed to the database verbatim, but this looks like a typo)"
                    ));
                }
            }
            _ => {}
        }
        Ok(ty)
    }
}

/// Whether `P` or `P,S` are a valid precision and scale (`numeric(10,2)[]` is an array of a
/// valid numeric).
fn valid_numeric_args(args: &str) -> bool {
    let nums: Vec<Option<u32>> = args.split(',').map(|a| a.trim().parse().ok()).collect();
    match nums.as_slice() {
        [Some(p)] => (1..=1000).contains(p),
        [Some(p), Some(s)] => (1..=1000).contains(p) && s <= p,
        _ => false,
    }
}

/// The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
/// substitutions and swaps of neighbours each count 1), on characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev2: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word` when it is close enough to be a typo (at most a third of
/// its length away, and at least one edit allowed), for "did you mean" hints.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit && d > 0)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() {
        for t in [
            SqlType::SmallInt,
            SqlType::Integer,
            SqlType::BigInt,
            SqlType::Real,
            SqlType::Double,
            SqlType::Boolean,
            SqlType::Text,
            SqlType::Varchar(80),
            SqlType::Bytes,
            SqlType::Date,
            SqlType::Time,
            SqlType::Timestamp,
            SqlType::TimestampTz,
            SqlType::Uuid,
            SqlType::Json,
            SqlType::Decimal {
                precision: None,
                scale: None,
            },
            SqlType::Decimal {
                precision: Some(10),
                scale: None,
            },
            SqlType::Decimal {
                precision: Some(10),
                scale: Some(2),
            },
            SqlType::Custom("citext".into()),
            SqlType::Enum {
                name: "mood".into(),
                values: vec!["happy".into(), "it's ok".into()],
            },
            SqlType::Enum {
                name: String::new(),
                values: vec!["a".into(), "B".into()],
            },
        ] {
            assert_eq!(
                t.to_string().parse::<SqlType>().ok(),
                Some(t.clone()),
                "{t}"
            );
        }
        assert_eq!(
            "VARCHAR( 20 )".parse::<SqlType>().ok(),
            Some(SqlType::Varchar(20))
        );
        assert_eq!(
            "decimal(12, 4)".parse::<SqlType>().ok(),
            Some(SqlType::Decimal {
                precision: Some(12),
                scale: Some(4)
            })
        );
        assert_eq!(
            "varchar(x)".parse::<SqlType>().ok(),
            Some(SqlType::Custom("varchar(x)".into()))
        );
    }

    #[test]
    fn file_types_are_checked() {
        for (text, needle) in [
            ("varchar(0)", "at least 1"),
            ("varchar(-5)", "whole number from 1 up"),
            ("varchar(x)", "whole number from 1 up"),
            ("varchar()", "whole number from 1 up"),
            (
                "numeric(5,10)",
                "scale (10) is larger than the precision (5)",
            ),
            ("numeric(0)", "precision is 0"),
            ("numeric(1001,2)", "precision is 1001"),
            ("numeric(5,-1)", "whole numbers"),
            ("numeric(1,2,3)", "whole numbers"),
            ("numeric(5,10)[]", "whole numbers"),
            ("varchar(0)[]", "whole number from 1 up"),
            ("integer; DROP TABLE users", "cannot contain `;`"),
            ("text -- comment", "SQL comment"),
            ("text /* x */", "SQL comment"),
            ("text\nx", "control characters"),
            ("", "it is empty"),
            ("   ", "it is empty"),
            ("intger", "did you mean `integer`"),
            ("INTEGR", "did you mean `integer`"),
            ("itneger", "did you mean `integer`"),
            ("bolean", "did you mean `boolean`"),
            ("varchr(20)", "did you mean `varchar`"),
            ("timestmap", "did you mean `timestamp`"),
            ("txt", "did you mean `text`"),
            ("uuidd", "did you mean `uuid`"),
        ] {
            let e = SqlType::parse_checked(text).expect_err(text);
            assert!(e.contains(needle), "{text}: {e}");
        }
        for (text, want) in [
            ("varchar(1)", SqlType::Varchar(1)),
            (
                "numeric(5,5)",
                SqlType::Decimal {
                    precision: Some(5),
                    scale: Some(5),
                },
            ),
            (
                "numeric(10,2)",
                SqlType::Decimal {
                    precision: Some(10),
                    scale: Some(2),
                },
            ),
            ("INTEGER", SqlType::Integer),
        ] {
            assert_eq!(SqlType::parse_checked(text), Ok(want), "{text}");
        }
        // Real database types stay verbatim, also those close to a neutral name.
        for text in [
            "citext",
            "integer[]",
            "varchar(20)[]",
            "jsonb",
            "bytea",
            "timetz",
            "int",
            "int2",
            "int4",
            "int8",
            "bool",
            "serial",
            "bigserial",
            "smallserial",
            "float4",
            "float8",
            "double precision",
            "character varying(20)",
            "char(3)",
            "character(20)",
            "inet",
            "cidr",
            "macaddr",
            "money",
            "xml",
            "point",
            "interval",
            "tsvector",
            "tsquery",
            "bit(8)",
            "varbit",
            "name",
            "oid",
            "datetime",
            "clob",
            "blob",
            "tinyint",
            "mediumint",
            "nvarchar(100)",
            "ntext",
            "text[]",
            "timestamp(3)",
            "timestamp with time zone",
            "time(6) without time zone",
            "geometry(Point,4326)",
            "int4range",
            "numrange",
            "hstore",
            "ltree",
            "vector(3)",
            "public.my_enum",
            "numeric(10,2)[]",
        ] {
            match SqlType::parse_checked(text) {
                Ok(t) => assert_eq!(t, text.parse::<SqlType>().expect("infallible"), "{text}"),
                Err(e) => panic!("{text} refused: {e}"),
            }
        }
    }

    #[test]
    fn enum_text_form() {
        assert_eq!(
            SqlType::parse_checked("ENUM mood ( 'happy' , 'sad' )"),
            Ok(SqlType::Enum {
                name: "mood".into(),
                values: vec!["happy".into(), "sad".into()],
            })
        );
        assert_eq!(
            SqlType::Enum {
                name: "mood".into(),
                values: vec!["a".into(), "b".into()]
            }
            .to_string(),
            "enum mood('a','b')"
        );
        for not_enum in [
            "enum mood()",
            "enum mood('a",
            "enummood('a')",
            "enum mood('a' 'b')",
        ] {
            assert!(
                !matches!(not_enum.parse::<SqlType>(), Ok(SqlType::Enum { .. })),
                "{not_enum}"
            );
        }
        let happy = |v: &[&str]| SqlType::Enum {
            name: "m".into(),
            values: v.iter().map(|s| s.to_string()).collect(),
        };
        assert!(!happy(&["a"]).narrows_to(&happy(&["a", "b"])));
        assert!(!happy(&["a", "b"]).narrows_to(&happy(&["b", "a"])));
        assert!(happy(&["a", "b"]).narrows_to(&happy(&["a"])));
    }

    #[test]
    fn closest_names() {
        let ops = ["add_column", "drop_column", "create_table"];
        assert_eq!(closest("add_colum", ops), Some("add_column"));
        assert_eq!(closest("ad_column", ops), Some("add_column"));
        assert_eq!(closest("frobnicate", ops), None);
        assert_eq!(
            closest("add_column", ops),
            None,
            "an exact match is no typo"
        );
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn narrowing() {
        assert!(SqlType::Varchar(120).narrows_to(&SqlType::Varchar(80)));
        assert!(!SqlType::Varchar(80).narrows_to(&SqlType::Varchar(120)));
        assert!(!SqlType::Varchar(80).narrows_to(&SqlType::Text));
        assert!(SqlType::Text.narrows_to(&SqlType::Varchar(80)));
        assert!(!SqlType::Integer.narrows_to(&SqlType::BigInt));
        assert!(SqlType::BigInt.narrows_to(&SqlType::Integer));
        assert!(!SqlType::Integer.narrows_to(&SqlType::Text));
        assert!(SqlType::Text.narrows_to(&SqlType::Integer));
    }
}
