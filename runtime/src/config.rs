//! Configuration: `migrations/strata.toml` and where the database URL comes from.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// The URL used when nothing else names a database: a SQLite file in the current directory.
pub const DEFAULT_URL: &str = "sqlite://app.db";

/// The settings file's name inside the migrations directory.
pub const SETTINGS_FILE: &str = "strata.toml";

/// The contents of `strata.toml`, every key optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The database URL (overridden by `--database-url`, `DATABASE_URL` and `.env`).
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
        }
    }
}

/// A settings file that cannot be read.
#[derive(Debug, Error)]
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
}

impl Settings {
    /// Reads `<dir>/strata.toml`; a missing file gives the defaults.
    pub fn load(dir: &Path) -> Result<Settings, ConfigError> {
        let path = dir.join(SETTINGS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            message: describe_toml_error(&text, &e),
            path,
        })
    }
}

/// Where the database URL came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    /// `--database-url`.
    Flag,
    /// The `DATABASE_URL` environment variable.
    Env,
    /// `DATABASE_URL` in `./.env`.
    DotEnv,
    /// `url` in strata.toml.
    Settings,
    /// [`DEFAULT_URL`].
    Default,
}

/// Picks the database URL: the flag, else `DATABASE_URL`, else `DATABASE_URL` in `./.env`,
/// else `url` in strata.toml, else [`DEFAULT_URL`].
pub fn resolve_url(flag: Option<&str>, settings: &Settings) -> (String, UrlSource) {
    if let Some(url) = flag.filter(|u| !u.is_empty()) {
        return (url.to_string(), UrlSource::Flag);
    }
    if let Ok(url) = std::env::var("DATABASE_URL") {
        if !url.is_empty() {
            return (url, UrlSource::Env);
        }
    }
    if let Ok(iter) = dotenvy::from_path_iter(".env") {
        for (key, value) in iter.flatten() {
            if key == "DATABASE_URL" && !value.is_empty() {
                return (value, UrlSource::DotEnv);
            }
        }
    }
    if let Some(url) = &settings.url {
        return (url.clone(), UrlSource::Settings);
    }
    (DEFAULT_URL.to_string(), UrlSource::Default)
}

/// Formats a TOML error as `line L, column C: message`.
pub fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("line {line}, column {col}: {}", e.message())
        }
        None => e.message().to_string(),
    }
}

/// The 1-based line and column of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The `strata.toml` that `init` writes: every setting present, commented.
pub const SETTINGS_TEMPLATE: &str = r#"# Strata settings for this migrations directory. Every key is optional.

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

# How long upgrade/downgrade wait for another process's migration lock, in seconds.
# lock_timeout_seconds = 60
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
    fn unknown_keys_are_errors_with_positions() {
        let text = "url = \"sqlite://x.db\"\nexclud = []\n";
        let e = toml::from_str::<Settings>(text).expect_err("unknown key");
        let msg = describe_toml_error(text, &e);
        assert!(msg.starts_with("line 2, column 1:"), "{msg}");
        assert!(msg.contains("exclud"), "{msg}");
    }

    #[test]
    fn flag_wins() {
        let s = Settings {
            url: Some("sqlite://from_settings.db".into()),
            ..Settings::default()
        };
        assert_eq!(
            resolve_url(Some("postgres://x/y"), &s),
            ("postgres://x/y".to_string(), UrlSource::Flag)
        );
    }
}
