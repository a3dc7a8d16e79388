use strata::Model;

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
}

// There is no `email` column: `unwrap` on `None` fails at compile time.
const _: () = assert!(User::TABLE.column("email").unwrap().unique);

fn main() {}
