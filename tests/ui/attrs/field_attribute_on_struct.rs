use strata::Model;

#[derive(Model)]
#[model(primary_key)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
}

fn main() {}
