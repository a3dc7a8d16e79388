#[derive(strata::Enum)]
pub enum Never {}

fn main() {}
