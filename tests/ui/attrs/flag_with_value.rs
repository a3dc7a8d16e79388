use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key = true)]
    pub id: i32,
}

fn main() {}
