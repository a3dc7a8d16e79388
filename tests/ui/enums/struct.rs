#[derive(strata::Enum)]
pub struct Mood {
    pub happy: bool,
}

fn main() {}
