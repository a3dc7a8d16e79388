//! Stage 4, diff: the models' own spelling in the ops written to files.
//!
//! Autogenerate compares the database with the models *as the database would read them back*
//! ([`Catalog::normalize`](crate::dialect::Catalog::normalize)): on MySQL a primary key is named
//! `PRIMARY`, `timestamptz` is `timestamp`, a unique index is a unique constraint. Those are
//! facts about one database, and a migration file is written once and applied everywhere: so
//! the values an op creates are taken back from the models, as written, before the file is.
//! What an op takes from the database (an `alter_column`'s `from`, a dropped column) stays as
//! the database has it.

use crate::ops::{reverse_all, Op};
use crate::schema::{Schema, Table};

use super::{Changes, DiffError};

/// `changes` (computed against `models` normalised for a dialect) with every value an upgrade
/// op creates taken from `models` as written, and the downgrade derived again from them.
pub fn with_model_spelling(mut changes: Changes, models: &Schema) -> Result<Changes, DiffError> {
    for op in &mut changes.upgrade {
        restore(op, models);
    }
    changes.downgrade = reverse_all(&changes.upgrade)?;
    Ok(changes)
}

/// A model table without rename hints (the diff has used them).
fn plain(t: &Table) -> Table {
    let mut t = t.clone();
    t.renamed_from = None;
    for c in &mut t.columns {
        c.renamed_from = None;
    }
    t
}

/// `table` (created by an op) with each part the model also has taken from the model.
fn restore_table(table: &mut Table, m: &Table) {
    table.comment = m.comment.clone();
    for c in &mut table.columns {
        if let Some(mc) = m.column(&c.name) {
            *c = mc.clone();
        }
    }
    if let (Some(pk), Some(mpk)) = (&mut table.primary_key, &m.primary_key) {
        if pk.columns == mpk.columns {
            *pk = mpk.clone();
        }
    }
    let uniques = std::mem::take(&mut table.uniques);
    for u in uniques {
        if let Some(mu) = m.uniques.iter().find(|x| x.name == u.name) {
            table.uniques.push(mu.clone());
        } else if let Some(ix) = m.indexes.iter().find(|i| i.unique && i.name == u.name) {
            table.indexes.push(ix.clone());
        } else {
            table.uniques.push(u);
        }
    }
    for ix in &mut table.indexes {
        if let Some(mi) = m.indexes.iter().find(|i| i.name == ix.name) {
            *ix = mi.clone();
        }
    }
    for fk in &mut table.foreign_keys {
        if let Some(mf) = m.foreign_keys.iter().find(|f| f.name == fk.name) {
            *fk = mf.clone();
        }
    }
    for ck in &mut table.checks {
        if let Some(mc) = m.checks.iter().find(|c| c.name == ck.name) {
            *ck = mc.clone();
        }
    }
}

fn restore(op: &mut Op, models: &Schema) {
    let model = |table: &str| models.table(table);
    match op {
        // Element by element: the diff may leave parts out of a created table (a foreign key
        // of a cycle is added after both tables exist).
        Op::CreateTable { table } => {
            if let Some(m) = model(&table.name) {
                restore_table(table, &plain(m));
            }
        }
        Op::AddColumn { table, column } => {
            if let Some(c) = model(table).and_then(|t| t.column(&column.name)) {
                *column = c.clone();
                column.renamed_from = None;
            }
        }
        Op::AlterColumn {
            table,
            column,
            rename,
            ty,
            default,
            ..
        } => {
            let name = rename.as_deref().unwrap_or(column);
            if let Some(c) = model(table).and_then(|t| t.column(name)) {
                if let Some(ty) = ty {
                    ty.to = c.ty.clone();
                    // MySQL keeps no enum type name: the type read back is the model's.
                    if let (
                        crate::schema::SqlType::Enum { name: from, .. },
                        crate::schema::SqlType::Enum { name: to, .. },
                    ) = (&mut ty.from, &ty.to)
                    {
                        if from.is_empty() {
                            from.clone_from(to);
                        }
                    }
                }
                if let Some(d) = default {
                    d.to = c.default.clone();
                }
            }
        }
        Op::AlterPrimaryKey { table, to, .. } => {
            if let (Some(to), Some(pk)) = (to, model(table).and_then(|t| t.primary_key.as_ref())) {
                if to.columns == pk.columns {
                    *to = pk.clone();
                }
            }
        }
        Op::AddUnique { table, unique } => {
            let Some(t) = model(table) else { return };
            if let Some(u) = t.uniques.iter().find(|u| u.name == unique.name) {
                *unique = u.clone();
            } else if let Some(ix) = t.indexes.iter().find(|i| i.unique && i.name == unique.name) {
                *op = Op::CreateIndex {
                    table: table.clone(),
                    index: ix.clone(),
                };
            }
        }
        Op::CreateIndex { table, index } => {
            if let Some(ix) =
                model(table).and_then(|t| t.indexes.iter().find(|i| i.name == index.name))
            {
                *index = ix.clone();
            }
        }
        Op::AddForeignKey { table, foreign_key } => {
            if let Some(fk) = model(table)
                .and_then(|t| t.foreign_keys.iter().find(|f| f.name == foreign_key.name))
            {
                *foreign_key = fk.clone();
            }
        }
        Op::AddCheck { table, check } => {
            if let Some(ck) =
                model(table).and_then(|t| t.checks.iter().find(|c| c.name == check.name))
            {
                *check = ck.clone();
            }
        }
        Op::DropTable { .. }
        | Op::RenameTable { .. }
        | Op::DropColumn { .. }
        | Op::DropIndex { .. }
        | Op::DropUnique { .. }
        | Op::DropForeignKey { .. }
        | Op::DropCheck { .. }
        | Op::AlterColumnComment { .. }
        | Op::AlterTableComment { .. }
        | Op::CreateSchema { .. }
        | Op::DropSchema { .. }
        | Op::Sql { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{diff, DiffOptions};
    use crate::schema::{Column, Index, PrimaryKey, SqlType, Unique};

    fn model() -> Schema {
        let mut s = Schema::new();
        s.insert(Table {
            name: "t".into(),
            columns: vec![
                Column::new("id", SqlType::Integer),
                Column::new("at", SqlType::TimestampTz),
                Column::new("email", SqlType::Varchar(80)),
            ],
            primary_key: Some(PrimaryKey {
                name: "pk_t".into(),
                columns: vec!["id".into()],
            }),
            indexes: vec![Index {
                name: "ix_t_email".into(),
                columns: vec!["email".into()],
                unique: true,
                ..Index::default()
            }],
            ..Table::default()
        });
        s
    }

    /// What a dialect like MySQL reads back for `model()`.
    fn as_read_back(mut s: Schema) -> Schema {
        let t = s.table_mut("t").expect("t");
        t.primary_key.as_mut().expect("pk").name = "PRIMARY".into();
        t.columns[1].ty = SqlType::Timestamp;
        let ix = t.indexes.remove(0);
        t.uniques.push(Unique {
            name: ix.name,
            columns: ix.columns,
        });
        s
    }

    #[test]
    fn created_objects_keep_the_models_spelling() {
        let models = model();
        let normalized = as_read_back(models.clone());
        let changes = diff(&Schema::new(), &normalized, &DiffOptions::default()).expect("diff");
        let fixed = with_model_spelling(changes, &models).expect("spelling");
        let Op::CreateTable { table } = &fixed.upgrade[0] else {
            panic!("{:?}", fixed.upgrade)
        };
        assert_eq!(table, models.table("t").expect("t"));
        assert!(matches!(&fixed.downgrade[0], Op::DropTable { table } if table.name == "t"));
    }

    #[test]
    fn added_keys_and_columns_keep_the_models_spelling() {
        let models = model();
        let mut current = as_read_back(models.clone());
        let t = current.table_mut("t").expect("t");
        t.uniques.clear();
        t.columns.pop();
        let changes = diff(
            &current,
            &as_read_back(models.clone()),
            &DiffOptions::default(),
        )
        .expect("diff");
        let fixed = with_model_spelling(changes, &models).expect("spelling");
        assert!(
            fixed.upgrade.iter().any(|op| matches!(op,
                Op::CreateIndex { index, .. } if index.unique && index.name == "ix_t_email")),
            "{:?}",
            fixed.upgrade
        );
        assert!(fixed.upgrade.iter().any(
            |op| matches!(op, Op::AddColumn { column, .. } if column.ty == SqlType::Varchar(80))
        ));
    }
}
