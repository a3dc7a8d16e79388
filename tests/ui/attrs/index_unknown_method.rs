use strata::Model;

#[derive(Model)]
#[model(index(columns("name"), using = "gni"))]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    pub name: String,
    pub deleted: bool,
}

fn main() {}
