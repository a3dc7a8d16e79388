use strata::Model;

#[derive(Model)]
pub struct Post {
    #[model(primary_key)]
    pub id: i32,
    #[model(references = "users.id", on_delete = "set_null")]
    pub user_id: i32,
}

fn main() {}
