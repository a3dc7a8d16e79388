// `#[derive(strata::Enum)]` makes a fieldless enum a column type: values in snake_case or
// renamed, the type named after the enum or by `enum_name`.
use strata::model::ColumnType;
use strata::{Enum, Model};

#[derive(Enum)]
pub enum Mood {
    Happy,
    #[model(rename = "so-so")]
    SoSo,
    VeryUpset,
}

#[derive(strata::Enum)]
#[model(enum_name = "ticket_state")]
pub enum State {
    Open,
    Closed,
}

mod kinds {
    #[derive(strata::Enum)]
    pub enum Kind {
        A,
    }
}

#[derive(Model)]
pub struct Ticket {
    #[model(primary_key)]
    pub id: i32,
    #[model(default = "happy")]
    pub mood: Mood,
    pub state: Option<State>,
    pub kind: kinds::Kind,
}

const _: () = assert!(matches!(Ticket::TABLE.columns[1].ty, ColumnType::Enum(_)));
const _: () = assert!(Ticket::TABLE.columns[2].nullable);

fn main() {
    assert_eq!(<Mood as Enum>::ENUM.name, "mood");
    assert_eq!(<Mood as Enum>::ENUM.values, ["happy", "so-so", "very_upset"]);
    assert_eq!(<State as Enum>::ENUM.name, "ticket_state");
    assert!(<kinds::Kind as Enum>::ENUM.rust_path.ends_with("::kinds::Kind"));
    let ColumnType::Enum(def) = Ticket::TABLE.columns[3].ty else {
        panic!("not an enum column");
    };
    assert_eq!(def.values, ["a"]);
}
