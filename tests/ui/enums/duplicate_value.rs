#[derive(strata::Enum)]
pub enum Mood {
    Happy,
    #[model(rename = "happy")]
    Glad,
}

fn main() {}
