//! Stage 5, ops: one-line descriptions of ops in Alembic's words, for the CLI.

use super::Op;
use crate::schema::{ColumnDefault, SqlType};

impl Op {
    /// What this op does, one line per change, worded like Alembic's autogenerate log
    /// (`Detected added table 'users'`). An [`Op::AlterColumn`] gives a line for each of its
    /// changes (rename first; the others name the column by its new name).
    pub fn describe(&self) -> Vec<String> {
        match self {
            Op::CreateTable { table } => vec![format!("Detected added table '{}'", table.name)],
            Op::DropTable { table } => vec![format!("Detected removed table '{}'", table.name)],
            Op::RenameTable { from, to } => {
                vec![format!("Detected renamed table '{from}' to '{to}'")]
            }
            Op::AddColumn { table, column } => {
                vec![format!("Detected added column '{table}.{}'", column.name)]
            }
            Op::DropColumn { table, column } => {
                vec![format!("Detected removed column '{table}.{}'", column.name)]
            }
            Op::AlterColumn {
                table,
                column,
                rename,
                ty,
                nullable,
                default,
            } => {
                let mut out = Vec::new();
                let name = rename.as_ref().unwrap_or(column);
                if let Some(new) = rename {
                    out.push(format!(
                        "Detected renamed column '{table}.{column}' to '{table}.{new}'"
                    ));
                }
                if let Some(c) = ty {
                    out.push(format!(
                        "Detected type change from {} to {} on '{table}.{name}'",
                        type_text(&c.from),
                        type_text(&c.to)
                    ));
                }
                if let Some(c) = nullable {
                    out.push(format!(
                        "Detected {} on column '{table}.{name}'",
                        if c.to { "NULL" } else { "NOT NULL" }
                    ));
                }
                if let Some(c) = default {
                    out.push(format!(
                        "Detected default change from {} to {} on '{table}.{name}'",
                        default_text(c.from.as_ref()),
                        default_text(c.to.as_ref())
                    ));
                }
                out
            }
            Op::AlterColumnComment {
                table,
                column,
                comment,
            } => vec![format!(
                "Detected comment change from {} to {} on '{table}.{column}'",
                comment_text(comment.from.as_deref()),
                comment_text(comment.to.as_deref())
            )],
            Op::AlterTableComment { table, comment } => vec![format!(
                "Detected table comment change from {} to {} on table '{table}'",
                comment_text(comment.from.as_deref()),
                comment_text(comment.to.as_deref())
            )],
            Op::AlterPrimaryKey { table, from, to } => {
                let cols = |pk: &Option<crate::schema::PrimaryKey>| match pk {
                    Some(pk) => format!("({})", pk.columns.join(", ")),
                    None => "(none)".to_string(),
                };
                vec![format!(
                    "Detected primary key change from {} to {} on table '{table}'",
                    cols(from),
                    cols(to)
                )]
            }
            Op::CreateIndex { index, .. } => vec![format!(
                "Detected added {}index '{}' on '{}'",
                if index.unique { "unique " } else { "" },
                index.name,
                list(&index_keys(index))
            )],
            Op::DropIndex { index, .. } => vec![format!(
                "Detected removed {}index '{}' on '{}'",
                if index.unique { "unique " } else { "" },
                index.name,
                list(&index_keys(index))
            )],
            Op::AddUnique { unique, .. } => vec![format!(
                "Detected added unique constraint '{}' on '{}'",
                unique.name,
                list(&unique.columns)
            )],
            Op::DropUnique { unique, .. } => vec![format!(
                "Detected removed unique constraint '{}' on '{}'",
                unique.name,
                list(&unique.columns)
            )],
            Op::AddForeignKey { table, foreign_key } => vec![format!(
                "Detected added foreign key ({})({}) on table {table}",
                foreign_key.columns.join(", "),
                foreign_key.ref_columns.join(", ")
            )],
            Op::DropForeignKey { table, foreign_key } => vec![format!(
                "Detected removed foreign key ({})({}) on table {table}",
                foreign_key.columns.join(", "),
                foreign_key.ref_columns.join(", ")
            )],
            Op::AddCheck { table, check } => vec![format!(
                "Detected added check constraint '{}' on table '{table}'",
                check.name
            )],
            Op::DropCheck { table, check } => vec![format!(
                "Detected removed check constraint '{}' on table '{table}'",
                check.name
            )],
            Op::CreateSchema { schema } => vec![format!("Detected added schema '{schema}'")],
            Op::DropSchema { schema } => vec![format!("Detected removed schema '{schema}'")],
            Op::Sql { sql, dialect, .. } => {
                let mut lines = sql.trim().lines();
                let first = lines.next().unwrap_or_default().trim();
                let more = if lines.next().is_some() { " ..." } else { "" };
                let only = dialect.map(|d| format!(" ({d} only)")).unwrap_or_default();
                vec![format!("Hand-written SQL{only}: {first}{more}")]
            }
        }
    }
}

/// A type as Alembic shows it: the neutral types upper-case (`VARCHAR(80)`), an enum as
/// `ENUM('happy', 'sad', name='mood')`, custom ones as written.
fn type_text(t: &SqlType) -> String {
    match t {
        SqlType::Custom(s) => s.clone(),
        SqlType::Enum { name, values } => {
            let mut parts: Vec<String> = values
                .iter()
                .map(|v| format!("'{}'", v.replace('\'', "''")))
                .collect();
            if !name.is_empty() {
                parts.push(format!("name='{name}'"));
            }
            format!("ENUM({})", parts.join(", "))
        }
        other => other.to_string().to_uppercase(),
    }
}

/// A default as SQL would spell it; `None` for no default.
fn default_text(d: Option<&ColumnDefault>) -> String {
    match d {
        None => "None".into(),
        Some(ColumnDefault::Int(i)) => i.to_string(),
        Some(ColumnDefault::Float(f)) => f.to_string(),
        Some(ColumnDefault::Bool(b)) => b.to_string(),
        Some(ColumnDefault::Str(s)) => format!("'{}'", s.replace('\'', "''")),
        Some(ColumnDefault::Sql { sql }) => sql.clone(),
    }
}

/// A comment as Python's `repr` prints it: in single quotes, or double quotes when it holds a
/// single quote and no double one; `None` for no comment.
fn comment_text(c: Option<&str>) -> String {
    match c {
        None => "None".into(),
        Some(c) if c.contains('\'') && !c.contains('"') => format!("\"{c}\""),
        Some(c) => format!("'{}'", c.replace('\'', "\\'")),
    }
}

/// A column list as Alembic prints it: `['a', 'b']`.
fn list(columns: &[String]) -> String {
    let inner: Vec<String> = columns.iter().map(|c| format!("'{c}'")).collect();
    format!("[{}]", inner.join(", "))
}

/// What an index keys, as Alembic lists it: the columns, then the expression's text.
fn index_keys(index: &crate::schema::Index) -> Vec<String> {
    let mut keys = index.columns.clone();
    keys.extend(index.expr.iter().cloned());
    keys
}

#[cfg(test)]
mod tests {
    use crate::dialect::DialectKind;
    use crate::ops::{Change, DefaultChange, Op};
    use crate::schema::{
        Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, SqlType,
        Table, Unique,
    };

    fn one(op: Op) -> String {
        let lines = op.describe();
        assert_eq!(lines.len(), 1, "{lines:?}");
        lines.into_iter().next().unwrap_or_default()
    }

    fn alter(table: &str, column: &str) -> Op {
        Op::AlterColumn {
            table: table.into(),
            column: column.into(),
            rename: None,
            ty: None,
            nullable: None,
            default: None,
        }
    }

    fn fk() -> ForeignKey {
        ForeignKey {
            name: "fk_posts_user_id_users".into(),
            columns: vec!["user_id".into()],
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::NoAction,
        }
    }

    #[test]
    fn tables_and_columns() {
        let users = Table {
            name: "users".into(),
            ..Table::default()
        };
        assert_eq!(
            one(Op::CreateTable {
                table: users.clone()
            }),
            "Detected added table 'users'"
        );
        assert_eq!(
            one(Op::DropTable { table: users }),
            "Detected removed table 'users'"
        );
        assert_eq!(
            one(Op::RenameTable {
                from: "a".into(),
                to: "b".into()
            }),
            "Detected renamed table 'a' to 'b'"
        );
        assert_eq!(
            one(Op::AddColumn {
                table: "users".into(),
                column: Column::new("phone", SqlType::Text)
            }),
            "Detected added column 'users.phone'"
        );
        assert_eq!(
            one(Op::DropColumn {
                table: "users".into(),
                column: Column::new("bio", SqlType::Text)
            }),
            "Detected removed column 'users.bio'"
        );
    }

    #[test]
    fn column_changes() {
        let mut op = alter("users", "username");
        if let Op::AlterColumn { ty, .. } = &mut op {
            *ty = Some(Change {
                from: SqlType::Varchar(80),
                to: SqlType::Varchar(120),
            });
        }
        assert_eq!(
            one(op),
            "Detected type change from VARCHAR(80) to VARCHAR(120) on 'users.username'"
        );
        let mut op = alter("t", "c");
        if let Op::AlterColumn { ty, .. } = &mut op {
            *ty = Some(Change {
                from: SqlType::Custom("citext".into()),
                to: SqlType::Decimal {
                    precision: Some(10),
                    scale: Some(2),
                },
            });
        }
        assert_eq!(
            one(op),
            "Detected type change from citext to NUMERIC(10,2) on 't.c'"
        );
        for (to, word) in [(false, "NOT NULL"), (true, "NULL")] {
            let mut op = alter("users", "email");
            if let Op::AlterColumn { nullable, .. } = &mut op {
                *nullable = Some(Change { from: !to, to });
            }
            assert_eq!(one(op), format!("Detected {word} on column 'users.email'"));
        }
        let mut op = alter("users", "status");
        if let Op::AlterColumn { default, .. } = &mut op {
            *default = Some(DefaultChange {
                from: None,
                to: Some(ColumnDefault::Str("it's new".into())),
            });
        }
        assert_eq!(
            one(op),
            "Detected default change from None to 'it''s new' on 'users.status'"
        );
        let mut op = alter("t", "n");
        if let Op::AlterColumn { default, .. } = &mut op {
            *default = Some(DefaultChange {
                from: Some(ColumnDefault::Sql {
                    sql: "CURRENT_TIMESTAMP".into(),
                }),
                to: Some(ColumnDefault::Int(0)),
            });
        }
        assert_eq!(
            one(op),
            "Detected default change from CURRENT_TIMESTAMP to 0 on 't.n'"
        );
    }

    #[test]
    fn rename_combined_with_changes_gives_one_line_each() {
        let op = Op::AlterColumn {
            table: "users".into(),
            column: "name".into(),
            rename: Some("full_name".into()),
            ty: Some(Change {
                from: SqlType::Varchar(80),
                to: SqlType::Text,
            }),
            nullable: Some(Change {
                from: false,
                to: true,
            }),
            default: None,
        };
        assert_eq!(
            op.describe(),
            [
                "Detected renamed column 'users.name' to 'users.full_name'",
                "Detected type change from VARCHAR(80) to TEXT on 'users.full_name'",
                "Detected NULL on column 'users.full_name'",
            ]
        );
        assert!(alter("t", "c").describe().is_empty());
    }

    #[test]
    fn indexes_and_constraints() {
        let ix = Index {
            name: "ix_posts_user_id".into(),
            columns: vec!["user_id".into()],
            unique: false,
            ..Index::default()
        };
        assert_eq!(
            one(Op::CreateIndex {
                table: "posts".into(),
                index: ix.clone()
            }),
            "Detected added index 'ix_posts_user_id' on '['user_id']'"
        );
        assert_eq!(
            one(Op::DropIndex {
                table: "posts".into(),
                index: Index {
                    unique: true,
                    columns: vec!["a".into(), "b".into()],
                    ..ix
                }
            }),
            "Detected removed unique index 'ix_posts_user_id' on '['a', 'b']'"
        );
        let uq = Unique {
            name: "uq_users_email".into(),
            columns: vec!["email".into()],
        };
        assert_eq!(
            one(Op::AddUnique {
                table: "users".into(),
                unique: uq.clone()
            }),
            "Detected added unique constraint 'uq_users_email' on '['email']'"
        );
        assert_eq!(
            one(Op::DropUnique {
                table: "users".into(),
                unique: uq
            }),
            "Detected removed unique constraint 'uq_users_email' on '['email']'"
        );
        assert_eq!(
            one(Op::AddForeignKey {
                table: "posts".into(),
                foreign_key: fk()
            }),
            "Detected added foreign key (user_id)(id) on table posts"
        );
        assert_eq!(
            one(Op::DropForeignKey {
                table: "posts".into(),
                foreign_key: fk()
            }),
            "Detected removed foreign key (user_id)(id) on table posts"
        );
        let ck = Check {
            name: "ck_users_age".into(),
            expr: "age >= 0".into(),
        };
        assert_eq!(
            one(Op::AddCheck {
                table: "users".into(),
                check: ck.clone()
            }),
            "Detected added check constraint 'ck_users_age' on table 'users'"
        );
        assert_eq!(
            one(Op::DropCheck {
                table: "users".into(),
                check: ck
            }),
            "Detected removed check constraint 'ck_users_age' on table 'users'"
        );
        assert_eq!(
            one(Op::AlterPrimaryKey {
                table: "m".into(),
                from: Some(PrimaryKey {
                    name: "pk_m".into(),
                    columns: vec!["id".into()]
                }),
                to: Some(PrimaryKey {
                    name: "pk_m".into(),
                    columns: vec!["a".into(), "b".into()]
                }),
            }),
            "Detected primary key change from (id) to (a, b) on table 'm'"
        );
        assert_eq!(
            one(Op::AlterPrimaryKey {
                table: "m".into(),
                from: None,
                to: None
            }),
            "Detected primary key change from (none) to (none) on table 'm'"
        );
    }

    #[test]
    fn sql_steps() {
        assert_eq!(
            one(Op::Sql {
                sql: "UPDATE users SET a = 1".into(),
                reverse: None,
                dialect: None,
                batch_size: None,
                elidable: false,
            }),
            "Hand-written SQL: UPDATE users SET a = 1"
        );
        assert_eq!(
            one(Op::Sql {
                sql: "\n  CREATE EXTENSION postgis;\n  SELECT 1;\n".into(),
                reverse: None,
                dialect: Some(DialectKind::Postgres),
                batch_size: None,
                elidable: false,
            }),
            "Hand-written SQL (postgres only): CREATE EXTENSION postgis; ..."
        );
    }
}
