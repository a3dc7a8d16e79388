use strata::Model;

#[derive(Model)]
pub struct Membership {
    #[model(primary_key, autoincrement = true)]
    pub user_id: i32,
    #[model(primary_key)]
    pub group_id: i32,
}

fn main() {}
