// Every attribute, on the struct and on fields.
use strata::model::{ColumnType, DefaultValue, ReferentialAction as A};
use strata::Model;

#[derive(Model)]
#[model(
    table = "order_lines",
    renamed_from = "order_items",
    pk_name = "order_lines_pkey",
    index(columns("order_id", "position"), name = "ix_lines_order_pos", unique),
    index(columns("sku")),
    unique(columns("order_id", "sku"), name = "uq_lines_order_sku"),
    unique(columns("position", "sku")),
    check(name = "positive_qty", expr = "qty > 0"),
    check(name = "sane_price", expr = "price >= 0")
)]
#[model(check(name = "third", expr = "qty < 1000"))]
pub struct OrderLine {
    #[model(primary_key)]
    pub order_id: i64,
    #[model(primary_key)]
    pub position: i32,
    #[model(column = "sku", max_length = 32, renamed_from = "item_code")]
    pub item: String,
    #[model(default = 1)]
    pub qty: i32,
    #[model(default = -5)]
    pub adjust: i64,
    #[model(default = 2.5)]
    pub weight: f64,
    #[model(default = -0.5)]
    pub delta: f32,
    #[model(default = true)]
    pub taxable: bool,
    #[model(default = "new")]
    pub status: String,
    #[model(default_sql = "CURRENT_TIMESTAMP")]
    pub created_at: chrono::NaiveDateTime,
    #[model(unique)]
    #[model(index)]
    pub barcode: Option<String>,
    #[model(references = "products")]
    pub product_id: i64,
    #[model(
        references = "warehouses.code",
        on_delete = "set_null",
        on_update = "cascade",
        fk_name = "order_lines_warehouse_fkey"
    )]
    pub warehouse: Option<String>,
    #[model(references = "a.b", on_delete = "set_default", on_update = "restrict")]
    pub a: i32,
    #[model(references = "c.d", on_delete = "no_action", on_update = "no_action")]
    pub c: i32,
    #[model(sql_type = "numeric(12, 4)")]
    pub price: f64,
    #[model(skip)]
    pub cached: std::collections::HashMap<String, String>,
}

/// A table in a PostgreSQL schema of its own, referenced by schema, table and column.
#[derive(Model)]
#[model(schema = "audit", table = "events")]
pub struct Event {
    #[model(primary_key)]
    pub id: i64,
    #[model(references = "audit.events.id")]
    pub parent_id: Option<i64>,
    #[model(references = Event::id)]
    pub cause_id: Option<i64>,
}

#[derive(Model)]
pub struct Counter {
    #[model(primary_key, autoincrement = false)]
    pub id: i64,
}

#[derive(Model)]
pub struct Ticket {
    #[model(primary_key, autoincrement = true)]
    pub id: i32,
    pub r#type: String,
}

#[derive(Model)]
pub struct Keyed {
    #[model(primary_key)]
    pub code: String,
}

const T: &strata::model::TableDef = OrderLine::TABLE;
const _: () = assert!(T.primary_key_len() == 2);
const _: () = assert!(!T.column("order_id").unwrap().autoincrement);
const _: () = assert!(!T.has_column("item"));
const _: () = assert!(!T.has_column("cached"));
const _: () = assert!(T.column("sku").unwrap().is_type(ColumnType::Varchar(32)));
const _: () = assert!(matches!(T.column("qty").unwrap().default, Some(DefaultValue::Int(1))));
const _: () = assert!(matches!(T.column("adjust").unwrap().default, Some(DefaultValue::Int(-5))));
const _: () = assert!(matches!(T.column("taxable").unwrap().default, Some(DefaultValue::Bool(true))));
const _: () = assert!(matches!(T.column("status").unwrap().default, Some(DefaultValue::Str(_))));
const _: () = assert!(matches!(T.column("created_at").unwrap().default, Some(DefaultValue::Sql(_))));
const _: () = assert!(T.column("barcode").unwrap().unique && T.column("barcode").unwrap().index);
const _: () = assert!(matches!(
    T.column("product_id").unwrap().references,
    Some(strata::model::ForeignKeyDef { column: None, .. })
));
const _: () = assert!(matches!(
    T.column("warehouse").unwrap().references,
    Some(strata::model::ForeignKeyDef { on_delete: A::SetNull, on_update: A::Cascade, column: Some(_), .. })
));
const _: () = assert!(matches!(
    T.column("a").unwrap().references,
    Some(strata::model::ForeignKeyDef { on_delete: A::SetDefault, on_update: A::Restrict, .. })
));
const _: () = assert!(T.has_index(&["order_id", "position"]));
const _: () = assert!(T.indexes[0].unique && !T.indexes[1].unique);
const _: () = assert!(T.uniques.len() == 2 && T.checks.len() == 3);
const _: () = assert!(!Counter::TABLE.column("id").unwrap().autoincrement);
const _: () = assert!(Ticket::TABLE.column("id").unwrap().autoincrement);
const _: () = assert!(Ticket::TABLE.has_column("type"));
const _: () = assert!(!Keyed::TABLE.column("code").unwrap().autoincrement);

fn main() {
    assert_eq!(T.renamed_from, Some("order_items"));
    assert_eq!(T.column("sku").unwrap().renamed_from, Some("item_code"));
    assert_eq!(T.column("weight").unwrap().default, Some(DefaultValue::Float(2.5)));
    assert_eq!(T.column("delta").unwrap().default, Some(DefaultValue::Float(-0.5)));
    assert_eq!(T.checks[2].expr, "qty < 1000");
    assert_eq!(T.indexes[0].name, Some("ix_lines_order_pos"));
    assert_eq!(Counter::TABLE.name, "counter");
    assert_eq!(T.primary_key_name, Some("order_lines_pkey"));
    assert_eq!(Counter::TABLE.primary_key_name, None);
    assert_eq!(
        T.column("warehouse").unwrap().references.unwrap().name,
        Some("order_lines_warehouse_fkey")
    );
    assert_eq!(T.column("product_id").unwrap().references.unwrap().name, None);
    assert_eq!(T.schema, None);
    assert_eq!((Event::TABLE.schema, Event::TABLE.name), (Some("audit"), "events"));
    assert_eq!(Event::TABLE.key(), "audit.events");
    assert_eq!(<Event as strata::model::Model>::TABLE_NAME, "audit.events");
    let parent = Event::TABLE.column("parent_id").unwrap().references.unwrap();
    assert_eq!((parent.table, parent.column), ("audit.events", Some("id")));
    let cause = Event::TABLE.column("cause_id").unwrap().references.unwrap();
    assert_eq!((cause.table, cause.column), ("audit.events", Some("id")));
}
