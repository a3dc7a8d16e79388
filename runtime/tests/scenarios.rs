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
//! - `sqlite.snap`, `postgres.snap`, `mysql.snap`: the upgrade SQL (rendered from `from`) and the downgrade SQL
//!   (rendered from `to`) per dialect.
//!
//! And live, on a fresh SQLite, PostgreSQL and MySQL/MariaDB database per scenario (every scenario
//! whose plan is not a refusal), through the real apply executor:
//! 1. create `from` (the ops of `diff(empty, from)`), introspect: it diffs empty against the
//!    normalised `from`;
//! 2. seed rows: `seed.<dialect>.sql` from the folder, else the generic seeder (3 rows per
//!    table, parents first, every column set, foreign keys resolving);
//! 3. upgrade, introspect: it diffs empty against the normalised `to`; every surviving table
//!    keeps its rows, every surviving column (renamed or retyped) its values;
//! 4. downgrade, introspect: it diffs empty against the normalised `from`; rows carried again;
//! 5. autogenerate as the tool does: `diff(introspected, normalised to)` with the models' own
//!    spelling put back into what the ops create (`with_model_spelling`: what files hold),
//!    rendered from the introspected schema (the database's own names and spellings), upgrade
//!    and downgrade, with the same checks.
//!
//! A destructive upgrade can leave rows its downgrade cannot take back (the re-added NOT NULL
//! column without default, the re-added foreign key whose parent rows were dropped). Such a
//! scenario lists, in `roundtrip.toml`, the tables to empty before the downgrade
//! (`empty_before_downgrade = ["child", "parent"]`, in that order) and why; the harness refuses
//! the file for a plan without warnings.
//!
//! To add a check, add a function taking a [`Scenario`] and call it from [`run`] (or
//! [`live_round_trip`]). To add a scenario, add a folder and run
//! `INSTA_UPDATE=always cargo test -p strata --test scenarios`, then read the new `.snap` files.

use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use strata::apply::StepKind;
use strata::dialect::DialectKind;
use strata::diff::{diff, diff_on, with_model_spelling, Changes, DiffError, DiffOptions};
use strata::ops::{apply_all, Op};
use strata::schema::Schema;
use strata::testing::render_ops;
use strata::testing::{canonical, dangling};

mod roundtrip_common;
use roundtrip_common::{
    assert_matches, assert_rows_carried, carried, normalized, seed_statements, Live, DIALECTS,
    SEED_ROWS,
};

/// One scenario folder, loaded and diffed.
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
    plan: Result<Changes, DiffError>,
    /// `roundtrip.toml`, or the defaults.
    roundtrip: RoundTrip,
}

/// `roundtrip.toml`: what the live round trip needs beyond the generic seeder.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RoundTrip {
    /// Tables whose rows are deleted (in this order) before the downgrade, because the upgrade
    /// destroyed what the downgrade would need.
    empty_before_downgrade: Vec<String>,
    /// Why (required with `empty_before_downgrade`).
    reason: String,
    /// Dialects that refuse the scenario's schema at render time with a typed "not supported
    /// on this dialect" error (MySQL: an index over a TEXT column, `numeric` without
    /// precision); the live round trip checks the refusal instead of running.
    #[serde(default)]
    refused_on: Vec<DialectKind>,
    /// Why they refuse (required with `refused_on`).
    #[serde(default)]
    refused_because: String,
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
        let roundtrip_path = dir.join("roundtrip.toml");
        let roundtrip: RoundTrip = if roundtrip_path.exists() {
            let text = fs::read_to_string(&roundtrip_path).expect("roundtrip.toml");
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", roundtrip_path.display()))
        } else {
            RoundTrip::default()
        };
        Scenario {
            name,
            dir: dir.to_path_buf(),
            from,
            to,
            options,
            plan,
            roundtrip,
        }
    }

    /// `seed.<dialect>.sql` from the folder, if there is one.
    fn seed_sql(&self, kind: DialectKind) -> Option<String> {
        fs::read_to_string(self.dir.join(format!("seed.{kind}.sql"))).ok()
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

/// `schema` in [`canonical`] form, with check expressions unquoted: a replayed column rename
/// rewrites the checks that use the column with the new name quoted (`length("login") > 2`),
/// as the databases do, where the models may have written `length(login) > 2`.
fn replayed(schema: &Schema) -> Schema {
    let mut s = canonical(schema);
    for t in s.tables.values_mut() {
        for c in &mut t.checks {
            c.expr = c.expr.replace('"', "");
        }
    }
    s
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
        replayed(&db),
        replayed(&expected),
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
        replayed(&db),
        replayed(&s.from),
        "downgrade does not give from.toml back"
    );
    let mut direct = s.from.clone();
    apply_all(&mut direct, &plan.upgrade).expect("upgrade");
    assert_eq!(replayed(&direct), replayed(&expected));
}

/// The statements of `ops` rendered for `kind` from `before`, joined with `;\n`, or the error.
fn sql_of(ops: &[Op], kind: DialectKind, before: &Schema) -> String {
    let dialect = kind.dialect().expect("dialect built");
    match render_ops(ops, dialect, before) {
        Ok((rendered, _)) => {
            let statements: Vec<String> = rendered.into_iter().flat_map(|r| r.statements).collect();
            if statements.is_empty() {
                "(no statements)".into()
            } else {
                format!("{};", statements.join(";\n"))
            }
        }
        Err(e) => format!("render error: {e}"),
    }
}

/// `sqlite.snap` and `postgres.snap`: the upgrade rendered from `from`, the downgrade from `to`.
fn check_sql_snapshots(s: &Scenario) {
    let Ok(plan) = &s.plan else { return };
    for kind in DIALECTS {
        let text = format!(
            "-- upgrade\n{}\n\n-- downgrade\n{}\n",
            sql_of(&plan.upgrade, kind, &s.from),
            sql_of(&plan.downgrade, kind, &s.to)
        );
        s.snapshot(&kind.to_string(), &text);
    }
}

/// Every check on one scenario.
fn run(s: &Scenario) {
    check_snapshots(s);
    check_replay(s);
    check_sql_snapshots(s);
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

/// The live round trip of one scenario on one dialect (see the module docs).
async fn live_round_trip(s: &Scenario, kind: DialectKind) -> Result<(), String> {
    let Ok(plan) = &s.plan else { return Ok(()) };
    if !s.roundtrip.empty_before_downgrade.is_empty() {
        if plan.warnings().is_empty() {
            return Err("roundtrip.toml empties tables, but the upgrade is not destructive".into());
        }
        if s.roundtrip.reason.trim().is_empty() {
            return Err("roundtrip.toml: say why in `reason`".into());
        }
    }
    let mut live = Live::new(kind, &s.name).await;
    let d = live.dialect;
    let all = DiffOptions::default();
    if s.roundtrip.refused_on.contains(&kind) {
        if s.roundtrip.refused_because.trim().is_empty() {
            return Err("roundtrip.toml: say why in `refused_because`".into());
        }
        let create =
            diff(&Schema::new(), &s.from, &all).map_err(|e| format!("creating from: {e}"))?;
        let to = diff(&Schema::new(), &s.to, &all).map_err(|e| format!("creating to: {e}"))?;
        let from_err = live.render(&create.upgrade, &Schema::new()).err();
        let to_err = live.render(&to.upgrade, &Schema::new()).err();
        let up_err = live.render(&plan.upgrade, &s.from).err();
        return match from_err.or(to_err).or(up_err) {
            Some(e) if e.contains(&format!("is not supported on {kind}")) => Ok(()),
            Some(e) => Err(format!("refused, but not as unsupported: {e}")),
            None => Err(format!(
                "roundtrip.toml says {kind} refuses this scenario, but it renders"
            )),
        };
    }

    live.schemas = s.from.schemas.union(&s.to.schemas).cloned().collect();

    // 1. The database as from.toml describes it.
    let create = diff(&Schema::new(), &s.from, &all).map_err(|e| format!("creating from: {e}"))?;
    let from_db = live
        .apply(
            "from",
            StepKind::Up,
            Some("from"),
            &create.upgrade,
            &Schema::new(),
        )
        .await?;
    let norm_from = normalized(d, &s.from);
    let created = live.introspect().await.schema;
    assert_matches(d, &created, &norm_from, &all, "after creating from.toml")?;

    // 2. Rows.
    match s.seed_sql(kind) {
        Some(sql) => live.exec(&sql).await?,
        None => {
            for sql in seed_statements(d, &created)? {
                live.exec(&sql).await?;
            }
        }
    }
    let rows_from = live.rows(&created).await?;
    if s.seed_sql(kind).is_none() {
        for (table, rows) in &rows_from {
            if rows.len() != SEED_ROWS {
                return Err(format!("seeding {table}: {} rows", rows.len()));
            }
        }
    }

    // 3. Upgrade.
    let to_db = live
        .apply("to", StepKind::Up, Some("to"), &plan.upgrade, &from_db)
        .await?;
    let upgraded = live.introspect().await.schema;
    assert_matches(
        d,
        &upgraded,
        &normalized(d, &s.to),
        &s.options,
        "after the upgrade",
    )?;
    let mut rows_to = live.rows(&upgraded).await?;
    assert_rows_carried(
        &rows_from,
        &rows_to,
        &carried(&created, &plan.upgrade),
        |_, _| true,
        "upgrade",
    )?;

    // 4. Downgrade.
    if !s.roundtrip.empty_before_downgrade.is_empty() {
        for t in &s.roundtrip.empty_before_downgrade {
            live.exec(&format!("DELETE FROM {}", d.quote_ident(t)))
                .await?;
        }
        rows_to = live.rows(&upgraded).await?;
    }
    live.apply("to", StepKind::Down, Some("from"), &plan.downgrade, &to_db)
        .await?;
    let downgraded = live.introspect().await.schema;
    assert_matches(d, &downgraded, &norm_from, &all, "after the downgrade")?;
    let rows_back = live.rows(&downgraded).await?;
    assert_rows_carried(
        &rows_to,
        &rows_back,
        &carried(&upgraded, &plan.downgrade),
        |_, _| true,
        "downgrade",
    )?;

    // 5. Autogenerate, as the tool does: the plan from the database as introspected (its own
    //    constraint names, check and default spellings) to the normalised models, rendered
    //    from the introspected schema; then its downgrade.
    let norm_to = normalized(d, &s.to);
    let auto = diff_on(d, &downgraded, &norm_to, &s.options)
        .and_then(|c| with_model_spelling(c, &s.to))
        .map_err(|e| format!("autogenerate: diff refused: {e}"))?;
    let auto_db = live
        .apply(
            "auto",
            StepKind::Up,
            Some("auto"),
            &auto.upgrade,
            &downgraded,
        )
        .await
        .map_err(|e| format!("autogenerate upgrade: {e}"))?;
    let auto_up = live.introspect().await.schema;
    assert_matches(
        d,
        &auto_up,
        &norm_to,
        &s.options,
        "after the autogenerated upgrade",
    )?;
    let rows_auto = live.rows(&auto_up).await?;
    assert_rows_carried(
        &rows_back,
        &rows_auto,
        &carried(&downgraded, &auto.upgrade),
        |_, _| true,
        "autogenerated upgrade",
    )?;
    for t in &s.roundtrip.empty_before_downgrade {
        live.exec(&format!("DELETE FROM {}", d.quote_ident(t)))
            .await?;
    }
    live.apply(
        "auto",
        StepKind::Down,
        Some("from"),
        &auto.downgrade,
        &auto_db,
    )
    .await
    .map_err(|e| format!("autogenerate downgrade: {e}"))?;
    let auto_down = live.introspect().await.schema;
    assert_matches(
        d,
        &auto_down,
        &norm_from,
        &all,
        "after the autogenerated downgrade",
    )?;
    Ok(())
}

/// Runs the live round trip of every scenario on `kind`; reports every failing scenario.
async fn live_all(kind: DialectKind) {
    let mut failed = Vec::new();
    let mut ran = 0;
    for s in all() {
        if s.plan.is_err() {
            continue;
        }
        ran += 1;
        if let Err(e) = live_round_trip(&s, kind).await {
            failed.push(format!("--- {} on {kind}: {e}", s.name));
        }
    }
    assert!(ran >= 29, "only {ran} scenarios ran");
    assert!(
        failed.is_empty(),
        "{} scenario(s) fail the live round trip:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn live_round_trips_sqlite() {
    live_all(DialectKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn live_round_trips_postgres() {
    live_all(DialectKind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn live_round_trips_mysql() {
    live_all(DialectKind::Mysql).await;
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
        // Live round trips with rows.
        "sqlite_rebuild_nullability",
        "sqlite_rebuild_default",
        "sqlite_rebuild_with_fk_children",
        "widen_types_with_data",
        "add_column_with_defaults",
        "all_types_with_data",
        "composite_keys",
        "drop_indexed_column",
        "rename_referenced_column",
        "rename_column_with_check",
        "type_change_referenced",
        "add_fk_to_new_column",
        "add_partial_unique_index",
        "add_expression_index",
        "add_desc_index",
        "add_index_method",
        "no_change_indexes",
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
            (name, Ok(p)) if name.starts_with("no_change") => {
                assert!(p.is_empty() && p.notes.is_empty(), "scenario {name}: {p:?}");
            }
            (name, Err(e)) => panic!("scenario {name} refused: {e}"),
            (name, Ok(p)) => assert!(
                !name.starts_with("refuse_") && !p.is_empty(),
                "scenario {name}: unexpected plan {p:?}"
            ),
        }
    }
}
