use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key, autoincrement = true)]
    pub id: String,
}

fn main() {}
