use strata::Model;

// A mistake in the derive must not add errors where the model is used.
#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(max_length = "80")]
    pub name: String,
}

const _: &strata::model::TableDef = User::TABLE;

pub fn name() -> &'static str {
    User::TABLE.name
}

fn main() {}
