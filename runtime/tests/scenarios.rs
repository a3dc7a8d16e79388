//! Diff scenarios (stage 4): each folder of tests/scenarios holds a `from.toml` (the database)
//! and a `to.toml` (the models), optionally an `options.toml` ([`DiffOptions`]); the diff's plan
//! is snapshotted next to them and replayed on schema values.
//!
//! Per folder, the harness checks:
//! - `ops.snap`: the upgrade and downgrade as migration-file TOML (or the refusal message);
//! - `describe.snap`: the Alembic-style lines, warnings and notes;
//! - the TOML parses back to the same ops;
//! - replaying the upgrade on `from` gives `to` (canonical form: list order and hints ignored),
//!   replaying the downgrade gives `from` back, and no step leaves a dangling reference (a
//!   foreign key to a missing table, an index on a missing column): the order is safe;
//! - diffing the upgraded schema against `to` again finds nothing.
//!
//! To add a check (SQL per dialect, a live round trip), add a function taking a [`Scenario`]
//! and call it from [`run`]. To add a scenario, add a folder and run
//! `INSTA_UPDATE=always cargo test -p strata --test scenarios`, then read the new `.snap` files.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use strata::diff::{canonical, dangling, diff, DiffError, DiffOptions, Plan};
use strata::ops::{apply_all, Op};
use strata::schema::Schema;

/// One scenario folder, loaded and diffed.
#[allow(dead_code)] // fields kept for checks added later (SQL snapshots, live round trips)
struct Scenario {
    /// The folder name.
    name: String,
    /// The folder.
    dir: PathBuf,
    /// The database before (`from.toml`).
    from: Schema,
    /// The models (`to.toml`).
    to: Schema,
    /// `options.toml`, or the defaults.
    options: DiffOptions,
    /// What the diff returned.
    plan: Result<Plan, DiffError>,
}

/// The shape of a migration file's ops, as snapshotted.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Ops {
    upgrade: Vec<Op>,
    downgrade: Vec<Op>,
}

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

fn read_schema(path: &Path) -> Schema {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Schema =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for (key, table) in &schema.tables {
        assert_eq!(
            key,
            &table.name,
            "{}: table key and name differ",
            path.display()
        );
    }
    schema
}

impl Scenario {
    fn load(dir: &Path) -> Scenario {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("folder name")
            .to_string();
        let from = read_schema(&dir.join("from.toml"));
        let to = read_schema(&dir.join("to.toml"));
        let options_path = dir.join("options.toml");
        let options = if options_path.exists() {
            let text = fs::read_to_string(&options_path).expect("options.toml");
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", options_path.display()))
        } else {
            DiffOptions::default()
        };
        let plan = diff(&from, &to, &options);
        Scenario {
            name,
            dir: dir.to_path_buf(),
            from,
            to,
            options,
            plan,
        }
    }

    /// Asserts a snapshot stored in this scenario's folder as `<snapshot>.snap`.
    fn snapshot(&self, snapshot: &str, text: &str) {
        insta::with_settings!({
            snapshot_path => &self.dir,
            prepend_module_to_snapshot => false,
            description => format!("scenario {}", self.name),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(snapshot, text);
        });
    }
}

fn all() -> Vec<Scenario> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(scenarios_dir())
        .expect("tests/scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| Scenario::load(d)).collect()
}

/// `ops.snap` and `describe.snap`, and the TOML parsing back.
fn check_snapshots(s: &Scenario) {
    match &s.plan {
        Ok(plan) => {
            let ops = Ops {
                upgrade: plan.upgrade.clone(),
                downgrade: plan.downgrade.clone(),
            };
            let text = toml::to_string(&ops).expect("ops serialize");
            let back: Ops = toml::from_str(&text).expect("ops parse back");
            assert_eq!(back, ops, "ops do not survive TOML");
            s.snapshot("ops", &text);
            let mut lines = Vec::new();
            for op in &plan.upgrade {
                lines.extend(op.describe());
            }
            if lines.is_empty() {
                lines.push("No changes detected".into());
            }
            lines.extend(plan.warnings().iter().map(|w| format!("warning: {w}")));
            s.snapshot("describe", &lines.join("\n"));
        }
        Err(e) => s.snapshot("ops", &format!("refused: {e}")),
    }
}

/// Replays the plan: upgrade gives `to`, downgrade gives `from`, no dangling reference on the
/// way, and a second diff finds nothing.
fn check_replay(s: &Scenario) {
    let Ok(plan) = &s.plan else { return };
    let none = Vec::<String>::new();
    assert_eq!(dangling(&s.from), none, "from.toml is inconsistent");
    assert_eq!(dangling(&s.to), none, "to.toml is inconsistent");
    let mut db = s.from.clone();
    for (i, op) in plan.upgrade.iter().enumerate() {
        op.apply(&mut db)
            .unwrap_or_else(|e| panic!("upgrade step {}: {e}", i + 1));
        assert_eq!(dangling(&db), none, "after upgrade step {}: {op:?}", i + 1);
    }
    // Tables outside the options are left as they are in the database.
    let mut expected = s.to.clone();
    expected.tables.retain(|n, _| s.options.covers(n));
    for t in s
        .from
        .tables
        .values()
        .filter(|t| !s.options.covers(&t.name))
    {
        expected.insert(t.clone());
    }
    assert_eq!(
        canonical(&db),
        canonical(&expected),
        "upgrade does not give to.toml"
    );
    let again = diff(&db, &s.to, &s.options).expect("second diff");
    assert_eq!(again.upgrade, [], "a second diff still finds changes");
    for (i, op) in plan.downgrade.iter().enumerate() {
        op.apply(&mut db)
            .unwrap_or_else(|e| panic!("downgrade step {}: {e}", i + 1));
        assert_eq!(
            dangling(&db),
            none,
            "after downgrade step {}: {op:?}",
            i + 1
        );
    }
    assert_eq!(
        canonical(&db),
        canonical(&s.from),
        "downgrade does not give from.toml back"
    );
    let mut direct = s.from.clone();
    apply_all(&mut direct, &plan.upgrade).expect("upgrade");
    assert_eq!(canonical(&direct), canonical(&expected));
}

/// Every check on one scenario.
fn run(s: &Scenario) {
    check_snapshots(s);
    check_replay(s);
}

#[test]
fn scenarios() {
    let all = all();
    let mut failed = Vec::new();
    for s in &all {
        if catch_unwind(AssertUnwindSafe(|| run(s))).is_err() {
            failed.push(s.name.clone());
        }
    }
    assert!(failed.is_empty(), "failing scenarios: {failed:?}");
}

#[test]
fn required_scenarios_exist() {
    let names: Vec<String> = all().into_iter().map(|s| s.name).collect();
    for required in [
        "add_table",
        "drop_table",
        "add_column",
        "drop_column",
        "type_widen",
        "type_narrow",
        "nullability",
        "default_change",
        "add_index",
        "drop_index",
        "add_unique",
        "drop_unique",
        "add_fk",
        "drop_fk",
        "fk_action_change",
        "add_check",
        "drop_check",
        "pk_change",
        "rename_table",
        "rename_column",
        "rename_column_and_type",
        "fk_order",
        "fk_cycle",
        "self_reference",
        "excluded_table",
        "quoted_identifiers",
        "no_change",
        "refuse_no_models",
        "refuse_drop_everything",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "missing scenario {required}"
        );
    }
}

#[test]
fn refusals_and_empty_plans_are_what_their_names_say() {
    for s in all() {
        match (s.name.as_str(), &s.plan) {
            ("refuse_no_models", Err(DiffError::NoModels)) => {}
            ("refuse_drop_everything", Err(DiffError::WouldDropEverything { .. })) => {}
            ("no_change", Ok(p)) => assert!(p.is_empty() && p.notes.is_empty()),
            (name, Err(e)) => panic!("scenario {name} refused: {e}"),
            (name, Ok(p)) => assert!(
                !name.starts_with("refuse_") && !p.is_empty(),
                "scenario {name}: unexpected plan {p:?}"
            ),
        }
    }
}
