use strata::Model;

#[derive(Model)]
#[model(schema = "")]
pub struct Event {
    #[model(primary_key)]
    pub id: i64,
}

fn main() {}
