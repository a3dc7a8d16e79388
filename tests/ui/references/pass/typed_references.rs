//! Typed references: to another module's model, between two models that reference each other,
//! to the model itself (`Self` and its own name), to a renamed column, with actions.

use strata::model::ReferentialAction as A;
use strata::schema::Schema;
use strata::Model;

mod accounts {
    use strata::Model;

    #[derive(Model)]
    #[model(table = "people")]
    pub struct User {
        #[model(primary_key, column = "person_id")]
        pub id: i64,
        #[model(unique, max_length = 80)]
        pub handle: String,
        // Team references User too: no cycle.
        #[model(references = crate::Team::id)]
        pub team_id: Option<i32>,
        #[model(skip)]
        pub cache: Vec<u8>,
    }
}

use accounts::User;

#[derive(Model)]
#[model(table = "teams")]
pub struct Team {
    #[model(primary_key)]
    pub id: i32,
    #[model(references = User::id, on_delete = "cascade", on_update = "restrict")]
    pub owner_id: i64,
    #[model(references = accounts::User::handle)]
    pub owner_handle: Option<String>,
    #[model(references = Self::id, on_delete = "set_null")]
    pub parent_id: Option<i32>,
    #[model(column = "root", references = Team::id)]
    pub r#root_id: i32,
}

// Resolved at compile time: usable in `const` context.
const OWNER: strata::model::ForeignKeyDef = match Team::TABLE.columns[1].references {
    Some(fk) => fk,
    None => panic!("owner_id has a foreign key"),
};
const _: () = assert!(matches!(OWNER.on_delete, A::Cascade));

fn main() {
    let fk = |t: &strata::model::TableDef, col: &str| {
        let c = t.columns.iter().find(|c| c.name == col).expect("column");
        let fk = c.references.expect("a foreign key");
        (fk.table, fk.column, fk.on_delete, fk.on_update)
    };
    assert_eq!(
        fk(Team::TABLE, "owner_id"),
        ("people", Some("person_id"), A::Cascade, A::Restrict)
    );
    assert_eq!(
        fk(Team::TABLE, "owner_handle"),
        ("people", Some("handle"), A::NoAction, A::NoAction)
    );
    assert_eq!(
        fk(Team::TABLE, "parent_id"),
        ("teams", Some("id"), A::SetNull, A::NoAction)
    );
    assert_eq!(fk(Team::TABLE, "root"), ("teams", Some("id"), A::NoAction, A::NoAction));
    assert_eq!(fk(User::TABLE, "team_id"), ("teams", Some("id"), A::NoAction, A::NoAction));
    assert_eq!(<User as Model>::TABLE_NAME, "people");
    assert_eq!(
        <User as Model>::FIELD_COLUMNS,
        &[("id", "person_id"), ("handle", "handle"), ("team_id", "team_id")]
    );

    let schema = Schema::from_models([User::TABLE, Team::TABLE]).expect("valid models");
    let teams = schema.table("teams").expect("teams");
    let owner = teams
        .foreign_keys
        .iter()
        .find(|f| f.columns == ["owner_id"])
        .expect("owner_id's foreign key");
    assert_eq!(owner.ref_table, "people");
    assert_eq!(owner.ref_columns, ["person_id"]);
    assert_eq!(owner.on_delete, A::Cascade);
    assert_eq!(owner.on_update, A::Restrict);
    let people = schema.table("people").expect("people");
    assert_eq!(people.foreign_keys[0].ref_table, "teams");
}
