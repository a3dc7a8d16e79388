use strata::Model;

#[derive(Model)]
pub struct Item {
    #[model(primary_key)]
    pub id: i32,
    #[model(precision = 10, scale = 2)]
    pub price: f64,
}

fn main() {}
