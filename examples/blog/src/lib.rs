//! Models of the blog example: users and their posts.
//!
//! The committed migrations in `migrations/versions` build exactly these tables, so
//! `cargo run -p blog --bin migrate -- check` reports no changes after `upgrade`.

use chrono::{NaiveDate, NaiveDateTime};
use strata::Model;

/// A user of the blog.
#[derive(Debug, Model)]
#[model(table = "users")]
pub struct User {
    /// The key.
    #[model(primary_key)]
    pub id: i32,
    /// The login name.
    #[model(max_length = 80, unique)]
    pub username: String,
    /// The e-mail address.
    #[model(max_length = 120, unique)]
    pub email: String,
    /// A short biography; the column was called `about` before the second migration.
    #[model(renamed_from = "about")]
    pub bio: Option<String>,
    /// The avatar picture (filled in for existing users by the second migration).
    #[model(max_length = 255)]
    pub avatar_url: Option<String>,
    /// A personal web site.
    #[model(max_length = 255)]
    pub website: Option<String>,
    /// The date of birth.
    pub birth_date: Option<NaiveDate>,
}

/// A blog post, written by a user.
#[derive(Debug, Model)]
#[model(table = "posts")]
pub struct Post {
    /// The key.
    #[model(primary_key)]
    pub id: i32,
    /// The author; deleting a user deletes their posts.
    #[model(references = "users.id", on_delete = "cascade", index)]
    pub author_id: i32,
    /// The title.
    #[model(max_length = 200)]
    pub title: String,
    /// The text.
    pub body: String,
    /// When the post was written.
    #[model(default_sql = "CURRENT_TIMESTAMP")]
    pub created_at: NaiveDateTime,
}
