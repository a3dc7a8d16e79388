use strata::Model;

#[derive(strata::Enum)]
pub enum Mood {
    Happy,
}

#[derive(Model)]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(max_length = 10)]
    pub mood: Mood,
}

fn main() {}
