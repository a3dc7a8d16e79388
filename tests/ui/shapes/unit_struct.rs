use strata::Model;

#[derive(Model)]
pub struct Marker;

fn main() {}
