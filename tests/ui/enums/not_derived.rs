use strata::Model;

pub enum Mood {
    Happy,
}

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    pub mood: Mood,
}

fn main() {}
