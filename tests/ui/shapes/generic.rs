use strata::Model;

#[derive(Model)]
pub struct Wrapper<T> {
    #[model(primary_key)]
    pub id: i32,
    pub value: T,
}

fn main() {}
