use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    pub email: String,
    #[model(column = "email")]
    pub email_address: String,
}

fn main() {}
