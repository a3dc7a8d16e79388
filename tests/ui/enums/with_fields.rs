#[derive(strata::Enum)]
pub enum Shape {
    Point,
    Circle { radius: f64 },
}

fn main() {}
