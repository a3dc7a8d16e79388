//! Migration files: writing, parsing, errors with positions, checksums, directories, slugs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use strata::dialect::DialectKind;
use strata::ops::{Change, DefaultChange, Op};
use strata::schema::{
    Check, Column, ColumnDefault, ForeignKey, Index, PrimaryKey, ReferentialAction, SqlType, Table,
    Unique,
};
use strata::script::{Header, Script, ScriptError};
use strata::testing::{file_name, new_revision_id, slug, validate_revision_id};

fn users() -> Table {
    Table {
        name: "users".into(),
        columns: vec![
            Column {
                autoincrement: true,
                ..Column::new("id", SqlType::Integer)
            },
            Column::new("email", SqlType::Varchar(120)),
            Column {
                default: Some(ColumnDefault::Sql {
                    sql: "CURRENT_TIMESTAMP".into(),
                }),
                comment: Some("when the row was \"created\"".into()),
                ..Column::new("created_at", SqlType::TimestampTz)
            },
            Column {
                default: Some(ColumnDefault::Float(1.5)),
                ..Column::new(
                    "score",
                    SqlType::Decimal {
                        precision: Some(10),
                        scale: Some(2),
                    },
                )
            },
        ],
        primary_key: Some(PrimaryKey {
            name: "pk_users".into(),
            columns: vec!["id".into()],
        }),
        uniques: vec![Unique {
            name: "uq_users_email".into(),
            columns: vec!["email".into()],
        }],
        indexes: vec![Index {
            name: "ix_users_created_at".into(),
            columns: vec!["created_at".into()],
            unique: false,
            ..Index::default()
        }],
        checks: vec![Check {
            name: "ck_users_score".into(),
            expr: "score >= 0\n  AND score < 100".into(),
        }],
        comment: Some("people".into()),
        ..Table::default()
    }
}

fn posts() -> Table {
    Table {
        name: "posts".into(),
        columns: vec![
            Column::new("id", SqlType::BigInt),
            Column::new("user_id", SqlType::Integer),
            Column::new("body", SqlType::Custom("tsvector".into())).nullable(),
        ],
        foreign_keys: vec![fk()],
        ..Table::default()
    }
}

fn fk() -> ForeignKey {
    ForeignKey {
        name: "fk_posts_user_id_users".into(),
        columns: vec!["user_id".into()],
        ref_table: "users".into(),
        ref_columns: vec!["id".into()],
        on_delete: ReferentialAction::Cascade,
        on_update: ReferentialAction::NoAction,
    }
}

/// One of every op variant (and the optional parts of each).
fn every_op() -> Vec<Op> {
    vec![
        Op::CreateTable { table: users() },
        Op::CreateTable { table: posts() },
        Op::DropTable { table: posts() },
        Op::RenameTable {
            from: "posts".into(),
            to: "articles".into(),
        },
        Op::AddColumn {
            table: "users".into(),
            column: Column::new("phone", SqlType::Varchar(20)).nullable(),
        },
        Op::DropColumn {
            table: "users".into(),
            column: Column {
                default: Some(ColumnDefault::Str("it's \\ \"odd\"\n".into())),
                ..Column::new("nick", SqlType::Text)
            },
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
                from: Some(ColumnDefault::Int(0)),
                to: Some(ColumnDefault::Bool(true)),
            }),
        },
        Op::AlterColumn {
            table: "users".into(),
            column: "email".into(),
            rename: None,
            ty: None,
            nullable: None,
            default: Some(DefaultChange {
                from: None,
                to: None,
            }),
        },
        Op::AlterPrimaryKey {
            table: "posts".into(),
            from: None,
            to: Some(PrimaryKey {
                name: "pk_posts".into(),
                columns: vec!["id".into(), "user_id".into()],
            }),
        },
        Op::CreateIndex {
            table: "users".into(),
            index: Index {
                name: "ix_users_phone".into(),
                columns: vec!["phone".into()],
                unique: true,
                ..Index::default()
            },
        },
        Op::DropIndex {
            table: "users".into(),
            index: Index {
                name: "ix_users_created_at".into(),
                columns: vec!["created_at".into()],
                unique: false,
                ..Index::default()
            },
        },
        Op::AddUnique {
            table: "users".into(),
            unique: Unique {
                name: "uq_users_phone".into(),
                columns: vec!["phone".into()],
            },
        },
        Op::DropUnique {
            table: "users".into(),
            unique: Unique {
                name: "uq_users_email".into(),
                columns: vec!["email".into()],
            },
        },
        Op::AddForeignKey {
            table: "posts".into(),
            foreign_key: fk(),
        },
        Op::DropForeignKey {
            table: "posts".into(),
            foreign_key: fk(),
        },
        Op::AddCheck {
            table: "users".into(),
            check: Check {
                name: "ck_users_phone".into(),
                expr: "length(phone) > 3".into(),
            },
        },
        Op::DropCheck {
            table: "users".into(),
            check: Check {
                name: "ck_users_score".into(),
                expr: "score >= 0".into(),
            },
        },
        Op::Sql {
            sql: "UPDATE users\nSET phone = 'n/a'\nWHERE phone IS NULL".into(),
            reverse: Some("UPDATE users SET phone = NULL WHERE phone = 'n/a'".into()),
            dialect: Some(DialectKind::Postgres),
            batch_size: None,
            elidable: false,
        },
        Op::Sql {
            sql: "SELECT 'a\\b'''".into(),
            reverse: None,
            dialect: None,
            batch_size: None,
            elidable: false,
        },
    ]
}

fn header(revision: &str, down: &[&str], message: &str) -> Header {
    let mut h = Header::new(
        revision,
        down.iter().map(|s| s.to_string()).collect(),
        message,
    );
    h.created = Some("2026-11-21T15:30:00Z".parse().expect("datetime"));
    h
}

fn round_trip(script: &Script) -> String {
    let text = script.render().expect("render");
    let back = Script::parse(&script.path, &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(&back, script, "{text}");
    text
}

#[test]
fn every_op_round_trips_alone_in_both_sections() {
    for (i, op) in every_op().into_iter().enumerate() {
        let up = Script::new(
            header("a1b2c3d4e5f6", &["9f8e7d6c5b4a"], &format!("op {i}")),
            vec![op.clone()],
            vec![],
        )
        .expect("script");
        round_trip(&up);
        let down =
            Script::new(header("a1b2c3d4e5f6", &[], "down"), vec![], vec![op]).expect("script");
        round_trip(&down);
    }
}

#[test]
fn every_op_round_trips_together() {
    let ops = every_op();
    let mut downgrade = ops.clone();
    downgrade.reverse();
    let script =
        Script::new(header("abc123", &["p1", "p2"], "all"), ops, downgrade).expect("script");
    let text = round_trip(&script);
    assert!(text.contains("down_revision = [\"p1\", \"p2\"]"), "{text}");
}

#[test]
fn header_options_round_trip() {
    let mut h = header("r_1", &["r_0"], "Multi\nline message");
    h.branch_labels = vec!["billing".into()];
    h.depends_on = vec!["x9".into(), "y8".into()];
    h.transactional = false;
    h.phase = Some(strata::script::Phase::Contract);
    let script = Script::new(h, every_op()[4..5].to_vec(), vec![]).expect("script");
    let text = round_trip(&script);
    assert!(text.starts_with("# Multi\n# line message\n"), "{text}");
    assert!(text.contains("transactional = false\n"), "{text}");
    assert!(text.contains("phase = \"contract\"\n"), "{text}");
    let mut h = header("r_2", &[], "");
    h.created = None;
    round_trip(&Script::new(h, vec![], vec![]).expect("script"));
}

#[test]
fn the_layout_reads_well() {
    let script = Script::new(
        header(
            "a1b2c3d4e5f6",
            &["9f8e7d6c5b4a"],
            "Add phone column to users",
        ),
        vec![
            every_op()[4].clone(),
            Op::CreateTable { table: users() },
            every_op()[17].clone(),
        ],
        vec![Op::DropColumn {
            table: "users".into(),
            column: Column::new("phone", SqlType::Varchar(20)).nullable(),
        }],
    )
    .expect("script");
    assert_eq!(
        script.path,
        PathBuf::from("a1b2c3d4e5f6_add_phone_column_to_users.toml")
    );
    let text = round_trip(&script);
    assert!(
        text.starts_with(
            "# Add phone column to users\nrevision = \"a1b2c3d4e5f6\"\n\
             down_revision = \"9f8e7d6c5b4a\"\nmessage = \"Add phone column to users\"\n\
             created = 2026-11-21T15:30:00Z\n\n[[upgrade]]\nop = \"add_column\"\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("column = { name = \"phone\", type = \"varchar(20)\", nullable = true }\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "[upgrade.table]\nname = \"users\"\ncolumns = [\n  \
             { name = \"id\", type = \"integer\", autoincrement = true },\n"
        ),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn an_empty_revision_explains_how_to_write_ops() {
    let script = Script::new(header("e1", &["d0"], "empty"), vec![], vec![]).expect("script");
    let text = round_trip(&script);
    assert!(text.contains("# [[upgrade]]"), "{text}");
    // The commented examples are real: uncommented, they parse.
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with("[[")
                    || rest.split_once(" = ").is_some_and(|(k, _)| {
                        k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    }) =>
            {
                rest
            }
            _ if l.starts_with('#') => "",
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let parsed = Script::parse("e1_empty.toml", &uncommented)
        .unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
    assert_eq!(parsed.upgrade.len(), 2, "{uncommented}");
    assert_eq!(parsed.downgrade.len(), 2, "{uncommented}");
    assert!(matches!(
        parsed.upgrade[1],
        Op::Sql {
            dialect: Some(DialectKind::Postgres),
            batch_size: None,
            elidable: false,
            ..
        }
    ));
}

#[test]
fn hand_edits_survive() {
    let text = r#"
# A hand-edited file: comments, reordered keys, a dotted key.
message = "Add phone"   # the message
down_revision = ["9f8e7d6c5b4a"]
revision = "a1b2c3d4e5f6"

[[upgrade]]
# the table first, then the op
table = "users"
column.name = "phone"
column.type = "varchar(20)"
column.nullable = true
op = "add_column"

[[upgrade]]
op = "create_table"
[upgrade.table]
columns = [
  { type = "integer", name = "id" },   # trailing comma next
]
name = "t"

[[downgrade]]
op = "sql"
sql = """
DROP TABLE t"""
"#;
    let s = Script::parse("versions/a1b2c3d4e5f6_add_phone.toml", text).expect("parses");
    assert_eq!(s.header.revision, "a1b2c3d4e5f6");
    assert_eq!(s.header.down_revision, vec!["9f8e7d6c5b4a".to_string()]);
    assert_eq!(s.header.created, None);
    assert!(s.header.transactional);
    assert_eq!(s.upgrade[0], every_op()[4]);
    assert_eq!(
        s.upgrade[1],
        Op::CreateTable {
            table: Table {
                name: "t".into(),
                columns: vec![Column::new("id", SqlType::Integer)],
                ..Table::default()
            }
        }
    );
    assert_eq!(
        s.downgrade,
        vec![Op::Sql {
            sql: "DROP TABLE t".into(),
            reverse: None,
            dialect: None,
            batch_size: None,
            elidable: false,
        }]
    );
}

fn parse_err(name: &str, text: &str) -> String {
    let e = Script::parse(Path::new("versions").join(name), text).expect_err("must fail");
    e.to_string()
}

const HEAD: &str = "revision = \"abc\"\nmessage = \"m\"\n";

#[test]
fn syntax_errors_give_file_line_and_column() {
    let e = parse_err("abc_m.toml", "revision = \"abc\"\nmessage = \"m\n");
    assert!(e.starts_with("versions/abc_m.toml:2:"), "{e}");
    let e = parse_err("abc_m.toml", &format!("{HEAD}\n[[upgrade]\nop = \"sql\"\n"));
    assert!(e.starts_with("versions/abc_m.toml:4:11:"), "{e}");
}

#[test]
fn unknown_fields_point_at_the_key_and_name_the_op() {
    let text = format!(
        "{HEAD}\n[[upgrade]]\nop = \"sql\"\nsql = \"x\"\n\n[[upgrade]]\nop = \"rename_table\"\nfrom = \"a\"\n  colour = 1\nto = \"b\"\n"
    );
    let e = parse_err("abc_m.toml", &text);
    assert!(e.starts_with("versions/abc_m.toml:11:3: in upgrade op #2 (`rename_table`): unknown field `colour`, expected `from` or `to`"), "{e}");

    let text = format!(
        "{HEAD}\n[[downgrade]]\nop = \"add_column\"\ntable = \"t\"\ncolumn = {{ name = \"x\", type = \"text\", nulable = true }}\n"
    );
    let e = parse_err("abc_m.toml", &text);
    assert!(e.starts_with("versions/abc_m.toml:7:39: in downgrade op #1 (`add_column`): unknown field `nulable`, expected one of `name`, `type`, `nullable`"), "{e}");
}

#[test]
fn unknown_ops_list_the_valid_ones() {
    let text = format!("{HEAD}\n[[upgrade]]\nop = \"explode_table\"\n");
    let e = parse_err("abc_m.toml", &text);
    assert!(e.starts_with("versions/abc_m.toml:5:6: in upgrade op #1 (`explode_table`): unknown variant `explode_table`, expected one of `create_table`"), "{e}");
    assert!(e.contains("`add_column`") && e.contains("`sql`"), "{e}");
}

#[test]
fn header_errors_point_at_the_header() {
    let e = parse_err("abc_m.toml", &format!("{HEAD}colour = 1\n"));
    assert!(
        e.starts_with(
            "versions/abc_m.toml:3:1: unknown field `colour`, expected one of `revision`"
        ),
        "{e}"
    );
    let e = parse_err("abc_m.toml", &format!("{HEAD}transactional = \"no\"\n"));
    assert!(
        e.starts_with("versions/abc_m.toml:3:17: `transactional`: invalid type: string"),
        "{e}"
    );
    let e = parse_err("abc_m.toml", &format!("{HEAD}phase = \"expanded\"\n"));
    assert!(
        e.starts_with("versions/abc_m.toml:3:9:")
            && e.contains("unknown variant `expanded`, expected `expand` or `contract`"),
        "{e}"
    );
    let e = parse_err("abc_m.toml", "message = \"m\"\n");
    assert!(e.contains("missing field `revision`"), "{e}");
    let e = parse_err("abc_m.toml", &format!("{HEAD}down_revision = 7\n"));
    assert!(
        e.starts_with("versions/abc_m.toml:3:17:")
            && e.contains("a revision id string or an array of them"),
        "{e}"
    );
}

#[test]
fn bad_revision_ids_in_files_are_located() {
    let e = parse_err("ABC_m.toml", "message = \"m\"\n\nrevision = \"ABC\"\n");
    assert!(
        e.starts_with("versions/ABC_m.toml:3:1: invalid revision id `ABC`: it contains 'A'"),
        "{e}"
    );
}

#[test]
fn the_file_name_must_match_the_revision() {
    let e = Script::parse("versions/abd_m.toml", HEAD).expect_err("mismatch");
    assert!(matches!(e, ScriptError::NameMismatch { .. }));
    let e = e.to_string();
    assert!(
        e.contains("versions/abd_m.toml")
            && e.contains("`abd`")
            && e.contains("revision = \"abc\"")
            && e.contains("rename the file to start with `abc_`"),
        "{e}"
    );
    // `abcd_...` must not pass for `abc`.
    assert!(Script::parse("abcd_m.toml", HEAD).is_err());
    assert!(Script::parse("abc.toml", HEAD).is_ok());
    assert!(Script::parse("abc_anything_else.toml", HEAD).is_ok());
}

#[test]
fn checksums_ignore_line_endings_only() {
    let lf = format!("{HEAD}\n[[upgrade]]\nop = \"sql\"\nsql = \"x\"\n");
    let crlf = lf.replace('\n', "\r\n");
    let cr = lf.replace('\n', "\r");
    assert_eq!(Script::checksum(&lf), Script::checksum(&crlf));
    assert_eq!(Script::checksum(&lf), Script::checksum(&cr));
    assert_ne!(
        Script::checksum(&lf),
        Script::checksum(&lf.replace("\"x\"", "\"y\""))
    );
    // The SHA-256 test vector for "abc".
    assert_eq!(
        Script::checksum("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let a = Script::parse("abc_m.toml", &lf).expect("lf");
    let b = Script::parse("abc_m.toml", &crlf).expect("crlf");
    assert_eq!(a, b);
}

fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "strata-script-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn write_then_load_dir() {
    let dir = temp_dir("load").join("versions");
    let mut first = Script::new(
        header("aaa111", &[], "Create users"),
        vec![every_op()[0].clone()],
        vec![],
    )
    .expect("script");
    let path = first.write(&dir).expect("write");
    assert_eq!(path, dir.join("aaa111_create_users.toml"));
    assert_eq!(first.path, path);
    let mut second = Script::new(
        header("bbb222", &["aaa111"], "Add phone!"),
        vec![every_op()[4].clone()],
        vec![every_op()[5].clone()],
    )
    .expect("script");
    second.write(&dir).expect("write");
    // Not overwritten.
    let again = second.write(&dir).expect_err("exists");
    assert!(
        again.to_string().contains("bbb222_add_phone.toml"),
        "{again}"
    );
    // Ignored: other extensions, hidden files, directories.
    std::fs::write(dir.join("README.md"), "not a migration").expect("write");
    std::fs::write(dir.join(".aaa111_backup.toml"), "not toml at all [").expect("write");
    std::fs::create_dir_all(dir.join("sub.toml")).expect("dir");

    let loaded = Script::load_dir(&dir).expect("load");
    assert_eq!(loaded, vec![first, second]);
}

#[test]
fn load_dir_rejects_duplicate_ids_naming_both_files() {
    let dir = temp_dir("dup");
    for name in ["abc_one.toml", "abc_two.toml"] {
        std::fs::write(dir.join(name), HEAD).expect("write");
    }
    let e = Script::load_dir(&dir).expect_err("duplicate");
    assert!(matches!(e, ScriptError::DuplicateRevision { .. }));
    let e = e.to_string();
    assert!(
        e.contains("abc_one.toml") && e.contains("abc_two.toml") && e.contains("`abc`"),
        "{e}"
    );
}

#[test]
fn load_dir_reports_the_broken_file_and_missing_dirs() {
    let dir = temp_dir("broken");
    std::fs::write(dir.join("abc_m.toml"), format!("{HEAD}oops\n")).expect("write");
    let e = Script::load_dir(&dir).expect_err("broken").to_string();
    assert!(e.contains("abc_m.toml:3:"), "{e}");
    let e = Script::load_dir(dir.join("nope"))
        .expect_err("missing")
        .to_string();
    assert!(e.starts_with("cannot list ") && e.contains("nope"), "{e}");
}

#[test]
fn slugs() {
    assert_eq!(
        slug("Add phone column to users"),
        "add_phone_column_to_users"
    );
    assert_eq!(slug("  --Hello,   World!--  "), "hello_world");
    assert_eq!(slug("Café crème"), "caf_cr_me");
    assert_eq!(
        slug("v2: rename `users` -> `people`"),
        "v2_rename_users_people"
    );
    assert_eq!(slug("!!!"), "");
    let long = slug("a very long message that keeps going on and on and on");
    assert_eq!(long, "a_very_long_message_that_keeps_going_on");
    assert!(long.len() <= 40);
    // Truncation never leaves a trailing underscore.
    assert_eq!(slug(&format!("{} b", "a".repeat(39))), "a".repeat(39));
    assert_eq!(file_name("abc", "!!!"), "abc.toml");
    assert_eq!(file_name("abc", "Hi there"), "abc_hi_there.toml");
}

#[test]
fn revision_ids() {
    let a = new_revision_id().expect("random");
    let b = new_revision_id().expect("random");
    assert_eq!(a.len(), 12);
    assert!(
        a.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{a}"
    );
    assert_ne!(a, b);
    assert!(validate_revision_id(&a).is_ok());
    for ok in ["a", "0001", "add_users", &"x".repeat(32)] {
        assert!(validate_revision_id(ok).is_ok(), "{ok}");
    }
    for (bad, why) in [
        ("", "it is empty"),
        ("Abc", "it contains 'A'"),
        ("a-b", "it contains '-'"),
        ("a b", "it contains ' '"),
        (&"x".repeat(33), "it is 33 characters long"),
        ("head", "reserved"),
        ("base", "reserved"),
    ] {
        let e = validate_revision_id(bad).expect_err(bad).to_string();
        assert!(e.contains(why), "{e}");
        assert!(e.contains("1 to 32 characters of a-z, 0-9 and _"), "{e}");
    }
}

#[test]
fn missing_op_fields_point_at_the_op() {
    let text = format!(
        "{HEAD}\n[[upgrade]]\nop = \"sql\"\nsql = \"x\"\n\n[[upgrade]]\nop = \"add_column\"\ntable = \"t\"\n"
    );
    let e = parse_err("abc_m.toml", &text);
    assert_eq!(
        e,
        "versions/abc_m.toml:8:1: in upgrade op #2 (`add_column`): missing field `column`"
    );
}

#[test]
fn header_only_parsing_reads_the_same_header_and_checksum() {
    use strata::script::Script;
    let dir = std::env::temp_dir().join(format!("strata-header-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let text = "# Add phone\nrevision = \"a1b2c3d4e5f6\"\ndown_revision = [\"0a\", \"0b\"]\n\
                message = \"Add phone\"\nbranch_labels = \"billing\"\n\n[[upgrade]]\nop = \"add_column\"\n\
                table = \"users\"\ncolumn = { name = \"phone\", type = \"varchar(20)\", nullable = true }\n\n\
                [[downgrade]]\nop = \"sql\"\nsql = \"\"\"\n[not a table]\nSELECT 1\"\"\"\nreverse = \"SELECT 2\"\n";
    let path = dir.join("a1b2c3d4e5f6_add_phone.toml");
    std::fs::write(&path, text).expect("write");
    let full = Script::load(&path).expect("full");
    let head = Script::load_header(&path).expect("header");
    assert!(full.ops_loaded);
    assert!(!head.ops_loaded);
    assert_eq!(head.header, full.header);
    assert_eq!(head.checksum, full.checksum);
    assert!(head.upgrade.is_empty() && head.downgrade.is_empty());
    assert_eq!(full.upgrade.len(), 1);
    let listed = Script::load_dir_headers(&dir).expect("dir");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].header, full.header);

    // A header a line cut cannot read falls back to the full parse.
    let tricky = "revision = \"b1b2c3d4e5f6\"\nmessage = \"\"\"two\n[lines]\"\"\"\n";
    let s = Script::parse_header("b1b2c3d4e5f6_x.toml", tricky).expect("fallback");
    assert_eq!(s.header.message, "two\n[lines]");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Files are parsed one `[[upgrade]]`/`[[downgrade]]` table at a time (on all cores when
/// large); these are the documents where cutting at those lines would go wrong, and each must
/// read exactly as the whole document does.
#[test]
fn piecewise_parsing_reads_what_the_whole_document_says() {
    // A `[[downgrade]]` line inside a multi-line string is part of the string.
    let text = format!(
        "{HEAD}\n[[upgrade]]\nop = \"sql\"\nsql = '''\nSELECT 1;\n[[downgrade]]\nSELECT 2'''\n\n\
         [[downgrade]]\nop = \"sql\"\nsql = \"SELECT 3\"\n"
    );
    let s = Script::parse("versions/abc_m.toml", &text).expect("parses");
    assert_eq!(s.upgrade.len(), 1, "{:?}", s.upgrade);
    assert_eq!(
        s.upgrade[0],
        Op::Sql {
            sql: "SELECT 1;\n[[downgrade]]\nSELECT 2".into(),
            reverse: None,
            dialect: None,
            batch_size: None,
            elidable: false,
        }
    );
    assert_eq!(s.downgrade.len(), 1);

    // Ops given inline in the header and as tables below: not one TOML document.
    let e = parse_err(
        "abc_m.toml",
        &format!("{HEAD}upgrade = []\n\n[[upgrade]]\nop = \"sql\"\nsql = \"SELECT 1\"\n"),
    );
    assert!(e.starts_with("versions/abc_m.toml:5:"), "{e}");

    // A sub-table that reaches back past a `[[downgrade]]` line.
    let text = format!(
        "{HEAD}\n[[upgrade]]\nop = \"create_table\"\n\n[[downgrade]]\nop = \"drop_table\"\n\
         [downgrade.table]\nname = \"t\"\ncolumns = []\n[upgrade.table]\nname = \"t\"\ncolumns = []\n"
    );
    let s = Script::parse("versions/abc_m.toml", &text).expect("parses as a whole");
    assert_eq!(s.upgrade.len(), 1);
    assert_eq!(s.downgrade.len(), 1);

    // An error in a later piece is reported at its place in the file.
    let e = parse_err(
        "abc_m.toml",
        &format!("{HEAD}\n[[upgrade]]\nop = \"sql\"\nsql = \"x\"\n\n[[upgrade]]\nop = \"nope\"\n"),
    );
    assert!(e.starts_with("versions/abc_m.toml:9:"), "{e}");
    assert!(e.contains("nope"), "{e}");
}

/// A file large enough to be parsed on several threads reads back exactly, in order.
#[test]
fn large_files_round_trip_in_order() {
    let ops: Vec<Op> = (0..2000)
        .map(|i| {
            let mut t = users();
            t.name = format!("t{i:05}");
            Op::CreateTable { table: t }
        })
        .collect();
    let down = strata::ops::reverse_all(&ops).expect("reversible");
    let script = Script::new(header("abc123", &[], "big"), ops, down).expect("script");
    let text = round_trip(&script);
    assert!(text.len() > 512 * 1024, "{} bytes", text.len());
}

/// `allow` inside a step acknowledges that step's findings, in the `[[upgrade]]` layout and
/// in an inline list alike; a bad entry there names the step and its line.
#[test]
fn steps_may_acknowledge_their_findings() {
    let drop = "op = \"drop_column\"\ntable = \"t\"\ncolumn = { name = \"c\", type = \"text\" }";
    let tables = format!(
        "{HEAD}\n[[upgrade]]\n{drop}\n\n[[upgrade]]\n{drop}\nallow = [\"drop-column t.c: unused since 2.0\"]\n"
    );
    let inline = format!(
        "{HEAD}upgrade = [\n  {{ op = \"sql\", sql = \"SELECT 1\" }},\n  {{ op = \"drop_column\", table = \"t\", column = {{ name = \"c\", type = \"text\" }}, allow = [\"drop-column t.c: unused since 2.0\"] }},\n]\n"
    );
    for text in [&tables, &inline] {
        let s = Script::parse("versions/abc_m.toml", text).expect("parses");
        assert_eq!(s.upgrade.len(), 2);
        assert_eq!(s.step_allow.len(), 1, "{text}");
        assert_eq!(s.step_allow[0].0, 1);
        assert_eq!(
            s.step_allow[0].1.to_string(),
            "drop-column t.c: unused since 2.0"
        );
    }
    let bad = format!("{HEAD}\n[[upgrade]]\n{drop}\nallow = [\"drop-colum\"]\n");
    let e = parse_err("abc_m.toml", &bad);
    assert!(
        e.starts_with("versions/abc_m.toml:8:1:") && e.contains("`allow` of upgrade step 1"),
        "{e}"
    );
}
