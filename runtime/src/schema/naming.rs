//! Stage 2, schema: the naming convention that gives every constraint and index a deterministic name.
//!
//! `pk_<table>`, `uq_<table>_<cols>`, `ix_<table>_<cols>`, `fk_<table>_<cols>_<reftable>`,
//! `ck_<table>_<name>`. A name longer than [`MAX_NAME_LEN`] bytes is cut and given a stable
//! hash suffix, so it is the same on every machine and every run.

use sha2::{Digest, Sha256};

/// The longest name the convention produces (PostgreSQL's identifier limit).
pub const MAX_NAME_LEN: usize = 63;

/// `pk_<table>`.
pub fn primary_key(table: &str) -> String {
    shorten(format!("pk_{table}"))
}

/// `uq_<table>_<cols>`.
pub fn unique(table: &str, columns: &[impl AsRef<str>]) -> String {
    shorten(format!("uq_{table}_{}", join(columns)))
}

/// `ix_<table>_<cols>`.
pub fn index(table: &str, columns: &[impl AsRef<str>]) -> String {
    shorten(format!("ix_{table}_{}", join(columns)))
}

/// `fk_<table>_<cols>_<reftable>`.
pub fn foreign_key(table: &str, columns: &[impl AsRef<str>], ref_table: &str) -> String {
    shorten(format!("fk_{table}_{}_{ref_table}", join(columns)))
}

/// `ck_<table>_<name>`.
pub fn check(table: &str, name: &str) -> String {
    shorten(format!("ck_{table}_{name}"))
}

fn join(columns: &[impl AsRef<str>]) -> String {
    columns
        .iter()
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join("_")
}

/// Cuts `name` to [`MAX_NAME_LEN`] bytes when longer, ending it with `_` and the first
/// 8 hex digits of the SHA-256 of the full name.
pub fn shorten(name: String) -> String {
    if name.len() <= MAX_NAME_LEN {
        return name;
    }
    let hash = Sha256::digest(name.as_bytes());
    let suffix: String = hash.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut cut = MAX_NAME_LEN - suffix.len() - 1;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{suffix}", &name[..cut])
}

/// What kind of object a renamed name belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameKind {
    /// A primary key (`pk_<table>`).
    PrimaryKey,
    /// A unique constraint (`uq_<table>_<cols>`).
    Unique,
    /// An index (`ix_<table>_<cols>`).
    Index,
    /// A foreign key (`fk_<table>_<cols>_<reftable>`).
    ForeignKey,
    /// A check constraint (`ck_<table>_<name>`).
    Check,
}

/// One constraint or index renamed along with a table or column.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameChange {
    /// The table it belongs to, by its name once the op has run.
    pub table: String,
    /// What it is.
    pub kind: NameKind,
    /// The name before.
    pub from: String,
    /// The name after.
    pub to: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventional_names() {
        assert_eq!(primary_key("users"), "pk_users");
        assert_eq!(unique("users", &["email"]), "uq_users_email");
        assert_eq!(
            index("posts", &["user_id", "created_at"]),
            "ix_posts_user_id_created_at"
        );
        assert_eq!(
            foreign_key("posts", &["user_id"], "users"),
            "fk_posts_user_id_users"
        );
        assert_eq!(check("users", "age_positive"), "ck_users_age_positive");
    }

    #[test]
    fn long_names_are_cut_with_a_stable_hash() {
        let cols = [
            "a_very_long_column_name_number_one",
            "another_long_column_name",
        ];
        let a = index("a_table_with_a_long_name", &cols);
        let b = index("a_table_with_a_long_name", &cols);
        assert_eq!(a, b);
        assert_eq!(a.len(), MAX_NAME_LEN);
        assert!(a.starts_with("ix_a_table_with_a_long_name_a_very_long"));
        let other = index(
            "a_table_with_a_long_name",
            &["a_very_long_column_name_number_one", "x"],
        );
        assert_ne!(a, other);
        // Multi-byte characters are never split.
        let s = shorten("é".repeat(40));
        assert!(s.len() <= MAX_NAME_LEN);
    }
}
