use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key, nullable)]
    pub id: i32,
}

fn main() {}
