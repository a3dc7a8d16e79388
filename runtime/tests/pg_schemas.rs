//! Stage 7, apply (live, PostgreSQL): tables in a schema of their own (`#[model(schema =
//! "audit")]`). Autogenerate creates the schema when strata.toml asks for it (and refuses,
//! naming it, when not), puts the tables there with names of their own, references across
//! schemas both ways, and follows later changes (a column added, a column renamed with its
//! index, an index dropped) with the rows kept; after each upgrade the models and the database
//! agree, and a downgrade to before the schema takes it away. A model naming the default
//! schema, and a schema on SQLite, are refused before anything is written.

mod common;

use sqlx::{Executor, Row};
use strata::dialect::DialectKind;
use strata::migrator::Count;
use strata::model::{ColumnDef, ColumnType, ForeignKeyDef, IndexDef, ReferentialAction, TableDef};
use strata::ops::Op;
use strata::testing::TestDb;
use strata::{Migrator, NewRevision, RunOptions};

use common::temp_dir;

const fn col(name: &'static str, ty: ColumnType) -> ColumnDef {
    ColumnDef::new(name, ty)
}

const fn references(table: &'static str, column: &'static str) -> Option<ForeignKeyDef> {
    Some(ForeignKeyDef {
        table,
        column: Some(column),
        on_delete: ReferentialAction::Cascade,
        on_update: ReferentialAction::NoAction,
        name: None,
    })
}

const fn table(
    name: &'static str,
    schema: Option<&'static str>,
    columns: &'static [ColumnDef],
    indexes: &'static [IndexDef],
) -> TableDef {
    TableDef {
        name,
        schema,
        rust_path: name,
        comment: None,
        renamed_from: None,
        columns,
        indexes,
        uniques: &[],
        checks: &[],
        primary_key_name: None,
    }
}

const ID: ColumnDef = ColumnDef {
    primary_key: true,
    autoincrement: true,
    ..col("id", ColumnType::Integer)
};

/// `users (id, name)` in the default schema.
const USERS: TableDef = table(
    "users",
    None,
    &[ID, col("name", ColumnType::Varchar(40))],
    &[],
);

/// `users` referencing the latest event in `audit`.
const USERS_WITH_LAST: TableDef = table(
    "users",
    None,
    &[
        ID,
        col("name", ColumnType::Varchar(40)),
        ColumnDef {
            nullable: true,
            references: Some(ForeignKeyDef {
                table: "audit.events",
                column: Some("id"),
                on_delete: ReferentialAction::SetNull,
                on_update: ReferentialAction::NoAction,
                name: None,
            }),
            ..col("last_event_id", ColumnType::Integer)
        },
    ],
    &[],
);

const KIND_INDEX: IndexDef = IndexDef {
    name: None,
    columns: &["kind"],
    unique: false,
    expr: None,
    desc: &[],
    where_: None,
    using: None,
};

const USER_ID: ColumnDef = ColumnDef {
    references: references("users", "id"),
    ..col("user_id", ColumnType::Integer)
};

const KIND: ColumnDef = col("kind", ColumnType::Varchar(20));

/// `audit.events (id, user_id -> users, kind indexed, at indexed)`.
const EVENTS: TableDef = table(
    "events",
    Some("audit"),
    &[
        ID,
        USER_ID,
        KIND,
        ColumnDef {
            index: true,
            ..col("at", ColumnType::Timestamp)
        },
    ],
    &[KIND_INDEX],
);

/// `audit.events` changed: `at` renamed to `happened_at` (its index follows), a nullable
/// `note` added, the index on `kind` dropped.
const EVENTS_V2: TableDef = table(
    "events",
    Some("audit"),
    &[
        ID,
        USER_ID,
        KIND,
        ColumnDef {
            index: true,
            renamed_from: Some("at"),
            ..col("happened_at", ColumnType::Timestamp)
        },
        ColumnDef {
            nullable: true,
            ..col("note", ColumnType::Text)
        },
    ],
    &[],
);

/// Autogenerates against `models` and writes the revision `id`; returns its upgrade.
async fn autogenerate(
    dir: &std::path::Path,
    db: &mut strata::db::Db,
    id: &str,
    models: &[&'static TableDef],
) -> Vec<Op> {
    let mut m = Migrator::open(dir).expect("open");
    let changes = m.compare(db, models).await.expect("compare");
    assert!(!changes.is_empty(), "revision {id}: nothing to do");
    let upgrade = changes.upgrade.clone();
    m.write_revision(NewRevision {
        message: format!("step {id}"),
        rev_id: Some(id.into()),
        upgrade: changes.upgrade,
        downgrade: changes.downgrade,
        ..NewRevision::default()
    })
    .expect("write");
    upgrade
}

async fn upgrade(dir: &std::path::Path, db: &mut strata::db::Db, target: &str) {
    let m = Migrator::open(dir).expect("open");
    m.upgrade(db, target, &RunOptions::default(), |_| {})
        .await
        .unwrap_or_else(|e| panic!("upgrade {target}: {e}"));
}

/// Whether the models and the database agree (autogenerate finds nothing).
async fn agree(dir: &std::path::Path, db: &mut strata::db::Db, models: &[&'static TableDef]) {
    let m = Migrator::open(dir).expect("open");
    let changes = m.compare(db, models).await.expect("compare");
    assert!(changes.is_empty(), "left over: {:?}", changes.upgrade);
}

async fn strings(db: &mut strata::db::Db, sql: &str) -> Vec<String> {
    db.conn()
        .fetch_all(sql)
        .await
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect()
}

/// A fresh PostgreSQL database and a migrations directory whose strata.toml says
/// `create_schemas = true`.
async fn creating_schemas(tag: &str) -> (TestDb, common::Dir, strata::db::Db) {
    let tdb = TestDb::postgres(tag).await;
    let dir = temp_dir(tag);
    std::fs::write(dir.join("strata.toml"), "create_schemas = true\n").expect("settings");
    let db = tdb.connect().await;
    (tdb, dir, db)
}

/// Autogenerates revision `id` against `models` and upgrades to it.
async fn step(
    dir: &std::path::Path,
    db: &mut strata::db::Db,
    id: &str,
    models: &[&'static TableDef],
) {
    autogenerate(dir, db, id, models).await;
    upgrade(dir, db, "head").await;
}

#[tokio::test]
async fn tables_in_a_schema_of_their_own_round_trip_with_their_rows() {
    let (_tdb, dir, mut db) = creating_schemas("pg_schemas").await;
    step(&dir, &mut db, "0c0000000001", &[&USERS]).await;
    db.conn()
        .execute("INSERT INTO users (name) VALUES ('ada'), ('grace')")
        .await
        .expect("users");

    // The schema, then its table, with names of its own and a reference out of it.
    let ops = autogenerate(&dir, &mut db, "0c0000000002", &[&USERS, &EVENTS]).await;
    assert_eq!(
        ops.first(),
        Some(&Op::CreateSchema {
            schema: "audit".into()
        }),
        "{ops:?}"
    );
    let file = std::fs::read_to_string(dir.join("versions/0c0000000002_step_0c0000000002.toml"))
        .expect("the revision file");
    for part in [
        "op = \"create_schema\"",
        "schema = \"audit\"",
        "name = \"audit.events\"",
        "name = \"pk_events\"",
        "name = \"ix_events_at\"",
        "name = \"fk_events_user_id_users\"",
    ] {
        assert!(file.contains(part), "no {part:?} in:\n{file}");
    }
    upgrade(&dir, &mut db, "head").await;
    db.conn()
        .execute(
            "INSERT INTO audit.events (user_id, kind, at) VALUES \
             (1, 'login', '2026-01-01 10:00'), (2, 'login', '2026-01-02 11:00'), \
             (1, 'logout', '2026-01-01 12:00')",
        )
        .await
        .expect("events");
    agree(&dir, &mut db, &[&USERS, &EVENTS]).await;
    assert_eq!(
        strings(
            &mut db,
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'audit' ORDER BY 1"
        )
        .await,
        ["ix_events_at", "ix_events_kind", "pk_events"]
    );

    // A reference into the schema from the default one.
    step(&dir, &mut db, "0c0000000003", &[&USERS_WITH_LAST, &EVENTS]).await;
    db.conn()
        .execute("UPDATE users SET last_event_id = 3 WHERE id = 1")
        .await
        .expect("reference an event");
    agree(&dir, &mut db, &[&USERS_WITH_LAST, &EVENTS]).await;

    // Changes inside the schema: a rename whose index follows, a column added, an index
    // dropped; every row stays.
    let ops = autogenerate(
        &dir,
        &mut db,
        "0c0000000004",
        &[&USERS_WITH_LAST, &EVENTS_V2],
    )
    .await;
    assert!(
        ops.iter().any(
            |op| matches!(op, Op::AlterColumn { table, rename: Some(to), .. }
            if table == "audit.events" && to == "happened_at")
        ),
        "{ops:?}"
    );
    upgrade(&dir, &mut db, "head").await;
    agree(&dir, &mut db, &[&USERS_WITH_LAST, &EVENTS_V2]).await;
    assert_eq!(
        strings(
            &mut db,
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'audit' ORDER BY 1"
        )
        .await,
        ["ix_events_happened_at", "pk_events"]
    );
    assert_eq!(
        strings(
            &mut db,
            "SELECT kind || '@' || to_char(happened_at, 'MM-DD HH24') FROM audit.events \
             ORDER BY id"
        )
        .await,
        ["login@01-01 10", "login@01-02 11", "logout@01-01 12"]
    );

    // Back to before the schema: what it would lose is counted in the schema's table (3
    // events, 1 reference to them); then its tables and the schema go, the users stay.
    let m = Migrator::open(&dir.0).expect("open");
    let losses = m
        .downgrade_losses(&mut db, "0c0000000001")
        .await
        .expect("losses");
    let counted: Vec<(String, Option<Count>)> = losses
        .losses
        .iter()
        .map(|l| (l.what.clone(), l.count))
        .collect();
    assert!(
        counted.contains(&(
            "drops table 'audit.events' and all its rows".into(),
            Some(Count::Rows(3))
        )),
        "{counted:?}"
    );
    assert!(
        counted.contains(&(
            "drops column 'audit.events.note' and its data".into(),
            Some(Count::Values(0))
        )),
        "{counted:?}"
    );
    m.downgrade(&mut db, "0c0000000001", &RunOptions::default(), |_| {})
        .await
        .expect("downgrade");
    assert!(
        strings(
            &mut db,
            "SELECT nspname::text FROM pg_namespace WHERE nspname = 'audit'"
        )
        .await
        .is_empty(),
        "the schema is gone"
    );
    assert_eq!(
        strings(&mut db, "SELECT name::text FROM users ORDER BY id").await,
        ["ada", "grace"]
    );

    // And up again, from the files alone.
    upgrade(&dir, &mut db, "head").await;
    agree(&dir, &mut db, &[&USERS_WITH_LAST, &EVENTS_V2]).await;
}

/// A table in a schema that holds something Strata does not model: dropping the table
/// leaves it, and the downgrade's `DROP SCHEMA` fails on it with nothing changed.
#[tokio::test]
async fn a_schema_holding_more_than_strata_models_is_never_dropped_with_it() {
    let (_tdb, dir, mut db) = creating_schemas("pg_schemas_keep").await;
    step(&dir, &mut db, "0d0000000001", &[&USERS]).await;
    step(&dir, &mut db, "0d0000000002", &[&USERS, &EVENTS]).await;
    db.conn()
        .execute("CREATE VIEW audit.logins AS SELECT 1 AS one")
        .await
        .expect("a view Strata does not model");
    let m = Migrator::open(&dir.0).expect("open");
    let err = m
        .downgrade(&mut db, "0d0000000001", &RunOptions::default(), |_| {})
        .await
        .expect_err("the schema is not empty");
    assert!(err.to_string().contains("audit"), "{err}");
    assert_eq!(
        m.current(&mut db).await.expect("current"),
        ["0d0000000002".to_string()]
    );
    assert_eq!(
        strings(
            &mut db,
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'audit' ORDER BY 1"
        )
        .await,
        ["events", "logins"]
    );
}

#[tokio::test]
async fn a_missing_schema_is_refused_unless_strata_toml_asks_to_create_it() {
    let tdb = TestDb::postgres("pg_schemas_missing").await;
    let dir = temp_dir("pg_schemas_missing");
    let mut db = tdb.connect().await;
    let m = Migrator::open(&dir.0).expect("open");
    let err = m
        .compare(&mut db, &[&USERS, &EVENTS])
        .await
        .expect_err("no schema audit");
    let text = err.to_string();
    for part in [
        "schema `audit`",
        "`events`",
        "CREATE SCHEMA \"audit\"",
        "create_schemas = true",
        "strata.toml",
    ] {
        assert!(text.contains(part), "no {part:?} in: {text}");
    }

    // Created by hand (as a DBA would): the revision only puts the table in it.
    db.conn()
        .execute("CREATE SCHEMA audit")
        .await
        .expect("create schema");
    let changes = m
        .compare(&mut db, &[&USERS, &EVENTS])
        .await
        .expect("compare");
    assert!(
        !changes
            .upgrade
            .iter()
            .any(|op| matches!(op, Op::CreateSchema { .. })),
        "{:?}",
        changes.upgrade
    );
}

#[tokio::test]
async fn a_model_naming_the_default_schema_is_refused() {
    let tdb = TestDb::postgres("pg_schemas_default").await;
    let dir = temp_dir("pg_schemas_default");
    let mut db = tdb.connect().await;
    const IN_PUBLIC: TableDef = table("events", Some("public"), &[ID], &[]);
    let m = Migrator::open(&dir.0).expect("open");
    let err = m
        .compare(&mut db, &[&USERS, &IN_PUBLIC])
        .await
        .expect_err("public is the default schema");
    let text = err.to_string();
    assert!(
        text.contains("`#[model(schema = \"public\")]` names this connection's default schema"),
        "{text}"
    );
}

#[tokio::test]
async fn sqlite_refuses_a_schema_before_writing_anything() {
    let tdb = TestDb::new(DialectKind::Sqlite, "schemas_sqlite").await;
    let dir = temp_dir("schemas_sqlite");
    let mut db = tdb.connect().await;
    let m = Migrator::open(&dir.0).expect("open");
    let err = m
        .compare(&mut db, &[&USERS, &EVENTS])
        .await
        .expect_err("sqlite has no schemas");
    let text = err.to_string();
    assert!(
        text.contains("schema `audit` is not supported on sqlite")
            && text.contains("#[model(schema = \"...\")]"),
        "{text}"
    );
}

/// Adopting a database whose tables are in two schemas (made by another tool): the baseline
/// creates the schema and both tables, the models agree with the adopted database, and a new
/// database built from the baseline alone agrees too.
#[tokio::test]
async fn adopting_a_database_with_a_schema_takes_the_schema_in() {
    let (_tdb, made, mut db) = creating_schemas("pg_schemas_adopt").await;
    // Made by "another tool": Strata's own tables removed afterwards.
    step(&made, &mut db, "0e0000000001", &[&USERS, &EVENTS]).await;
    for t in strings(
        &mut db,
        "SELECT tablename::text FROM pg_tables WHERE tablename LIKE 'strata\\_%'",
    )
    .await
    {
        db.conn()
            .execute(format!("DROP TABLE \"{t}\"").as_str())
            .await
            .expect("forget Strata");
    }

    let dir = temp_dir("pg_schemas_adopt");
    let mut m = Migrator::open(&dir.0).expect("open");
    let adoption = m
        .adopt(
            &mut db,
            &[&USERS, &EVENTS],
            NewRevision {
                rev_id: Some("0e00000000aa".into()),
                ..NewRevision::default()
            },
            |_| {},
        )
        .await
        .expect("adopt");
    assert_eq!(adoption.tables, ["audit.events", "users"]);
    assert_eq!(
        adoption.baseline.upgrade.first(),
        Some(&Op::CreateSchema {
            schema: "audit".into()
        })
    );
    let changes = adoption.model_changes.expect("compared");
    assert!(changes.is_empty(), "{:?}", changes.upgrade);

    let fresh = TestDb::postgres("pg_schemas_adopt_fresh").await;
    let mut fresh_db = fresh.connect().await;
    upgrade(&dir, &mut fresh_db, "head").await;
    agree(&dir, &mut fresh_db, &[&USERS, &EVENTS]).await;
}
