// The derive ignores other attributes and sits next to serde's and sqlx's derives.
use strata::Model;

/// An account.
///
/// Holds money.
#[derive(Debug, Clone, Model, serde::Serialize, serde::Deserialize, sqlx::FromRow)]
#[model(table = "accounts")]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The key.
    #[model(primary_key)]
    #[serde(rename = "ID")]
    pub id: i64,
    /// The owner's name,
    ///   indented on purpose.
    #[sqlx(rename = "owner")]
    #[model(column = "owner", max_length = 100)]
    pub owner_name: String,
    #[sqlx(default)]
    #[serde(default)]
    pub balance: Option<f64>,
    #[doc(hidden)]
    #[serde(skip)]
    #[sqlx(skip)]
    #[model(skip)]
    pub scratch: Vec<String>,
}

const _: () = assert!(Account::TABLE.has_column("owner"));
const _: () = assert!(Account::TABLE.columns.len() == 3);

fn main() {
    assert_eq!(Account::TABLE.comment, Some("An account.\n\nHolds money."));
    assert_eq!(
        Account::TABLE.column("owner").unwrap().comment,
        Some("The owner's name,\nindented on purpose.")
    );
    assert_eq!(Account::TABLE.column("balance").unwrap().comment, None);
    assert_eq!(Account::TABLE.column("id").unwrap().comment, Some("The key."));
    assert!(Account::TABLE.rust_path.ends_with("::Account"));
}
