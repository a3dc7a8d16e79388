use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: u32,
}

fn main() {}
