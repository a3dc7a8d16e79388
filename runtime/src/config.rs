//! Configuration: `migrations/strata.toml`, the settings of a migrations directory.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::schema::naming::{Naming, NamingTemplates};

/// The settings file's name inside the migrations directory.
pub const SETTINGS_FILE: &str = "strata.toml";

/// The contents of `strata.toml`, every key optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The database URL the command line uses when `--database-url`, `DATABASE_URL` and
    /// `./.env` name none.
    pub url: Option<String>,
    /// Run each migration in its own transaction instead of one for the whole run.
    pub transaction_per_migration: bool,
    /// Glob patterns of the tables autogenerate compares (empty: all).
    pub include: Vec<String>,
    /// Glob patterns of tables autogenerate ignores.
    pub exclude: Vec<String>,
    /// The PostgreSQL schema to compare and migrate (default: the connection's current schema).
    pub schema: Option<String>,
    /// How long `upgrade` waits for another process's migration lock, in seconds.
    pub lock_timeout_seconds: u64,
    /// How long one migration statement may wait for a table lock another session holds, in
    /// milliseconds, before it fails and is retried (`None`: the server's setting). A
    /// revision's `migration_lock_timeout_ms` overrides it.
    pub migration_lock_timeout_ms: Option<u64>,
    /// How long one migration statement may run, in milliseconds (`None`: the server's
    /// setting). A revision's `statement_timeout_ms` overrides it.
    pub statement_timeout_ms: Option<u64>,
    /// How many times a step that failed on the lock timeout is retried, with backoff
    /// (200 ms, 400 ms, 800 ms, ... at most 5 s). A revision's `lock_retries` overrides it.
    pub lock_retries: u32,
    /// Write `online = true` into the revisions `migrate` and `revision` create: their ops
    /// are rendered in the forms that do not block the tables' readers and writers
    /// (PostgreSQL). Existing files keep what their header says.
    pub online: bool,
    /// Let autogenerate write a `create_schema` step for a schema the models use
    /// (`#[model(schema = "...")]`) and the database lacks (PostgreSQL). Off, such a schema
    /// is an error naming it: creating schemas needs the `CREATE` privilege on the database,
    /// which a deploy role often lacks.
    pub create_schemas: bool,
    /// The `[naming]` table: the templates that name constraints and indexes without an
    /// explicit name, as written (a missing key keeps the built-in convention). Checked when
    /// the file is read; the checked convention is [`Settings::naming_convention`].
    pub naming: NamingTemplates,
    /// `naming`, checked.
    #[serde(skip)]
    pub(crate) convention: Naming,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            url: None,
            transaction_per_migration: false,
            include: Vec::new(),
            exclude: Vec::new(),
            schema: None,
            lock_timeout_seconds: 60,
            migration_lock_timeout_ms: None,
            statement_timeout_ms: None,
            lock_retries: crate::apply::Timeouts::DEFAULT_RETRIES,
            online: false,
            create_schemas: false,
            naming: NamingTemplates::default(),
            convention: Naming::default(),
        }
    }
}

/// A settings file that cannot be read.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A setting has a value that cannot work.
    #[error("{}:{line}: `{setting}`: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the setting.
        line: usize,
        /// The setting (`include`, `exclude`, `schema`, ...).
        setting: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// The PostgreSQL schema named by `schema` does not exist in the database.
    #[error("{}: `schema = \"{schema}\"` names a schema that does not exist in this database; create it (CREATE SCHEMA {schema}) or fix the setting", path.display())]
    NoSuchSchema {
        /// The settings file.
        path: PathBuf,
        /// The schema.
        schema: String,
    },
}

impl Settings {
    /// Reads `<dir>/strata.toml`; a missing file gives the defaults.
    pub(crate) fn load(dir: &Path) -> Result<Settings, ConfigError> {
        let path = dir.join(SETTINGS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        Settings::parse(path, &text)
    }

    /// Parses the text of the settings file at `path` (used for messages) and checks the
    /// values: an invalid `include` / `exclude` pattern or an empty `schema` is an error
    /// naming the setting, the file and the line.
    pub(crate) fn parse(path: PathBuf, text: &str) -> Result<Settings, ConfigError> {
        let mut settings: Settings = toml::from_str(text).map_err(|e| ConfigError::Parse {
            message: describe_toml_error(text, &e),
            path: path.clone(),
        })?;
        let invalid = |setting: &'static str, needle: &str, message: String| {
            let line = setting_line(text, setting, needle);
            ConfigError::Invalid {
                path: path.clone(),
                line,
                setting,
                message,
            }
        };
        for (setting, patterns) in [
            ("include", &settings.include),
            ("exclude", &settings.exclude),
        ] {
            for p in patterns {
                if let Err(why) = crate::diff::check_glob(p) {
                    return Err(invalid(setting, p, format!("invalid pattern {p:?}: {why}")));
                }
            }
        }
        if let Some(schema) = &settings.schema {
            if schema.trim().is_empty() {
                return Err(invalid(
                    "schema",
                    "",
                    "the schema name is empty; name a schema, or remove the setting to use the \
                     connection's current schema"
                        .into(),
                ));
            }
        }
        let timeouts = [
            (
                "migration_lock_timeout_ms",
                settings.migration_lock_timeout_ms,
            ),
            ("statement_timeout_ms", settings.statement_timeout_ms),
        ];
        for (setting, value) in timeouts {
            if let Some(why) = crate::apply::Timeouts::check_millis(value) {
                return Err(invalid(setting, "", why));
            }
        }
        if let Some(why) = crate::apply::Timeouts::check_retries(Some(settings.lock_retries)) {
            return Err(invalid("lock_retries", "", why));
        }
        settings.convention = Naming::from_templates(&settings.naming).map_err(|e| {
            let line = naming_line(text, e.key);
            ConfigError::Invalid {
                path: path.clone(),
                line,
                setting: naming_setting(e.key),
                message: e.message,
            }
        })?;
        Ok(settings)
    }

    /// The naming convention of constraints and indexes (`[naming]`, checked; the built-in
    /// one when the file has none).
    pub fn naming_convention(&self) -> &Naming {
        &self.convention
    }

    /// The statement timeouts of a migration run, before a revision's header overrides them.
    pub(crate) fn timeouts(&self) -> crate::apply::Timeouts {
        crate::apply::Timeouts {
            lock_timeout_ms: self.migration_lock_timeout_ms,
            statement_timeout_ms: self.statement_timeout_ms,
            lock_retries: self.lock_retries,
        }
    }
}

/// `naming.<key>`, for messages.
fn naming_setting(key: &str) -> &'static str {
    match key {
        "pk" => "naming.pk",
        "uq" => "naming.uq",
        "ix" => "naming.ix",
        "fk" => "naming.fk",
        _ => "naming.ck",
    }
}

/// The line of `key` inside the `[naming]` table of `text` (or `naming.<key> = ...` at the
/// top level); 1 when not found.
fn naming_line(text: &str, key: &str) -> usize {
    let sets = |l: &str, k: &str| {
        l.trim_start()
            .strip_prefix(k)
            .is_some_and(|r| r.trim_start().starts_with('='))
    };
    let mut in_naming = false;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if t.starts_with('[') {
            in_naming = t.trim_start_matches('[').trim_end_matches(']').trim() == "naming";
            continue;
        }
        if (in_naming && sets(t, key)) || sets(t, &format!("naming.{key}")) {
            return i + 1;
        }
    }
    1
}

/// The line of `setting` in `text` (where `needle` appears, for arrays written over several
/// lines), for messages; 1 when not found.
fn setting_line(text: &str, setting: &str, needle: &str) -> usize {
    let quoted = format!("{needle:?}");
    let start = text.lines().position(|l| {
        l.trim_start()
            .strip_prefix(setting)
            .is_some_and(|r| r.trim_start().starts_with('='))
    });
    let Some(start) = start else { return 1 };
    text.lines()
        .enumerate()
        .skip(start)
        .take_while(|(i, l)| *i == start || !l.contains('='))
        .find(|(_, l)| needle.is_empty() || l.contains(&quoted) || l.contains(needle))
        .map_or(start + 1, |(i, _)| i + 1)
}

/// Formats a TOML error as `line L, column C: message`, naming the setting when the line
/// sets one (`line 2, column 24 (`lock_timeout_seconds`): invalid type ...`).
pub(crate) fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            let key = text
                .lines()
                .nth(line - 1)
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| k.trim())
                .filter(|k| {
                    !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                        && !e.message().contains(&format!("`{k}`"))
                })
                .map(|k| format!(" (`{k}`)"))
                .unwrap_or_default();
            let hint = crate::script::did_you_mean(e.message()).unwrap_or_default();
            format!("line {line}, column {col}{key}: {}{hint}", e.message())
        }
        None => e.message().to_string(),
    }
}

/// The 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The `strata.toml` that `init` writes: every setting present, commented.
#[cfg(any(feature = "cli", test))]
pub(crate) const SETTINGS_TEMPLATE: &str = r#"# Strata settings for this migrations directory. Every key is optional.

# The database URL. --database-url, the DATABASE_URL variable and DATABASE_URL in ./.env
# take precedence, in that order. Examples: "sqlite://app.db", "postgres://user@localhost/app".
# url = "sqlite://app.db"

# Run each migration in its own transaction (default: one transaction for the whole upgrade,
# all or nothing). A migration with `transactional = false` always runs alone, outside one.
# transaction_per_migration = false

# Tables autogenerate compares (glob patterns; empty means all) and tables it ignores.
# Strata's own tables (strata_*) are always ignored.
# include = []
# exclude = ["spatial_ref_sys"]

# The PostgreSQL schema to compare and migrate (default: the connection's current schema).
# schema = "public"

# Let autogenerate write a create_schema step for a schema the models put tables in
# (#[model(schema = "audit")], PostgreSQL) that the database does not have. Off, such a
# schema is an error naming it: creating one needs the CREATE privilege on the database.
# create_schemas = false

# How long upgrade/downgrade wait for another process's migration lock, in seconds.
# lock_timeout_seconds = 60

# How long one migration statement may wait for a table lock another session holds, in
# milliseconds (default: the server's setting). A statement that waits longer fails, the step
# is rolled back (MySQL: that statement alone, which did not take effect) and retried up to
# lock_retries times, waiting 200 ms, 400 ms, 800 ms, ... (at most 5 s) in between; so sessions
# queued behind the migration's lock request wait at most this long. MySQL rounds it up to
# whole seconds. A revision's header may set its own.
# migration_lock_timeout_ms = 2000

# How long one migration statement may run, in milliseconds (default: the server's setting).
# PostgreSQL: statement_timeout; MariaDB: max_statement_time; MySQL: max_execution_time, which
# limits SELECT statements only; SQLite has none. A revision's header may set its own.
# statement_timeout_ms = 600000

# How many times a step that failed on the lock timeout is retried (0: never).
# lock_retries = 3

# Write `online = true` into new revisions: on PostgreSQL their ops then take the forms that
# let reads and writes go on (CREATE INDEX CONCURRENTLY, NOT VALID then VALIDATE, NOT NULL
# through a validated check, backfills in batches), each statement committing on its own.
# online = false

# How constraints and indexes without an explicit name are named, as SQLAlchemy's
# naming_convention: keep an existing database's names when adopting it. Tokens:
# %(table_name)s, %(column_0_name)s (first column), %(column_0_N_name)s (all columns joined
# by _), %(column_0_label)s (table_column), %(referred_table_name)s (fk only) and
# %(constraint_name)s (ck only: the check's own name); %% is a literal %. A missing key keeps
# the default shown. Names longer than 63 bytes are cut and end with a hash. Keep [naming]
# at the end of the file: the keys above belong before it.
# [naming]
# pk = "pk_%(table_name)s"
# uq = "uq_%(table_name)s_%(column_0_N_name)s"
# ix = "ix_%(table_name)s_%(column_0_N_name)s"
# fk = "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s"
# ck = "ck_%(table_name)s_%(constraint_name)s"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_to_defaults() {
        let s: Settings = toml::from_str(SETTINGS_TEMPLATE).expect("template parses");
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn the_templates_naming_example_is_the_default() {
        // Uncommenting the `[naming]` example changes nothing.
        let uncommented: String = SETTINGS_TEMPLATE
            .lines()
            .skip_while(|l| *l != "# [naming]")
            .map(|l| format!("{}\n", l.trim_start_matches("# ")))
            .collect();
        assert!(uncommented.starts_with("[naming]\n"), "{uncommented}");
        let s = Settings::parse(PathBuf::from("strata.toml"), &uncommented).expect("valid");
        assert_eq!(s.naming_convention(), &Naming::default());
        assert!(s.naming.ix.is_some());
    }

    #[test]
    fn the_readmes_naming_example_is_valid() {
        let readme = include_str!("../../README.md");
        let section = readme
            .split("### Naming convention")
            .nth(1)
            .expect("the README has a Naming convention section");
        let example = section
            .split("```toml\n")
            .nth(1)
            .and_then(|s| s.split("```").next())
            .expect("a toml example");
        let s = Settings::parse(PathBuf::from("strata.toml"), example).expect("valid");
        let n = s.naming_convention();
        assert_eq!(n.primary_key("users", &["id"]), "users_pkey");
        assert_eq!(n.unique("users", &["a", "b"]), "users_a_b_key");
        assert_eq!(n.index("users", &["email"]), "ix_users_email");
        assert_eq!(
            n.foreign_key("posts", &["user_id"], "users"),
            "posts_user_id_fkey"
        );
        assert_eq!(n.check("posts", "title_len"), "posts_title_len_check");
    }

    #[test]
    fn naming_templates_are_read_and_checked() {
        let path = PathBuf::from("migrations/strata.toml");
        let text = "online = true\n\n[naming]\nuq = \"%(table_name)s_%(column_0_name)s_key\"\n";
        let s = Settings::parse(path.clone(), text).expect("valid");
        assert_eq!(
            s.naming_convention().unique("users", &["email"]),
            "users_email_key"
        );
        assert_eq!(
            s.naming_convention().index("users", &["email"]),
            "ix_users_email"
        );
        let text = "[naming]\npk = \"pk_%(table_name)s\"\nix = \"ix_%(table_name)s\"\n";
        let e = Settings::parse(path.clone(), text).expect_err("no column token");
        let msg = e.to_string();
        assert!(
            msg.starts_with("migrations/strata.toml:3: `naming.ix`: template \"ix_%(table_name)s\" has no column token"),
            "{msg}"
        );
        assert!(msg.contains("add `%(column_0_N_name)s`"), "{msg}");
        let e = Settings::parse(path.clone(), "naming.ck = \"ck_%(table_name)s_%(name)s\"\n")
            .expect_err("unknown token");
        assert!(
            e.to_string()
                .starts_with("migrations/strata.toml:1: `naming.ck`: template"),
            "{e}"
        );
        assert!(e.to_string().contains("unknown token `%(name)s`"), "{e}");
        let e = Settings::parse(path, "\n[naming]\nidx = \"ix_%(table_name)s\"\n")
            .expect_err("unknown key");
        let msg = e.to_string();
        assert!(msg.starts_with("migrations/strata.toml: line 3"), "{msg}");
        assert!(msg.contains("idx") && msg.contains("`ix`"), "{msg}");
    }

    #[test]
    fn unknown_keys_are_errors_with_positions() {
        let text = "url = \"sqlite://x.db\"\nexclud = []\n";
        let e = toml::from_str::<Settings>(text).expect_err("unknown key");
        let msg = describe_toml_error(text, &e);
        assert!(msg.starts_with("line 2, column 1:"), "{msg}");
        assert!(msg.contains("exclud"), "{msg}");
    }

    #[test]
    fn invalid_settings_name_the_setting_and_line() {
        let path = PathBuf::from("migrations/strata.toml");
        let text = "url = \"sqlite://x.db\"\nexclude = [\n  \"ok_*\",\n  \"bad[\",\n]\n";
        let e = Settings::parse(path.clone(), text).expect_err("bad glob");
        let msg = e.to_string();
        assert!(
            msg.starts_with("migrations/strata.toml:4: `exclude`: invalid pattern \"bad[\""),
            "{msg}"
        );
        let e = Settings::parse(path.clone(), "include = [\"^users$\"]\n").expect_err("regex");
        assert!(e.to_string().contains(":1: `include`"), "{e}");
        let e = Settings::parse(path.clone(), "\n\nschema = \"\"\n").expect_err("empty schema");
        assert!(
            e.to_string()
                .starts_with("migrations/strata.toml:3: `schema`"),
            "{e}"
        );
        Settings::parse(path.clone(), "include = [\"app_*\", \"t[0-9]\"]\n").expect("valid");
        let e = Settings::parse(path.clone(), "url = \"x\"\nmigration_lock_timeout_ms = 0\n")
            .expect_err("zero timeout");
        assert!(
            e.to_string()
                .starts_with("migrations/strata.toml:2: `migration_lock_timeout_ms`: 0"),
            "{e}"
        );
        let e = Settings::parse(path.clone(), "lock_retries = 1000\n").expect_err("retries");
        assert!(e.to_string().contains(":1: `lock_retries`"), "{e}");
        let e = Settings::parse(path.clone(), "statement_timeout_ms = -5\n").expect_err("neg");
        assert!(e.to_string().contains("statement_timeout_ms"), "{e}");
        let s = Settings::parse(path, "migration_lock_timeout_ms = 200\nlock_retries = 0\n")
            .expect("valid");
        assert_eq!(
            (
                s.migration_lock_timeout_ms,
                s.statement_timeout_ms,
                s.lock_retries
            ),
            (Some(200), None, 0)
        );
    }
}
