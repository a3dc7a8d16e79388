//! Stage 7, apply (migration files): the integrity file `migrations/strata.sum`, one checksum per revision file and one over them all.
//!
//! As `go.sum` and `atlas.sum`: every command that writes a revision rewrites it, and `check`,
//! `upgrade` and `downgrade` refuse when the directory disagrees with it. It catches a file
//! edited by hand and two branches merged in git without a merge revision (their `strata.sum`
//! lines conflict in git, or, resolved by taking both sides, the total no longer matches).
//! `migrate hash` rewrites it after a deliberate edit.
//!
//! The layout, one line per revision file in name order:
//!
//! ```text
//! # strata.sum: ...
//! total 5c1f...e0
//! 4fe72fe42e00_create_users.toml 9a0b...77
//! ```
//!
//! Each file's checksum is [`Script::checksum`](super::Script::checksum) (SHA-256 of its text
//! with line endings as LF, so a checkout that converts them does not differ); the total is the
//! SHA-256 of the file lines, each ending in a newline.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::Script;

/// The file's name inside the migrations directory.
pub const SUM_FILE: &str = "strata.sum";

const PREAMBLE: &str =
    "# strata.sum: the checksum of every migration file, rewritten by the commands \
     that write revisions.\n# Do not edit it: after a deliberate edit of a migration file, run \
     `migrate hash`.\n";

/// The checksums `strata.sum` records (or a directory has).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sums {
    /// The checksum over all files (the `total` line).
    pub total: String,
    /// Each revision file's name and checksum.
    pub files: BTreeMap<String, String>,
}

/// How a migrations directory disagrees with its `strata.sum`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SumProblem {
    /// The file changed since `strata.sum` was written.
    Changed(String),
    /// The file is not in `strata.sum` (added without a command that writes revisions, or by
    /// a merge in git).
    Unlisted(String),
    /// `strata.sum` lists a file the directory does not have.
    Missing(String),
    /// The `total` line does not match the file lines (the file was edited, or a merge in git
    /// took both sides' lines).
    Total,
    /// A line that is none of the above.
    Unreadable {
        /// Its line number (1-based).
        line: usize,
        /// The line.
        text: String,
    },
}

impl std::fmt::Display for SumProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SumProblem::Changed(file) => {
                write!(f, "{file} changed since {SUM_FILE} was written")
            }
            SumProblem::Unlisted(file) => write!(f, "{file} is not in {SUM_FILE}"),
            SumProblem::Missing(file) => {
                write!(f, "{file} is in {SUM_FILE} but not in the directory")
            }
            SumProblem::Total => write!(
                f,
                "the total in {SUM_FILE} does not match its file lines (edited, or both sides \
                 of a merge kept)"
            ),
            SumProblem::Unreadable { line, text } => {
                write!(
                    f,
                    "{SUM_FILE}:{line}: not a `<file> <sha256>` line: {text:?}"
                )
            }
        }
    }
}

impl Sums {
    /// The checksums of `scripts` (files named by their path's file name).
    pub fn of<'a>(scripts: impl IntoIterator<Item = &'a Script>) -> Sums {
        let files: BTreeMap<String, String> = scripts
            .into_iter()
            .map(|s| {
                let name = s.path.file_name().map_or_else(
                    || s.path.display().to_string(),
                    |n| n.to_string_lossy().into(),
                );
                (name, s.checksum.clone())
            })
            .collect();
        Sums {
            total: total(&files),
            files,
        }
    }

    /// The text of `strata.sum`.
    pub fn render(&self) -> String {
        let mut out = String::from(PREAMBLE);
        let _ = writeln!(out, "total {}", self.total);
        out.push_str(&file_lines(&self.files));
        out
    }

    /// Reads the text of a `strata.sum`; lines it cannot read are problems.
    pub fn parse(text: &str) -> (Sums, Vec<SumProblem>) {
        let mut sums = Sums::default();
        let mut problems = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once(' ') {
                Some(("total", sum)) if sums.total.is_empty() => sums.total = sum.to_string(),
                Some((file, sum))
                    if file != "total"
                        && !sum.contains(' ')
                        && sum.len() == 64
                        && !sums.files.contains_key(file) =>
                {
                    sums.files.insert(file.to_string(), sum.to_string());
                }
                _ => problems.push(SumProblem::Unreadable {
                    line: i + 1,
                    text: line.to_string(),
                }),
            }
        }
        (sums, problems)
    }

    /// How `actual` (the directory) disagrees with these recorded sums; empty when it agrees.
    pub fn compare(&self, actual: &Sums) -> Vec<SumProblem> {
        let mut out = Vec::new();
        for (file, sum) in &actual.files {
            match self.files.get(file) {
                None => out.push(SumProblem::Unlisted(file.clone())),
                Some(recorded) if recorded != sum => out.push(SumProblem::Changed(file.clone())),
                Some(_) => {}
            }
        }
        out.extend(
            self.files
                .keys()
                .filter(|f| !actual.files.contains_key(*f))
                .map(|f| SumProblem::Missing(f.clone())),
        );
        if out.is_empty() && self.total != total(&self.files) {
            out.push(SumProblem::Total);
        }
        out
    }

    /// Reads `dir/strata.sum`: `None` when there is none (a directory from before
    /// `strata.sum`, which is then not checked).
    pub fn read(dir: &Path) -> std::io::Result<Option<String>> {
        match std::fs::read_to_string(dir.join(SUM_FILE)) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn file_lines(files: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (file, sum) in files {
        let _ = writeln!(out, "{file} {sum}");
    }
    out
}

fn total(files: &BTreeMap<String, String>) -> String {
    let digest = Sha256::digest(file_lines(files).as_bytes());
    digest.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(files: &[(&str, char)]) -> Sums {
        let files: BTreeMap<String, String> = files
            .iter()
            .map(|(f, c)| (f.to_string(), c.to_string().repeat(64)))
            .collect();
        Sums {
            total: total(&files),
            files,
        }
    }

    #[test]
    fn the_file_reads_back_as_written() {
        let s = sums(&[("a1_first.toml", 'a'), ("b2_second.toml", 'b')]);
        let (back, problems) = Sums::parse(&s.render());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(back, s);
        assert!(back.compare(&s).is_empty());
        // Line endings converted by a checkout do not matter.
        let crlf = s.render().replace('\n', "\r\n");
        assert_eq!(Sums::parse(&crlf).0, s);
    }

    #[test]
    fn every_disagreement_is_named() {
        let recorded = sums(&[("a1_first.toml", 'a'), ("b2_second.toml", 'b')]);
        let actual = sums(&[("a1_first.toml", 'c'), ("c3_third.toml", 'd')]);
        assert_eq!(
            recorded.compare(&actual),
            [
                SumProblem::Changed("a1_first.toml".into()),
                SumProblem::Unlisted("c3_third.toml".into()),
                SumProblem::Missing("b2_second.toml".into()),
            ]
        );
        // Both sides of a git merge kept: every file matches, the total does not.
        let mut merged = sums(&[("a1_first.toml", 'a'), ("b2_second.toml", 'b')]);
        merged.total = sums(&[("a1_first.toml", 'a')]).total;
        assert_eq!(
            merged.compare(&sums(&[("a1_first.toml", 'a'), ("b2_second.toml", 'b')])),
            [SumProblem::Total]
        );
    }

    #[test]
    fn unreadable_lines_are_problems_with_their_line() {
        let text = "# c\ntotal abc\nno-sum-here\n<<<<<<< HEAD\n";
        let (_, problems) = Sums::parse(text);
        assert_eq!(
            problems,
            [
                SumProblem::Unreadable {
                    line: 3,
                    text: "no-sum-here".into()
                },
                SumProblem::Unreadable {
                    line: 4,
                    text: "<<<<<<< HEAD".into()
                },
            ]
        );
    }
}
