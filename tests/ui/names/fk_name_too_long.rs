use strata::Model;

#[derive(Model)]
pub struct Post {
    #[model(primary_key)]
    pub id: i32,
    #[model(
        references = "users",
        fk_name = "a_name_that_is_far_too_long_for_any_of_the_three_databases_we_run"
    )]
    pub user_id: i32,
}

fn main() {}
