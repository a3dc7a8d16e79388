//! Shared by the integration tests outside the round-trip family (which have
//! `roundtrip_common`): throwaway migration directories, hand-written revision files, DDL
//! runs, and builders for expected schemas.

#![allow(dead_code)] // each test crate uses a different part

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{AnyConnection, Executor};
use strata::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, SqlType, Unique,
};

/// A migrations directory under the system temp directory, with an empty `versions/`;
/// removed when dropped.
pub struct Dir(pub PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Deref for Dir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

/// A fresh `strata-<tag>-<pid>-<time>-<n>` migrations directory.
pub fn temp_dir(tag: &str) -> Dir {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "strata-{tag}-{}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(d.join("versions")).expect("temp dir");
    Dir(d)
}

/// Writes one revision per `(message, id, upgrade ops)` with `m`, each downgrading as its
/// upgrade reversed, each the child of the one before; returns the directory opened again.
pub fn write_op_revisions(
    m: &mut strata::Migrator,
    dir: &Path,
    revisions: Vec<(&str, &str, Vec<strata::ops::Op>)>,
) -> strata::Migrator {
    for (message, id, upgrade) in revisions {
        let downgrade = strata::ops::reverse_all(&upgrade).expect("reversible");
        m.write_revision(strata::NewRevision {
            message: message.into(),
            rev_id: Some(id.into()),
            upgrade,
            downgrade,
            ..strata::NewRevision::default()
        })
        .expect("write");
    }
    strata::Migrator::open(dir).expect("reopen")
}

/// Asserts that `text` contains each of `parts`, naming the missing one.
pub fn assert_mentions(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "missing {part:?} in: {text}");
    }
}

/// Writes `versions/<rev>_step.toml` in `dir`: the header (`revision`, `down_revision` when
/// there is a `parent`, `message = "step <rev>"`) and then `body`.
pub fn write_revision(dir: &Path, rev: &str, parent: Option<&str>, body: &str) -> PathBuf {
    let parent = parent
        .map(|p| format!("down_revision = \"{p}\"\n"))
        .unwrap_or_default();
    let path = dir.join("versions").join(format!("{rev}_step.toml"));
    let text = format!("revision = \"{rev}\"\n{parent}message = \"step {rev}\"\n{body}");
    std::fs::write(&path, text).expect("write revision");
    path
}

/// The upgrade of a first revision creating `users (id integer, name varchar(40))` keyed
/// by `id`, as a migration file writes it.
pub const CREATE_USERS: &str = r#"
[[upgrade]]
op = "create_table"

[upgrade.table]
name = "users"
columns = [
  { name = "id", type = "integer" },
  { name = "name", type = "varchar(40)" },
]
primary_key = { name = "pk_users", columns = ["id"] }
"#;

/// A fresh migrations directory with one revision per `(id, body)`, each the child of the
/// one before ([`write_revision`]).
pub fn write_chain(tag: &str, revisions: &[(&str, &str)]) -> Dir {
    let dir = temp_dir(tag);
    let mut parent = None;
    for (rev, body) in revisions {
        write_revision(&dir, rev, parent, body);
        parent = Some(*rev);
    }
    dir
}

/// Runs each statement of `ddl` (statements end with `;` and a newline).
pub async fn run(conn: &mut AnyConnection, ddl: &str) {
    for stmt in ddl.split(";\n").map(str::trim).filter(|s| !s.is_empty()) {
        conn.execute(stmt)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{stmt}"));
    }
}

// Builders for expected schemas.

/// A NOT NULL column.
pub fn c(name: &str, ty: SqlType) -> Column {
    Column::new(name, ty)
}

/// A nullable column.
pub fn n(name: &str, ty: SqlType) -> Column {
    Column::new(name, ty).nullable()
}

pub fn with_default(mut col: Column, d: ColumnDefault) -> Column {
    col.default = Some(d);
    col
}

pub fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub fn pk(name: &str, cols: &[&str]) -> Option<PrimaryKey> {
    Some(PrimaryKey {
        name: name.into(),
        columns: strs(cols),
    })
}

pub fn uq(name: &str, cols: &[&str]) -> Unique {
    Unique {
        name: name.into(),
        columns: strs(cols),
    }
}

pub fn fk(
    name: &str,
    cols: &[&str],
    ref_table: &str,
    ref_cols: &[&str],
    on_delete: ReferentialAction,
    on_update: ReferentialAction,
) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        columns: strs(cols),
        ref_table: ref_table.into(),
        ref_columns: strs(ref_cols),
        on_delete,
        on_update,
    }
}

pub fn ix(name: &str, cols: &[&str], unique: bool) -> Index {
    Index {
        name: name.into(),
        columns: strs(cols),
        unique,
        ..Index::default()
    }
}

pub fn ck(name: &str, expr: &str) -> Check {
    Check {
        name: name.into(),
        expr: expr.into(),
    }
}
