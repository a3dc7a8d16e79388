use strata::Model;

#[derive(Model)]
pub struct Post {
    #[model(primary_key)]
    pub id: i32,
    #[model(on_delete = "cascade")]
    pub user_id: i32,
}

fn main() {}
