use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    pub nickname: Option<Option<String>>,
}

fn main() {}
