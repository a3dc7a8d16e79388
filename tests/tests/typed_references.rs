//! Stage 1, model: typed references (`references = User::id`) resolve to the referenced
//! model's table name and its field's column name, at compile time, and build the same
//! foreign keys in the [`Schema`] as the string form.

// The structs exist only for their metadata.
#![allow(missing_docs, dead_code)]

use strata::model::{ForeignKeyDef, ReferentialAction, TableDef};
use strata::schema::{ForeignKey, Schema};
use strata::Model;

mod people {
    use strata::Model;

    #[derive(Model)]
    #[model(table = "zz_members")]
    pub struct Member {
        #[model(primary_key, column = "member_no")]
        pub id: i64,
        #[model(column = "mail", max_length = 120, unique)]
        pub email: String,
        // `Club` references `Member` too.
        #[model(references = crate::Club::id, on_delete = "set_null")]
        pub club_id: Option<i32>,
    }
}

use people::Member;

#[derive(Model)]
#[model(table = "zz_clubs")]
pub struct Club {
    #[model(primary_key)]
    pub id: i32,
    #[model(references = Member::id, on_delete = "cascade", on_update = "restrict")]
    pub founder: i64,
    #[model(column = "contact", references = people::Member::email)]
    pub contact_email: Option<String>,
    #[model(references = Self::id)]
    pub parent_id: Option<i32>,
}

/// The same foreign key written with strings.
#[derive(Model)]
#[model(table = "zz_clubs_by_name")]
pub struct ClubByName {
    #[model(primary_key)]
    pub id: i32,
    #[model(
        references = "zz_members.member_no",
        on_delete = "cascade",
        on_update = "restrict"
    )]
    pub founder: i64,
}

fn fk_of(table: &TableDef, column: &str) -> ForeignKeyDef {
    table
        .columns
        .iter()
        .find(|c| c.name == column)
        .and_then(|c| c.references)
        .unwrap_or_else(|| panic!("{}.{column} has a foreign key", table.name))
}

#[test]
fn typed_references_carry_the_referenced_table_and_column_names() {
    assert_eq!(
        fk_of(Club::TABLE, "founder"),
        ForeignKeyDef {
            table: "zz_members",
            column: Some("member_no"),
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::Restrict,
            name: None,
        }
    );
    assert_eq!(
        fk_of(Club::TABLE, "contact"),
        ForeignKeyDef {
            table: "zz_members",
            column: Some("mail"),
            on_delete: ReferentialAction::NoAction,
            on_update: ReferentialAction::NoAction,
            name: None,
        }
    );
    assert_eq!(fk_of(Club::TABLE, "parent_id").table, "zz_clubs");
    assert_eq!(fk_of(Club::TABLE, "parent_id").column, Some("id"));
    assert_eq!(fk_of(Member::TABLE, "club_id").table, "zz_clubs");
    assert_eq!(
        fk_of(Member::TABLE, "club_id").on_delete,
        ReferentialAction::SetNull
    );
    // The string form gives the same definition.
    assert_eq!(
        fk_of(Club::TABLE, "founder"),
        fk_of(ClubByName::TABLE, "founder")
    );
    assert_eq!(<Member as Model>::TABLE_NAME, Member::TABLE.name);
    assert_eq!(
        <Member as Model>::FIELD_COLUMNS,
        [
            ("id", "member_no"),
            ("email", "mail"),
            ("club_id", "club_id")
        ]
    );
}

#[test]
fn the_schema_has_the_typed_foreign_keys() {
    let schema =
        Schema::from_models([Member::TABLE, Club::TABLE, ClubByName::TABLE]).expect("schema");
    let fks = |t: &str| -> Vec<ForeignKey> { schema.tables[t].foreign_keys.clone() };
    let clubs = fks("zz_clubs");
    let founder = clubs
        .iter()
        .find(|f| f.columns == ["founder"])
        .expect("founder");
    assert_eq!(founder.ref_table, "zz_members");
    assert_eq!(founder.ref_columns, ["member_no"]);
    assert_eq!(founder.on_delete, ReferentialAction::Cascade);
    assert_eq!(founder.on_update, ReferentialAction::Restrict);
    assert_eq!(founder.name, "fk_zz_clubs_founder_zz_members");
    let contact = clubs
        .iter()
        .find(|f| f.columns == ["contact"])
        .expect("contact");
    assert_eq!(
        (contact.ref_table.as_str(), contact.ref_columns.as_slice()),
        ("zz_members", ["mail".to_string()].as_slice())
    );
    let parent = clubs
        .iter()
        .find(|f| f.columns == ["parent_id"])
        .expect("parent_id");
    assert_eq!(
        (parent.ref_table.as_str(), parent.ref_columns.as_slice()),
        ("zz_clubs", ["id".to_string()].as_slice())
    );
    let members = fks("zz_members");
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].ref_table, "zz_clubs");
    assert_eq!(members[0].on_delete, ReferentialAction::SetNull);
    // Same foreign key as the string form, but for the table it is on.
    let by_name = &fks("zz_clubs_by_name")[0];
    assert_eq!(
        (&by_name.ref_table, &by_name.ref_columns, by_name.on_delete),
        (&founder.ref_table, &founder.ref_columns, founder.on_delete)
    );
}
