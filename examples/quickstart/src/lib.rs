//! Models of the quickstart application: one `User` table.
//!
//! Build with `--features phone` for the second version of the model, which adds a `phone`
//! column; `story.sh` runs both versions one after the other.

use strata::Model;

/// A registered user.
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
    /// The password hash.
    #[model(max_length = 128)]
    pub password_hash: String,
    /// The phone number (the second version of the model).
    #[cfg(feature = "phone")]
    #[model(max_length = 20)]
    pub phone: Option<String>,
}
