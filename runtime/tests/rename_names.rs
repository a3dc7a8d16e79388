//! Stage 5/6, ops and render: constraint and index names follow table and column renames, live
//! on SQLite and PostgreSQL. `users` is renamed to `members`, and the next revision creates a
//! new `users` with the same conventional names (`pk_users`, `ix_users_email`, ...), which
//! collided before; a column rename renames `ix_users_email`; autogenerate of the rename is the
//! rename alone, and the database then matches the models; a later revision written with the
//! old names (as a SQLite database shows them) still drops the right objects; downgrade to
//! base and upgrade again.

mod common;

use sqlx::{Executor, Row};
use strata::dialect::DialectKind;
use strata::dialect::IntrospectOptions;
use strata::diff::{diff_on, Changes, DiffOptions};
use strata::graph::Direction;
use strata::ops::Op;
use strata::schema::{Schema, Table};
use strata::testing::{introspect, TestDb, DIALECTS};
use strata::{Migrator, RunOptions};

use common::{temp_dir, write_revision, Dir};

/// users (every kind of conventional name) and posts referencing it.
const A1: &str = r#"
[[upgrade]]
op = "create_table"

[upgrade.table]
name = "users"
primary_key = { name = "pk_users", columns = ["id"] }
uniques = [{ name = "uq_users_name", columns = ["name"] }]
indexes = [{ name = "ix_users_email", columns = ["email"] }]
checks = [{ name = "ck_users_email_len", expr = "length(email) > 3" }]
columns = [
  { name = "id", type = "integer" },
  { name = "name", type = "varchar(80)" },
  { name = "email", type = "varchar(120)" },
]

[[upgrade]]
op = "create_table"

[upgrade.table]
name = "posts"
primary_key = { name = "pk_posts", columns = ["id"] }
foreign_keys = [{ name = "fk_posts_user_id_users", columns = ["user_id"], ref_table = "users", ref_columns = ["id"] }]
columns = [
  { name = "id", type = "integer" },
  { name = "user_id", type = "integer" },
]
"#;

const B2: &str = r#"
[[upgrade]]
op = "rename_table"
from = "users"
to = "members"
"#;

/// A new `users`, with the names the old one had.
const C3: &str = r#"
[[upgrade]]
op = "create_table"

[upgrade.table]
name = "users"
primary_key = { name = "pk_users", columns = ["id"] }
uniques = [{ name = "uq_users_name", columns = ["name"] }]
indexes = [{ name = "ix_users_email", columns = ["email"] }]
checks = [{ name = "ck_users_email_len", expr = "length(email) > 3" }]
columns = [
  { name = "id", type = "integer" },
  { name = "name", type = "varchar(80)" },
  { name = "email", type = "varchar(120)" },
]
"#;

const D4: &str = r#"
[[upgrade]]
op = "alter_column"
table = "users"
column = "email"
rename = "contact"
"#;

/// Written against a database where the rename kept the old names (SQLite keeps constraint
/// names inside the table's definition): drops by the old names.
const E5: &str = r#"
[[upgrade]]
op = "drop_check"
table = "members"
check = { name = "ck_users_email_len", expr = "length(email) > 3" }

[[upgrade]]
op = "drop_unique"
table = "members"
unique = { name = "uq_users_name", columns = ["name"] }

# Re-created under the names the table has now (the new `users` owns `uq_users_name`).
[[downgrade]]
op = "add_unique"
table = "members"
unique = { name = "uq_members_name", columns = ["name"] }

[[downgrade]]
op = "add_check"
table = "members"
check = { name = "ck_members_email_len", expr = "length(email) > 3" }
"#;

fn migrations(dir: &Dir) -> Migrator {
    write_revision(dir, "a1", None, A1);
    write_revision(dir, "b2", Some("a1"), B2);
    write_revision(dir, "c3", Some("b2"), C3);
    write_revision(dir, "d4", Some("c3"), D4);
    write_revision(dir, "e5", Some("d4"), E5);
    Migrator::open(&dir.0).expect("open")
}

async fn schema(db: &mut strata::db::Db) -> Schema {
    let d = db.dialect();
    introspect(db.conn(), d, &IntrospectOptions::default())
        .await
        .expect("introspect")
        .schema
}

fn names(t: &Table) -> Vec<String> {
    let mut out: Vec<String> = t
        .primary_key
        .iter()
        .map(|p| p.name.clone())
        .chain(t.uniques.iter().map(|u| u.name.clone()))
        .chain(t.indexes.iter().map(|i| i.name.clone()))
        .chain(t.foreign_keys.iter().map(|f| f.name.clone()))
        .chain(t.checks.iter().map(|c| c.name.clone()))
        .collect();
    out.sort();
    out
}

/// The plan autogenerate makes from `current` (read from a `kind` database) to `target`.
fn autogenerate(kind: DialectKind, current: &Schema, target: &Schema) -> Changes {
    diff_on(
        kind.dialect().expect("dialect"),
        current,
        target,
        &DiffOptions::default(),
    )
    .expect("diff")
}

/// The models at `rev` (the replayed ops, as Strata names them), normalised for `kind`.
fn models_at(m: &Migrator, kind: DialectKind, rev: &str) -> Schema {
    let mut s = m.schema_at(rev).expect("replay");
    kind.dialect().expect("dialect").normalize(&mut s);
    s
}

async fn up(m: &Migrator, db: &mut strata::db::Db, target: &str) {
    m.upgrade(db, target, &RunOptions::default(), |_| {})
        .await
        .unwrap_or_else(|e| panic!("{} upgrade {target}: {e}", db.dialect().name()));
}

#[tokio::test]
async fn names_follow_renames_and_free_the_old_ones() {
    for kind in DIALECTS {
        let dir = temp_dir("live");
        let m = migrations(&dir);
        let tdb = TestDb::new(kind, "rename_names").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");

        up(&m, &mut db, "a1").await;
        db.conn()
            .execute(
                "INSERT INTO users (id, name, email) VALUES (1, 'ann', 'ann@x'), (2, 'bob', 'bob@x');
                 INSERT INTO posts (id, user_id) VALUES (10, 1)",
            )
            .await
            .expect("rows");

        // Autogenerate of the rename (models: `members`, renamed from `users`): the rename alone.
        let mut hinted = models_at(&m, kind, "b2");
        hinted.table_mut("members").expect("members").renamed_from = Some("users".into());
        let plan = autogenerate(kind, &schema(&mut db).await, &hinted);
        assert_eq!(
            plan.upgrade,
            [Op::RenameTable {
                from: "users".into(),
                to: "members".into()
            }],
            "{kind}"
        );

        // Applied, the database matches the models: `check` is empty.
        up(&m, &mut db, "b2").await;
        let after = schema(&mut db).await;
        let again = autogenerate(kind, &after, &models_at(&m, kind, "b2"));
        assert!(again.upgrade.is_empty(), "{kind}: {:?}", again.upgrade);
        let members = after.table("members").expect("members");
        let posts = after.table("posts").expect("posts");
        match kind {
            // Every conventional name followed the table.
            DialectKind::Postgres => {
                assert_eq!(
                    names(members),
                    [
                        "ck_members_email_len",
                        "ix_members_email",
                        "pk_members",
                        "uq_members_name"
                    ]
                );
                assert_eq!(names(posts), ["fk_posts_user_id_members", "pk_posts"]);
            }
            // Every conventional name followed, in the same ALTER TABLE (the primary key is
            // always PRIMARY on MySQL).
            DialectKind::Mysql => {
                assert_eq!(
                    names(members),
                    [
                        "PRIMARY",
                        "ck_members_email_len",
                        "ix_members_email",
                        "uq_members_name"
                    ]
                );
                assert_eq!(names(posts), ["PRIMARY", "fk_posts_user_id_members"]);
            }
            // The index (a database-wide name) followed; names inside CREATE TABLE are
            // per table on SQLite and stay as they were.
            _ => {
                assert!(
                    names(members).contains(&"ix_members_email".to_string()),
                    "{:?}",
                    names(members)
                );
                assert!(!names(members).contains(&"ix_users_email".to_string()));
            }
        }

        // A new `users` with the old names: no collision (pk_users and ix_users_email were
        // taken on PostgreSQL, ix_users_email on SQLite).
        up(&m, &mut db, "c3").await;
        db.conn()
            .execute("INSERT INTO users (id, name, email) VALUES (1, 'cy', 'cy@x')")
            .await
            .expect("rows in the new users");

        // A column rename renames ix_users_email.
        up(&m, &mut db, "d4").await;
        let at_d4 = schema(&mut db).await;
        let users = at_d4.table("users").expect("users");
        let ix: Vec<&str> = users.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(ix, ["ix_users_contact"], "{kind}");
        let again = autogenerate(kind, &at_d4, &models_at(&m, kind, "d4"));
        assert!(again.upgrade.is_empty(), "{kind}: {:?}", again.upgrade);

        // Drops written with the old names find the renamed objects.
        up(&m, &mut db, "e5").await;
        let at_e5 = schema(&mut db).await;
        let members = at_e5.table("members").expect("members");
        assert!(
            members.checks.is_empty() && members.uniques.is_empty(),
            "{kind}"
        );
        let again = autogenerate(kind, &at_e5, &models_at(&m, kind, "e5"));
        assert!(again.upgrade.is_empty(), "{kind}: {:?}", again.upgrade);

        // The rows came through.
        let n: i64 = db
            .conn()
            .fetch_one("SELECT count(*) FROM members")
            .await
            .expect("count")
            .get(0);
        assert_eq!(n, 2, "{kind}");

        // All the way down and up again, in one run each.
        db.conn()
            .execute("DELETE FROM users; DELETE FROM posts; DELETE FROM members")
            .await
            .expect("empty");
        m.downgrade(&mut db, "base", &RunOptions::default(), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{kind} downgrade: {e}"));
        assert!(schema(&mut db).await.tables.is_empty(), "{kind}");
        up(&m, &mut db, "head").await;
        let head = schema(&mut db).await;
        let again = autogenerate(kind, &head, &models_at(&m, kind, "e5"));
        assert!(again.upgrade.is_empty(), "{kind}: {:?}", again.upgrade);

        // Offline, the same renames.
        let sql = m
            .offline_sql(
                kind.dialect().expect("dialect built"),
                Direction::Up,
                "a1:b2",
                None,
            )
            .expect("offline");
        match kind {
            DialectKind::Postgres => {
                for needle in [
                    r#"ALTER TABLE "members" RENAME CONSTRAINT "pk_users" TO "pk_members""#,
                    r#"ALTER INDEX "ix_users_email" RENAME TO "ix_members_email""#,
                    r#"ALTER TABLE "posts" RENAME CONSTRAINT "fk_posts_user_id_users" TO "fk_posts_user_id_members""#,
                ] {
                    assert!(sql.contains(needle), "{needle} not in\n{sql}");
                }
            }
            DialectKind::Mysql => {
                for needle in [
                    "ALTER TABLE `users` RENAME TO `members`, RENAME INDEX `uq_users_name` TO \
                     `uq_members_name`, RENAME INDEX `ix_users_email` TO `ix_members_email`",
                    "ALTER TABLE `posts` RENAME INDEX `fk_posts_user_id_users` TO \
                     `fk_posts_user_id_members`, DROP FOREIGN KEY `fk_posts_user_id_users`, ADD \
                     CONSTRAINT `fk_posts_user_id_members` FOREIGN KEY (`user_id`) REFERENCES \
                     `members` (`id`)",
                ] {
                    assert!(sql.contains(needle), "{needle} not in\n{sql}");
                }
            }
            _ => {
                assert!(sql.contains(r#"DROP INDEX "ix_users_email""#), "{sql}");
                assert!(
                    sql.contains(r#"CREATE INDEX "ix_members_email" ON "members" ("email")"#),
                    "{sql}"
                );
            }
        }
    }
}

/// A team's own convention (strata.toml's `[naming]`).
const NAMING: &str = r#"[naming]
pk = "%(table_name)s_pkey"
uq = "%(table_name)s_%(column_0_N_name)s_key"
ix = "idx_%(table_name)s_%(column_0_N_name)s"
fk = "%(table_name)s_%(column_0_N_name)s_fkey_%(referred_table_name)s"
ck = "%(table_name)s_%(constraint_name)s_check"
"#;

/// `users` and `posts` named by [`NAMING`], plus `ix_users_name`, which under it is a
/// hand-chosen name.
const N1: &str = r#"
[[upgrade]]
op = "create_table"

[upgrade.table]
name = "users"
primary_key = { name = "users_pkey", columns = ["id"] }
uniques = [{ name = "users_name_key", columns = ["name"] }]
indexes = [
  { name = "idx_users_email", columns = ["email"] },
  { name = "ix_users_name", columns = ["name", "email"] },
]
checks = [{ name = "users_email_len_check", expr = "length(email) > 3" }]
columns = [
  { name = "id", type = "integer" },
  { name = "name", type = "varchar(80)" },
  { name = "email", type = "varchar(120)" },
]

[[upgrade]]
op = "create_table"

[upgrade.table]
name = "posts"
primary_key = { name = "posts_pkey", columns = ["id"] }
foreign_keys = [{ name = "posts_user_id_fkey_users", columns = ["user_id"], ref_table = "users", ref_columns = ["id"] }]
columns = [
  { name = "id", type = "integer" },
  { name = "user_id", type = "integer" },
]
"#;

/// A new `users` with the old one's conventional names.
const N3: &str = r#"
[[upgrade]]
op = "create_table"

[upgrade.table]
name = "users"
primary_key = { name = "users_pkey", columns = ["id"] }
indexes = [{ name = "idx_users_email", columns = ["email"] }]
columns = [
  { name = "id", type = "integer" },
  { name = "email", type = "varchar(120)" },
]
"#;

/// The schema of `db`, on `m`'s naming convention.
async fn read(m: &Migrator, db: &mut strata::db::Db) -> Schema {
    let opts = IntrospectOptions {
        naming: m.naming().clone(),
        ..IntrospectOptions::default()
    };
    let d = db.dialect();
    introspect(db.conn(), d, &opts)
        .await
        .expect("introspect")
        .schema
}

#[tokio::test]
async fn names_follow_renames_by_the_configured_convention() {
    for kind in DIALECTS {
        let dir = temp_dir("live_naming");
        std::fs::write(dir.0.join("strata.toml"), NAMING).expect("strata.toml");
        write_revision(&dir, "n1", None, N1);
        write_revision(&dir, "n2", Some("n1"), B2);
        write_revision(&dir, "n3", Some("n2"), N3);
        write_revision(&dir, "n4", Some("n3"), D4);
        let m = Migrator::open(&dir.0).expect("open");
        let tdb = TestDb::new(kind, "rename_naming").await;
        let mut db = m.connect(&tdb.url).await.expect("connect");

        up(&m, &mut db, "n2").await;
        let after = read(&m, &mut db).await;
        let members = after.table("members").expect("members");
        let expected: &[&str] = match kind {
            DialectKind::Postgres => &[
                "idx_members_email",
                "ix_users_name",
                "members_email_len_check",
                "members_name_key",
                "members_pkey",
            ],
            DialectKind::Mysql => &[
                "PRIMARY",
                "idx_members_email",
                "ix_users_name",
                "members_email_len_check",
                "members_name_key",
            ],
            // Index names followed; names inside CREATE TABLE stay on SQLite.
            _ => &[
                "idx_members_email",
                "ix_users_name",
                "users_email_len_check",
                "users_name_key",
                "users_pkey",
            ],
        };
        assert_eq!(names(members), expected, "{kind}");
        if kind == DialectKind::Postgres {
            assert_eq!(
                names(after.table("posts").expect("posts")),
                ["posts_pkey", "posts_user_id_fkey_members"]
            );
        }
        let again = autogenerate(kind, &after, &models_at(&m, kind, "n2"));
        assert!(again.upgrade.is_empty(), "{kind}: {:?}", again.upgrade);

        // The old names are free for a new `users`; a column rename follows the convention.
        up(&m, &mut db, "n4").await;
        let head = read(&m, &mut db).await;
        let users = head.table("users").expect("users");
        let ix: Vec<&str> = users.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(ix, ["idx_users_contact"], "{kind}");
        let again = autogenerate(kind, &head, &models_at(&m, kind, "n4"));
        assert!(again.upgrade.is_empty(), "{kind}: {:?}", again.upgrade);

        m.downgrade(&mut db, "base", &RunOptions::default(), |_| {})
            .await
            .unwrap_or_else(|e| panic!("{kind} downgrade: {e}"));
        assert!(read(&m, &mut db).await.tables.is_empty(), "{kind}");
    }
}
