use strata::Model;

// The one mistake: a misspelled attribute on the referenced model. The typed reference to it
// adds no error of its own.
#[derive(Model)]
#[model(table = "users")]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(uniqe)]
    pub email: String,
}

#[derive(Model)]
pub struct Post {
    #[model(primary_key)]
    pub id: i32,
    #[model(references = User::email)]
    pub author_email: String,
}

fn main() {}
