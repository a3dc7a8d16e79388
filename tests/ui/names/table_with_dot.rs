use strata::Model;

#[derive(Model)]
#[model(table = "audit.events")]
pub struct Event {
    #[model(primary_key)]
    pub id: i64,
}

fn main() {}
