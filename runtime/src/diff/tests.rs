use super::*;
use crate::ops::{apply_all, Change, DefaultChange};
use crate::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, SqlType, Unique,
};
use crate::testing::{canonical, dangling};

fn schema(tables: impl IntoIterator<Item = Table>) -> Schema {
    let mut s = Schema::new();
    for t in tables {
        s.insert(t);
    }
    s
}

fn users() -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..Column::new("id", SqlType::Integer)
            },
            Column::new("username", SqlType::Varchar(80)),
            Column::new("email", SqlType::Varchar(120)).nullable(),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into()],
        }),
        ..Table::default()
    }
}

fn fk(name: &str, col: &str, ref_table: &str) -> ForeignKey {
    ForeignKey {
        name: name.into(),
        columns: vec![col.into()],
        ref_table: ref_table.into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::NoAction,
        on_update: ReferentialAction::NoAction,
    }
}

fn posts() -> Table {
    Table {
        name: "posts".into(),
        columns: vec![
            Column::new("id", SqlType::Integer),
            Column::new("user_id", SqlType::Integer),
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_posts".into(),
            columns: vec!["id".into()],
        }),
        foreign_keys: vec![fk("fk_posts_user_id_users", "user_id", "users")],
        ..Table::default()
    }
}

fn tbl<'a>(s: &'a mut Schema, name: &str) -> &'a mut Table {
    s.table_mut(name).expect("table in fixture")
}

/// Diffs, checks that the upgrade turns `current` into `target` and the downgrade turns it
/// back, and returns the changes.
fn changes(current: &Schema, target: &Schema) -> Changes {
    changes_with(current, target, &DiffOptions::default())
}

fn changes_with(current: &Schema, target: &Schema, opts: &DiffOptions) -> Changes {
    let changes = diff(current, target, opts).expect("diff");
    assert_eq!(dangling(current), Vec::<String>::new(), "fixture");
    assert_eq!(dangling(target), Vec::<String>::new(), "fixture");
    let mut s = current.clone();
    for (i, op) in changes.upgrade.iter().enumerate() {
        op.apply(&mut s).expect("upgrade replays");
        assert_eq!(
            dangling(&s),
            Vec::<String>::new(),
            "after upgrade step {i}: {op:?}"
        );
    }
    let mut expected = target.clone();
    // Tables the options leave out stay as they are in the database.
    expected.tables.retain(|n, _| opts.covers(n));
    for t in current.tables.values().filter(|t| !opts.covers(&t.name)) {
        expected.insert(t.clone());
    }
    assert_eq!(canonical(&s), canonical(&expected), "upgrade result");
    for (i, op) in changes.downgrade.iter().enumerate() {
        op.apply(&mut s).expect("downgrade replays");
        assert_eq!(
            dangling(&s),
            Vec::<String>::new(),
            "after downgrade step {i}: {op:?}"
        );
    }
    assert_eq!(canonical(&s), canonical(current), "downgrade result");
    for op in changes.upgrade.iter().chain(&changes.downgrade) {
        let text = format!("{op:?}");
        assert!(!text.contains("renamed_from: Some"), "hint in op: {text}");
    }
    // Stable: diffing the result against the target finds nothing more.
    let mut after = current.clone();
    apply_all(&mut after, &changes.upgrade).expect("upgrade replays");
    assert_eq!(
        diff(&after, target, opts).expect("second diff").upgrade,
        [],
        "second diff"
    );
    changes
}

fn kinds(changes: &Changes) -> Vec<String> {
    changes
        .upgrade
        .iter()
        .map(|op| {
            let v = serde_json::to_value(op).expect("json");
            format!(
                "{} {}",
                v["op"].as_str().unwrap_or("?"),
                op.table().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn no_change_is_no_changes() {
    let s = schema([users(), posts()]);
    let p = changes(&s, &s);
    assert!(p.is_empty());
    assert!(p.downgrade.is_empty());
    assert!(p.warnings().is_empty());
}

#[test]
fn added_and_removed_tables() {
    let before = schema([users()]);
    let after = schema([users(), posts()]);
    let p = changes(&before, &after);
    assert_eq!(p.upgrade, [Op::CreateTable { table: posts() }]);
    assert!(p.warnings().is_empty());
    let p = changes(&after, &before);
    assert_eq!(p.upgrade, [Op::DropTable { table: posts() }]);
    assert_eq!(p.warnings(), ["drops table 'posts' and all its rows"]);
}

#[test]
fn added_and_removed_columns() {
    let before = schema([users()]);
    let mut after = before.clone();
    let phone = Column::new("phone", SqlType::Varchar(20)).nullable();
    tbl(&mut after, "users").columns.push(phone.clone());
    let p = changes(&before, &after);
    assert_eq!(
        p.upgrade,
        [Op::AddColumn {
            table: "users".into(),
            column: phone.clone()
        }]
    );
    let p = changes(&after, &before);
    assert_eq!(
        p.upgrade,
        [Op::DropColumn {
            table: "users".into(),
            column: phone
        }]
    );
    assert_eq!(p.warnings().len(), 1);
}

#[test]
fn type_change_including_length() {
    let before = schema([users()]);
    let mut after = before.clone();
    tbl(&mut after, "users").columns[1].ty = SqlType::Varchar(120);
    let p = changes(&before, &after);
    assert_eq!(
        p.upgrade,
        [Op::AlterColumn {
            table: "users".into(),
            column: "username".into(),
            rename: None,
            ty: Some(Change {
                from: SqlType::Varchar(80),
                to: SqlType::Varchar(120)
            }),
            nullable: None,
            default: None,
        }]
    );
    assert!(p.warnings().is_empty(), "widening is safe");
    let p = changes(&after, &before);
    assert_eq!(p.warnings().len(), 1, "narrowing is flagged");

    let mut dec = before.clone();
    tbl(&mut dec, "users").columns.push(Column::new(
        "balance",
        SqlType::Decimal {
            precision: Some(10),
            scale: Some(2),
        },
    ));
    let mut dec2 = dec.clone();
    tbl(&mut dec2, "users").columns[3].ty = SqlType::Decimal {
        precision: Some(12),
        scale: Some(2),
    };
    assert_eq!(kinds(&changes(&dec, &dec2)), ["alter_column users"]);
}

#[test]
fn nullability_and_default_changes() {
    let before = schema([users()]);
    let mut after = before.clone();
    let email = &mut tbl(&mut after, "users").columns[2];
    email.nullable = false;
    email.default = Some(ColumnDefault::Str(String::new()));
    let p = changes(&before, &after);
    assert_eq!(
        p.upgrade,
        [Op::AlterColumn {
            table: "users".into(),
            column: "email".into(),
            rename: None,
            ty: None,
            nullable: Some(Change {
                from: true,
                to: false
            }),
            default: Some(DefaultChange {
                from: None,
                to: Some(ColumnDefault::Str(String::new()))
            }),
        }]
    );
    assert_eq!(p.warnings().len(), 1, "NOT NULL is flagged");
    let mut other = after.clone();
    tbl(&mut other, "users").columns[2].default = Some(ColumnDefault::Sql { sql: "'x'".into() });
    assert_eq!(kinds(&changes(&after, &other)), ["alter_column users"]);
}

#[test]
fn autoincrement_difference_is_a_note_not_an_op() {
    let before = schema([users()]);
    let mut after = before.clone();
    tbl(&mut after, "users").columns[0].autoincrement = false;
    let p = diff(&before, &after, &DiffOptions::default()).expect("diff");
    assert!(p.upgrade.is_empty());
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].contains("'users.id'"), "{}", p.notes[0]);
    assert_eq!(p.warnings(), p.notes);
}

#[test]
fn indexes_compare_by_columns_and_uniqueness_not_name() {
    let mut before = schema([users()]);
    tbl(&mut before, "users").indexes.push(Index {
        name: "idx_from_db".into(),
        columns: vec!["email".into()],
        unique: false,
        ..Index::default()
    });
    let mut same = before.clone();
    tbl(&mut same, "users").indexes[0].name = "ix_users_email".into();
    let p = diff(&before, &same, &DiffOptions::default()).expect("diff");
    assert!(p.is_empty(), "{:?}", p.upgrade);

    let mut unique = before.clone();
    tbl(&mut unique, "users").indexes[0].unique = true;
    let p = changes(&before, &unique);
    assert_eq!(kinds(&p), ["drop_index users", "create_index users"]);
    let mut added = before.clone();
    tbl(&mut added, "users").indexes.push(Index {
        name: "ix_users_username".into(),
        columns: vec!["username".into()],
        unique: false,
        ..Index::default()
    });
    assert_eq!(kinds(&changes(&before, &added)), ["create_index users"]);
    // Dropping uses the database's name.
    let mut none = before.clone();
    tbl(&mut none, "users").indexes.clear();
    let p = changes(&before, &none);
    assert!(
        matches!(&p.upgrade[..], [Op::DropIndex { index, .. }] if index.name == "idx_from_db"),
        "{:?}",
        p.upgrade
    );
}

#[test]
fn unique_constraints_compare_by_columns() {
    let before = schema([users()]);
    let mut after = before.clone();
    tbl(&mut after, "users").uniques.push(Unique {
        name: "uq_users_email".into(),
        columns: vec!["email".into()],
    });
    assert_eq!(kinds(&changes(&before, &after)), ["add_unique users"]);
    assert_eq!(kinds(&changes(&after, &before)), ["drop_unique users"]);
    let mut renamed = after.clone();
    tbl(&mut renamed, "users").uniques[0].name = "users_email_key".into();
    assert!(diff(&after, &renamed, &DiffOptions::default())
        .expect("diff")
        .is_empty());
    let mut wider = after.clone();
    tbl(&mut wider, "users").uniques[0]
        .columns
        .push("username".into());
    assert_eq!(
        kinds(&changes(&after, &wider)),
        ["drop_unique users", "add_unique users"]
    );
}

#[test]
fn foreign_keys_compare_by_what_they_do() {
    let mut before = schema([users(), posts()]);
    tbl(&mut before, "posts").foreign_keys.clear();
    let after = schema([users(), posts()]);
    assert_eq!(kinds(&changes(&before, &after)), ["add_foreign_key posts"]);
    assert_eq!(kinds(&changes(&after, &before)), ["drop_foreign_key posts"]);

    let mut renamed = after.clone();
    tbl(&mut renamed, "posts").foreign_keys[0].name = "posts_user_id_fkey".into();
    assert!(diff(&after, &renamed, &DiffOptions::default())
        .expect("diff")
        .is_empty());

    let mut cascade = after.clone();
    tbl(&mut cascade, "posts").foreign_keys[0].on_delete = ReferentialAction::Cascade;
    assert_eq!(
        kinds(&changes(&after, &cascade)),
        ["drop_foreign_key posts", "add_foreign_key posts"]
    );
}

#[test]
fn checks_compare_by_name_and_expression() {
    let before = schema([users()]);
    let mut after = before.clone();
    tbl(&mut after, "users").checks.push(Check {
        name: "ck_users_username_len".into(),
        expr: "length(username) > 2".into(),
    });
    assert_eq!(kinds(&changes(&before, &after)), ["add_check users"]);
    assert_eq!(kinds(&changes(&after, &before)), ["drop_check users"]);
    // Spelled another way: the same check.
    let mut respelled = after.clone();
    tbl(&mut respelled, "users").checks[0].expr = "(LENGTH(\"username\")>2)".into();
    assert!(diff(&after, &respelled, &DiffOptions::default())
        .expect("diff")
        .is_empty());
    // Another expression under the same name: dropped and added again, in the order that
    // lets both exist (drops in step 3, adds in step 6), and back.
    let mut changed = after.clone();
    tbl(&mut changed, "users").checks[0].expr = "length(username) > 3".into();
    let p = changes(&after, &changed);
    assert_eq!(
        p.upgrade,
        [
            Op::DropCheck {
                table: "users".into(),
                check: after.tables["users"].checks[0].clone(),
            },
            Op::AddCheck {
                table: "users".into(),
                check: changed.tables["users"].checks[0].clone(),
            },
        ]
    );
    assert_eq!(
        p.downgrade,
        [
            Op::DropCheck {
                table: "users".into(),
                check: changed.tables["users"].checks[0].clone(),
            },
            Op::AddCheck {
                table: "users".into(),
                check: after.tables["users"].checks[0].clone(),
            },
        ]
    );
}

#[test]
fn check_expressions_compare_through_the_dialect_key() {
    let mut models = schema([users()]);
    tbl(&mut models, "users").checks.push(Check {
        name: "ck_users_username_len".into(),
        expr: "length(username) > 2".into(),
    });
    // As PostgreSQL stores it: the shared key sees a change, PostgreSQL's does not.
    let mut stored = models.clone();
    tbl(&mut stored, "users").checks[0].expr = "(length((username)::text) > 2)".into();
    let opts = DiffOptions::default();
    assert_eq!(
        kinds(&diff(&stored, &models, &opts).expect("diff")),
        ["drop_check users", "add_check users"]
    );
    let pg = &crate::dialect::postgres::Postgres;
    assert!(diff_on(pg, &stored, &models, &opts)
        .expect("diff")
        .is_empty());
    // A real change is seen through it.
    tbl(&mut models, "users").checks[0].expr = "length(username) > 3".into();
    assert_eq!(
        kinds(&diff_on(pg, &stored, &models, &opts).expect("diff")),
        ["drop_check users", "add_check users"]
    );
}

#[test]
fn a_check_on_a_renamed_column_compares_under_the_new_name() {
    let mut before = schema([users()]);
    tbl(&mut before, "users").checks.push(Check {
        name: "ck_users_name_len".into(),
        expr: "length(username) > 2".into(),
    });
    let mut after = before.clone();
    let t = tbl(&mut after, "users");
    t.columns[1].name = "login".into();
    t.columns[1].renamed_from = Some("username".into());
    t.checks[0].expr = "length(login) > 2".into();
    assert_eq!(
        kinds(&diff(&before, &after, &DiffOptions::default()).expect("diff")),
        ["alter_column users"]
    );
    // Renamed and changed: the check is dropped before the rename, added after it.
    tbl(&mut after, "users").checks[0].expr = "length(login) > 5".into();
    assert_eq!(
        kinds(&changes(&before, &after)),
        ["drop_check users", "alter_column users", "add_check users"]
    );
}

#[test]
fn comment_changes() {
    let before = schema([users()]);
    let mut after = before.clone();
    let t = tbl(&mut after, "users");
    t.comment = Some("Registered users".into());
    t.columns[1].comment = Some("Login name".into());
    let p = changes(&before, &after);
    assert_eq!(
        p.upgrade,
        [
            Op::AlterTableComment {
                table: "users".into(),
                comment: Change {
                    from: None,
                    to: Some("Registered users".into()),
                },
            },
            Op::AlterColumnComment {
                table: "users".into(),
                column: "username".into(),
                comment: Change {
                    from: None,
                    to: Some("Login name".into()),
                },
            },
        ]
    );
    assert_eq!(
        p.downgrade,
        [
            Op::AlterColumnComment {
                table: "users".into(),
                column: "username".into(),
                comment: Change {
                    from: Some("Login name".into()),
                    to: None,
                },
            },
            Op::AlterTableComment {
                table: "users".into(),
                comment: Change {
                    from: Some("Registered users".into()),
                    to: None,
                },
            },
        ]
    );
    assert!(p.warnings().is_empty());
    // Changed and removed.
    let mut again = after.clone();
    tbl(&mut again, "users").comment = Some("People".into());
    tbl(&mut again, "users").columns[1].comment = None;
    assert_eq!(
        kinds(&changes(&after, &again)),
        ["alter_table_comment users", "alter_column_comment users"]
    );
    // A renamed column's comment change names the column by its new name, after the rename.
    let mut renamed = after.clone();
    let t = tbl(&mut renamed, "users");
    t.columns[1].name = "login".into();
    t.columns[1].renamed_from = Some("username".into());
    t.columns[1].comment = Some("The login".into());
    let p = changes(&after, &renamed);
    assert_eq!(
        kinds(&p),
        ["alter_column users", "alter_column_comment users"]
    );
    assert!(matches!(&p.upgrade[1], Op::AlterColumnComment { column, .. } if column == "login"));
}

#[test]
fn primary_key_change() {
    let mut before = schema([posts()]);
    tbl(&mut before, "posts").foreign_keys.clear();
    let mut after = before.clone();
    tbl(&mut after, "posts").primary_key = Some(PrimaryKey {
        name: "pk_posts".into(),
        columns: vec!["id".into(), "user_id".into()],
    });
    let p = changes(&before, &after);
    assert_eq!(
        p.upgrade,
        [Op::AlterPrimaryKey {
            table: "posts".into(),
            from: before.tables["posts"].primary_key.clone(),
            to: after.tables["posts"].primary_key.clone(),
        }]
    );
    let mut renamed = before.clone();
    tbl(&mut renamed, "posts")
        .primary_key
        .as_mut()
        .expect("pk")
        .name = "posts_pkey".into();
    assert!(diff(&before, &renamed, &DiffOptions::default())
        .expect("diff")
        .is_empty());
    let mut none = before.clone();
    tbl(&mut none, "posts").primary_key = None;
    assert_eq!(kinds(&changes(&before, &none)), ["alter_primary_key posts"]);
}

#[test]
fn a_dropped_table_goes_before_the_unique_constraint_its_foreign_key_relies_on() {
    let mut users = users();
    users.uniques.push(Unique {
        name: "uq_users_email".into(),
        columns: vec!["email".into()],
    });
    let mut posts = posts();
    posts
        .columns
        .push(Column::new("author_email", SqlType::Varchar(120)));
    posts.foreign_keys = vec![ForeignKey {
        columns: vec!["author_email".into()],
        ref_columns: vec!["email".into()],
        ..fk("fk_posts_author_email_users", "author_email", "users")
    }];
    let before = schema([users.clone(), posts]);
    users.uniques.clear();
    let after = schema([users]);
    // PostgreSQL refuses to drop the unique constraint while the foreign key relies on it;
    // reversed, the downgrade re-adds the constraint before re-creating the table.
    let p = changes(&before, &after);
    assert_eq!(kinds(&p), ["drop_table posts", "drop_unique users"]);
}

#[test]
fn a_column_leaving_the_key_drops_not_null_after_the_key_changes() {
    let mut before = schema([posts()]);
    tbl(&mut before, "posts").foreign_keys.clear();
    let mut after = before.clone();
    let t = tbl(&mut after, "posts");
    t.primary_key = Some(PrimaryKey {
        name: "pk_posts".into(),
        columns: vec!["user_id".into()],
    });
    t.columns[0].nullable = true;
    t.columns[0].default = Some(ColumnDefault::Int(1));
    let p = changes(&before, &after);
    assert_eq!(
        kinds(&p),
        [
            "alter_column posts",
            "alter_primary_key posts",
            "alter_column posts"
        ]
    );
    // The default changes at once; NOT NULL goes once the key has moved (and in the downgrade,
    // comes back before the key returns).
    let nullable = |op: &Op| match op {
        Op::AlterColumn {
            nullable, default, ..
        } => (nullable.clone(), default.is_some()),
        _ => (None, false),
    };
    assert_eq!(nullable(&p.upgrade[0]), (None, true));
    assert_eq!(
        nullable(&p.upgrade[2]),
        (
            Some(Change {
                from: false,
                to: true
            }),
            false
        )
    );
    assert_eq!(
        nullable(&p.downgrade[0]),
        (
            Some(Change {
                from: true,
                to: false
            }),
            false
        )
    );
    // A key column that stays in the key is altered in one op, before the key change.
    let mut wider = before.clone();
    let t = tbl(&mut wider, "posts");
    t.columns[0].ty = SqlType::BigInt;
    t.primary_key = Some(PrimaryKey {
        name: "pk_posts".into(),
        columns: vec!["id".into(), "user_id".into()],
    });
    assert_eq!(
        kinds(&changes(&before, &wider)),
        ["alter_column posts", "alter_primary_key posts"]
    );
}

#[test]
fn primary_key_moves_off_a_column_before_it_is_dropped() {
    let mut before = schema([posts()]);
    tbl(&mut before, "posts").foreign_keys.clear();
    let mut after = before.clone();
    let t = tbl(&mut after, "posts");
    t.columns.remove(0);
    t.columns.push(Column::new("uuid", SqlType::Uuid));
    t.primary_key = Some(PrimaryKey {
        name: "pk_posts".into(),
        columns: vec!["uuid".into()],
    });
    assert_eq!(
        kinds(&changes(&before, &after)),
        [
            "add_column posts",
            "alter_primary_key posts",
            "drop_column posts"
        ]
    );
}

#[test]
fn table_rename_from_hint() {
    let before = schema([users(), posts()]);
    let mut articles = posts();
    articles.name = "articles".into();
    articles.renamed_from = Some("posts".into());
    // The conventional names follow the table, as the models name them.
    articles.primary_key.as_mut().expect("pk").name = "pk_articles".into();
    articles.foreign_keys[0].name = "fk_articles_user_id_users".into();
    let after = schema([users(), articles]);
    let p = changes(&before, &after);
    assert_eq!(
        p.upgrade,
        [Op::RenameTable {
            from: "posts".into(),
            to: "articles".into()
        }]
    );
    // Already renamed: the hint's old name is gone, nothing to do.
    let mut done = after.clone();
    tbl(&mut done, "articles").renamed_from = None;
    assert!(diff(&done, &after, &DiffOptions::default())
        .expect("diff")
        .is_empty());
}

#[test]
fn renaming_a_referenced_table_keeps_foreign_keys() {
    let before = schema([users(), posts()]);
    let mut accounts = users();
    accounts.name = "accounts".into();
    accounts.renamed_from = Some("users".into());
    accounts.primary_key.as_mut().expect("pk").name = "pk_accounts".into();
    let mut p2 = posts();
    p2.foreign_keys[0].ref_table = "accounts".into();
    p2.foreign_keys[0].name = "fk_posts_user_id_accounts".into();
    let after = schema([accounts, p2]);
    assert_eq!(kinds(&changes(&before, &after)), ["rename_table accounts"]);
}

#[test]
fn column_rename_from_hint_combines_with_other_changes() {
    let mut before = schema([users()]);
    tbl(&mut before, "users").indexes.push(Index {
        name: "ix_users_username".into(),
        columns: vec!["username".into()],
        unique: false,
        ..Index::default()
    });
    let mut after = before.clone();
    let c = &mut tbl(&mut after, "users").columns[1];
    c.name = "login".into();
    c.renamed_from = Some("username".into());
    c.ty = SqlType::Varchar(100);
    tbl(&mut after, "users").indexes[0].columns = vec!["login".into()];
    tbl(&mut after, "users").indexes[0].name = "ix_users_login".into();
    let p = changes(&before, &after);
    assert_eq!(
        p.upgrade,
        [Op::AlterColumn {
            table: "users".into(),
            column: "username".into(),
            rename: Some("login".into()),
            ty: Some(Change {
                from: SqlType::Varchar(80),
                to: SqlType::Varchar(100)
            }),
            nullable: None,
            default: None,
        }]
    );
    // A hint whose old column is gone is ignored.
    let mut done = after.clone();
    tbl(&mut done, "users").columns[1].renamed_from = None;
    assert!(diff(&done, &after, &DiffOptions::default())
        .expect("diff")
        .is_empty());
}

#[test]
fn renamed_table_and_column_referenced_by_a_foreign_key() {
    let before = schema([users(), posts()]);
    let mut accounts = users();
    accounts.name = "accounts".into();
    accounts.renamed_from = Some("users".into());
    accounts.columns[0].name = "account_id".into();
    accounts.columns[0].renamed_from = Some("id".into());
    accounts.primary_key = Some(PrimaryKey {
        name: "pk_accounts".into(),
        columns: vec!["account_id".into()],
    });
    let mut p2 = posts();
    p2.foreign_keys[0].ref_table = "accounts".into();
    p2.foreign_keys[0].ref_columns = vec!["account_id".into()];
    p2.foreign_keys[0].name = "fk_posts_user_id_accounts".into();
    let after = schema([accounts, p2]);
    assert_eq!(
        kinds(&changes(&before, &after)),
        ["rename_table accounts", "alter_column accounts"]
    );
}

#[test]
fn stale_hint_with_reused_name() {
    // `name` renamed to `full_name`, and a new `name` column added: rename then add.
    let before = schema([users()]);
    let mut after = before.clone();
    let t = tbl(&mut after, "users");
    t.columns[1].name = "full_name".into();
    t.columns[1].renamed_from = Some("username".into());
    t.columns
        .push(Column::new("username", SqlType::Text).nullable());
    assert_eq!(
        kinds(&changes(&before, &after)),
        ["alter_column users", "add_column users"]
    );
}

#[test]
fn dropping_a_referenced_table_drops_the_foreign_key_first() {
    let mut before = schema([users(), posts()]);
    tbl(&mut before, "users")
        .foreign_keys
        .push(fk("fk_users_x_posts", "id", "posts"));
    // users stays (without its key to posts), posts goes.
    let mut after = schema([users()]);
    tbl(&mut after, "users").foreign_keys.clear();
    assert_eq!(
        kinds(&changes(&before, &after)),
        ["drop_foreign_key users", "drop_table posts"]
    );
}

fn chain() -> Vec<Table> {
    let mut comments = posts();
    comments.name = "comments".into();
    comments
        .columns
        .push(Column::new("post_id", SqlType::Integer));
    comments
        .foreign_keys
        .push(fk("fk_comments_post_id_posts", "post_id", "posts"));
    vec![comments, posts(), users()]
}

#[test]
fn creates_and_drops_follow_foreign_keys() {
    let keep = Table {
        name: "zz_keep".into(),
        columns: vec![Column::new("id", SqlType::Integer)],
        ..Table::default()
    };
    let before = schema([keep.clone()]);
    let after = schema(chain().into_iter().chain([keep.clone()]));
    assert_eq!(
        kinds(&changes(&before, &after)),
        [
            "create_table users",
            "create_table posts",
            "create_table comments"
        ]
    );
    assert_eq!(
        kinds(&changes(&after, &before)),
        [
            "drop_table comments",
            "drop_table posts",
            "drop_table users"
        ]
    );
}

#[test]
fn foreign_key_cycles_are_split_out() {
    let mut a = users();
    a.name = "a".into();
    a.columns.push(Column::new("b_id", SqlType::Integer));
    a.foreign_keys.push(fk("fk_a_b_id_b", "b_id", "b"));
    let mut b = users();
    b.name = "b".into();
    b.columns.push(Column::new("a_id", SqlType::Integer));
    b.foreign_keys.push(fk("fk_b_a_id_a", "a_id", "a"));
    b.foreign_keys.push(fk("fk_b_parent_b", "id", "b"));
    let keep = schema([users()]);
    let after = schema([a, b, users()]);
    let p = changes(&keep, &after);
    assert_eq!(
        kinds(&p),
        ["create_table a", "create_table b", "add_foreign_key a"]
    );
    let Op::CreateTable { table } = &p.upgrade[1] else {
        panic!("{:?}", p.upgrade)
    };
    assert_eq!(table.foreign_keys.len(), 2, "b keeps its self-reference");
    assert_eq!(
        kinds(&changes(&after, &keep)),
        ["drop_foreign_key a", "drop_table b", "drop_table a"]
    );
}

#[test]
fn new_table_referencing_a_renamed_column_comes_after_the_rename() {
    let before = schema([users()]);
    let mut after = before.clone();
    let t = tbl(&mut after, "users");
    t.columns[0].name = "uid".into();
    t.columns[0].renamed_from = Some("id".into());
    t.primary_key = Some(PrimaryKey {
        name: "pk_users".into(),
        columns: vec!["uid".into()],
    });
    let mut p = posts();
    p.foreign_keys[0].ref_columns = vec!["uid".into()];
    after.insert(p);
    assert_eq!(
        kinds(&changes(&before, &after)),
        ["alter_column users", "create_table posts"]
    );
}

#[test]
fn excluded_and_bookkeeping_tables_are_untouched() {
    let mut srs = users();
    srs.name = "spatial_ref_sys".into();
    let mut version = users();
    version.name = "strata_version".into();
    let before = schema([users(), srs, version]);
    let after = schema([users(), posts()]);
    let opts = DiffOptions {
        include: vec![],
        exclude: vec!["spatial_*".into()],
    };
    assert_eq!(
        kinds(&changes_with(&before, &after, &opts)),
        ["create_table posts"]
    );
    // A model matching an exclude pattern is not created either.
    let mut legacy = users();
    legacy.name = "legacy_users".into();
    let after = schema([users(), legacy]);
    let opts = DiffOptions {
        include: vec!["users".into(), "legacy_*".into()],
        exclude: vec!["legacy_*".into()],
    };
    assert!(diff(&schema([users()]), &after, &opts)
        .expect("diff")
        .is_empty());
}

#[test]
fn refuses_an_empty_target() {
    for current in [Schema::new(), schema([users()])] {
        let err = diff(&current, &Schema::new(), &DiffOptions::default()).expect_err("refused");
        assert_eq!(err, DiffError::NoModels);
        assert!(err.to_string().contains("use my_app as _;"), "{err}");
    }
    let opts = DiffOptions {
        include: vec![],
        exclude: vec!["*".into()],
    };
    assert_eq!(
        diff(&Schema::new(), &schema([users()]), &opts),
        Err(DiffError::NoModels)
    );
}

#[test]
fn refuses_to_drop_everything() {
    let current = schema([users(), posts()]);
    let mut other = users();
    other.name = "accounts".into();
    let err = diff(&current, &schema([other]), &DiffOptions::default()).expect_err("refused");
    assert_eq!(
        err,
        DiffError::WouldDropEverything {
            count: 2,
            tables: "posts, users".into()
        }
    );
    let text = err.to_string();
    assert!(
        text.contains("use my_app as _;") && text.contains("revision"),
        "{text}"
    );
    // Keeping one table is fine.
    let p = changes(&current, &schema([users()]));
    assert_eq!(kinds(&p), ["drop_table posts"]);
}

#[test]
fn canonical_ignores_list_order_and_hints() {
    let mut a = schema([users()]);
    let t = tbl(&mut a, "users");
    t.indexes = vec![
        Index {
            name: "b".into(),
            columns: vec!["b".into()],
            unique: false,
            ..Index::default()
        },
        Index {
            name: "a".into(),
            columns: vec!["a".into()],
            unique: false,
            ..Index::default()
        },
    ];
    let mut b = a.clone();
    let t = tbl(&mut b, "users");
    t.indexes.reverse();
    t.columns.reverse();
    t.renamed_from = Some("x".into());
    assert_ne!(a, b);
    assert_eq!(canonical(&a), canonical(&b));
    tbl(&mut b, "users").indexes[0].unique = true;
    assert_ne!(canonical(&a), canonical(&b));
}

#[test]
fn renamed_table_drops_before_and_adds_after_the_rename() {
    let mut before = schema([users(), posts()]);
    tbl(&mut before, "posts").indexes.push(Index {
        name: "ix_posts_user_id".into(),
        columns: vec!["user_id".into()],
        unique: false,
        ..Index::default()
    });
    let mut articles = before.tables["posts"].clone();
    articles.name = "articles".into();
    articles.renamed_from = Some("posts".into());
    articles.primary_key.as_mut().expect("pk").name = "pk_articles".into();
    articles.foreign_keys[0].name = "fk_articles_user_id_users".into();
    articles.indexes = vec![Index {
        name: "ix_articles_id".into(),
        columns: vec!["id".into()],
        unique: true,
        ..Index::default()
    }];
    articles
        .columns
        .push(Column::new("body", SqlType::Text).nullable());
    let after = schema([users(), articles]);
    assert_eq!(
        kinds(&changes(&before, &after)),
        [
            "drop_index posts",
            "rename_table articles",
            "add_column articles",
            "create_index articles"
        ]
    );
}

#[test]
fn duplicate_indexes_pair_one_to_one() {
    let ix = |name: &str| Index {
        name: name.into(),
        columns: vec!["email".into()],
        unique: false,
        ..Index::default()
    };
    let mut before = schema([users()]);
    tbl(&mut before, "users").indexes = vec![ix("a"), ix("b")];
    let mut after = before.clone();
    tbl(&mut after, "users").indexes = vec![ix("a")];
    let p = changes(&before, &after);
    assert!(
        matches!(&p.upgrade[..], [Op::DropIndex { index, .. }] if index.name == "b"),
        "{:?}",
        p.upgrade
    );
}

#[test]
fn dangling_reports_missing_tables_and_columns() {
    assert!(dangling(&schema([users(), posts()])).is_empty());
    let lonely = schema([posts()]);
    assert_eq!(
        dangling(&lonely),
        ["foreign key 'fk_posts_user_id_users' of 'posts' references missing table 'users'"]
    );
    let mut s = schema([users(), posts()]);
    tbl(&mut s, "users").columns.remove(0);
    tbl(&mut s, "posts").indexes.push(Index {
        name: "ix".into(),
        columns: vec!["nope".into()],
        unique: false,
        ..Index::default()
    });
    assert_eq!(
        dangling(&s),
        [
            "index 'ix' of 'posts' uses missing column 'nope'",
            "foreign key 'fk_posts_user_id_users' of 'posts' references missing column 'users.id'",
            "primary key 'pk_users' of 'users' uses missing column 'id'",
        ]
    );
}

#[test]
fn ops_never_carry_hints_even_for_new_tables() {
    let before = schema([users()]);
    let mut p = posts();
    p.renamed_from = Some("nowhere".into());
    p.columns[1].renamed_from = Some("old_user_id".into());
    let after = schema([users(), p]);
    let changes = changes(&before, &after);
    let Op::CreateTable { table } = &changes.upgrade[0] else {
        panic!("{:?}", changes.upgrade)
    };
    assert_eq!(table.renamed_from, None);
    assert!(table.columns.iter().all(|c| c.renamed_from.is_none()));
}

#[test]
fn expression_defaults_compare_by_meaning_not_spelling() {
    use super::columns::same_default;
    use crate::dialect::sql_text::expr_key;
    let sql = |s: &str| ColumnDefault::Sql { sql: s.into() };
    // PostgreSQL's reading of what the model says.
    for (model, database) in [
        ("'n/' || 'a'", "('n/'::text || 'a'::text)"),
        ("lower('ABC')", "lower('ABC'::text)"),
        ("'{}'", "'{}'::json"),
        ("'x'", "'x'::character varying(3)"),
        ("ARRAY['a']", "ARRAY['a'::text]"),
        ("now()", "NOW( )"),
        ("'it''s' || 'x'", "('it''s'::text || 'x'::text)"),
    ] {
        assert!(
            same_default(&SqlType::Text, Some(&sql(model)), Some(&sql(database))),
            "{model} vs {database}: {} vs {}",
            expr_key(model),
            expr_key(database)
        );
    }
    // Real changes still show.
    for (a, b) in [
        ("'a' || 'b'", "'a' || 'c'"),
        ("'A B'", "'a b'"),
        ("now()", "statement_timestamp()"),
        ("CURRENT_TIMESTAMP", "LOCALTIMESTAMP"),
        ("(1 + 2) * 3", "1 + 2 * 3"),
        ("\"Col\"", "\"col\""),
    ] {
        assert!(
            !same_default(&SqlType::Text, Some(&sql(a)), Some(&sql(b))),
            "{a} vs {b}"
        );
    }
    let int = SqlType::Integer;
    assert!(same_default(
        &int,
        Some(&sql("1")),
        Some(&ColumnDefault::Int(1))
    ));
    assert!(!same_default(
        &int,
        Some(&sql("2")),
        Some(&ColumnDefault::Int(1))
    ));
    assert!(same_default(&int, None, None));
    assert!(!same_default(&int, Some(&sql("1")), None));

    // And the diff of two tables that differ only so is empty.
    let mut before = schema([users()]);
    let mut after = before.clone();
    tbl(&mut before, "users").columns[1].default = Some(sql("('n/'::text || 'a'::text)"));
    tbl(&mut after, "users").columns[1].default = Some(sql("'n/' || 'a'"));
    let opts = DiffOptions::default();
    assert!(diff(&before, &after, &opts).expect("diff").is_empty());
    tbl(&mut after, "users").columns[1].default = Some(sql("'n/' || 'b'"));
    assert_eq!(
        kinds(&diff(&before, &after, &opts).expect("diff")),
        ["alter_column users"]
    );
}

/// Defaults as the servers print them for what an Alembic project declares, against the
/// model's spelling: the same meaning is no change, and a change of value still is one.
/// The database spellings were read from PostgreSQL 15 (`pg_get_expr`), MariaDB 10.11
/// (`information_schema.COLUMNS.COLUMN_DEFAULT`) and SQLite 3 (`pragma_table_info`), after
/// the dialect's introspection turned them into values (what the diff sees).
#[test]
fn defaults_compare_by_meaning_across_spellings() {
    use super::columns::same_default;
    use ColumnDefault::{Bool, Float, Int, Str};
    let sql = |s: &str| ColumnDefault::Sql { sql: s.into() };
    let dec = SqlType::Decimal {
        precision: Some(10),
        scale: Some(2),
    };
    let same = [
        // PostgreSQL: `server_default=func.now()` vs the model's CURRENT_TIMESTAMP.
        (SqlType::Timestamp, sql("now()"), sql("CURRENT_TIMESTAMP")),
        (
            SqlType::TimestampTz,
            sql("transaction_timestamp()"),
            sql("CURRENT_TIMESTAMP"),
        ),
        (
            SqlType::Timestamp,
            sql("CURRENT_TIMESTAMP"),
            sql("current_timestamp()"),
        ),
        (SqlType::Timestamp, sql("now()"), sql("NOW()")),
        // PostgreSQL: `'0'::numeric` reads as Int(0), `0.00` as Float(0.0).
        (dec.clone(), Float(0.0), Int(0)),
        (dec.clone(), Float(0.0), Str("0".into())),
        (dec.clone(), Float(1.5), sql("'1.50'::numeric")),
        (SqlType::Double, Int(0), Float(0.0)),
        // SQLite: `DEFAULT '0'` on an INTEGER column reads back as the string.
        (SqlType::Integer, Str("0".into()), Int(0)),
        (SqlType::Integer, Str("-1".into()), sql("'-1'::integer")),
        // Booleans: SQLite `'1'`, `1`, `true`; MariaDB `1` (read as true); PostgreSQL `true`.
        (SqlType::Boolean, Str("1".into()), Bool(true)),
        (SqlType::Boolean, Int(1), Bool(true)),
        (SqlType::Boolean, Str("0".into()), Bool(false)),
        (SqlType::Boolean, sql("true"), Bool(true)),
        (SqlType::Boolean, sql("'f'::boolean"), Bool(false)),
        // Strings with and without casts.
        (
            SqlType::Varchar(10),
            sql("'x'::character varying"),
            Str("x".into()),
        ),
        (SqlType::Text, sql("'x'::text"), Str("x".into())),
        (
            SqlType::Varchar(3),
            sql("'x'::character varying(3)"),
            sql("'x'"),
        ),
    ];
    for (ty, db, model) in &same {
        assert!(
            same_default(ty, Some(db), Some(model)),
            "{ty:?}: {db:?} vs {model:?} should be the same"
        );
        assert!(same_default(ty, Some(model), Some(db)), "symmetric");
    }
    let different = [
        (
            SqlType::Timestamp,
            sql("now()"),
            sql("statement_timestamp()"),
        ),
        (SqlType::Timestamp, sql("now()"), sql("LOCALTIMESTAMP")),
        (SqlType::Timestamp, sql("now()"), sql("CURRENT_DATE")),
        (dec.clone(), Float(1.5), Int(1)),
        (dec, Str("0".into()), Int(1)),
        (SqlType::Integer, Str("0".into()), Int(1)),
        (SqlType::Boolean, Str("1".into()), Bool(false)),
        (SqlType::Boolean, Str("yes".into()), Bool(true)),
        (SqlType::Text, Str("0".into()), Int(0)),
        (SqlType::Text, Str("true".into()), Bool(true)),
        (
            SqlType::Varchar(10),
            sql("'x'::character varying"),
            Str("y".into()),
        ),
        (SqlType::Text, sql("'x' || 'y'"), Str("xy".into())),
        (SqlType::Text, Str("now()".into()), sql("now()")),
    ];
    for (ty, a, b) in &different {
        assert!(
            !same_default(ty, Some(a), Some(b)),
            "{ty:?}: {a:?} vs {b:?} should differ"
        );
    }

    // The diff of a table whose defaults differ only in spelling is empty.
    let mut before = schema([users()]);
    let mut after = before.clone();
    let t = tbl(&mut before, "users");
    t.columns.push(Column {
        default: Some(sql("now()")),
        ..Column::new("created_at", SqlType::Timestamp)
    });
    t.columns.push(Column {
        default: Some(Str("0".into())),
        ..Column::new("score", SqlType::Integer)
    });
    let t = tbl(&mut after, "users");
    t.columns.push(Column {
        default: Some(sql("CURRENT_TIMESTAMP")),
        ..Column::new("created_at", SqlType::Timestamp)
    });
    t.columns.push(Column {
        default: Some(Int(0)),
        ..Column::new("score", SqlType::Integer)
    });
    let opts = DiffOptions::default();
    assert!(diff(&before, &after, &opts).expect("diff").is_empty());
    tbl(&mut after, "users").columns[4].default = Some(Int(1));
    assert_eq!(
        kinds(&diff(&before, &after, &opts).expect("diff")),
        ["alter_column users"]
    );
}

fn column_candidates(before: &Schema, after: &Schema) -> Vec<RenameCandidate> {
    rename_candidates(before, after, &DiffOptions::default())
}

#[test]
fn a_dropped_and_an_added_column_of_the_same_shape_are_a_rename_candidate() {
    let before = schema([users(), posts()]);
    let mut after = before.clone();
    tbl(&mut after, "users").columns[1].name = "handle".into();
    let found = column_candidates(&before, &after);
    let expected = RenameCandidate::Column {
        table: "users".into(),
        from: "username".into(),
        to: "handle".into(),
    };
    assert_eq!(found, std::slice::from_ref(&expected));
    assert_eq!(
        expected.question(),
        "Did you rename users.username to users.handle?"
    );
    assert!(expected
        .hint()
        .contains("#[model(renamed_from = \"username\")]"));
    // Declined: the drop and the add, as without the question.
    assert_eq!(
        kinds(&changes(&before, &after)),
        ["add_column users", "drop_column users"]
    );
    // Confirmed: one rename, which keeps the values.
    let confirmed = with_renames(after.clone(), &found);
    let c = changes(&before, &confirmed);
    assert_eq!(kinds(&c), ["alter_column users"]);
    assert!(
        matches!(&c.upgrade[0], Op::AlterColumn { column, rename: Some(to), ty: None, .. }
            if column == "username" && to == "handle"),
        "{:?}",
        c.upgrade
    );
}

#[test]
fn a_dropped_and_a_created_table_with_the_same_columns_are_a_rename_candidate() {
    let before = schema([users(), posts()]);
    let mut articles = posts();
    articles.name = "articles".into();
    articles.primary_key.as_mut().expect("pk").name = "pk_articles".into();
    articles.foreign_keys[0].name = "fk_articles_user_id_users".into();
    let after = schema([users(), articles]);
    let found = column_candidates(&before, &after);
    assert_eq!(
        found,
        [RenameCandidate::Table {
            from: "posts".into(),
            to: "articles".into()
        }]
    );
    assert_eq!(
        found[0].question(),
        "Did you rename table posts to articles?"
    );
    let c = changes(&before, &with_renames(after, &found));
    assert_eq!(kinds(&c), ["rename_table articles"]);
}

#[test]
fn rename_candidates_pair_only_one_to_one_and_same_shape() {
    let base = schema([users(), posts()]);
    let none = |before: &Schema, after: &Schema, why: &str| {
        assert_eq!(column_candidates(before, after), [], "{why}");
    };
    // Two columns of the same shape dropped, one added: which one? No pair.
    let mut before = base.clone();
    tbl(&mut before, "users")
        .columns
        .push(Column::new("nick", SqlType::Varchar(80)));
    let mut after = base.clone();
    tbl(&mut after, "users").columns[1].name = "handle".into();
    none(&before, &after, "two dropped, one added");
    // One dropped, two added of the same shape.
    let mut after = base.clone();
    tbl(&mut after, "users").columns[1].name = "handle".into();
    tbl(&mut after, "users")
        .columns
        .push(Column::new("nick", SqlType::Varchar(80)));
    none(&base, &after, "one dropped, two added");
    // Another type, nullability or default is not the same column.
    for change in [
        |c: &mut Column| c.ty = SqlType::Varchar(81),
        |c: &mut Column| c.nullable = true,
        |c: &mut Column| c.default = Some(ColumnDefault::Str("x".into())),
    ] {
        let mut after = base.clone();
        let c = &mut tbl(&mut after, "users").columns[1];
        c.name = "handle".into();
        change(c);
        none(&base, &after, "different shape");
    }
    // Two pairs of different shapes in one table pair separately.
    let mut after = base.clone();
    let t = tbl(&mut after, "users");
    t.columns[1].name = "handle".into();
    t.columns[2].name = "mail".into();
    assert_eq!(column_candidates(&base, &after).len(), 2);
    // Two identical tables dropped and one created: no pair; nor with other columns.
    let mut before = base.clone();
    let mut drafts = posts();
    drafts.name = "drafts".into();
    drafts.foreign_keys[0].name = "fk_drafts_user_id_users".into();
    before.insert(drafts);
    let mut articles = posts();
    articles.name = "articles".into();
    let after = schema([users(), articles.clone()]);
    none(&before, &after, "two tables dropped, one created");
    articles.columns.push(Column::new("title", SqlType::Text));
    none(&base, &schema([users(), articles]), "other columns");
    // Tables the diff never touches are never candidates.
    let mut before = base.clone();
    let mut legacy = posts();
    legacy.name = "alembic_version".into();
    before.insert(legacy);
    let mut articles = posts();
    articles.name = "articles".into();
    let mut after = base.clone();
    after.insert(articles);
    none(
        &before,
        &after,
        "alembic_version is not a table the diff drops",
    );
}

fn partial_unique_email() -> Index {
    Index {
        where_: Some("deleted_at IS NULL".into()),
        ..Index::new("ix_users_email", vec!["email".into()], true)
    }
}

#[test]
fn partial_and_expression_indexes_compare_through_the_dialect_key() {
    let mut models = schema([users()]);
    let lower = Index {
        expr: Some("lower(email)".into()),
        ..Index::new("ix_users_lower_email", Vec::new(), false)
    };
    tbl(&mut models, "users").indexes = vec![partial_unique_email(), lower];
    // As PostgreSQL prints them: casts and parentheses added, nothing to do.
    let mut stored = models.clone();
    let t = tbl(&mut stored, "users");
    t.indexes[0].where_ = Some("(deleted_at IS NULL)".into());
    t.indexes[1].expr = Some("lower((email)::text)".into());
    let pg = &crate::dialect::postgres::Postgres;
    let opts = DiffOptions::default();
    assert!(diff_on(pg, &stored, &models, &opts)
        .expect("diff")
        .is_empty());
    // The same index unchanged is never dropped and re-created.
    assert!(diff(&models, &models, &opts).expect("diff").is_empty());
    // A changed predicate or expression is a drop and a create.
    let mut changed = models.clone();
    tbl(&mut changed, "users").indexes[0].where_ = Some("deleted_at IS NOT NULL".into());
    assert_eq!(
        kinds(&diff_on(pg, &stored, &changed, &opts).expect("diff")),
        ["drop_index users", "create_index users"]
    );
    let mut changed = models.clone();
    tbl(&mut changed, "users").indexes[1].expr = Some("upper(email)".into());
    assert_eq!(
        kinds(&diff_on(pg, &stored, &changed, &opts).expect("diff")),
        ["drop_index users", "create_index users"]
    );
    // Dropping the predicate makes another index.
    let mut changed = models.clone();
    tbl(&mut changed, "users").indexes[0].where_ = None;
    assert_eq!(
        kinds(&diff(&models, &changed, &opts).expect("diff")),
        ["drop_index users", "create_index users"]
    );
}

#[test]
fn index_order_and_method_are_compared() {
    let mut before = schema([users()]);
    tbl(&mut before, "users").indexes = vec![Index::new(
        "ix_users_username",
        vec!["username".into()],
        false,
    )];
    let opts = DiffOptions::default();
    let mut desc = before.clone();
    tbl(&mut desc, "users").indexes[0].desc = vec!["username".into()];
    assert_eq!(
        kinds(&diff(&before, &desc, &opts).expect("diff")),
        ["drop_index users", "create_index users"]
    );
    let mut gin = before.clone();
    tbl(&mut gin, "users").indexes[0].using = Some("gin".into());
    assert_eq!(
        kinds(&diff(&before, &gin, &opts).expect("diff")),
        ["drop_index users", "create_index users"]
    );
    // `btree` is the default method, in any case.
    let mut btree = before.clone();
    tbl(&mut btree, "users").indexes[0].using = Some("BTREE".into());
    assert!(diff(&before, &btree, &opts).expect("diff").is_empty());
}

#[test]
fn a_partial_index_on_a_renamed_column_compares_under_the_new_name() {
    let mut before = schema([users()]);
    tbl(&mut before, "users").indexes = vec![Index {
        desc: vec!["email".into()],
        ..partial_unique_email()
    }];
    tbl(&mut before, "users").indexes[0].where_ = Some("email <> ''".into());
    let mut after = before.clone();
    let t = tbl(&mut after, "users");
    t.columns[2].name = "mail".into();
    t.columns[2].renamed_from = Some("email".into());
    t.indexes[0].columns = vec!["mail".into()];
    t.indexes[0].desc = vec!["mail".into()];
    t.indexes[0].where_ = Some("mail <> ''".into());
    let changes = diff(&before, &after, &DiffOptions::default()).expect("diff");
    assert_eq!(kinds(&changes), ["alter_column users"]);
    let mut replayed = before.clone();
    apply_all(&mut replayed, &changes.upgrade).expect("replay");
    assert_eq!(
        replayed.tables["users"].indexes[0].where_.as_deref(),
        Some("\"mail\" <> ''")
    );
}

#[test]
fn index_files_without_the_new_fields_read_the_same() {
    let old: Index =
        toml::from_str("name = \"ix\"\ncolumns = [\"a\"]\nunique = true").expect("old file");
    assert_eq!(old, Index::new("ix", vec!["a".into()], true));
    assert_eq!(
        toml::to_string(&old).expect("toml"),
        "name = \"ix\"\ncolumns = [\"a\"]\nunique = true\n"
    );
    let partial: Index = toml::from_str(
        "name = \"ix\"\ncolumns = [\"a\"]\nwhere = \"a > 0\"\ndesc = [\"a\"]\nusing = \"gin\"",
    )
    .expect("new fields");
    assert_eq!(partial.where_.as_deref(), Some("a > 0"));
    assert_eq!(partial.desc, ["a"]);
    assert_eq!(partial.method().as_deref(), Some("gin"));
}

fn with_mood(values: &[&str]) -> Table {
    let mut t = users();
    t.columns.push(Column::new(
        "mood",
        SqlType::Enum {
            name: "mood".into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        },
    ));
    t
}

#[test]
fn enum_columns_compare_by_values_and_their_order() {
    let opts = DiffOptions::default();
    let before = schema([with_mood(&["happy", "sad"])]);
    assert!(diff(&before, &before, &opts).expect("diff").is_empty());
    for values in [&["happy", "sad", "meh"][..], &["sad", "happy"], &["happy"]] {
        let after = schema([with_mood(values)]);
        let changes = diff(&before, &after, &opts).expect("diff");
        assert_eq!(kinds(&changes), ["alter_column users"], "{values:?}");
        let mut replayed = before.clone();
        apply_all(&mut replayed, &changes.upgrade).expect("replays");
        assert_eq!(canonical(&replayed), canonical(&after));
    }
    // Dropping a value can fail on the rows holding it; adding or reordering cannot.
    let t = |v: &[&str]| with_mood(v).columns[3].ty.clone();
    assert!(t(&["happy", "sad"]).narrows_to(&t(&["happy"])));
    assert!(!t(&["happy", "sad"]).narrows_to(&t(&["sad", "happy", "meh"])));
}

#[test]
fn an_enum_read_back_from_mysql_without_its_name_is_no_change() {
    use crate::dialect::Catalog as _;
    let opts = DiffOptions::default();
    let mysql = &crate::dialect::mysql::MYSQL;
    let mut models = schema([with_mood(&["happy", "sad"])]);
    mysql.normalize(&mut models);
    let mut stored = schema([with_mood(&["happy", "sad"])]);
    tbl(&mut stored, "users").columns[3].ty = SqlType::Enum {
        name: String::new(),
        values: vec!["happy".into(), "sad".into()],
    };
    assert!(diff_on(mysql, &stored, &models, &opts)
        .expect("diff")
        .is_empty());
    tbl(&mut stored, "users").columns[3].ty = SqlType::Enum {
        name: String::new(),
        values: vec!["happy".into()],
    };
    assert_eq!(
        kinds(&diff_on(mysql, &stored, &models, &opts).expect("diff")),
        ["alter_column users"]
    );
}

/// Tables in schemas: a table of the same shape in another schema is no rename candidate (a
/// rename keeps the schema); the schema the models start using is created first; and a
/// database table in a schema the models do not use is left alone.
#[test]
fn schemas_are_created_first_and_never_renamed_across() {
    let mut moved = posts();
    moved.name = "audit.posts".into();
    let before = schema([users(), posts()]);
    let after = schema([users(), moved.clone()]);
    assert_eq!(column_candidates(&before, &after), []);
    assert_eq!(
        kinds(&changes(&before, &after)),
        [
            "create_schema ",
            "drop_table posts",
            "create_table audit.posts"
        ]
    );
    // The models stop using `audit`: its table stays.
    let with_audit = schema([users(), posts(), moved]);
    let left = diff(
        &with_audit,
        &schema([users(), posts()]),
        &DiffOptions::default(),
    );
    assert!(left.expect("diff").is_empty());
}
