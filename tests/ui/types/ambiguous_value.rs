use strata::Model;

use serde_json::Value;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    pub data: Value,
}

fn main() {}
