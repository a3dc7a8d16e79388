//! Stage 7, apply (programmatic API): adopting a database another tool made (Flask-Migrate / Alembic): a baseline revision of the live schema, stamped without running it.
//!
//! The baseline's upgrade creates the live schema as introspected, so a fresh database
//! upgraded from base gets the same tables; the adopted database is only stamped with it.
//! Then the models are compared with the live schema: what they disagree on is the next
//! revision's work (`migrate -m`), never hidden in the baseline.

use crate::apply::Event;
use crate::db::Db;
use crate::diff::{self, Changes, DiffOptions};
use crate::error::Error;
use crate::graph::RevisionGraph;
use crate::introspect;
use crate::model::TableDef;
use crate::schema::Schema;
use crate::script::Script;

use super::{Migrator, NewRevision};

/// The message of a baseline written without `-m`.
pub const BASELINE_MESSAGE: &str = "baseline (adopted from the live database)";

/// What [`Migrator::adopt`] did.
#[derive(Debug)]
pub struct Adoption {
    /// The baseline revision, written and stamped (not run).
    pub baseline: Script,
    /// The tables its upgrade creates, in name order.
    pub tables: Vec<String>,
    /// Version tables of other tools found in the database and left as they are
    /// (`alembic_version`).
    pub left_alone: Vec<String>,
    /// What the database holds that the baseline cannot create (views, triggers, partial
    /// indexes, ...), described: create those by hand in a revision if fresh databases need
    /// them.
    pub not_recreated: Vec<String>,
    /// The changes that bring the adopted database to the models (empty: they agree), or why
    /// they could not be computed (no models linked, say). The baseline is written either way.
    pub model_changes: Result<Changes, Error>,
}

impl Migrator {
    /// Adopts a database that has tables but no Strata version rows (one that Flask-Migrate /
    /// Alembic manages, or that was made by hand): writes a baseline revision whose upgrade
    /// creates the live schema as introspected, stamps the database with it without running
    /// it, and compares the live schema with `models`. Tables outside the `include` /
    /// `exclude` settings and `alembic_version` are left out of the baseline and left alone.
    ///
    /// Refuses, before writing or changing anything, when the migrations directory already
    /// has revisions ([`Error::AdoptHasRevisions`]), when the database already has version
    /// rows ([`Error::AdoptAlreadyManaged`]), and when it has no tables to adopt
    /// ([`Error::AdoptNothing`]). `new` gives the message and the revision id (its ops are
    /// ignored).
    pub async fn adopt(
        &mut self,
        db: &mut Db,
        models: &[&'static TableDef],
        new: NewRevision,
        events: impl FnMut(Event),
    ) -> Result<Adoption, Error> {
        if !self.graph.is_empty() {
            return Err(Error::AdoptHasRevisions {
                path: self.versions_dir(),
                count: self.graph.scripts().count(),
            });
        }
        let current = self.current(db).await?;
        if !current.is_empty() {
            return Err(Error::AdoptAlreadyManaged {
                revisions: current.join(", "),
            });
        }
        let dialect = db.dialect();
        // The schemas the models use are adopted too (their tables, and the schema itself:
        // the baseline creates it on a new database).
        let live =
            introspect::introspect(&mut db.conn, dialect, &self.introspect_options_for(models))
                .await?
                .schema;
        let opts = DiffOptions {
            include: self.settings.include.clone(),
            exclude: self.settings.exclude.clone(),
        };
        let (baseline_ops, tables) = baseline(&live, &opts)?;
        let left_alone: Vec<String> = live
            .tables
            .keys()
            .filter(|t| diff::is_other_tools_table(t))
            .cloned()
            .collect();
        let not_recreated = live
            .unmodeled
            .iter()
            .filter(|u| opts.covers(&u.table))
            .map(|u| format!("{:?} `{}` on `{}`", u.kind, u.name, u.table).to_lowercase())
            .collect();

        let script = self.write_revision(NewRevision {
            message: if new.message.is_empty() {
                BASELINE_MESSAGE.into()
            } else {
                new.message
            },
            rev_id: new.rev_id,
            upgrade: baseline_ops.upgrade,
            downgrade: baseline_ops.downgrade,
            ..NewRevision::default()
        })?;
        let stamped = self
            .stamp(db, &[script.revision().to_string()], false, events)
            .await;
        if let Err(e) = stamped {
            // Nothing was stamped: take the file back, so that `adopt` can run again.
            let _ = std::fs::remove_file(&script.path);
            self.graph = RevisionGraph::new(Vec::new())?;
            // And the line strata.sum got for it.
            if self.dir.join(crate::script::SUM_FILE).is_file() {
                let _ = self.write_sum();
            }
            return Err(e);
        }
        let model_changes = self.compare(db, models).await;
        Ok(Adoption {
            baseline: script,
            tables,
            left_alone,
            not_recreated,
            model_changes,
        })
    }
}

/// The ops creating every table of `live` that `opts` covers (foreign keys in a safe order,
/// cycles broken), and the names of those tables; [`Error::AdoptNothing`] when there are
/// none.
fn baseline(live: &Schema, opts: &DiffOptions) -> Result<(Changes, Vec<String>), Error> {
    let tables: Vec<String> = live
        .tables
        .keys()
        .filter(|t| opts.covers(t))
        .cloned()
        .collect();
    if tables.is_empty() {
        return Err(Error::AdoptNothing);
    }
    let changes = diff::diff(&Schema::new(), live, opts)?;
    Ok((changes, tables))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Op;
    use crate::schema::{Column, ForeignKey, PrimaryKey, ReferentialAction, SqlType, Table};

    fn table(name: &str, fk_to: Option<&str>) -> Table {
        let mut columns = vec![Column::new("id", SqlType::Integer)];
        let mut foreign_keys = Vec::new();
        if let Some(to) = fk_to {
            columns.push(Column::new("ref_id", SqlType::Integer));
            foreign_keys.push(ForeignKey {
                name: format!("{name}_ref_id_fkey"),
                columns: vec!["ref_id".into()],
                ref_table: to.into(),
                ref_columns: vec!["id".into()],
                on_delete: ReferentialAction::NoAction,
                on_update: ReferentialAction::NoAction,
            });
        }
        Table {
            name: name.into(),
            columns,
            primary_key: Some(PrimaryKey {
                name: format!("{name}_pkey"),
                columns: vec!["id".into()],
            }),
            foreign_keys,
            ..Table::default()
        }
    }

    #[test]
    fn the_baseline_creates_every_covered_table_in_dependency_order() {
        let mut live = Schema::new();
        live.insert(table("a_posts", Some("users")));
        live.insert(table("users", None));
        live.insert(table("alembic_version", None));
        live.insert(table("legacy_x", None));
        let opts = DiffOptions {
            include: vec![],
            exclude: vec!["legacy_*".into()],
        };
        let (changes, tables) = baseline(&live, &opts).expect("baseline");
        assert_eq!(tables, ["a_posts", "users"]);
        let created: Vec<&str> = changes
            .upgrade
            .iter()
            .map(|op| match op {
                Op::CreateTable { table } => table.name.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(created, ["users", "a_posts"], "referenced tables first");
        // Names are the database's own.
        let Op::CreateTable { table } = &changes.upgrade[1] else {
            unreachable!()
        };
        assert_eq!(table.foreign_keys[0].name, "a_posts_ref_id_fkey");
        assert_eq!(changes.downgrade.len(), 2);
    }

    #[test]
    fn nothing_to_adopt_is_refused() {
        let mut live = Schema::new();
        live.insert(table("alembic_version", None));
        assert!(matches!(
            baseline(&live, &DiffOptions::default()),
            Err(Error::AdoptNothing)
        ));
    }
}
