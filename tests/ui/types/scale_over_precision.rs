use strata::Model;

mod rust_decimal {
    pub struct Decimal;
}

#[derive(Model)]
pub struct Item {
    #[model(primary_key)]
    pub id: i32,
    #[model(precision = 4, scale = 6)]
    pub price: rust_decimal::Decimal,
}

fn main() {}
