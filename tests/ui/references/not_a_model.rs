use strata::Model;

/// A plain struct: no `#[derive(Model)]`.
pub struct User {
    pub id: i32,
}

#[derive(Model)]
pub struct Post {
    #[model(primary_key)]
    pub id: i32,
    #[model(references = User::id)]
    pub user_id: i32,
}

fn main() {}
