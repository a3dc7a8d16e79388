//! The gate with plain values: each finding kind triggered, and its expand/contract form
//! passing.

use super::*;
use crate::ops::Change;
use crate::schema::{Check, Column, ColumnDefault, PrimaryKey, Unique};

fn users() -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..Column::new("id", SqlType::Integer)
            },
            Column::new("name", SqlType::Varchar(80)),
            Column::new("bio", SqlType::Text).nullable(),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    }
}

fn old() -> Schema {
    let mut s = Schema::new();
    s.insert(users());
    s
}

/// The findings after one revision `r1` of `ops` on the old models' schema.
fn after(ops: Vec<Op>) -> Vec<String> {
    check(&old(), &old(), &[("r1".to_string(), ops)])
        .iter()
        .map(|f| {
            format!(
                "{} {:?} {}",
                f.target(),
                f.what,
                f.revision.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

fn column(name: &str) -> Column {
    users().column(name).cloned().expect("column")
}

#[test]
fn drops_and_renames_break_the_previous_release() {
    assert_eq!(
        after(vec![Op::DropColumn {
            table: "users".into(),
            column: column("bio"),
        }]),
        ["users.bio ColumnGone r1"]
    );
    assert_eq!(
        after(vec![Op::AlterColumn {
            table: "users".into(),
            column: "name".into(),
            rename: Some("full_name".into()),
            ty: None,
            nullable: None,
            default: None,
        }]),
        // And its inserts do not fill the column under its new name.
        [
            "users.name ColumnGone r1",
            "users.full_name RequiredColumn r1"
        ]
    );
    assert_eq!(
        after(vec![Op::RenameTable {
            from: "users".into(),
            to: "people".into(),
        }]),
        ["users TableGone r1"]
    );
    // Expand: adding the new column (nullable) keeps the previous release working.
    assert!(after(vec![Op::AddColumn {
        table: "users".into(),
        column: Column::new("full_name", SqlType::Varchar(80)).nullable(),
    }])
    .is_empty());
}

#[test]
fn types_and_nullability_its_fields_cannot_read() {
    let retype = |from, to| Op::AlterColumn {
        table: "users".into(),
        column: "name".into(),
        rename: None,
        ty: Some(Change { from, to }),
        nullable: None,
        default: None,
    };
    assert_eq!(
        after(vec![retype(SqlType::Varchar(80), SqlType::Integer)]),
        ["users.name TypeChanged { from: \"varchar(80)\", to: \"integer\" } r1"]
    );
    // A longer varchar, or text, is still a String.
    assert!(after(vec![retype(SqlType::Varchar(80), SqlType::Text)]).is_empty());
    let nullable = Op::AlterColumn {
        table: "users".into(),
        column: "name".into(),
        rename: None,
        ty: None,
        nullable: Some(Change {
            from: false,
            to: true,
        }),
        default: None,
    };
    assert_eq!(after(vec![nullable]), ["users.name NowNullable r1"]);
}

#[test]
fn inserts_the_previous_release_cannot_make() {
    assert_eq!(
        after(vec![Op::AddColumn {
            table: "users".into(),
            column: Column::new("plan", SqlType::Text),
        }]),
        ["users.plan RequiredColumn r1"]
    );
    // Expand: with a default its inserts still succeed.
    assert!(after(vec![Op::AddColumn {
        table: "users".into(),
        column: Column {
            default: Some(ColumnDefault::Str("free".into())),
            ..Column::new("plan", SqlType::Text)
        },
    }])
    .is_empty());
    assert_eq!(
        after(vec![Op::AddUnique {
            table: "users".into(),
            unique: Unique {
                name: "uq_users_name".into(),
                columns: vec!["name".into()],
            },
        }]),
        ["users NewUnique { columns: [\"name\"] } r1"]
    );
    assert_eq!(
        after(vec![Op::AddCheck {
            table: "users".into(),
            check: Check {
                name: "ck_name".into(),
                expr: "length(name) > 1".into(),
            },
        }]),
        ["users NewCheck { name: \"ck_name\" } r1"]
    );
}

#[test]
fn a_finding_names_the_revision_after_which_it_holds() {
    let drop = Op::DropColumn {
        table: "users".into(),
        column: column("bio"),
    };
    let add_back = Op::AddColumn {
        table: "users".into(),
        column: column("bio"),
    };
    let add_plan = Op::AddColumn {
        table: "users".into(),
        column: Column::new("plan", SqlType::Text),
    };
    // bio goes in r1 and comes back in r2; plan arrives in r3.
    let found = check(
        &old(),
        &old(),
        &[
            ("r1".into(), vec![drop]),
            ("r2".into(), vec![add_back]),
            ("r3".into(), vec![add_plan]),
        ],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].revision.as_deref(), Some("r3"));
    assert!(found[0]
        .describe()
        .starts_with("users.plan: a NOT NULL column without a default"));
    // Already so at the start: no revision to blame.
    let mut start = old();
    start.tables.remove("users");
    let found = check(&old(), &start, &[]);
    assert_eq!(found[0].revision, None);
    assert!(found[0].describe().contains("the database as it is"));
}

#[test]
fn an_expand_contract_split_passes_the_gate_before_the_deploy() {
    use super::split::expand_contract;
    let ops = vec![
        Op::AddColumn {
            table: "users".into(),
            column: Column::new("plan", SqlType::Text),
        },
        Op::AlterColumn {
            table: "users".into(),
            column: "name".into(),
            rename: Some("full_name".into()),
            ty: None,
            nullable: None,
            default: None,
        },
        Op::DropColumn {
            table: "users".into(),
            column: column("bio"),
        },
        Op::AddUnique {
            table: "users".into(),
            unique: Unique {
                name: "uq_users_full_name".into(),
                columns: vec!["full_name".into()],
            },
        },
    ];
    // As one revision it breaks the previous release five ways.
    assert_eq!(after(ops.clone()).len(), 5, "{:?}", after(ops.clone()));
    let split = expand_contract(&ops, &old());
    // The expand revision alone keeps it working...
    assert!(after(split.expand.clone()).is_empty(), "{:?}", split.expand);
    // ...and expand + contract build what the change builds.
    let mut whole = old();
    crate::ops::apply_all(&mut whole, &ops).expect("change");
    let mut two = old();
    crate::ops::apply_all(&mut two, &split.expand).expect("expand");
    crate::ops::apply_all(&mut two, &split.contract).expect("contract");
    let left = crate::diff::compare_neutral(&two, &whole).expect("diff");
    assert!(left.is_empty(), "{:?}", left.upgrade);
    assert_eq!(split.notes.len(), 2, "{:?}", split.notes);
}

/// Every finding kind, one op each: as one revision the op breaks the previous release with
/// that finding; split, its expand half passes the gate, and expand + contract build what the
/// op builds.
#[test]
fn every_finding_kind_passes_the_gate_once_split() {
    let alter = |rename: Option<&str>,
                 ty: Option<Change<SqlType>>,
                 nullable: Option<Change<bool>>| Op::AlterColumn {
        table: "users".into(),
        column: "name".into(),
        rename: rename.map(Into::into),
        ty,
        nullable,
        default: None,
    };
    let cases: Vec<(&str, Op)> = vec![
        (
            "users TableGone r1",
            Op::DropTable {
                table: old().table("users").cloned().expect("users"),
            },
        ),
        (
            "users TableGone r1",
            Op::RenameTable {
                from: "users".into(),
                to: "members".into(),
            },
        ),
        (
            "users.bio ColumnGone r1",
            Op::DropColumn {
                table: "users".into(),
                column: column("bio"),
            },
        ),
        (
            "users.name ColumnGone r1",
            alter(Some("full_name"), None, None),
        ),
        (
            "users.name TypeChanged",
            alter(
                None,
                Some(Change {
                    from: SqlType::Varchar(80),
                    to: SqlType::Integer,
                }),
                None,
            ),
        ),
        (
            "users.name NowNullable r1",
            alter(
                None,
                None,
                Some(Change {
                    from: false,
                    to: true,
                }),
            ),
        ),
        (
            "users.plan RequiredColumn r1",
            Op::AddColumn {
                table: "users".into(),
                column: Column::new("plan", SqlType::Text),
            },
        ),
        (
            "users NewUnique",
            Op::AddUnique {
                table: "users".into(),
                unique: Unique {
                    name: "uq_users_name".into(),
                    columns: vec!["name".into()],
                },
            },
        ),
        (
            "users NewCheck",
            Op::AddCheck {
                table: "users".into(),
                check: Check {
                    name: "ck_users_name".into(),
                    expr: "name <> ''".into(),
                },
            },
        ),
    ];
    for (finding, op) in cases {
        let whole = after(vec![op.clone()]);
        assert!(
            whole.iter().any(|f| f.starts_with(finding)),
            "{op:?}: expected `{finding}...`, found {whole:?}"
        );
        let split = super::split::expand_contract(std::slice::from_ref(&op), &old());
        assert!(
            after(split.expand.clone()).is_empty(),
            "{op:?}: the expand half breaks the previous release: {:?}",
            split.expand
        );
        let mut one = old();
        crate::ops::apply_all(&mut one, std::slice::from_ref(&op)).expect("the op");
        let mut two = old();
        crate::ops::apply_all(&mut two, &split.expand).expect("expand");
        crate::ops::apply_all(&mut two, &split.contract).expect("contract");
        let left = crate::diff::compare_neutral(&two, &one).expect("diff");
        assert!(left.is_empty(), "{op:?}: {:?}", left.upgrade);
    }
}
