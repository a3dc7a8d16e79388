// Every recognised type, with and without crate prefixes, nullable and not.
use strata::model::ColumnType as T;
use strata::Model;

// Stand-ins for crates the derive recognises by path only (it depends on none of them).
mod time {
    pub struct Date;
    pub struct Time;
    pub struct PrimitiveDateTime;
    pub struct OffsetDateTime;
}
mod uuid {
    pub struct Uuid;
}
mod rust_decimal {
    pub struct Decimal;
}
mod bigdecimal {
    pub struct BigDecimal;
}
mod types {
    pub struct Json<T>(pub T);
    pub type JsonValue = serde_json::Value;
}
use types::JsonValue;

#[derive(Model)]
pub struct EveryType {
    #[model(primary_key)]
    pub small: i16,
    pub int: i32,
    pub big: i64,
    pub real: f32,
    pub double: f64,
    pub flag: bool,
    pub text: String,
    pub qualified_text: std::string::String,
    #[model(max_length = 10)]
    pub short: String,
    pub bytes: Vec<u8>,
    pub c_date: chrono::NaiveDate,
    pub c_time: chrono::NaiveTime,
    pub c_ts: chrono::NaiveDateTime,
    pub c_utc: chrono::DateTime<chrono::Utc>,
    pub c_fixed: chrono::DateTime<chrono::FixedOffset>,
    pub c_local: chrono::DateTime<chrono::Local>,
    pub t_date: time::Date,
    pub t_time: time::Time,
    pub t_ts: time::PrimitiveDateTime,
    pub t_tz: time::OffsetDateTime,
    pub id: uuid::Uuid,
    pub doc: serde_json::Value,
    pub doc2: JsonValue,
    pub doc3: types::Json<Vec<String>>,
    pub money: rust_decimal::Decimal,
    #[model(precision = 10, scale = 2)]
    pub price: rust_decimal::Decimal,
    #[model(precision = 5)]
    pub big_money: bigdecimal::BigDecimal,
    #[model(sql_type = "citext")]
    pub custom: Vec<String>,
    #[model(sql_type = "integer")]
    pub unsigned: Option<u32>,
    pub maybe: Option<i32>,
    pub maybe_text: std::option::Option<String>,
    pub maybe_ts: Option<chrono::NaiveDateTime>,
}

macro_rules! ty {
    ($col:literal, $ty:expr) => {
        const _: () = assert!(EveryType::TABLE.column($col).unwrap().is_type($ty));
    };
}
ty!("small", T::SmallInt);
ty!("int", T::Integer);
ty!("big", T::BigInt);
ty!("real", T::Real);
ty!("double", T::Double);
ty!("flag", T::Boolean);
ty!("text", T::Text);
ty!("qualified_text", T::Text);
ty!("short", T::Varchar(10));
ty!("bytes", T::Bytes);
ty!("c_date", T::Date);
ty!("c_time", T::Time);
ty!("c_ts", T::Timestamp);
ty!("c_utc", T::TimestampTz);
ty!("c_fixed", T::TimestampTz);
ty!("c_local", T::TimestampTz);
ty!("t_date", T::Date);
ty!("t_time", T::Time);
ty!("t_ts", T::Timestamp);
ty!("t_tz", T::TimestampTz);
ty!("id", T::Uuid);
ty!("doc", T::Json);
ty!("doc2", T::Json);
ty!("doc3", T::Json);
ty!("money", T::Decimal { precision: None, scale: None });
ty!("price", T::Decimal { precision: Some(10), scale: Some(2) });
ty!("big_money", T::Decimal { precision: Some(5), scale: None });
ty!("custom", T::Custom("citext"));
ty!("unsigned", T::Custom("integer"));
ty!("maybe", T::Integer);
ty!("maybe_text", T::Text);
ty!("maybe_ts", T::Timestamp);

const _: () = assert!(EveryType::TABLE.column("maybe").unwrap().nullable);
const _: () = assert!(EveryType::TABLE.column("unsigned").unwrap().nullable);
const _: () = assert!(EveryType::TABLE.column("maybe_ts").unwrap().nullable);
const _: () = assert!(!EveryType::TABLE.column("int").unwrap().nullable);
// A smallint single-column key autoincrements.
const _: () = assert!(EveryType::TABLE.column("small").unwrap().autoincrement);
// The default table name is the struct name in snake_case.
const _: () = assert!(EveryType::TABLE.columns.len() == 32);

fn main() {
    assert_eq!(EveryType::TABLE.name, "every_type");
}
