//! Dialect: postgres, the named enum types (`CREATE TYPE ... AS ENUM`) that enum columns use.
//!
//! A type exists while a column uses it: an op that makes the first column of a type creates
//! it first, an op that removes the last one drops it after. A change of values is done on
//! the type: values added at the end with `ALTER TYPE ... ADD VALUE`, anything else (a value
//! removed, values reordered) by a new type every column is cast to (`USING c::text::type`,
//! which fails on a row holding a removed value, rolling the revision back), swapped in for
//! the old one.

use std::collections::BTreeMap;

use super::Postgres;
use crate::dialect::{alter_table, OpContext, RenderError, Statements, Syntax};
use crate::schema::{SqlType, Table};

/// The enum types the columns of `tables` use, by name, with the values of the first column
/// using each.
fn types_of<'a>(tables: impl IntoIterator<Item = &'a Table>) -> BTreeMap<&'a str, &'a [String]> {
    let mut out = BTreeMap::new();
    for t in tables {
        for c in &t.columns {
            if let SqlType::Enum { name, values } = &c.ty {
                out.entry(name.as_str()).or_insert(values.as_slice());
            }
        }
    }
    out
}

/// `CREATE TYPE "name" AS ENUM ('a', 'b')`.
pub(super) fn create_type(d: &Postgres, name: &str, values: &[String]) -> String {
    let values: Vec<String> = values.iter().map(|v| d.quote_str(v)).collect();
    format!(
        "CREATE TYPE {} AS ENUM ({})",
        d.quote_ident(name),
        values.join(", ")
    )
}

/// `body` (the statements of an op on `cx.table`, which becomes `cx.after`) with the enum
/// types that op starts using created before it, and those no column uses any more dropped
/// after it.
pub(super) fn with_types(
    d: &Postgres,
    cx: &OpContext<'_>,
    body: Statements,
) -> Result<Statements, RenderError> {
    let own = cx.table.map(|t| t.name.as_str());
    let before = types_of(cx.before.tables.values());
    let others = cx
        .before
        .tables
        .values()
        .filter(|t| Some(t.name.as_str()) != own);
    let after = types_of(others.chain(cx.after));
    let mut sql: Vec<String> = after
        .iter()
        .filter(|(name, _)| !before.contains_key(*name))
        .map(|(name, values)| create_type(d, name, values))
        .collect();
    sql.extend(body.sql);
    sql.extend(
        before
            .keys()
            .filter(|name| !after.contains_key(*name))
            .map(|name| format!("DROP TYPE {}", d.quote_ident(name))),
    );
    Ok(Statements {
        sql,
        rebuilt: body.rebuilt,
    })
}

/// The statements that change enum type `name` from `from` to `to` values, for the column
/// `table.column`; none when another column already has the type with `to` (an earlier op
/// changed it).
pub(super) fn change_values(
    d: &Postgres,
    cx: &OpContext<'_>,
    (table, column): (&str, &str),
    name: &str,
    (from, to): (&[String], &[String]),
) -> Vec<String> {
    let done = cx.before.tables.values().any(|t| {
        t.columns.iter().any(|c| {
            !(t.name == table && c.name == column)
                && matches!(&c.ty, SqlType::Enum { name: n, values } if n == name && values == to)
        })
    });
    if done || from == to {
        return Vec::new();
    }
    let ty = d.quote_ident(name);
    if to.starts_with(from) {
        return to[from.len()..]
            .iter()
            .map(|v| format!("ALTER TYPE {ty} ADD VALUE IF NOT EXISTS {}", d.quote_str(v)))
            .collect();
    }
    let old = format!("{name}_strata_old");
    let mut sql = vec![
        format!("ALTER TYPE {ty} RENAME TO {}", d.quote_ident(&old)),
        create_type(d, name, to),
    ];
    for t in cx.before.tables.values() {
        for c in &t.columns {
            if matches!(&c.ty, SqlType::Enum { name: n, .. } if n == name) {
                let col = d.quote_ident(&c.name);
                let alter = |action: String| {
                    alter_table(d, &t.name, format_args!("ALTER COLUMN {col} {action}"))
                };
                // A default of the old type does not cast by itself: set it again after.
                if c.default.is_some() {
                    sql.push(alter("DROP DEFAULT".into()));
                }
                sql.push(alter(format!("TYPE {ty} USING {col}::text::{ty}")));
                if let Some(v) = &c.default {
                    sql.push(alter(format!("SET DEFAULT {}", d.default_sql(v))));
                }
            }
        }
    }
    sql.push(format!("DROP TYPE {}", d.quote_ident(&old)));
    sql
}

/// Whether `sql` adds a value to an enum type (written by Strata or by hand): PostgreSQL
/// refuses to use the new value in the transaction that added it (and before version 12, to
/// add it inside a transaction block at all), so it is committed on its own.
pub(super) fn adds_value(sql: &str) -> bool {
    // Words joined by one space, so a quoted type name with spaces or a line break does not
    // matter.
    let text = sql
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase();
    text.starts_with("ALTER TYPE ") && text.contains(" ADD VALUE ")
}

/// Whether `sql` has the word `TYPE` anywhere (outside quotes or not): whether it may create,
/// rename, drop or change a type. An `ALTER TYPE ... ADD VALUE` moves before a statement only
/// when this is false for it.
pub(super) fn names_a_type(sql: &str) -> bool {
    sql.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| w.eq_ignore_ascii_case("type"))
}

#[cfg(test)]
mod tests {
    use crate::dialect::postgres::Postgres;
    use crate::ops::Op;
    use crate::render::render_ops;
    use crate::schema::{Column, Schema, SqlType, Table};

    fn table(name: &str, ty: &SqlType) -> Table {
        Table {
            name: name.into(),
            columns: vec![
                Column::new("id", SqlType::Integer),
                Column::new("mood", ty.clone()),
            ],
            ..Table::default()
        }
    }

    #[test]
    fn a_type_lives_while_a_column_uses_it() {
        let mood = SqlType::Enum {
            name: "mood".into(),
            values: vec!["happy".into()],
        };
        let (users, posts) = (table("users", &mood), table("posts", &mood));
        let ops = [
            Op::CreateTable {
                table: users.clone(),
            },
            Op::CreateTable {
                table: posts.clone(),
            },
            Op::DropColumn {
                table: "users".into(),
                column: users.columns[1].clone(),
            },
            Op::DropTable { table: posts },
        ];
        let (rendered, _) = render_ops(&ops, &Postgres, &Schema::new()).expect("renders");
        let creates_or_drops: Vec<Vec<&str>> = rendered
            .iter()
            .map(|r| {
                r.statements
                    .iter()
                    .map(String::as_str)
                    .filter(|s| s.contains(" TYPE \"mood\"") || s.starts_with("DROP TYPE"))
                    .collect()
            })
            .collect();
        assert_eq!(
            creates_or_drops,
            [
                vec![r#"CREATE TYPE "mood" AS ENUM ('happy')"#],
                vec![],
                vec![],
                vec![r#"DROP TYPE "mood""#],
            ]
        );
    }

    #[test]
    fn adding_a_value_is_recognised_however_written() {
        for sql in [
            r#"ALTER TYPE "mood" ADD VALUE IF NOT EXISTS 'meh'"#,
            "alter type mood add value 'meh' before 'sad'",
            "ALTER TYPE \"my mood\"\n  ADD VALUE 'meh'",
        ] {
            assert!(super::adds_value(sql), "{sql}");
        }
        for sql in [
            r#"ALTER TYPE "mood" RENAME TO "mood_strata_old""#,
            r#"ALTER TYPE "mood" RENAME VALUE 'a' TO 'b'"#,
            "UPDATE t SET note = 'ALTER TYPE x ADD VALUE y'",
            r#"ALTER TABLE "t" ADD COLUMN "value" text"#,
        ] {
            assert!(!super::adds_value(sql), "{sql}");
        }
    }

    #[test]
    fn a_value_goes_before_statements_that_name_no_type() {
        let first = r#"ALTER TYPE "mood" ADD VALUE IF NOT EXISTS 'meh'"#;
        for (earlier, before) in [
            (r#"ALTER TABLE "users" ADD COLUMN "note" text"#, true),
            ("UPDATE users SET typed = 1", true),
            (r#"CREATE TYPE "mood" AS ENUM ('happy')"#, false),
            (r#"ALTER TYPE "old" RENAME TO "mood""#, false),
            (
                r#"ALTER TABLE "t" ALTER COLUMN "c" TYPE "mood" USING "c"::text::"mood""#,
                false,
            ),
            ("create type mood as enum ('a')", false),
        ] {
            assert_eq!(
                crate::dialect::Transport::may_precede(&Postgres, first, earlier),
                before,
                "{earlier}"
            );
        }
    }
}
