//! Stage 8, CLI: printing (quiet/verbose, colours) and upgrade progress on terminals.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::{Event, StepKind};

/// Where and how the command prints.
#[derive(Debug, Clone)]
pub(crate) struct Out {
    quiet: bool,
    verbose: bool,
    color_out: bool,
    color_err: bool,
    tty: bool,
}

/// ANSI styles used in output.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Style {
    /// Errors.
    Red,
    /// Warnings.
    Yellow,
    /// Hints.
    Cyan,
}

impl Out {
    /// Output settings from the global flags and the environment (`NO_COLOR`, terminals).
    pub(crate) fn new(quiet: bool, verbose: bool, no_color: bool) -> Out {
        let no_color = no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let tty = std::io::stdout().is_terminal();
        Out {
            quiet,
            verbose,
            color_out: !no_color && tty,
            color_err: !no_color && std::io::stderr().is_terminal(),
            tty,
        }
    }

    /// Whether -v was given.
    pub(crate) fn verbose(&self) -> bool {
        self.verbose
    }

    /// Whether stdout is a terminal.
    pub(crate) fn is_tty(&self) -> bool {
        self.tty
    }

    /// The lanes of `history --graph`, the revision's `*` in colour on a terminal.
    pub(crate) fn lanes(&self, lanes: &str) -> String {
        if !self.color_out {
            return lanes.to_string();
        }
        lanes
            .chars()
            .map(|c| match c {
                '*' => paint(true, Style::Yellow, "*"),
                '|' | '/' | '\\' => paint(true, Style::Cyan, &c.to_string()),
                c => c.to_string(),
            })
            .collect()
    }

    /// Text printed as is (offline SQL scripts).
    pub(crate) fn raw(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    /// A progress line (suppressed by -q).
    pub(crate) fn info(&self, line: impl AsRef<str>) {
        if !self.quiet {
            self.result(line);
        }
    }

    /// A result line: what the command is for (always printed).
    pub(crate) fn result(&self, line: impl AsRef<str>) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{}", printable(line.as_ref()));
    }

    /// A warning line on stdout, next to the lines it is about (suppressed by -q).
    pub(crate) fn warning(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let label = paint(self.color_out, Style::Yellow, "WARNING:");
            self.result(format!("{label} {}", text.as_ref()));
        }
    }

    /// A line on stderr that is shown even with -q: which database a command uses when it is
    /// the default one, and other facts that must not go unnoticed (stdout stays clean for
    /// results and SQL scripts).
    pub(crate) fn note(&self, line: impl AsRef<str>) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{}", printable(line.as_ref()));
    }

    /// `Error: ...` and an optional `hint: ...` on stderr.
    pub(crate) fn error(&self, message: &str, hint: Option<&str>) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(
            stderr,
            "{} {}",
            paint(self.color_err, Style::Red, "Error:"),
            printable(message)
        );
        if let Some(hint) = hint {
            let _ = writeln!(
                stderr,
                "{} {}",
                paint(self.color_err, Style::Cyan, "hint:"),
                printable(hint)
            );
        }
    }

    /// The reporter for an upgrade, downgrade or stamp of `total` steps (0 when unknown): a
    /// progress bar on a terminal, plain lines otherwise.
    pub(crate) fn progress(&self, total: usize) -> Progress<'_> {
        let bar = (self.tty && !self.quiet && total > 1).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stdout());
            if let Ok(style) =
                ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_msg} {elapsed}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { out: self, bar }
    }
}

/// `text` with control characters other than newline and tab escaped (`\u{1b}` shows as
/// `\u001B`), so text read from files (messages, names) cannot move the cursor, change
/// colours or hide itself on a terminal.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `text` in `style` when `on`.
pub(crate) fn paint(on: bool, style: Style, text: &str) -> String {
    if !on {
        return text.to_string();
    }
    let code = match style {
        Style::Red => "1;31",
        Style::Yellow => "1;33",
        Style::Cyan => "36",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Reports [`Event`]s as `Running upgrade a -> b, message` lines.
#[derive(Debug)]
pub(crate) struct Progress<'a> {
    out: &'a Out,
    bar: Option<ProgressBar>,
}

impl Progress<'_> {
    /// Handles one event.
    pub(crate) fn event(&mut self, event: Event) {
        match event {
            Event::Started(step) if step.kind == StepKind::Accept => {
                self.line(&format!(
                    "Accepting {} (revision {}) as applied: recorded checksum {} -> {}",
                    step.message, step.revision, step.from_label, step.to_label
                ));
            }
            Event::Started(step) => {
                let verb = match step.kind {
                    StepKind::Up => "upgrade",
                    StepKind::Down => "downgrade",
                    StepKind::Stamp | StepKind::Accept => "stamp_revision",
                };
                let mut line = format!("Running {verb} {} -> {}", step.from_label, step.to_label);
                if step.kind != StepKind::Stamp {
                    line.push_str(", ");
                    line.push_str(&step.message);
                }
                self.line(&line);
                if let Some(bar) = &self.bar {
                    bar.set_message(
                        printable(&format!("{} {}", step.revision, step.message)).into_owned(),
                    );
                }
            }
            Event::Statement(sql) => {
                if self.out.verbose {
                    for l in sql.lines() {
                        self.line(&format!("    {l}"));
                    }
                }
            }
            Event::Finished { duration, revision } => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                }
                if self.out.verbose {
                    self.line(&format!(
                        "    ({revision} took {} ms)",
                        duration.as_millis()
                    ));
                }
            }
            Event::Waiting(holder) => {
                self.line(&format!("Waiting for the migration lock ({holder}) ..."));
            }
            Event::Warning(text) => {
                let label = paint(self.out.color_out, Style::Yellow, "WARNING:");
                self.line(&format!("{label} {text}"));
            }
            Event::Note(text) => self.line(&text),
            Event::Batch {
                revision,
                batches,
                rows,
                done,
            } => {
                let text = format!("    {revision}: {rows} rows changed in {batches} batches");
                match &self.bar {
                    Some(bar) if !done => bar.set_message(text.trim_start().to_string()),
                    // Without a terminal: the first batch, every power of ten, and the end.
                    _ if done || power_of_ten(batches) => {
                        self.line(&format!("{text}{}", if done { ", done" } else { " ..." }))
                    }
                    _ => {}
                }
            }
            Event::Retrying {
                revision,
                statement,
                retry,
                retries,
                lock_timeout_ms,
                wait,
            } => {
                let timeout = lock_timeout_ms
                    .map_or_else(|| "the server's".to_string(), |ms| format!("{ms} ms"));
                let label = paint(self.out.color_out, Style::Yellow, "RETRY:");
                let first_line = statement.lines().next().unwrap_or_default();
                self.line(&format!(
                    "{label} revision {revision}: a statement waited longer than the lock \
                     timeout ({timeout}) and was rolled back; retry {retry} of {retries} in {} \
                     ms: {first_line}",
                    wait.as_millis()
                ));
            }
        }
    }

    fn line(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.println(printable(line)),
            None => self.out.info(line),
        }
    }
}

/// Whether `n` is 1, 10, 100, ...
fn power_of_ten(mut n: u64) -> bool {
    while n >= 10 && n % 10 == 0 {
        n /= 10;
    }
    n == 1
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn batch_progress_is_printed_at_powers_of_ten() {
        let printed: Vec<u64> = (0..=1000).filter(|&n| super::power_of_ten(n)).collect();
        assert_eq!(printed, [1, 10, 100, 1000]);
    }

    #[test]
    fn control_characters_are_escaped_for_terminals() {
        assert_eq!(printable("plain\ttext\nnext"), "plain\ttext\nnext");
        assert_eq!(
            printable("a\u{1b}[2Jb\rc\u{0}d\u{7f}\u{9b}"),
            "a\\u001B[2Jb\\u000Dc\\u0000d\\u007F\\u009B"
        );
    }
}
