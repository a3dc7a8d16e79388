use strata::Model;

#[derive(Model)]
#[model(table = "")]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
}

fn main() {}
