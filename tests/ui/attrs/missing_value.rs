use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(column)]
    pub name: String,
}

fn main() {}
