//! Stage 2, schema: model snapshots (`migrate models --snapshot FILE`): the linked models in a stable JSON format, kept from a release so the next one can be checked against it.
//!
//! The format (`"format": "strata-models/1"`) is the neutral schema of the models, tables in
//! name order, each as the migration files write it: `name`, `columns` (`name`, `type` as the
//! files spell it, `nullable`, `default`, `autoincrement`), `primary_key`, `uniques`,
//! `indexes`, `foreign_keys`, `checks`, `comment`. Keys that are empty are left out. Later
//! versions add keys; readers ignore keys they do not know.

use serde::{Deserialize, Serialize};

use super::{Schema, Table};

/// The format name and version written into every snapshot.
pub const SNAPSHOT_FORMAT: &str = "strata-models/1";

/// A snapshot of the models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always [`SNAPSHOT_FORMAT`].
    pub format: String,
    /// The tables, in name order.
    pub tables: Vec<Table>,
}

/// A snapshot that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {why}")]
pub struct SnapshotError {
    /// The file.
    pub file: String,
    /// What is wrong, and what to do.
    pub why: String,
}

impl Snapshot {
    /// The snapshot of `schema` (the models' schema).
    pub fn of(schema: &Schema) -> Snapshot {
        Snapshot {
            format: SNAPSHOT_FORMAT.to_string(),
            tables: schema
                .tables
                .values()
                .cloned()
                .map(|mut t| {
                    t.renamed_from = None;
                    for c in &mut t.columns {
                        c.renamed_from = None;
                    }
                    t
                })
                .collect(),
        }
    }

    /// The snapshot as pretty JSON, ending in a newline.
    pub fn to_json(&self) -> String {
        let mut out = serde_json::to_string_pretty(self).unwrap_or_default();
        out.push('\n');
        out
    }

    /// Reads a snapshot; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Snapshot, SnapshotError> {
        let bad = |why: String| SnapshotError {
            file: file.to_string(),
            why,
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            bad(format!(
                "not JSON ({e}); write it with `migrate models --snapshot`"
            ))
        })?;
        let format = value.get("format").and_then(|f| f.as_str()).unwrap_or("");
        if format != SNAPSHOT_FORMAT {
            return Err(bad(format!(
                "format `{format}` is not `{SNAPSHOT_FORMAT}`; write it with this version's \
                 `migrate models --snapshot`"
            )));
        }
        serde_json::from_value(value).map_err(|e| {
            bad(format!(
                "not a model snapshot ({e}); write it with `migrate models --snapshot`"
            ))
        })
    }

    /// The schema the snapshot describes.
    pub fn schema(&self) -> Schema {
        let mut s = Schema::new();
        for t in &self.tables {
            s.insert(t.clone());
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, PrimaryKey, SqlType};

    #[test]
    fn a_snapshot_round_trips_and_says_its_format() {
        let mut s = Schema::new();
        s.insert(Table {
            name: "users".into(),
            columns: vec![
                Column {
                    autoincrement: true,
                    ..Column::new("id", SqlType::Integer)
                },
                Column::new("email", SqlType::Varchar(120)).nullable(),
            ],
            primary_key: Some(PrimaryKey {
                name: "pk_users".into(),
                columns: vec!["id".into()],
            }),
            ..Table::default()
        });
        let json = Snapshot::of(&s).to_json();
        assert!(json.contains("\"format\": \"strata-models/1\""), "{json}");
        assert!(json.contains("\"type\": \"varchar(120)\""), "{json}");
        let back = Snapshot::parse("snap.json", &json).expect("parses");
        assert_eq!(back.schema(), s);
        let e = Snapshot::parse("snap.json", "{\"format\": \"other/9\"}").expect_err("format");
        assert!(
            e.to_string().starts_with("snap.json: format `other/9`"),
            "{e}"
        );
        let e = Snapshot::parse("snap.json", "not json").expect_err("json");
        assert!(e.to_string().contains("not JSON"), "{e}");
    }
}
