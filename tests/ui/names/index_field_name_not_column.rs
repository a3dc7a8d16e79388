use strata::Model;

#[derive(Model)]
#[model(unique(columns("email_address")))]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(column = "mail")]
    pub email_address: String,
}

fn main() {}
