use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(max_length = 120)]
    pub email: String,
}

// `email` is not unique, so this must fail to compile.
const _: () = assert!(User::TABLE.column("email").unwrap().unique);

fn main() {}
