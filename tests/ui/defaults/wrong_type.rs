use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(default = "zero")]
    pub score: i32,
}

fn main() {}
