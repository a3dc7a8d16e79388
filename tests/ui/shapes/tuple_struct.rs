use strata::Model;

#[derive(Model)]
pub struct UserId(i32);

fn main() {}
