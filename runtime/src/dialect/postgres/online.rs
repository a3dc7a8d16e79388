//! Dialect: postgres, the online forms of ops (`online = true`): no lock that blocks the table's readers or writers is held while the long part (a build, a scan, a backfill) runs.
//!
//! Each form is several statements that the executor runs outside a transaction, each
//! committing on its own ([`Ddl::online_forms`](crate::dialect::Ddl::online_forms)):
//!
//! | op | form | strongest lock during the long part |
//! |---|---|---|
//! | `create_index` | `CREATE INDEX CONCURRENTLY` | SHARE UPDATE EXCLUSIVE (reads and writes go on) |
//! | `drop_index` | `DROP INDEX CONCURRENTLY` | SHARE UPDATE EXCLUSIVE |
//! | `add_unique` | unique index built concurrently, then `ADD CONSTRAINT ... USING INDEX` | SHARE UPDATE EXCLUSIVE |
//! | `add_foreign_key` | `ADD ... NOT VALID`, then `VALIDATE CONSTRAINT` | SHARE UPDATE EXCLUSIVE (ROW SHARE on the parent) |
//! | `add_check` | `ADD ... NOT VALID`, then `VALIDATE CONSTRAINT` | SHARE UPDATE EXCLUSIVE |
//! | NOT NULL | `CHECK (c IS NOT NULL) NOT VALID`, validate, `SET NOT NULL` (no scan: the valid check proves it), drop the check | SHARE UPDATE EXCLUSIVE |
//! | `add_column` with a volatile default | add it without default, set the default, backfill in batches of [`BACKFILL_BATCH`] rows, then NOT NULL as above | ROW EXCLUSIVE on the rows of one batch |
//!
//! The short statements around the long parts still take their lock for an instant; with
//! `migration_lock_timeout_ms` they give up instead of queueing readers behind them, and are
//! retried.

use super::Postgres;
use crate::dialect::{
    alter_table, repeated, standard_alter_column, ColumnChange, Ddl, OpContext, RenderError,
    Statements, Syntax,
};
use crate::dialect::{create_index_text, in_schema_of};
use crate::schema::{Check, Column, ColumnDefault, ForeignKey, Index};

/// The rows one batch of an online backfill changes.
pub const BACKFILL_BATCH: u32 = 10_000;

/// `DROP INDEX CONCURRENTLY IF EXISTS`: a `CREATE INDEX CONCURRENTLY` that failed or was
/// cancelled leaves an INVALID index of its name behind, which a run again (`upgrade
/// --retry-interrupted`) must clear first; on a first run it does nothing.
fn clear_index(d: &Postgres, table: &str, name: &str) -> String {
    format!(
        "DROP INDEX CONCURRENTLY IF EXISTS {}",
        d.quote_table(&in_schema_of(table, name))
    )
}

/// `CREATE [UNIQUE] INDEX CONCURRENTLY`, after clearing an invalid leftover of its name.
pub(super) fn create_index(d: &Postgres, table: &str, index: &Index) -> Statements {
    vec![
        clear_index(d, table, &index.name),
        create_index_text(d, table, index, "CONCURRENTLY "),
    ]
    .into()
}

/// `DROP INDEX CONCURRENTLY` (of the index's name in the database, in its table's schema).
pub(super) fn drop_index(d: &Postgres, name: &str) -> Statements {
    vec![format!("DROP INDEX CONCURRENTLY {}", d.quote_table(name))].into()
}

/// A unique constraint over an index built concurrently: the constraint then takes the
/// index over (and its name), without a scan.
pub(super) fn add_unique(d: &Postgres, table: &str, name: &str, columns: &[String]) -> Statements {
    let clear = clear_index(d, table, name);
    let name = d.quote_ident(name);
    vec![
        clear,
        format!(
            "CREATE UNIQUE INDEX CONCURRENTLY {name} ON {} {}",
            d.quote_table(table),
            d.ident_list(columns)
        ),
        alter_table(
            d,
            table,
            format_args!("ADD CONSTRAINT {name} UNIQUE USING INDEX {name}"),
        ),
    ]
    .into()
}

/// `ADD <constraint> NOT VALID` (new rows are checked from now on), then `VALIDATE
/// CONSTRAINT` (the old rows, under a lock that lets reads and writes go on). First `DROP
/// CONSTRAINT IF EXISTS`: a run that stopped at the validation (rows that fail it) left the
/// constraint behind, which a run again must clear; on a first run it does nothing.
fn not_valid_then_validate(d: &Postgres, table: &str, constraint: &str, name: &str) -> Vec<String> {
    vec![
        alter_table(
            d,
            table,
            format_args!("DROP CONSTRAINT IF EXISTS {}", d.quote_ident(name)),
        ),
        alter_table(d, table, format_args!("ADD {constraint} NOT VALID")),
        alter_table(
            d,
            table,
            format_args!("VALIDATE CONSTRAINT {}", d.quote_ident(name)),
        ),
    ]
}

/// A foreign key added `NOT VALID`, then validated.
pub(super) fn add_foreign_key(d: &Postgres, table: &str, fk: &ForeignKey) -> Statements {
    not_valid_then_validate(d, table, &d.foreign_key_sql(fk), &fk.name).into()
}

/// A check added `NOT VALID`, then validated.
pub(super) fn add_check(d: &Postgres, table: &str, check: &Check) -> Statements {
    not_valid_then_validate(d, table, &d.check_sql(check), &check.name).into()
}

/// The name of the check that proves `column` NOT NULL while it is set: at most 63 bytes,
/// PostgreSQL's limit.
fn not_null_check_name(column: &str) -> String {
    let mut name = format!("strata_not_null_{column}");
    while name.len() > 63 {
        name.pop();
    }
    name
}

/// `SET NOT NULL` without a scan under an exclusive lock: a `CHECK (c IS NOT NULL)` added
/// `NOT VALID` and validated (reads and writes go on), then `SET NOT NULL`, which PostgreSQL
/// 12+ proves from the valid check instead of scanning, then the check is dropped.
fn set_not_null(d: &Postgres, table: &str, column: &str) -> Vec<String> {
    let name = not_null_check_name(column);
    let check = Check {
        name: name.clone(),
        expr: format!("{} IS NOT NULL", d.quote_ident(column)),
    };
    let mut out = not_valid_then_validate(d, table, &d.check_sql(&check), &name);
    out.push(alter_table(
        d,
        table,
        format_args!("ALTER COLUMN {} SET NOT NULL", d.quote_ident(column)),
    ));
    out.push(d.drop_constraint_sql(table, &name));
    out
}

/// A column change whose NOT NULL is set through a validated check; the rest as usual.
pub(super) fn alter_column(
    d: &Postgres,
    table: &str,
    column: &str,
    change: &ColumnChange<'_>,
    cx: &OpContext<'_>,
) -> Result<Statements, RenderError> {
    if change.nullable != Some((true, false)) {
        return standard_alter_column(d, table, column, change, cx);
    }
    let rest = ColumnChange {
        nullable: None,
        ..*change
    };
    let mut out = standard_alter_column(d, table, column, &rest, cx)?;
    out.sql
        .extend(set_not_null(d, table, change.rename.unwrap_or(column)));
    Ok(out)
}

/// A column with a volatile default (computed per row: adding it so rewrites the table under
/// an exclusive lock): added without a default, the default set for new rows, the existing
/// rows backfilled in batches, then NOT NULL set through a validated check. `None` for other
/// columns, which are added as usual (a constant default is instant on PostgreSQL 11+).
pub(super) fn add_column(
    d: &Postgres,
    table: &str,
    column: &Column,
    cx: &OpContext<'_>,
) -> Result<Option<Statements>, RenderError> {
    let Some(ColumnDefault::Sql { sql: expr }) = &column.default else {
        return Ok(None);
    };
    if !crate::dialect::volatile_default(expr) || column.autoincrement {
        return Ok(None);
    }
    let bare = Column {
        nullable: true,
        default: None,
        ..column.clone()
    };
    let col = d.quote_ident(&column.name);
    let t = d.quote_table(table);
    let mut out = vec![
        alter_table(
            d,
            table,
            format_args!(
                "ADD COLUMN IF NOT EXISTS {}",
                d.column_sql(cx.after()?, &bare)?
            ),
        ),
        alter_table(
            d,
            table,
            format_args!("ALTER COLUMN {col} SET DEFAULT {expr}"),
        ),
        repeated(&format!(
            "UPDATE {t} SET {col} = {expr} WHERE ctid IN (SELECT ctid FROM {t} WHERE {col} IS \
             NULL LIMIT {BACKFILL_BATCH})"
        )),
    ];
    if !column.nullable {
        out.extend(set_not_null(d, table, &column.name));
    }
    out.extend(d.column_comment_sql(table, column));
    Ok(Some(out.into()))
}

/// Whether `sql` builds or drops an index concurrently (written by Strata or by hand): it
/// waits for older transactions without blocking anyone, and leaves an invalid index when it
/// fails.
pub(super) fn waits_harmlessly(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(4)
        .map(str::to_ascii_uppercase)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    matches!(
        words.as_slice(),
        ["CREATE", "INDEX", "CONCURRENTLY", ..]
            | ["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"]
            | ["DROP", "INDEX", "CONCURRENTLY", ..]
    )
}

/// A backfill statement as a `DO` block that runs it until it changes no rows (`NOT FOUND`),
/// committing after each batch when `commit_each` (PostgreSQL 11+, outside a transaction
/// block); `None` when the text holds the block's quote tag.
pub(super) fn repeat_script_sql(sql: &str, commit_each: bool) -> Option<String> {
    const TAG: &str = "$strata_batches$";
    let body = sql
        .strip_prefix(crate::dialect::REPEAT_MARKER)
        .unwrap_or(sql)
        .trim();
    if body.contains(TAG) {
        return None;
    }
    let commit = if commit_each { "\n    COMMIT;" } else { "" };
    Some(format!(
        "{}\nDO {TAG}\nBEGIN\n  LOOP\n    {body};\n    EXIT WHEN NOT FOUND;{commit}\n  END \
         LOOP;\nEND\n{TAG}",
        crate::dialect::REPEAT_MARKER
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Op;
    use crate::render::render_op_with;
    use crate::schema::{Schema, SqlType, Table};

    fn users() -> Schema {
        let mut s = Schema::new();
        s.insert(Table {
            name: "users".into(),
            columns: vec![
                Column::new("id", SqlType::Integer),
                Column::new("email", SqlType::Text).nullable(),
            ],
            ..Table::default()
        });
        s
    }

    fn online(op: Op) -> Vec<String> {
        render_op_with(&op, &Postgres, &users(), true)
            .expect("renders")
            .sql
    }

    #[test]
    fn an_index_is_built_and_dropped_concurrently() {
        let index = Index {
            name: "ix_users_email".into(),
            columns: vec!["email".into()],
            unique: true,
            ..Index::default()
        };
        assert_eq!(
            online(Op::CreateIndex {
                table: "users".into(),
                index: index.clone()
            }),
            [
                r#"DROP INDEX CONCURRENTLY IF EXISTS "ix_users_email""#,
                r#"CREATE UNIQUE INDEX CONCURRENTLY "ix_users_email" ON "users" ("email")"#
            ]
        );
        // A partial GIN index on an expression, built concurrently the same way.
        let partial = Index {
            name: "ix_users_doc".into(),
            expr: Some("to_tsvector('simple', email)".into()),
            desc: Vec::new(),
            where_: Some("email IS NOT NULL".into()),
            using: Some("GIN".into()),
            ..Index::default()
        };
        assert_eq!(
            online(Op::CreateIndex {
                table: "users".into(),
                index: partial
            })[1],
            r#"CREATE INDEX CONCURRENTLY "ix_users_doc" ON "users" USING "gin" ((to_tsvector('simple', email))) WHERE email IS NOT NULL"#
        );
        let mut s = users();
        s.tables
            .get_mut("users")
            .expect("users")
            .indexes
            .push(index.clone());
        let drop = render_op_with(
            &Op::DropIndex {
                table: "users".into(),
                index,
            },
            &Postgres,
            &s,
            true,
        )
        .expect("renders");
        assert_eq!(drop.sql, [r#"DROP INDEX CONCURRENTLY "ix_users_email""#]);
    }

    #[test]
    fn concurrent_index_statements_wait_harmlessly() {
        for sql in [
            r#"CREATE INDEX CONCURRENTLY "ix" ON "t" ("a")"#,
            "create unique index concurrently ix on t (a)",
            "DROP INDEX CONCURRENTLY IF EXISTS \"ix\"",
        ] {
            assert!(waits_harmlessly(sql), "{sql}");
        }
        for sql in [
            r#"CREATE INDEX "ix" ON "t" ("a")"#,
            r#"ALTER TABLE "t" VALIDATE CONSTRAINT "c""#,
            "DROP INDEX ix",
        ] {
            assert!(!waits_harmlessly(sql), "{sql}");
        }
    }

    #[test]
    fn constraints_are_added_not_valid_then_validated() {
        let check = Check {
            name: "ck_email".into(),
            expr: "length(email) > 3".into(),
        };
        assert_eq!(
            online(Op::AddCheck {
                table: "users".into(),
                check
            }),
            [
                r#"ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "ck_email""#,
                r#"ALTER TABLE "users" ADD CONSTRAINT "ck_email" CHECK (length(email) > 3) NOT VALID"#,
                r#"ALTER TABLE "users" VALIDATE CONSTRAINT "ck_email""#,
            ]
        );
        assert_eq!(
            online(Op::AddUnique {
                table: "users".into(),
                unique: crate::schema::Unique {
                    name: "uq_email".into(),
                    columns: vec!["email".into()],
                },
            }),
            [
                r#"DROP INDEX CONCURRENTLY IF EXISTS "uq_email""#,
                r#"CREATE UNIQUE INDEX CONCURRENTLY "uq_email" ON "users" ("email")"#,
                r#"ALTER TABLE "users" ADD CONSTRAINT "uq_email" UNIQUE USING INDEX "uq_email""#,
            ]
        );
    }

    #[test]
    fn not_null_is_set_through_a_validated_check() {
        let op = Op::AlterColumn {
            table: "users".into(),
            column: "email".into(),
            rename: None,
            ty: None,
            nullable: Some(crate::ops::Change {
                from: true,
                to: false,
            }),
            default: None,
        };
        assert_eq!(
            online(op),
            [
                r#"ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "strata_not_null_email""#,
                r#"ALTER TABLE "users" ADD CONSTRAINT "strata_not_null_email" CHECK ("email" IS NOT NULL) NOT VALID"#,
                r#"ALTER TABLE "users" VALIDATE CONSTRAINT "strata_not_null_email""#,
                r#"ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL"#,
                r#"ALTER TABLE "users" DROP CONSTRAINT "strata_not_null_email""#,
            ]
        );
        assert_eq!(not_null_check_name(&"c".repeat(80)).len(), 63);
    }

    #[test]
    fn a_volatile_default_is_backfilled_in_batches() {
        let column = Column {
            default: Some(ColumnDefault::Sql {
                sql: "gen_random_uuid()".into(),
            }),
            ..Column::new("token", SqlType::Uuid)
        };
        let sql = online(Op::AddColumn {
            table: "users".into(),
            column,
        });
        assert_eq!(
            sql[0],
            r#"ALTER TABLE "users" ADD COLUMN IF NOT EXISTS "token" uuid"#
        );
        assert_eq!(
            sql[1],
            r#"ALTER TABLE "users" ALTER COLUMN "token" SET DEFAULT gen_random_uuid()"#
        );
        assert!(crate::dialect::is_repeated(&sql[2]));
        assert!(sql[2].ends_with(
            r#"UPDATE "users" SET "token" = gen_random_uuid() WHERE ctid IN (SELECT ctid FROM "users" WHERE "token" IS NULL LIMIT 10000)"#
        ));
        assert_eq!(sql.len(), 8, "{sql:#?}");
        // A constant default is instant on PostgreSQL 11+: the plain form.
        let constant = Column {
            default: Some(ColumnDefault::Sql { sql: "0".into() }),
            ..Column::new("n", SqlType::Integer)
        };
        assert_eq!(
            online(Op::AddColumn {
                table: "users".into(),
                column: constant
            }),
            [r#"ALTER TABLE "users" ADD COLUMN "n" integer NOT NULL DEFAULT (0)"#]
        );
    }
}
