use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primay_key)]
    pub id: i32,
}

fn main() {}
