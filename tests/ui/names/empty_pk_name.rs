use strata::Model;

#[derive(Model)]
#[model(pk_name = "")]
pub struct Post {
    #[model(primary_key)]
    pub id: i32,
}

fn main() {}
