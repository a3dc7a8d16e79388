use strata::Model;

#[derive(Model)]
pub struct Post {
    #[model(primary_key)]
    pub id: i32,
    #[model(fk_name = "posts_user_id_fkey")]
    pub user_id: i32,
}

fn main() {}
