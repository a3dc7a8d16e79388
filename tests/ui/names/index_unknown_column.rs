use strata::Model;

#[derive(Model)]
#[model(index(columns("nmae")))]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    pub name: String,
}

fn main() {}
