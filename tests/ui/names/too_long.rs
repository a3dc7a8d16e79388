use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(column = "a_column_name_that_is_far_too_long_for_postgres_to_keep_it_whole")]
    pub name: String,
}

fn main() {}
