//! Stage 2, schema: a schema drawn as a Mermaid entity-relationship diagram (`migrate schema --format mermaid`).

use std::fmt::Write as _;

use super::{Schema, Table};

/// `text` as a Mermaid ER name: letters, digits, `_` and `-`, starting with a letter.
fn name(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 't');
    }
    out
}

/// A column type as Mermaid takes it: letters, digits, `_`, `-`, `(`, `)`, `[`, `]`.
fn type_name(text: &str) -> String {
    let out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-()[]".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out
    } else {
        format!("t{out}")
    }
}

/// The keys a column is part of: `PK`, `FK`, `UK`.
fn keys(table: &Table, column: &str) -> Vec<&'static str> {
    let has = |cols: &[String]| cols.iter().any(|c| c == column);
    let mut out = Vec::new();
    if table
        .primary_key
        .as_ref()
        .is_some_and(|pk| has(&pk.columns))
    {
        out.push("PK");
    }
    if table.foreign_keys.iter().any(|fk| has(&fk.columns)) {
        out.push("FK");
    }
    let unique = table.uniques.iter().any(|u| has(&u.columns))
        || table.indexes.iter().any(|i| i.unique && has(&i.columns));
    if unique {
        out.push("UK");
    }
    out
}

/// Whether `columns` are unique in `table` on their own (its primary key, a unique constraint
/// or a unique index over exactly them): a one-to-one relationship.
fn unique_over(table: &Table, columns: &[String]) -> bool {
    let same = |cols: &[String]| {
        let mut a = cols.to_vec();
        let mut b = columns.to_vec();
        a.sort();
        b.sort();
        a == b
    };
    table
        .primary_key
        .as_ref()
        .is_some_and(|pk| same(&pk.columns))
        || table.uniques.iter().any(|u| same(&u.columns))
        || table.indexes.iter().any(|i| i.unique && same(&i.columns))
}

/// `schema` as a Mermaid `erDiagram`: each table with its columns (type, keys, and the
/// comment when there is one), and one relationship per foreign key, from the referencing
/// table (many, or one when its columns are unique) to the referenced one (exactly one, or
/// zero or one when a referencing column is nullable), labelled with the columns.
pub fn mermaid(schema: &Schema) -> String {
    let mut out = String::from("erDiagram\n");
    for table in schema.tables.values() {
        let _ = writeln!(out, "    {} {{", name(&table.name));
        for c in &table.columns {
            let mut line = format!("        {} {}", type_name(&c.ty.to_string()), name(&c.name));
            let keys = keys(table, &c.name);
            if !keys.is_empty() {
                let _ = write!(line, " {}", keys.join(", "));
            }
            let mut notes = Vec::new();
            if c.nullable {
                notes.push("nullable".to_string());
            }
            if let Some(comment) = &c.comment {
                notes.push(comment.replace('"', "'"));
            }
            if !notes.is_empty() {
                let _ = write!(line, " \"{}\"", notes.join("; "));
            }
            out.push_str(&line);
            out.push('\n');
        }
        out.push_str("    }\n");
    }
    for table in schema.tables.values() {
        for fk in &table.foreign_keys {
            let many = if unique_over(table, &fk.columns) {
                "|o"
            } else {
                "}o"
            };
            let optional = fk
                .columns
                .iter()
                .any(|c| table.column(c).is_some_and(|c| c.nullable));
            let one = if optional { "o|" } else { "||" };
            let _ = writeln!(
                out,
                "    {} {many}--{one} {} : \"{}\"",
                name(&table.name),
                name(&fk.ref_table),
                fk.columns.join(", ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ForeignKey, PrimaryKey, ReferentialAction, SqlType, Unique};

    #[test]
    fn tables_columns_keys_and_relationships() {
        let mut s = Schema::new();
        s.insert(Table {
            name: "users".into(),
            columns: vec![
                Column::new("id", SqlType::Integer),
                Column::new("email", SqlType::Varchar(120)),
            ],
            primary_key: Some(PrimaryKey {
                name: "pk_users".into(),
                columns: vec!["id".into()],
            }),
            uniques: vec![Unique {
                name: "uq_users_email".into(),
                columns: vec!["email".into()],
            }],
            ..Table::default()
        });
        s.insert(Table {
            name: "posts".into(),
            columns: vec![
                Column::new("id", SqlType::Integer),
                Column {
                    comment: Some("who wrote it".into()),
                    ..Column::new("author_id", SqlType::Integer).nullable()
                },
                Column::new(
                    "score",
                    SqlType::Decimal {
                        precision: Some(10),
                        scale: Some(2),
                    },
                ),
            ],
            primary_key: Some(PrimaryKey {
                name: "pk_posts".into(),
                columns: vec!["id".into()],
            }),
            foreign_keys: vec![ForeignKey {
                name: "fk_posts_author_id_users".into(),
                columns: vec!["author_id".into()],
                ref_table: "users".into(),
                ref_columns: vec!["id".into()],
                on_delete: ReferentialAction::Cascade,
                on_update: ReferentialAction::NoAction,
            }],
            ..Table::default()
        });
        assert_eq!(
            mermaid(&s),
            "erDiagram\n    posts {\n        integer id PK\n        integer author_id FK \
             \"nullable; who wrote it\"\n        numeric(10_2) score\n    }\n    users {\n        \
             integer id PK\n        varchar(120) email UK\n    }\n    posts }o--o| users : \
             \"author_id\"\n"
        );
    }
}
