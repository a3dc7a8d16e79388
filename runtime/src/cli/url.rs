//! Stage 8, CLI: where the command line's database URL comes from (`--database-url`, `DATABASE_URL`, `./.env`, strata.toml, the default).
//!
//! Part of the command line, not of the library: an application that embeds
//! [`Migrator`](crate::Migrator) passes its own URL to [`Migrator::connect`](crate::Migrator::connect).

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::config::{Settings, SETTINGS_FILE};
use crate::dialect::DialectKind;

/// The URL used when nothing else names a database: a SQLite file in the current directory.
pub(crate) const DEFAULT_URL: &str = "sqlite://app.db";

/// Where the database URL came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlSource {
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

/// The database URL to use and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedUrl {
    /// The URL, as given (print it through [`crate::db::redact`]).
    pub(crate) url: String,
    /// Which source gave it.
    pub(crate) source: UrlSource,
    /// The source for messages: `--database-url`, `DATABASE_URL`, `DATABASE_URL in ./.env
    /// (line 3)`, `` `url` in migrations/strata.toml ``, `the default`.
    pub(crate) from: String,
}

/// A database URL source that is set but unusable. Strata never falls through to the next
/// source (and never to [`DEFAULT_URL`]) when one is broken: that would migrate a database
/// the user did not mean.
#[derive(Debug, Error)]
pub(crate) enum UrlError {
    /// A source is present but empty.
    #[error("{from} is set but empty; give it a database URL (for example sqlite://app.db, postgres://user@host/db or mysql://user@host/db), or remove it to use the next source")]
    Empty {
        /// The source, as in [`ResolvedUrl::from`].
        from: String,
    },
    /// The `DATABASE_URL` environment variable is not UTF-8.
    #[error("the DATABASE_URL environment variable is not valid UTF-8; fix or unset it")]
    NotUnicode,
    /// `.env` cannot be read.
    #[error("cannot read {}: {source}; fix its permissions or remove it (Strata reads DATABASE_URL from it)", path.display())]
    DotEnvRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `.env` does not parse.
    #[error("{}:{line}: {message}; fix that line or remove the file (Strata reads DATABASE_URL from it and does not guess past a broken file)", path.display())]
    DotEnv {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong (never the line's value: it may hold a secret).
        message: String,
    },
}

/// Picks the database URL: the flag, else `DATABASE_URL`, else `DATABASE_URL` in `./.env`,
/// else `url` in strata.toml (in `dir`), else [`DEFAULT_URL`]. A source that is present but
/// empty or broken (an unparsable `.env`, say) is an error, never skipped.
pub(crate) fn resolve_url(
    flag: Option<&str>,
    settings: &Settings,
    dir: &Path,
) -> Result<ResolvedUrl, UrlError> {
    resolve_url_from(
        flag,
        std::env::var_os("DATABASE_URL"),
        Path::new(".env"),
        settings,
        dir,
    )
}

/// [`resolve_url`] with the environment variable's value and the `.env` path given.
pub(crate) fn resolve_url_from(
    flag: Option<&str>,
    env: Option<std::ffi::OsString>,
    dotenv: &Path,
    settings: &Settings,
    dir: &Path,
) -> Result<ResolvedUrl, UrlError> {
    let found = |url: String, source: UrlSource, from: String| {
        if url.trim().is_empty() {
            Err(UrlError::Empty { from })
        } else {
            Ok(ResolvedUrl { url, source, from })
        }
    };
    if let Some(url) = flag {
        return found(url.to_string(), UrlSource::Flag, "--database-url".into());
    }
    if let Some(value) = env {
        let url = value.into_string().map_err(|_| UrlError::NotUnicode)?;
        return found(
            url,
            UrlSource::Env,
            "the DATABASE_URL environment variable".into(),
        );
    }
    if let Some((url, line)) = read_dotenv(dotenv)? {
        let from = format!("DATABASE_URL in {} (line {line})", dotenv_label(dotenv));
        return found(url, UrlSource::DotEnv, from);
    }
    if let Some(url) = &settings.url {
        let from = format!("`url` in {}", dir.join(SETTINGS_FILE).display());
        return found(url.clone(), UrlSource::Settings, from);
    }
    Ok(ResolvedUrl {
        url: DEFAULT_URL.to_string(),
        source: UrlSource::Default,
        from: "the default".into(),
    })
}

/// The database a server URL names (`postgres://u:p@h:5432/app?x=1` -> `app`), for
/// messages; empty when it names none.
pub(crate) fn url_database(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split_once('?').map_or(rest, |(path, _)| path);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split_once('/').map_or("", |(_, db)| db)
}

/// `url` naming the database `name` on the same server, with the same options
/// (`postgres://u@h:5432/app?x=1` -> `postgres://u@h:5432/<name>?x=1`).
pub(crate) fn url_with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    // The host part ends at the first `/` after any `user:password@`.
    let host_start = path.rfind('@').map_or(0, |at| at + 1);
    let host_end = path[host_start..]
        .find('/')
        .map_or(path.len(), |i| host_start + i);
    let mut out = format!("{scheme}://{}/{name}", &path[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// `./.env` for the relative `.env`, else the path.
fn dotenv_label(path: &Path) -> String {
    if path == Path::new(".env") {
        "./.env".into()
    } else {
        path.display().to_string()
    }
}

/// `DATABASE_URL` in the `.env` file at `path` and its line, `None` when the file or the key
/// is absent. The whole file must parse (as dotenvy, which applications load it with, reads
/// it): a broken file is an error naming its line, whichever key the line sets.
fn read_dotenv(path: &Path) -> Result<Option<(String, usize)>, UrlError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(UrlError::DotEnvRead {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let broken = |line: usize, message: String| UrlError::DotEnv {
        path: PathBuf::from(dotenv_label(path)),
        line,
        message,
    };
    let line_of = |text: &[u8], offset: usize| {
        text[..offset.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            return Err(broken(
                line_of(&bytes, at),
                format!(
                    "not valid UTF-8 (byte 0x{:02X}); save the file as UTF-8",
                    bytes[at]
                ),
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some((at, c)) = text
        .char_indices()
        .find(|&(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(broken(
            line_of(text.as_bytes(), at),
            format!(
                "control character U+{:04X} (is this a binary file?)",
                u32::from(c)
            ),
        ));
    }
    let mut found = None;
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((key, value)) => {
                if key == "DATABASE_URL" && found.is_none() {
                    found = Some((value, key_line(text, "DATABASE_URL")));
                }
            }
            Err(dotenvy::Error::LineParse(part, index)) => {
                // `part` is the piece dotenvy could not parse (a value, or the rest of the
                // file after an open quote); messages name its line and key, never its text.
                let at = text.find(part.as_str()).unwrap_or(0);
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let physical = text[line_start..].lines().next().unwrap_or("");
                let key = physical
                    .split('=')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_start_matches("export ")
                    .trim();
                let what = if index >= part.len() && part.contains(['"', '\'']) {
                    "a quote that is never closed".to_string()
                } else {
                    let column = text[line_start..at].chars().count()
                        + part.get(..index).map_or(index, |p| p.chars().count())
                        + 1;
                    format!("cannot parse it (at column {column})")
                };
                let key = if key.is_empty()
                    || key.len() > 64
                    || !key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                {
                    String::new()
                } else {
                    format!(" (`{key}=...`)")
                };
                return Err(broken(line_of(text.as_bytes(), at), format!("{what}{key}")));
            }
            Err(e) => return Err(broken(1, e.to_string())),
        }
    }
    Ok(found)
}

/// The 1-based line where `key` is set (`KEY=`, `export KEY=`), for messages.
fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("export ").unwrap_or(l).trim_start();
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 1)
}

/// Whether `url` is a SQLite database that lives only as long as the connection
/// (`sqlite::memory:`, `sqlite://` with no file, `mode=memory`): nothing written to it
/// persists, so commands that write refuse it.
pub(crate) fn is_transient_sqlite(url: &str) -> bool {
    if DialectKind::from_url(url) != Ok(DialectKind::Sqlite) {
        return false;
    }
    let rest = url.split_once(':').map_or("", |(_, r)| r);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (file, query) = rest.split_once('?').unwrap_or((rest, ""));
    file.trim().is_empty()
        || file.starts_with(":memory:")
        || file.starts_with("file::memory:")
        || query
            .split('&')
            .any(|p| p.eq_ignore_ascii_case("mode=memory"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> &'static Path {
        Path::new("migrations")
    }

    #[test]
    fn the_database_a_url_names() {
        for (url, db) in [
            ("postgres://u:p@h:5432/app?sslmode=require", "app"),
            ("mysql://root@127.0.0.1:3306/test", "test"),
            ("mariadb://u:a/b@c@h/shop", "shop"),
            ("postgres://h", ""),
            ("mysql://h/", ""),
        ] {
            assert_eq!(url_database(url), db, "{url}");
        }
    }

    /// A `.env` file in its own temporary directory, removed on drop.
    struct TempEnv(PathBuf);

    impl std::ops::Deref for TempEnv {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempEnv {
        fn drop(&mut self) {
            if let Some(d) = self.0.parent() {
                let _ = std::fs::remove_dir_all(d);
            }
        }
    }

    /// A `.env` file with `bytes` in a fresh temporary directory.
    fn dotenv(tag: &str, bytes: &[u8]) -> TempEnv {
        let d = std::env::temp_dir().join(format!("strata-dotenv-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        let p = d.join(".env");
        std::fs::write(&p, bytes).expect("write .env");
        TempEnv(p)
    }

    fn from(env: Option<&str>, dotenv: &Path, s: &Settings) -> Result<ResolvedUrl, UrlError> {
        resolve_url_from(None, env.map(Into::into), dotenv, s, dir())
    }

    #[test]
    fn precedence_flag_env_dotenv_settings_default() {
        let s = Settings {
            url: Some("sqlite://from_settings.db".into()),
            ..Settings::default()
        };
        let env_file = dotenv(
            "prec",
            b"# comment\nOTHER=1\nexport DATABASE_URL=\"postgres://a@h/d\"\n",
        );
        let r = resolve_url_from(
            Some("postgres://x/y"),
            Some("sqlite://e.db".into()),
            &env_file,
            &s,
            dir(),
        )
        .expect("flag");
        assert_eq!(
            (r.url.as_str(), r.source),
            ("postgres://x/y", UrlSource::Flag)
        );
        let r = from(Some("sqlite://e.db"), &env_file, &s).expect("env");
        assert_eq!(
            (r.url.as_str(), r.source),
            ("sqlite://e.db", UrlSource::Env)
        );
        let r = from(None, &env_file, &s).expect(".env");
        assert_eq!(
            (r.url.as_str(), r.source),
            ("postgres://a@h/d", UrlSource::DotEnv)
        );
        assert!(r.from.ends_with(".env (line 3)"), "{}", r.from);
        let missing = env_file.with_file_name("absent.env");
        let r = from(None, &missing, &s).expect("settings");
        assert_eq!(r.source, UrlSource::Settings);
        assert_eq!(r.from, "`url` in migrations/strata.toml");
        let r = from(None, &missing, &Settings::default()).expect("default");
        assert_eq!(
            (r.url.as_str(), r.source),
            (DEFAULT_URL, UrlSource::Default)
        );
        // A .env without the key falls through.
        let other = dotenv("nokey", b"OTHER=1\n");
        assert_eq!(
            from(None, &other, &s).expect("settings").source,
            UrlSource::Settings
        );
    }

    #[test]
    fn empty_sources_are_errors_not_fall_throughs() {
        let none = Path::new("/nonexistent/.env");
        let s = Settings::default();
        let e = resolve_url_from(Some(""), None, none, &s, dir()).expect_err("empty flag");
        assert!(
            e.to_string().starts_with("--database-url is set but empty"),
            "{e}"
        );
        let e = from(Some(""), none, &s).expect_err("empty env");
        assert!(
            e.to_string()
                .contains("DATABASE_URL environment variable is set but empty"),
            "{e}"
        );
        let f = dotenv("empty", b"A=1\nDATABASE_URL=\n");
        let e = from(None, &f, &s).expect_err("empty .env value");
        assert!(
            e.to_string().contains(".env (line 2) is set but empty"),
            "{e}"
        );
        let blank = Settings {
            url: Some("  ".into()),
            ..Settings::default()
        };
        let e = from(None, none, &blank).expect_err("empty url");
        assert!(
            e.to_string()
                .contains("`url` in migrations/strata.toml is set but empty"),
            "{e}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let bad = std::ffi::OsString::from_vec(vec![0x70, 0xff]);
            let e = resolve_url_from(None, Some(bad), none, &s, dir()).expect_err("not unicode");
            assert!(matches!(e, UrlError::NotUnicode), "{e}");
        }
    }

    #[test]
    fn broken_dotenv_files_name_the_line_and_hide_values() {
        let s = Settings {
            url: Some("sqlite://fallback.db".into()),
            ..Settings::default()
        };
        for (tag, bytes, line, needle) in [
            (
                "unterminated",
                &b"A=1\nDATABASE_URL=\"postgres://u:hunter2@h/d\nB=2\n"[..],
                2,
                "never closed",
            ),
            (
                "single",
                &b"DATABASE_URL='postgres://u:hunter2@h/d\n"[..],
                1,
                "never closed",
            ),
            (
                "notutf8",
                &b"A=1\nB=2\nDATABASE_URL=postgres://u:hunter2@h/\xff\xfe\n"[..],
                3,
                "not valid UTF-8",
            ),
            (
                "binary",
                &b"\x00\x01\x02hunter2"[..],
                1,
                "control character U+0000",
            ),
            (
                "escape",
                &b"A=1\nDATABASE_URL=\"x\\qhunter2\"\n"[..],
                2,
                "(`DATABASE_URL=...`)",
            ),
            (
                "afterurl",
                &b"DATABASE_URL=postgres://h/d\nTOKEN=\"hunter2\n"[..],
                2,
                "never closed",
            ),
            ("spaces", &b"A=1\nTHIS IS=hunter2\n"[..], 2, "cannot parse"),
        ] {
            let f = dotenv(tag, bytes);
            let e = from(None, &f, &s).expect_err(tag);
            let msg = e.to_string();
            assert!(
                msg.contains(&format!(".env:{line}: ")) && msg.contains(needle),
                "{tag}: {msg}"
            );
            assert!(!msg.contains("hunter2"), "{tag} leaks the value: {msg}");
        }
        // A byte-order mark is not an error.
        let f = dotenv("bom", b"\xef\xbb\xbfDATABASE_URL=sqlite://bom.db\n");
        assert_eq!(from(None, &f, &s).expect("bom").url, "sqlite://bom.db");
    }

    #[test]
    fn a_url_for_another_database_on_the_same_server() {
        assert_eq!(
            url_with_database("postgres://u:p@w@h:5432/app?sslmode=off", "scratch"),
            "postgres://u:p@w@h:5432/scratch?sslmode=off"
        );
        assert_eq!(
            url_with_database("mysql://root@127.0.0.1:3306", "s"),
            "mysql://root@127.0.0.1:3306/s"
        );
        assert_eq!(url_with_database("postgres://h/db", "s"), "postgres://h/s");
    }

    #[test]
    fn transient_sqlite_urls() {
        for url in [
            "sqlite://",
            "sqlite:",
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://?mode=memory",
            "sqlite://x.db?mode=memory",
            "sqlite://x.db?cache=shared&mode=memory",
            "sqlite:file::memory:?cache=shared",
        ] {
            assert!(is_transient_sqlite(url), "{url}");
        }
        for url in [
            "sqlite://app.db",
            "sqlite:app.db",
            "sqlite:///tmp/x.db?mode=rwc",
            "postgres://h/d",
            "postgres://h/memory",
            "nosuch://",
        ] {
            assert!(!is_transient_sqlite(url), "{url}");
        }
    }
}
