use strata::Model;

#[derive(Model)]
#[model(tabel = "users")]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
}

fn main() {}
