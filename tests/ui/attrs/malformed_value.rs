use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(max_length = "80")]
    pub name: String,
}

fn main() {}
