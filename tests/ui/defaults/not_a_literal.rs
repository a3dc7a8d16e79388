use strata::Model;

const ZERO: i32 = 0;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(default = ZERO)]
    pub score: i32,
}

fn main() {}
