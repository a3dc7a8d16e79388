use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    pub tags: std::collections::HashMap<String, String>,
}

fn main() {}
