use super::*;
use crate::schema::{PrimaryKey, ReferentialAction};

fn users() -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..Column::new("id", SqlType::Integer)
            },
            Column::new("email", SqlType::Varchar(120)),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    }
}

fn posts() -> Table {
    Table {
        name: "posts".into(),
        columns: vec![
            Column::new("id", SqlType::BigInt),
            Column::new("user_id", SqlType::Integer),
        ],
        foreign_keys: vec![ForeignKey {
            name: "fk_posts_user_id_users".into(),
            columns: vec!["user_id".into()],
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: ReferentialAction::Cascade,
            on_update: ReferentialAction::NoAction,
        }],
        ..Table::default()
    }
}

fn every_op() -> Vec<Op> {
    vec![
        Op::CreateTable { table: users() },
        Op::CreateTable { table: posts() },
        Op::AddColumn {
            table: "users".into(),
            column: Column::new("phone", SqlType::Varchar(20)).nullable(),
        },
        Op::AlterColumn {
            table: "users".into(),
            column: "email".into(),
            rename: Some("email_address".into()),
            ty: Some(Change {
                from: SqlType::Varchar(120),
                to: SqlType::Varchar(200),
            }),
            nullable: Some(Change {
                from: false,
                to: true,
            }),
            default: Some(DefaultChange {
                from: None,
                to: Some(ColumnDefault::Str("x".into())),
            }),
        },
        Op::CreateIndex {
            table: "users".into(),
            index: Index {
                name: "ix_users_phone".into(),
                columns: vec!["phone".into()],
                unique: false,
                ..Index::default()
            },
        },
        Op::AddUnique {
            table: "users".into(),
            unique: Unique {
                name: "uq_users_email_address".into(),
                columns: vec!["email_address".into()],
            },
        },
        Op::AddCheck {
            table: "users".into(),
            check: Check {
                name: "ck_users_phone".into(),
                expr: "length(phone) > 3".into(),
            },
        },
        Op::DropForeignKey {
            table: "posts".into(),
            foreign_key: posts().foreign_keys[0].clone(),
        },
        Op::AlterPrimaryKey {
            table: "posts".into(),
            from: None,
            to: Some(PrimaryKey {
                name: "pk_posts".into(),
                columns: vec!["id".into()],
            }),
        },
        Op::RenameTable {
            from: "posts".into(),
            to: "articles".into(),
        },
        Op::DropColumn {
            table: "articles".into(),
            column: Column::new("user_id", SqlType::Integer),
        },
        Op::Sql {
            sql: "UPDATE users SET phone = 'n/a'".into(),
            reverse: Some("UPDATE users SET phone = NULL".into()),
            dialect: None,
            batch_size: None,
            elidable: false,
        },
    ]
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct File {
    upgrade: Vec<Op>,
}

#[test]
fn ops_round_trip_through_toml() {
    let file = File {
        upgrade: every_op(),
    };
    let text = toml::to_string(&file).expect("serialize");
    let back: File = toml::from_str(&text).expect("parse");
    assert_eq!(back, file, "{text}");
    assert!(text.contains("op = \"add_column\""), "{text}");
    assert!(text.contains("type = \"varchar(20)\""), "{text}");
}

#[test]
fn unknown_fields_are_errors() {
    let err = toml::from_str::<File>(
        "[[upgrade]]\nop = \"rename_table\"\nfrom = \"a\"\nto = \"b\"\ncolour = 1\n",
    )
    .expect_err("unknown field");
    assert!(err.to_string().contains("colour"), "{err}");
    let err =
        toml::from_str::<File>("[[upgrade]]\nop = \"explode_table\"\n").expect_err("unknown op");
    assert!(err.to_string().contains("explode_table"), "{err}");
}

#[test]
fn upgrade_then_downgrade_restores_the_schema() {
    let ops = every_op();
    let mut s = Schema::new();
    apply_all(&mut s, &ops).expect("upgrade applies");
    let articles = s.table("articles").expect("renamed");
    assert!(articles.foreign_keys.is_empty());
    let users = s.table("users").expect("users");
    assert_eq!(
        users.column("email_address").map(|c| &c.ty),
        Some(&SqlType::Varchar(200))
    );
    let down = reverse_all(&ops).expect("reversible");
    apply_all(&mut s, &down).expect("downgrade applies");
    assert_eq!(s, Schema::new());
}

#[test]
fn reversal_is_an_involution() {
    for op in every_op() {
        assert_eq!(op.reverse().and_then(|r| r.reverse()).as_ref(), Ok(&op));
    }
}

#[test]
fn sql_without_reverse_is_irreversible() {
    let op = Op::Sql {
        sql: "DELETE FROM t".into(),
        reverse: None,
        dialect: None,
        batch_size: None,
        elidable: false,
    };
    let err = op.reverse().expect_err("irreversible");
    assert!(err.to_string().contains("add `reverse"));
}

#[test]
fn destructive_ops_are_flagged() {
    assert!(Op::DropTable { table: users() }.destructive().is_some());
    let narrowing = Op::AlterColumn {
        table: "users".into(),
        column: "email".into(),
        rename: None,
        ty: Some(Change {
            from: SqlType::Varchar(120),
            to: SqlType::Varchar(80),
        }),
        nullable: Some(Change {
            from: true,
            to: false,
        }),
        default: None,
    };
    let why = narrowing.destructive().expect("destructive");
    assert!(why.contains("narrows") && why.contains("NOT NULL"), "{why}");
    let widening = narrowing.reverse().expect("reversible");
    assert_eq!(widening.destructive(), None);
    assert_eq!(every_op()[2].destructive(), None);
}

#[test]
fn apply_reports_inconsistent_ops() {
    let mut s = Schema::new();
    let err = Op::AddColumn {
        table: "nope".into(),
        column: Column::new("x", SqlType::Text),
    }
    .apply(&mut s)
    .expect_err("no table");
    assert_eq!(err, ReplayError::NoTable("nope".into()));
}

#[test]
fn a_column_rename_rewrites_check_expressions() {
    use crate::dialect::sql_text::rename_in_expr;
    let r = |e: &str| rename_in_expr(e, "username", "login");
    assert_eq!(r("length(username) > 2"), r#"length("login") > 2"#);
    assert_eq!(r(r#"length("username") > 2"#), r#"length("login") > 2"#);
    assert_eq!(r("USERNAME <> 'username'"), r#""login" <> 'username'"#);
    assert_eq!(
        r("users.username = username_2"),
        r#"users."login" = username_2"#
    );
    assert_eq!(
        r("username(x) or x::username"),
        "username(x) or x::username"
    );
    assert_eq!(
        r(r#""it's ""username""" = 'a''username'"#),
        r#""it's ""username""" = 'a''username'"#
    );
    assert_eq!(r("1e5 > 0"), "1e5 > 0");
    assert_eq!(
        rename_in_expr(r#""order" >= 0 AND "Order" < 5"#, "order", "say \"hi\""),
        r#""say ""hi""" >= 0 AND "Order" < 5"#
    );

    let mut s = Schema::new();
    s.insert(Table {
        name: "users".into(),
        columns: vec![Column::new("username", SqlType::Text)],
        checks: vec![Check {
            name: "ck".into(),
            expr: "length(username) > 2".into(),
        }],
        ..Table::default()
    });
    let op = Op::AlterColumn {
        table: "users".into(),
        column: "username".into(),
        rename: Some("login".into()),
        ty: None,
        nullable: None,
        default: None,
    };
    op.apply(&mut s).expect("applies");
    assert_eq!(s.tables["users"].checks[0].expr, r#"length("login") > 2"#);
    op.reverse()
        .expect("reversible")
        .apply(&mut s)
        .expect("applies back");
    assert_eq!(
        s.tables["users"].checks[0].expr,
        r#"length("username") > 2"#
    );
}

/// users with every kind of conventional name, one hand-named index, and posts referencing it.
fn named_schema() -> Schema {
    let mut u = users();
    u.uniques.push(Unique {
        name: "uq_users_email".into(),
        columns: vec!["email".into()],
    });
    u.indexes.push(Index {
        name: "ix_users_email".into(),
        columns: vec!["email".into()],
        unique: false,
        ..Index::default()
    });
    u.indexes.push(Index {
        name: "by_email_hand_named".into(),
        columns: vec!["email".into()],
        unique: false,
        ..Index::default()
    });
    u.checks.push(Check {
        name: "ck_users_email_len".into(),
        expr: "length(email) > 3".into(),
    });
    u.checks.push(Check {
        name: "email_has_at".into(),
        expr: "email LIKE '%@%'".into(),
    });
    u.foreign_keys.push(ForeignKey {
        name: "fk_users_id_users".into(),
        columns: vec!["id".into()],
        ref_table: "users".into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::NoAction,
        on_update: ReferentialAction::NoAction,
    });
    let mut s = Schema::new();
    s.insert(u);
    s.insert(posts());
    s
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

#[test]
fn a_table_rename_renames_its_conventional_names_only() {
    let mut s = named_schema();
    let op = Op::RenameTable {
        from: "users".into(),
        to: "members".into(),
    };
    let changes = op.name_changes(&s);
    let by = |from: &str| {
        changes
            .iter()
            .find(|c| c.from == from)
            .map(|c| (c.table.as_str(), c.kind, c.to.as_str()))
    };
    assert_eq!(
        by("pk_users"),
        Some(("members", NameKind::PrimaryKey, "pk_members"))
    );
    assert_eq!(
        by("ix_users_email"),
        Some(("members", NameKind::Index, "ix_members_email"))
    );
    // A self-reference: both the table and the referenced table in the name change.
    assert_eq!(
        by("fk_users_id_users"),
        Some(("members", NameKind::ForeignKey, "fk_members_id_members"))
    );
    // Another table's key to the renamed table.
    assert_eq!(
        by("fk_posts_user_id_users"),
        Some(("posts", NameKind::ForeignKey, "fk_posts_user_id_members"))
    );
    assert_eq!(changes.len(), 6, "{changes:?}");
    op.apply(&mut s).expect("applies");
    assert_eq!(
        names(s.table("members").expect("members")),
        [
            "by_email_hand_named",
            "ck_members_email_len",
            "email_has_at",
            "fk_members_id_members",
            "ix_members_email",
            "pk_members",
            "uq_members_email"
        ]
    );
    assert_eq!(
        names(s.table("posts").expect("posts")),
        ["fk_posts_user_id_members"]
    );
    // And back: the reverse rename gives the original names.
    op.reverse().expect("reverse").apply(&mut s).expect("back");
    assert_eq!(s, named_schema());
}

#[test]
fn a_column_rename_renames_the_names_that_list_it() {
    let mut s = named_schema();
    let op = Op::AlterColumn {
        table: "users".into(),
        column: "email".into(),
        rename: Some("mail".into()),
        ty: None,
        nullable: None,
        default: None,
    };
    op.apply(&mut s).expect("applies");
    assert_eq!(
        names(s.table("users").expect("users")),
        [
            "by_email_hand_named",
            "ck_users_email_len",
            "email_has_at",
            "fk_users_id_users",
            "ix_users_mail",
            "pk_users",
            "uq_users_mail"
        ]
    );
    op.reverse().expect("reverse").apply(&mut s).expect("back");
    // (Check expressions come back with the column quoted, as the databases rewrite them.)
    assert_eq!(
        names(s.table("users").expect("users")),
        names(named_schema().table("users").expect("users"))
    );
}

#[test]
fn a_rename_never_takes_a_name_in_use() {
    let mut s = named_schema();
    // Another table already has `pk_members` (a hand-named key elsewhere).
    let mut other = posts();
    other.name = "other".into();
    other.foreign_keys.clear();
    other.primary_key = Some(PrimaryKey {
        name: "pk_members".into(),
        columns: vec!["id".into()],
    });
    s.insert(other);
    let op = Op::RenameTable {
        from: "users".into(),
        to: "members".into(),
    };
    assert!(op.name_changes(&s).iter().all(|c| c.from != "pk_users"));
    op.apply(&mut s).expect("applies");
    let members = s.table("members").expect("members");
    assert_eq!(
        members.primary_key.as_ref().map(|p| p.name.as_str()),
        Some("pk_users")
    );
    assert!(names(members).contains(&"ix_members_email".to_string()));
    // Other ops rename nothing.
    assert!(every_op()
        .iter()
        .filter(|op| !matches!(op, Op::RenameTable { .. } | Op::AlterColumn { .. }))
        .all(|op| op.name_changes(&named_schema()).is_empty()));
}

/// `users` and `posts` named by a team's own convention (strata.toml's `[naming]`).
fn custom_naming() -> crate::schema::Naming {
    let templates: crate::schema::naming::NamingTemplates = toml::from_str(
        "pk = \"%(table_name)s_pkey\"\n\
         uq = \"%(table_name)s_%(column_0_N_name)s_key\"\n\
         ix = \"idx_%(table_name)s_%(column_0_N_name)s\"\n\
         fk = \"%(table_name)s_%(column_0_N_name)s_fkey\"\n\
         ck = \"%(table_name)s_%(constraint_name)s_check\"\n",
    )
    .expect("toml");
    crate::schema::Naming::from_templates(&templates).expect("valid")
}

fn custom_schema() -> Schema {
    let mut u = users();
    u.primary_key = Some(PrimaryKey {
        name: "users_pkey".into(),
        columns: vec!["id".into()],
    });
    u.uniques.push(Unique {
        name: "users_email_key".into(),
        columns: vec!["email".into()],
    });
    u.indexes
        .push(Index::new("idx_users_email", vec!["email".into()], false));
    // The built-in convention's name is a hand-chosen one under this convention.
    u.indexes
        .push(Index::new("ix_users_email", vec!["email".into()], true));
    u.checks.push(Check {
        name: "users_email_len_check".into(),
        expr: "length(email) > 3".into(),
    });
    let mut p = posts();
    p.foreign_keys[0].name = "posts_user_id_fkey".into();
    let mut s = Schema::with_naming(custom_naming());
    s.insert(u);
    s.insert(p);
    s
}

#[test]
fn renames_follow_the_configured_convention() {
    let mut s = custom_schema();
    let op = Op::RenameTable {
        from: "users".into(),
        to: "members".into(),
    };
    op.apply(&mut s).expect("applies");
    assert_eq!(
        names(s.table("members").expect("members")),
        [
            "idx_members_email",
            "ix_users_email",
            "members_email_key",
            "members_email_len_check",
            "members_pkey",
        ]
    );
    // A foreign key name without the referenced table does not change with it.
    assert_eq!(
        names(s.table("posts").expect("posts")),
        ["posts_user_id_fkey"]
    );
    // A file written before the rename drops the check by its old name, though the database
    // rewrote its expression.
    let drop = Op::DropCheck {
        table: "members".into(),
        check: Check {
            name: "users_email_len_check".into(),
            expr: "char_length(email) > 3".into(),
        },
    };
    let mut dropped = s.clone();
    drop.apply(&mut dropped).expect("finds the renamed check");
    assert!(dropped.table("members").expect("members").checks.is_empty());
    op.reverse().expect("reverse").apply(&mut s).expect("back");
    assert_eq!(s, custom_schema());

    let rename_column = Op::AlterColumn {
        table: "posts".into(),
        column: "user_id".into(),
        rename: Some("author_id".into()),
        ty: None,
        nullable: None,
        default: None,
    };
    let changes = rename_column.name_changes(&s);
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.from.as_str(), c.to.as_str()))
            .collect::<Vec<_>>(),
        [("posts_user_id_fkey", "posts_author_id_fkey")]
    );
    // The same names on the built-in convention are hand-chosen: nothing follows.
    let mut builtin = custom_schema();
    builtin.naming = crate::schema::Naming::default();
    assert!(rename_column.name_changes(&builtin).is_empty());
    let changes = op.name_changes(&builtin);
    assert_eq!(
        changes.iter().map(|c| c.from.as_str()).collect::<Vec<_>>(),
        ["ix_users_email"]
    );
}
