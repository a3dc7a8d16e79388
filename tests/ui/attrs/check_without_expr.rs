use strata::Model;

#[derive(Model)]
#[model(check(name = "positive"))]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
}

fn main() {}
