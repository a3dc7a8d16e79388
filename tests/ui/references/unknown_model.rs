use strata::Model;

#[derive(Model)]
#[model(table = "users")]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
}

#[derive(Model)]
pub struct Post {
    #[model(primary_key)]
    pub id: i32,
    #[model(references = Usr::id)]
    pub user_id: i32,
}

fn main() {}
