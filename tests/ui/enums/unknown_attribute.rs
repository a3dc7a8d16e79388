#[derive(strata::Enum)]
pub enum Mood {
    #[model(renam = "glad")]
    Happy,
}

fn main() {}
