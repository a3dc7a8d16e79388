//! Stage 1, model (derive): recognising a field's Rust type as a dialect-neutral column type.
//!
//! Types are recognised by their path's last segment (with or without a crate prefix), so the
//! derive does not depend on chrono, time, uuid, serde_json, rust_decimal or sqlx.

use syn::{GenericArgument, PathArguments, Type};

/// A recognised column type (the derive's mirror of `strata::model::ColumnType`, without the
/// attribute-driven variants `Varchar` and `Custom`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `i16`.
    SmallInt,
    /// `i32`.
    Integer,
    /// `i64`.
    BigInt,
    /// `f32`.
    Real,
    /// `f64`.
    Double,
    /// `bool`.
    Boolean,
    /// `String`.
    Text,
    /// `Vec<u8>`.
    Bytes,
    /// `chrono::NaiveDate`, `time::Date`.
    Date,
    /// `chrono::NaiveTime`, `time::Time`.
    Time,
    /// `chrono::NaiveDateTime`, `time::PrimitiveDateTime`.
    Timestamp,
    /// `chrono::DateTime<Utc | FixedOffset | Local>`, `time::OffsetDateTime`.
    TimestampTz,
    /// `uuid::Uuid`.
    Uuid,
    /// `serde_json::Value`, `JsonValue`, `sqlx::types::Json<T>`.
    Json,
    /// `rust_decimal::Decimal`, `bigdecimal::BigDecimal`.
    Decimal,
}

impl Ty {
    /// Whether this is one of the integer types (the ones that can autoincrement).
    pub fn is_integer(self) -> bool {
        matches!(self, Ty::SmallInt | Ty::Integer | Ty::BigInt)
    }
}

/// Strips invisible groups and parentheses that macro expansion may leave around a type.
fn peel(ty: &Type) -> &Type {
    match ty {
        Type::Group(g) => peel(&g.elem),
        Type::Paren(p) => peel(&p.elem),
        other => other,
    }
}

/// The last segment of a plain path type (no `<T as Trait>::` qualified self).
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match peel(ty) {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// The only generic type argument of `seg` (`T` in `Foo<T>`).
fn single_type_arg(seg: &syn::PathSegment) -> Option<&Type> {
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    });
    let first = types.next()?;
    types.next().is_none().then_some(first)
}

/// If `ty` is `Option<T>`, returns `T`.
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    if seg.ident != "Option" {
        return None;
    }
    single_type_arg(seg)
}

/// Splits `Option<T>` into `(T, true)` and any other type into `(ty, false)`.
/// `Option<Option<T>>` is an error: a column has one kind of NULL.
pub fn nullable(ty: &Type) -> Result<(&Type, bool), String> {
    match option_inner(ty) {
        Some(inner) if option_inner(inner).is_some() => Err(
            "`Option<Option<T>>` cannot be a column: a column is either NULL or a value; use \
             `Option<T>`"
                .to_owned(),
        ),
        Some(inner) => Ok((inner, true)),
        None => Ok((ty, false)),
    }
}

const HINT: &str = "add `#[model(sql_type = \"...\")]` to give its SQL type, or \
                    `#[model(skip)]` if the field is not a column";

/// Recognises a non-`Option` field type.
pub fn recognize(ty: &Type) -> Result<Ty, String> {
    let shown = type_name(ty);
    let unsupported = || format!("unsupported column type `{shown}`; {HINT}");
    let Some(seg) = last_segment(ty) else {
        return Err(match peel(ty) {
            Type::Reference(_) => format!(
                "a column cannot be a reference (`{shown}`); use an owned type such as \
                 `String` or `Vec<u8>`"
            ),
            _ => unsupported(),
        });
    };
    let name = seg.ident.to_string();
    let no_args = matches!(seg.arguments, PathArguments::None);
    let arg_last = single_type_arg(seg)
        .and_then(last_segment)
        .map(|s| s.ident.to_string());
    let recognized = match (name.as_str(), no_args) {
        ("i16", true) => Ty::SmallInt,
        ("i32", true) => Ty::Integer,
        ("i64", true) => Ty::BigInt,
        ("f32", true) => Ty::Real,
        ("f64", true) => Ty::Double,
        ("bool", true) => Ty::Boolean,
        ("String", true) => Ty::Text,
        ("Vec", false) if arg_last.as_deref() == Some("u8") => Ty::Bytes,
        ("NaiveDate" | "Date", true) => Ty::Date,
        ("NaiveTime" | "Time", true) => Ty::Time,
        ("NaiveDateTime" | "PrimitiveDateTime", true) => Ty::Timestamp,
        ("OffsetDateTime", true) => Ty::TimestampTz,
        ("DateTime", false)
            if matches!(arg_last.as_deref(), Some("Utc" | "FixedOffset" | "Local")) =>
        {
            Ty::TimestampTz
        }
        ("Uuid", true) => Ty::Uuid,
        ("JsonValue", true) => Ty::Json,
        ("Value", true) if is_serde_json_value(ty) => Ty::Json,
        ("Value", true) => {
            return Err(format!(
                "`{shown}` is ambiguous; for JSON write `serde_json::Value`, otherwise add \
                 `#[model(sql_type = \"...\")]`"
            ))
        }
        ("Json", false) if single_type_arg(seg).is_some() => Ty::Json,
        ("Decimal" | "BigDecimal", true) => Ty::Decimal,
        ("u8" | "u16" | "u32" | "u64" | "u128" | "usize", true) => {
            return Err(format!(
                "unsigned integers have no portable SQL type (`{shown}`); use `i64` (or \
                 `i32`/`i16` when the values fit), or add `#[model(sql_type = \"...\")]`"
            ))
        }
        ("i8", true) => {
            return Err("`i8` has no portable SQL type; use `i16`, or add \
                 `#[model(sql_type = \"...\")]`"
                .to_owned())
        }
        ("i128" | "isize", true) => {
            return Err(format!(
                "`{shown}` has no portable SQL type; use `i64`, or add \
                 `#[model(sql_type = \"...\")]`"
            ))
        }
        ("str", true) => {
            return Err("a column cannot be `str`; use `String`".to_owned());
        }
        _ => return Err(unsupported()),
    };
    Ok(recognized)
}

/// Names [`recognize`] refuses with their own advice (an unsigned integer, a bare `Value`):
/// never left to a `strata::Enum` impl.
const OWN_ADVICE: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i128", "isize", "str", "Value",
];

/// Whether `ty` is a plain path without generic arguments (`Mood`, `crate::kinds::Mood`) that
/// [`recognize`] has no advice for: a type of the user's own, left to its `strata::Enum`
/// impl (a compile error on the field's type when it has none).
pub fn is_plain_path(ty: &Type) -> bool {
    match peel(ty) {
        Type::Path(p) => {
            p.qself.is_none()
                && p.path
                    .segments
                    .iter()
                    .all(|s| matches!(s.arguments, PathArguments::None))
                && p.path
                    .segments
                    .last()
                    .is_some_and(|s| !OWN_ADVICE.iter().any(|n| s.ident == n))
        }
        _ => false,
    }
}

/// Whether `ty` is spelled `serde_json::Value` (optionally `::serde_json::Value`).
fn is_serde_json_value(ty: &Type) -> bool {
    let Type::Path(p) = peel(ty) else {
        return false;
    };
    let segs: Vec<String> = p
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segs.len() >= 2 && segs[segs.len() - 2] == "serde_json"
}

/// The type as the user wrote it, for messages (`Option < i32 >` becomes `Option<i32>`).
pub fn type_name(ty: &Type) -> String {
    let text = quote::ToTokens::to_token_stream(ty).to_string();
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == ' ' {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let keep = match (prev, next) {
                (Some(p), Some(n)) => {
                    (p.is_alphanumeric() || p == '_') && (n.is_alphanumeric() || n == '_')
                        || p == ','
                }
                _ => false,
            };
            if !keep {
                continue;
            }
        }
        out.push(*c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn rec(ty: Type) -> Result<Ty, String> {
        recognize(&ty)
    }

    #[test]
    fn primitives_and_std() {
        assert_eq!(rec(parse_quote!(i16)), Ok(Ty::SmallInt));
        assert_eq!(rec(parse_quote!(i32)), Ok(Ty::Integer));
        assert_eq!(rec(parse_quote!(i64)), Ok(Ty::BigInt));
        assert_eq!(rec(parse_quote!(f32)), Ok(Ty::Real));
        assert_eq!(rec(parse_quote!(f64)), Ok(Ty::Double));
        assert_eq!(rec(parse_quote!(bool)), Ok(Ty::Boolean));
        assert_eq!(rec(parse_quote!(String)), Ok(Ty::Text));
        assert_eq!(rec(parse_quote!(std::string::String)), Ok(Ty::Text));
        assert_eq!(rec(parse_quote!(Vec<u8>)), Ok(Ty::Bytes));
        assert_eq!(rec(parse_quote!(::std::vec::Vec<u8>)), Ok(Ty::Bytes));
    }

    #[test]
    fn third_party_paths_with_and_without_prefix() {
        assert_eq!(rec(parse_quote!(chrono::NaiveDate)), Ok(Ty::Date));
        assert_eq!(rec(parse_quote!(NaiveTime)), Ok(Ty::Time));
        assert_eq!(
            rec(parse_quote!(::chrono::NaiveDateTime)),
            Ok(Ty::Timestamp)
        );
        assert_eq!(
            rec(parse_quote!(chrono::DateTime<chrono::Utc>)),
            Ok(Ty::TimestampTz)
        );
        assert_eq!(
            rec(parse_quote!(DateTime<FixedOffset>)),
            Ok(Ty::TimestampTz)
        );
        assert_eq!(rec(parse_quote!(DateTime<Local>)), Ok(Ty::TimestampTz));
        assert_eq!(rec(parse_quote!(time::Date)), Ok(Ty::Date));
        assert_eq!(rec(parse_quote!(time::Time)), Ok(Ty::Time));
        assert_eq!(
            rec(parse_quote!(time::PrimitiveDateTime)),
            Ok(Ty::Timestamp)
        );
        assert_eq!(rec(parse_quote!(OffsetDateTime)), Ok(Ty::TimestampTz));
        assert_eq!(rec(parse_quote!(uuid::Uuid)), Ok(Ty::Uuid));
        assert_eq!(rec(parse_quote!(serde_json::Value)), Ok(Ty::Json));
        assert_eq!(rec(parse_quote!(::serde_json::Value)), Ok(Ty::Json));
        assert_eq!(rec(parse_quote!(JsonValue)), Ok(Ty::Json));
        assert_eq!(
            rec(parse_quote!(sqlx::types::Json<Vec<String>>)),
            Ok(Ty::Json)
        );
        assert_eq!(rec(parse_quote!(rust_decimal::Decimal)), Ok(Ty::Decimal));
        assert_eq!(rec(parse_quote!(Decimal)), Ok(Ty::Decimal));
    }

    #[test]
    fn unsupported_types_say_what_to_do() {
        let err = rec(parse_quote!(HashMap<String, i32>)).expect_err("unsupported");
        assert!(err.contains("`HashMap<String, i32>`"), "{err}");
        assert!(err.contains("sql_type"), "{err}");
        let err = rec(parse_quote!(u32)).expect_err("unsigned");
        assert!(err.contains("i64") && err.contains("sql_type"), "{err}");
        let err = rec(parse_quote!(Value)).expect_err("ambiguous");
        assert!(err.contains("serde_json::Value"), "{err}");
        assert!(rec(parse_quote!(DateTime<Tz>)).is_err());
        assert!(rec(parse_quote!(Vec<i32>)).is_err());
        assert!(rec(parse_quote!(&'static str)).is_err());
        assert!(rec(parse_quote!(<T as Trait>::Assoc)).is_err());
    }

    #[test]
    fn own_types_are_left_to_their_enum_impl() {
        assert!(is_plain_path(&parse_quote!(Mood)));
        assert!(is_plain_path(&parse_quote!(crate::kinds::Mood)));
        assert!(!is_plain_path(&parse_quote!(u32)));
        assert!(!is_plain_path(&parse_quote!(Value)));
        assert!(!is_plain_path(&parse_quote!(Vec<String>)));
        assert!(!is_plain_path(&parse_quote!(&'static str)));
    }

    #[test]
    fn option_makes_nullable_once() {
        let ty: Type = parse_quote!(Option<i32>);
        let (inner, is_null) = nullable(&ty).expect("ok");
        assert!(is_null);
        assert_eq!(recognize(inner), Ok(Ty::Integer));
        let ty: Type = parse_quote!(std::option::Option<String>);
        assert!(nullable(&ty).expect("ok").1);
        let ty: Type = parse_quote!(i32);
        assert!(!nullable(&ty).expect("ok").1);
        let ty: Type = parse_quote!(Option<Option<i32>>);
        assert!(nullable(&ty).is_err());
    }

    #[test]
    fn type_names_read_like_source() {
        assert_eq!(type_name(&parse_quote!(Option<i32>)), "Option<i32>");
        assert_eq!(
            type_name(&parse_quote!(std::collections::HashMap<String, i32>)),
            "std::collections::HashMap<String, i32>"
        );
        assert_eq!(type_name(&parse_quote!(&'static str)), "&'static str");
    }
}
