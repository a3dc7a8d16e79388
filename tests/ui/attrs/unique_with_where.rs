use strata::Model;

#[derive(Model)]
#[model(unique(columns("name"), where = "deleted = 0"))]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    pub name: String,
    pub deleted: bool,
}

fn main() {}
