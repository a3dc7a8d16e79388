//! Stage 2, schema: what a database holds that Strata does not model, kept verbatim so that a table rebuild carries it over.
//!
//! Introspection records these objects (SQLite: triggers, views, indexes of a shape the
//! schema's [`Index`](super::Index) cannot describe (a `COLLATE` column, several expressions,
//! an expression before a column), generated columns, column collations) as the database's
//! own text. Partial, expression and descending indexes are modeled and are not recorded here. They are never written to migration files and never compared by the diff: models
//! do not describe them, so autogenerate neither creates nor drops them. Their only reader is
//! the dialect, when it must re-create a table (SQLite's rebuild) and put them back. Ops that
//! rename a table or a column record the rename here ([`Unmodeled::renames`]) instead of
//! rewriting SQL text, which only the dialect reads and writes.

/// What kind of object an [`Unmodeled`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnmodeledKind {
    /// An index the neutral schema cannot describe exactly (a `COLLATE` column, several
    /// expressions, an expression before a column); `sql` is its `CREATE INDEX` statement.
    Index,
    /// A trigger on `table`; `sql` is its `CREATE TRIGGER` statement.
    Trigger,
    /// A view (`table` is the view's own name); `sql` is its `CREATE VIEW` statement.
    View,
    /// A generated column of `table`; `sql` is its column definition as declared.
    GeneratedColumn,
    /// The collation of column `name` of `table`; `sql` is the collation's name.
    Collation,
    /// What follows a table's column list (`WITHOUT ROWID`, `STRICT`); `name` is the table's.
    TableOptions,
}

/// A rename done by an op after the object's text was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rename {
    /// Table `from` is now `to`.
    Table {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// The object itself, named `from`, is now `to` (an index named after a renamed table or
    /// column).
    Name {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// Column `from` of `table` (its name at the time) is now `to`.
    Column {
        /// The table.
        table: String,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
}

/// One object the database holds and Strata does not model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmodeled {
    /// What it is.
    pub kind: UnmodeledKind,
    /// The object's name; for a generated column or a collation, the column's name.
    pub name: String,
    /// The table it belongs to (for a view: the view's own name).
    pub table: String,
    /// The database's own text (see [`UnmodeledKind`]).
    pub sql: String,
    /// For a generated column: its position among all the table's columns when read.
    pub position: usize,
    /// Renames since `sql` was read, oldest first: the dialect carries them into the text
    /// when it writes the object again.
    pub renames: Vec<Rename>,
}

impl Unmodeled {
    /// Whether this object is attached to table `table` (dropped with it, re-created with it).
    pub fn belongs_to(&self, table: &str) -> bool {
        self.kind != UnmodeledKind::View && self.table == table
    }
}

/// Keeps `objects` in step with a table rename: objects of `from` now belong to `to`, and
/// every object's text is to be read with the rename applied.
pub(crate) fn rename_table(objects: &mut [Unmodeled], from: &str, to: &str) {
    for o in objects {
        if o.belongs_to(from) {
            o.table = to.to_string();
        }
        o.renames.push(Rename::Table {
            from: from.into(),
            to: to.into(),
        });
    }
}

/// Keeps `objects` in step with a column rename in `table`.
pub(crate) fn rename_column(objects: &mut [Unmodeled], table: &str, from: &str, to: &str) {
    for o in objects {
        let column_fact = matches!(
            o.kind,
            UnmodeledKind::GeneratedColumn | UnmodeledKind::Collation
        );
        if column_fact && o.table == table && o.name == from {
            o.name = to.to_string();
        }
        o.renames.push(Rename::Column {
            table: table.into(),
            from: from.into(),
            to: to.into(),
        });
    }
}

/// Keeps `objects` in step with dropping table `table`: what belongs to it goes with it.
pub(crate) fn drop_table(objects: &mut Vec<Unmodeled>, table: &str) {
    objects.retain(|o| !o.belongs_to(table));
}

/// Keeps `objects` in step with dropping column `column` of `table`: its collation goes with
/// it. (Objects whose text uses the column stay: the dialect refuses or drops them, as the
/// database would.)
pub(crate) fn drop_column(objects: &mut Vec<Unmodeled>, table: &str, column: &str) {
    objects
        .retain(|o| !(o.kind == UnmodeledKind::Collation && o.table == table && o.name == column));
}

/// Keeps `objects` in step with the rename of index `from` of `table` to `to`.
pub(crate) fn rename_index(objects: &mut [Unmodeled], table: &str, from: &str, to: &str) {
    for o in objects {
        if o.kind == UnmodeledKind::Index && o.table == table && o.name == from {
            o.name = to.to_string();
            o.renames.push(Rename::Name {
                from: from.into(),
                to: to.into(),
            });
        }
    }
}

/// Keeps `objects` in step with dropping index `name` of `table`.
pub(crate) fn drop_index(objects: &mut Vec<Unmodeled>, table: &str, name: &str) {
    objects.retain(|o| !(o.kind == UnmodeledKind::Index && o.table == table && o.name == name));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(kind: UnmodeledKind, name: &str, table: &str) -> Unmodeled {
        Unmodeled {
            kind,
            name: name.into(),
            table: table.into(),
            sql: String::new(),
            position: 0,
            renames: Vec::new(),
        }
    }

    #[test]
    fn renames_follow_and_drops_remove() {
        let mut v = vec![
            obj(UnmodeledKind::Trigger, "tr", "users"),
            obj(UnmodeledKind::View, "users", "users"),
            obj(UnmodeledKind::Collation, "email", "users"),
            obj(UnmodeledKind::Index, "ux", "users"),
        ];
        rename_table(&mut v, "users", "members");
        assert_eq!(v[0].table, "members");
        assert_eq!(
            v[1].table, "users",
            "a view named like the table is not the table's"
        );
        assert!(v.iter().all(|o| o.renames.len() == 1));
        rename_column(&mut v, "members", "email", "mail");
        assert_eq!(v[2].name, "mail");
        drop_index(&mut v, "members", "ux");
        assert_eq!(v.len(), 3);
        drop_column(&mut v, "members", "mail");
        assert_eq!(v.len(), 2);
        drop_table(&mut v, "members");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, UnmodeledKind::View);
    }
}
