use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: Option<i32>,
}

fn main() {}
