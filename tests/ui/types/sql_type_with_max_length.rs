use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(sql_type = "citext", max_length = 10)]
    pub name: String,
}

fn main() {}
