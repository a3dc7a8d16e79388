use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(autoincrement = true)]
    pub counter: i64,
}

fn main() {}
