use strata::Model;

#[derive(Model)]
pub enum Status {
    Active,
    Banned,
}

fn main() {}
