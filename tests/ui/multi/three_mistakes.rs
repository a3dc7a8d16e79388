use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primay_key)]
    pub id: i32,
    #[model(max_length = 80)]
    pub age: i32,
    pub tags: Vec<String>,
}

fn main() {}
