// The example from the README: two related models and compile-time assertions on them.
use strata::Model;

/// A registered user.
#[derive(Model)]
#[model(table = "users")]
pub struct User {
    #[model(primary_key)]
    pub id: i32,
    #[model(max_length = 80, unique)]
    pub username: String,
    #[model(max_length = 120, unique)]
    pub email: String,
    pub bio: Option<String>,
    #[model(default_sql = "CURRENT_TIMESTAMP")]
    pub created_at: chrono::NaiveDateTime,
}

#[derive(Model)]
#[model(table = "posts", index(columns("user_id", "created_at")))]
pub struct Post {
    #[model(primary_key)]
    pub id: i64,
    #[model(max_length = 200)]
    pub title: String,
    #[model(references = "users.id", on_delete = "cascade", index)]
    pub user_id: i32,
    pub created_at: chrono::NaiveDateTime,
}

use strata::model::{ColumnType, ReferentialAction};

const _: () = assert!(User::TABLE.column("email").unwrap().unique);
const _: () = assert!(User::TABLE.column("email").unwrap().is_type(ColumnType::Varchar(120)));
const _: () = assert!(User::TABLE.column("bio").unwrap().nullable);
const _: () = assert!(User::TABLE.column("id").unwrap().autoincrement);
const _: () = assert!(User::TABLE.primary_key_len() == 1);
const _: () = assert!(matches!(User::TABLE.comment, Some(_)));
const _: () = assert!(Post::TABLE.has_index(&["user_id", "created_at"]));
const _: () = assert!(Post::TABLE.has_index(&["user_id"]));
const _: () = assert!(matches!(
    Post::TABLE.column("user_id").unwrap().references,
    Some(strata::model::ForeignKeyDef {
        on_delete: ReferentialAction::Cascade,
        on_update: ReferentialAction::NoAction,
        ..
    })
));

fn main() {
    assert_eq!(User::TABLE.name, "users");
    assert_eq!(Post::TABLE.columns.len(), 4);
}
