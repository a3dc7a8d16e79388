//! Stage 2, schema: building the target [`Schema`] from the models' compile-time metadata.

use std::collections::BTreeMap;

use thiserror::Error;

use super::{
    Check, Column, ColumnDefault, ForeignKey, Index, Naming, PrimaryKey, Schema, Table, Unique,
};
use crate::model::{ColumnDef, ColumnType, DefaultValue, EnumDef, TableDef};

/// A model set that cannot become a schema. Each variant names the Rust items involved.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaError {
    /// Two structs map to one table.
    #[error(
        "`{first}` and `{second}` both map to table `{table}`; give one of them \
         `#[model(table = \"...\")]` with another name"
    )]
    DuplicateTable {
        /// The table name.
        table: String,
        /// One struct.
        first: String,
        /// The other struct.
        second: String,
    },
    /// `references` names a table no model maps to.
    #[error(
        "`{model}.{field}` references table `{table}`, which no registered model maps to; \
         check the spelling, or link the crate that defines it into this binary"
    )]
    UnknownTable {
        /// The referencing struct.
        model: String,
        /// The referencing field.
        field: String,
        /// The missing table.
        table: String,
    },
    /// `references = "table.column"` names a column the table does not have.
    #[error(
        "`{model}.{field}` references `{table}.{column}`, but `{table}` has no column `{column}`"
    )]
    UnknownColumn {
        /// The referencing struct.
        model: String,
        /// The referencing field.
        field: String,
        /// The referenced table.
        table: String,
        /// The missing column.
        column: String,
    },
    /// `references = "table"` on a table whose primary key is not a single column.
    #[error(
        "`{model}.{field}` references table `{table}` by its primary key, but that key has \
         {len} columns; write `references = \"{table}.<column>\"`"
    )]
    AmbiguousReference {
        /// The referencing struct.
        model: String,
        /// The referencing field.
        field: String,
        /// The referenced table.
        table: String,
        /// How many primary-key columns it has.
        len: usize,
    },
    /// A table-level index or unique constraint names a column the table does not have.
    #[error("`{model}`: {what} names column `{column}`, which the struct does not have")]
    UnknownIndexColumn {
        /// The struct.
        model: String,
        /// "index(...)" or "unique(...)".
        what: String,
        /// The missing column.
        column: String,
    },
    /// Two Rust enums give one enum type name different values.
    #[error(
        "`{first}` and `{second}` are both enum type `{name}`, with other values; give one of \
         them `#[model(enum_name = \"...\")]` with another name"
    )]
    DuplicateEnum {
        /// The type name.
        name: String,
        /// One enum.
        first: String,
        /// The other enum.
        second: String,
    },
    /// `default = "..."` on an enum field is not one of the enum's values.
    #[error(
        "`{model}.{field}` has default `{value}`, which is not a value of `{rust_enum}` \
         ({values}); write one of them"
    )]
    EnumDefault {
        /// The struct.
        model: String,
        /// The field.
        field: String,
        /// The default given.
        value: String,
        /// The enum's Rust path.
        rust_enum: String,
        /// The enum's values, listed.
        values: String,
    },
}

/// Every problem of a model set, each a [`SchemaError`], in a stable order: duplicate tables,
/// then enums, then each table's (in table-name order) foreign keys, indexes and unique
/// constraints (in field and declaration order). Never empty. Its message is the one error's
/// message, or a line counting them followed by one line each.
#[derive(Debug, PartialEq, Eq)]
pub struct SchemaErrors(Vec<SchemaError>);

impl SchemaErrors {
    /// The errors, in order (at least one).
    pub fn errors(&self) -> &[SchemaError] {
        &self.0
    }

    /// The errors, in order (at least one).
    pub fn into_errors(self) -> Vec<SchemaError> {
        self.0
    }
}

impl From<SchemaError> for SchemaErrors {
    fn from(e: SchemaError) -> Self {
        SchemaErrors(vec![e])
    }
}

impl std::fmt::Display for SchemaErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            all => {
                write!(f, "the models have {} problems; fix each:", all.len())?;
                for e in all {
                    write!(f, "\n- {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for SchemaErrors {}

/// Two Rust paths in a stable order, for messages naming both.
fn ordered(a: &str, b: &str) -> (String, String) {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    (first.into(), second.into())
}

/// Refuses two Rust enums with one type name and different values, and a default that is not
/// one of its enum's values; each problem is added to `errors`.
fn check_enums<'a>(models: impl IntoIterator<Item = &'a TableDef>, errors: &mut Vec<SchemaError>) {
    let mut seen: BTreeMap<&str, &EnumDef> = BTreeMap::new();
    for def in models {
        for c in def.columns {
            let ColumnType::Enum(e) = c.ty else { continue };
            if let Some(prev) = seen.insert(e.name, e) {
                if prev.values != e.values {
                    let (first, second) = ordered(prev.rust_path, e.rust_path);
                    errors.push(SchemaError::DuplicateEnum {
                        name: e.name.into(),
                        first,
                        second,
                    });
                }
            }
            if let Some(DefaultValue::Str(v)) = c.default {
                if !e.values.contains(&v) {
                    errors.push(SchemaError::EnumDefault {
                        model: def.rust_path.into(),
                        field: c.field.into(),
                        value: v.into(),
                        rust_enum: e.rust_path.into(),
                        values: e.values.join(", "),
                    });
                }
            }
        }
    }
}

impl Schema {
    /// Builds the schema the given models describe, with names in the built-in convention
    /// for every constraint and index that has no explicit name. Fails with every problem
    /// found, not only the first (see [`SchemaErrors`] for their order).
    pub fn from_models<'a>(
        models: impl IntoIterator<Item = &'a TableDef>,
    ) -> Result<Schema, SchemaErrors> {
        Schema::from_models_with(models, &Naming::default())
    }

    /// [`Schema::from_models`], naming the constraints and indexes that have no explicit name
    /// by `naming` (strata.toml's `[naming]`), which the schema carries.
    pub fn from_models_with<'a>(
        models: impl IntoIterator<Item = &'a TableDef>,
        naming: &Naming,
    ) -> Result<Schema, SchemaErrors> {
        let mut errors = Vec::new();
        // In Rust-path order, so which of two structs with one table name is kept (and so
        // every message) does not depend on the order the models were registered in.
        let mut defs: Vec<&TableDef> = models.into_iter().collect();
        defs.sort_by_key(|d| d.rust_path);
        let mut by_name: BTreeMap<String, &TableDef> = BTreeMap::new();
        for def in defs {
            let key = def.key();
            if let Some(prev) = by_name.get(&key) {
                let (first, second) = ordered(prev.rust_path, def.rust_path);
                errors.push(SchemaError::DuplicateTable {
                    table: key,
                    first,
                    second,
                });
            } else {
                by_name.insert(key, def);
            }
        }
        check_enums(by_name.values().copied(), &mut errors);
        let mut schema = Schema::with_naming(naming.clone());
        for (key, def) in &by_name {
            schema.insert(table_from_def(key, def, &by_name, naming, &mut errors));
        }
        if errors.is_empty() {
            Ok(schema)
        } else {
            Err(SchemaErrors(errors))
        }
    }
}

/// The table `def` describes (named `t`, its [`TableDef::key`]), its unnamed constraints and
/// indexes named by `naming`; each
/// problem (a reference or a column list that does not resolve) is added to `errors` and the
/// item left out.
fn table_from_def(
    t: &str,
    def: &TableDef,
    all: &BTreeMap<String, &TableDef>,
    naming: &Naming,
    errors: &mut Vec<SchemaError>,
) -> Table {
    let mut table = Table {
        name: t.into(),
        comment: def.comment.map(Into::into),
        // The previous name in the same schema, unless it names its own.
        renamed_from: def.renamed_from.map(|old| match old.contains('.') {
            true => old.to_owned(),
            false => super::qualify(def.schema, old),
        }),
        ..Table::default()
    };
    let pk: Vec<String> = def.primary_key().map(|c| c.name.to_string()).collect();
    if !pk.is_empty() {
        table.primary_key = Some(PrimaryKey {
            name: def
                .primary_key_name
                .map_or_else(|| naming.primary_key(t, &pk), Into::into),
            columns: pk,
        });
    }
    for c in def.columns {
        table.columns.push(Column {
            name: c.name.into(),
            ty: c.ty.into(),
            nullable: c.nullable,
            default: c.default.map(default_from_def),
            autoincrement: c.autoincrement,
            comment: c.comment.map(Into::into),
            renamed_from: c.renamed_from.map(Into::into),
        });
        let cols = [c.name];
        // As SQLAlchemy does: `unique` + `index` is one unique index, not two objects.
        match (c.unique, c.index) {
            (true, true) => table.indexes.push(Index {
                name: naming.index(t, &cols),
                columns: vec![c.name.into()],
                unique: true,
                ..Index::default()
            }),
            (true, false) => table.uniques.push(Unique {
                name: naming.unique(t, &cols),
                columns: vec![c.name.into()],
            }),
            (false, true) => table.indexes.push(Index {
                name: naming.index(t, &cols),
                columns: vec![c.name.into()],
                unique: false,
                ..Index::default()
            }),
            (false, false) => {}
        }
        if let Some(fk) = c.references {
            let Some(ref_column) = ref_column(def, c, all, errors) else {
                continue;
            };
            table.foreign_keys.push(ForeignKey {
                name: fk
                    .name
                    .map_or_else(|| naming.foreign_key(t, &cols, fk.table), Into::into),
                columns: vec![c.name.into()],
                ref_table: fk.table.into(),
                ref_columns: vec![ref_column.into()],
                on_delete: fk.on_delete,
                on_update: fk.on_update,
            });
        }
    }
    // `None` (each missing column reported) when a column is not the table's.
    let mut check_cols = |what: &str, cols: &[&str]| -> Option<Vec<String>> {
        let missing = cols.iter().filter(|col| !def.has_column(col));
        let before = errors.len();
        errors.extend(missing.map(|col| SchemaError::UnknownIndexColumn {
            model: def.rust_path.into(),
            what: format!("{what}(columns({}))", cols.join(", ")),
            column: col.to_string(),
        }));
        (errors.len() == before).then(|| cols.iter().map(|c| c.to_string()).collect())
    };
    for ix in def.indexes {
        // A `desc` column is one of `columns`: once one is reported, not twice.
        let Some(columns) = check_cols("index", ix.columns) else {
            continue;
        };
        let Some(desc) = check_cols("index", ix.desc) else {
            continue;
        };
        // An expression index is named after its columns and the expression's words
        // (`lower(email)`: `ix_users_lower_email`).
        let mut name_parts = columns.clone();
        name_parts.extend(ix.expr.map(expr_words));
        table.indexes.push(Index {
            name: ix
                .name
                .map_or_else(|| naming.index(t, &name_parts), Into::into),
            columns,
            unique: ix.unique,
            expr: ix.expr.map(Into::into),
            desc,
            where_: ix.where_.map(Into::into),
            using: ix.using.map(Into::into),
        });
    }
    for uq in def.uniques {
        let Some(columns) = check_cols("unique", uq.columns) else {
            continue;
        };
        table.uniques.push(Unique {
            name: uq
                .name
                .map_or_else(|| naming.unique(t, &columns), Into::into),
            columns,
        });
    }
    for ck in def.checks {
        table.checks.push(Check {
            name: naming.check(t, ck.name),
            expr: ck.expr.into(),
        });
    }
    table
}

/// The column the foreign key of `c` (a column of `def`) references: its named column, or
/// the referenced table's single-column primary key. `None` when it does not resolve (the
/// problem added to `errors`).
fn ref_column(
    def: &TableDef,
    c: &ColumnDef,
    all: &BTreeMap<String, &TableDef>,
    errors: &mut Vec<SchemaError>,
) -> Option<&'static str> {
    let fk = c.references?;
    let Some(target) = all.get(fk.table) else {
        errors.push(SchemaError::UnknownTable {
            model: def.rust_path.into(),
            field: c.field.into(),
            table: fk.table.into(),
        });
        return None;
    };
    match fk.column {
        Some(col) if target.has_column(col) => Some(col),
        Some(col) => {
            errors.push(SchemaError::UnknownColumn {
                model: def.rust_path.into(),
                field: c.field.into(),
                table: fk.table.into(),
                column: col.into(),
            });
            None
        }
        None => {
            let keys: Vec<&'static str> = target.primary_key().map(|k| k.name).collect();
            match keys.as_slice() {
                [one] => Some(*one),
                _ => {
                    errors.push(SchemaError::AmbiguousReference {
                        model: def.rust_path.into(),
                        field: c.field.into(),
                        table: fk.table.into(),
                        len: keys.len(),
                    });
                    None
                }
            }
        }
    }
}

fn default_from_def(d: DefaultValue) -> ColumnDefault {
    match d {
        DefaultValue::Int(i) => ColumnDefault::Int(i),
        DefaultValue::Float(f) => ColumnDefault::Float(f),
        DefaultValue::Bool(b) => ColumnDefault::Bool(b),
        DefaultValue::Str(s) => ColumnDefault::Str(s.into()),
        DefaultValue::Sql(s) => ColumnDefault::Sql { sql: s.into() },
    }
}

/// The words of an SQL expression joined by `_`, for a conventional name
/// (`lower(email)`: `lower_email`).
fn expr_words(expr: &str) -> String {
    expr.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ColumnDef, ColumnType, ForeignKeyDef, IndexDef, ReferentialAction};
    use crate::schema::SqlType;

    const fn col(name: &'static str, ty: ColumnType) -> ColumnDef {
        ColumnDef::new(name, ty)
    }

    const USERS: TableDef = TableDef {
        name: "users",
        schema: None,
        rust_path: "app::User",
        comment: Some("People."),
        renamed_from: None,
        columns: &[
            ColumnDef {
                primary_key: true,
                autoincrement: true,
                ..col("id", ColumnType::Integer)
            },
            ColumnDef {
                unique: true,
                ..col("email", ColumnType::Varchar(120))
            },
            ColumnDef {
                unique: true,
                index: true,
                ..col("username", ColumnType::Varchar(80))
            },
            ColumnDef {
                default: Some(DefaultValue::Sql("CURRENT_TIMESTAMP")),
                ..col("created_at", ColumnType::Timestamp)
            },
        ],
        indexes: &[],
        uniques: &[],
        checks: &[],
        primary_key_name: None,
    };

    const POSTS: TableDef = TableDef {
        name: "posts",
        schema: None,
        rust_path: "app::Post",
        comment: None,
        renamed_from: None,
        columns: &[
            ColumnDef {
                primary_key: true,
                ..col("id", ColumnType::BigInt)
            },
            ColumnDef {
                index: true,
                references: Some(ForeignKeyDef {
                    table: "users",
                    column: None,
                    on_delete: ReferentialAction::Cascade,
                    on_update: ReferentialAction::NoAction,
                    name: None,
                }),
                ..col("user_id", ColumnType::Integer)
            },
            col("created_at", ColumnType::Custom("TIMESTAMP")),
        ],
        indexes: &[IndexDef {
            name: None,
            columns: &["user_id", "created_at"],
            unique: false,
            ..IndexDef::BASE
        }],
        uniques: &[],
        checks: &[CheckDef {
            name: "recent",
            expr: "created_at > '2000-01-01'",
        }],
        primary_key_name: None,
    };
    use crate::model::CheckDef;

    #[test]
    fn builds_tables_with_conventional_names() {
        let s = Schema::from_models([&POSTS, &USERS]).expect("valid models");
        assert_eq!(s.tables.keys().collect::<Vec<_>>(), ["posts", "users"]);
        let users = s.table("users").expect("users");
        assert_eq!(
            users.primary_key.as_ref().map(|p| p.name.as_str()),
            Some("pk_users")
        );
        assert_eq!(users.uniques.len(), 1);
        assert_eq!(users.uniques[0].name, "uq_users_email");
        assert_eq!(users.indexes.len(), 1);
        assert!(users.indexes[0].unique);
        assert_eq!(users.indexes[0].name, "ix_users_username");
        assert_eq!(
            users.column("created_at").and_then(|c| c.default.clone()),
            Some(ColumnDefault::Sql {
                sql: "CURRENT_TIMESTAMP".into()
            })
        );
        let posts = s.table("posts").expect("posts");
        assert_eq!(posts.foreign_keys[0].name, "fk_posts_user_id_users");
        assert_eq!(posts.foreign_keys[0].ref_columns, ["id"]);
        assert_eq!(posts.foreign_keys[0].on_delete, ReferentialAction::Cascade);
        assert_eq!(
            posts
                .indexes
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>(),
            ["ix_posts_user_id", "ix_posts_user_id_created_at"]
        );
        assert_eq!(posts.checks[0].name, "ck_posts_recent");
        // A verbatim type spelling a neutral one is that neutral type.
        assert_eq!(
            posts.column("created_at").map(|c| &c.ty),
            Some(&SqlType::Timestamp)
        );
    }

    #[test]
    fn explicit_key_names_win_over_the_convention() {
        const NAMED_USERS: TableDef = TableDef {
            primary_key_name: Some("users_pkey"),
            ..USERS
        };
        const FK: ForeignKeyDef = ForeignKeyDef {
            name: Some("posts_author_fkey"),
            ..match POSTS.columns[1].references {
                Some(fk) => fk,
                None => panic!("posts.user_id references users"),
            }
        };
        const COLS: [ColumnDef; 3] = [
            POSTS.columns[0],
            ColumnDef {
                references: Some(FK),
                ..POSTS.columns[1]
            },
            POSTS.columns[2],
        ];
        const NAMED_POSTS: TableDef = TableDef {
            columns: &COLS,
            ..POSTS
        };
        let s = Schema::from_models([&NAMED_POSTS, &NAMED_USERS]).expect("valid models");
        let users = s.table("users").expect("users");
        assert_eq!(
            users.primary_key.as_ref().map(|p| p.name.as_str()),
            Some("users_pkey")
        );
        let posts = s.table("posts").expect("posts");
        assert_eq!(posts.foreign_keys[0].name, "posts_author_fkey");
        // The rest keeps the convention.
        assert_eq!(
            posts.primary_key.as_ref().map(|p| p.name.as_str()),
            Some("pk_posts")
        );
    }

    #[test]
    fn duplicate_tables_name_both_structs() {
        let other = TableDef {
            rust_path: "app::legacy::Person",
            ..USERS
        };
        let err = Schema::from_models([&USERS, &other]).expect_err("duplicate");
        assert_eq!(
            err.to_string(),
            "`app::User` and `app::legacy::Person` both map to table `users`; give one of them \
             `#[model(table = \"...\")]` with another name"
        );
    }

    #[test]
    fn unknown_reference_is_reported() {
        let err = Schema::from_models([&POSTS]).expect_err("users missing");
        assert!(
            matches!(err.errors(), [SchemaError::UnknownTable { table, .. }] if table == "users")
        );
    }

    #[test]
    fn every_problem_is_reported_in_a_stable_order() {
        const fn fk(table: &'static str, column: Option<&'static str>) -> Option<ForeignKeyDef> {
            Some(ForeignKeyDef {
                table,
                column,
                on_delete: ReferentialAction::NoAction,
                on_update: ReferentialAction::NoAction,
                name: None,
            })
        }
        const COMMENTS: TableDef = TableDef {
            indexes: &[IndexDef {
                columns: &["body", "posted"],
                ..IndexDef::BASE
            }],
            ..table(
                "comments",
                "app::Comment",
                &[
                    ColumnDef {
                        primary_key: true,
                        ..col("id", ColumnType::Integer)
                    },
                    ColumnDef {
                        references: fk("posts", Some("uid")),
                        ..col("post_id", ColumnType::BigInt)
                    },
                    col("body", ColumnType::Text),
                ],
            )
        };
        const TAGS: TableDef = table(
            "tags",
            "app::Tag",
            &[ColumnDef {
                references: fk("userz", None),
                ..col("owner_id", ColumnType::Integer)
            }],
        );
        // Any order in, one order out: table by table, in name order.
        for models in [[&TAGS, &COMMENTS, &USERS], [&USERS, &TAGS, &COMMENTS]] {
            let err = Schema::from_models(models).expect_err("three problems");
            assert_eq!(err.errors().len(), 3, "{err}");
            assert_eq!(
                err.to_string(),
                "the models have 3 problems; fix each:\n\
                 - `app::Comment.post_id` references table `posts`, which no registered model \
                 maps to; check the spelling, or link the crate that defines it into this \
                 binary\n\
                 - `app::Comment`: index(columns(body, posted)) names column `posted`, which the \
                 struct does not have\n\
                 - `app::Tag.owner_id` references table `userz`, which no registered model maps \
                 to; check the spelling, or link the crate that defines it into this binary"
            );
        }
        // One problem reads as before.
        let err = Schema::from_models([&TAGS, &USERS]).expect_err("one problem");
        assert_eq!(
            err.to_string(),
            "`app::Tag.owner_id` references table `userz`, which no registered model maps to; \
             check the spelling, or link the crate that defines it into this binary"
        );
    }

    #[test]
    fn two_bad_references_in_two_models_are_both_reported() {
        const A: TableDef = table(
            "a",
            "app::A",
            &[ColumnDef {
                references: Some(ForeignKeyDef {
                    table: "users",
                    column: Some("mail"),
                    on_delete: ReferentialAction::NoAction,
                    on_update: ReferentialAction::NoAction,
                    name: None,
                }),
                ..col("user_email", ColumnType::Text)
            }],
        );
        const B: TableDef = table(
            "b",
            "app::B",
            &[ColumnDef {
                references: Some(ForeignKeyDef {
                    table: "b",
                    column: None,
                    on_delete: ReferentialAction::NoAction,
                    on_update: ReferentialAction::NoAction,
                    name: None,
                }),
                ..col("parent", ColumnType::Integer)
            }],
        );
        let err = Schema::from_models([&B, &USERS, &A]).expect_err("two problems");
        assert_eq!(
            err.errors(),
            [
                SchemaError::UnknownColumn {
                    model: "app::A".into(),
                    field: "user_email".into(),
                    table: "users".into(),
                    column: "mail".into(),
                },
                SchemaError::AmbiguousReference {
                    model: "app::B".into(),
                    field: "parent".into(),
                    table: "b".into(),
                    len: 0,
                },
            ]
        );
        let text = err.to_string();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(text.starts_with("the models have 2 problems"), "{text}");
    }

    const fn table(
        name: &'static str,
        rust_path: &'static str,
        columns: &'static [ColumnDef],
    ) -> TableDef {
        TableDef {
            name,
            schema: None,
            rust_path,
            comment: None,
            renamed_from: None,
            columns,
            indexes: &[],
            uniques: &[],
            checks: &[],
            primary_key_name: None,
        }
    }

    #[test]
    fn enums_are_checked_across_models() {
        const MOOD: EnumDef = EnumDef {
            name: "mood",
            rust_path: "app::Mood",
            values: &["happy", "sad"],
        };
        const OTHER: EnumDef = EnumDef {
            name: "mood",
            rust_path: "app::other::Mood",
            values: &["up"],
        };
        const A: TableDef = table(
            "a",
            "app::A",
            &[ColumnDef {
                default: Some(DefaultValue::Str("happy")),
                ..col("m", ColumnType::Enum(&MOOD))
            }],
        );
        const B: TableDef = table("b", "app::B", &[col("m", ColumnType::Enum(&OTHER))]);
        const C: TableDef = table(
            "c",
            "app::C",
            &[ColumnDef {
                default: Some(DefaultValue::Str("meh")),
                ..col("m", ColumnType::Enum(&MOOD))
            }],
        );
        assert!(Schema::from_models([&A]).is_ok());
        let err = Schema::from_models([&A, &B]).expect_err("two enums named mood");
        assert!(
            err.to_string()
                .contains("`app::Mood` and `app::other::Mood`"),
            "{err}"
        );
        let err = Schema::from_models([&C]).expect_err("not a value");
        assert!(
            err.to_string()
                .contains("default `meh`, which is not a value of `app::Mood` (happy, sad)"),
            "{err}"
        );
    }

    #[test]
    fn an_enum_field_is_an_enum_column() {
        use crate::model::EnumDef;
        const MOOD: EnumDef = EnumDef {
            name: "mood",
            rust_path: "app::Mood",
            values: &["happy", "so-so"],
        };
        assert_eq!(
            SqlType::from(ColumnType::Enum(&MOOD)),
            SqlType::Enum {
                name: "mood".into(),
                values: vec!["happy".into(), "so-so".into()],
            }
        );
    }
}
