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
            SqlType::Custom(s) => f.write_str(s),
        }
    }
}

impl FromStr for SqlType {
    type Err = std::convert::Infallible;

    /// Parses the neutral text form; anything unrecognised is kept verbatim as `Custom`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
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
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(serde::de::Error::custom("a column type cannot be empty"));
        }
        s.parse().map_err(|e: std::convert::Infallible| match e {})
    }
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
