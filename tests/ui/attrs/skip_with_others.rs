use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(skip, max_length = 10)]
    pub cache: String,
}

fn main() {}
