use strata::Model;

#[derive(Model)]
pub struct Post {
    #[model(primary_key)]
    pub id: i32,
    #[model(references = "db.public.users.id")]
    pub user_id: i32,
}

fn main() {}
