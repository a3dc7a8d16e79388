//! Stage 7, apply (migration files): the versions directory, read on all cores (whole files or headers only) and written to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{file_name, Script, ScriptError};

impl Script {
    /// Writes this script as a new file in `versions_dir` (created if missing), named by its
    /// file name (`<revision>_<slug of the message>.toml`), and points [`Script::path`] at it. Refuses to overwrite a file.
    pub fn write(&mut self, versions_dir: &Path) -> Result<PathBuf, ScriptError> {
        self.write_noted(versions_dir, &[])
    }

    /// [`Script::write`], with comment lines (`# ...`) above upgrade steps: `(index, text)`.
    pub fn write_noted(
        &mut self,
        versions_dir: &Path,
        notes: &[(usize, String)],
    ) -> Result<PathBuf, ScriptError> {
        use std::io::Write as _;
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| ScriptError::Io {
                action,
                path,
                source,
            }
        };
        self.check_types()?;
        let text = annotate(&self.render()?, notes);
        std::fs::create_dir_all(versions_dir).map_err(io("create", versions_dir))?;
        let path = versions_dir.join(file_name(&self.header.revision, &self.header.message));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io("create", &path))?;
        f.write_all(text.as_bytes()).map_err(io("write", &path))?;
        self.checksum = Self::checksum(&text);
        self.path = path.clone();
        Ok(path)
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ScriptError> {
        let path = path.as_ref();
        Self::parse(path, &read(path)?)
    }

    /// Reads the file at `path` and parses its header only (see [`Script::parse_header`]).
    pub fn load_header(path: impl AsRef<Path>) -> Result<Self, ScriptError> {
        let path = path.as_ref();
        Self::parse_header(path, &read(path)?)
    }

    /// Reads every `*.toml` file in `versions_dir` (other files and hidden files are
    /// ignored), in file-name order. Two files with the same revision id are an error.
    pub fn load_dir(versions_dir: impl AsRef<Path>) -> Result<Vec<Self>, ScriptError> {
        Self::load_dir_with(versions_dir.as_ref(), |p| Self::load(p))
    }

    /// [`Script::load_dir`], reading only each file's header.
    pub fn load_dir_headers(versions_dir: impl AsRef<Path>) -> Result<Vec<Self>, ScriptError> {
        Self::load_dir_with(versions_dir.as_ref(), |p| Self::load_header(p))
    }

    fn load_dir_with(
        dir: &Path,
        load: fn(&Path) -> Result<Self, ScriptError>,
    ) -> Result<Vec<Self>, ScriptError> {
        let list = |source| ScriptError::Io {
            action: "list",
            path: dir.to_path_buf(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(list)? {
            let entry = entry.map_err(list)?;
            let path = entry.path();
            let lossy = entry.file_name().to_string_lossy().into_owned();
            if lossy.starts_with('.') || !lossy.ends_with(".toml") {
                continue;
            }
            let refuse = |why: String| ScriptError::Io {
                action: "use",
                path: path.clone(),
                source: std::io::Error::other(why),
            };
            if entry.file_name().to_str().is_none() {
                return Err(refuse(
                    "its name is not valid UTF-8; rename it to `<revision>_<slug>.toml`".into(),
                ));
            }
            // The directory listing usually knows the type: no `stat` per file (it shows at
            // 10,000 revisions). Directories are skipped. Symbolic links are followed; one
            // whose target is missing is an error, never skipped (a revision would silently
            // vanish from the graph), and so is a pipe or socket (reading it would block).
            let (is_file, is_dir) = match entry.file_type() {
                Ok(t) if t.is_symlink() => {
                    if !path.exists() {
                        let target = std::fs::read_link(&path)
                            .map(|t| t.display().to_string())
                            .unwrap_or_else(|_| "?".into());
                        return Err(refuse(format!(
                            "it is a symbolic link to {target}, which does not exist; restore \
                             the target or remove the link"
                        )));
                    }
                    (path.is_file(), path.is_dir())
                }
                Ok(t) => (t.is_file(), t.is_dir()),
                Err(_) => (path.is_file(), path.is_dir()),
            };
            if is_dir {
                continue;
            }
            if !is_file {
                return Err(refuse(
                    "it is not a regular file (a pipe, socket or device); move it out of the \
                     versions directory"
                        .into(),
                ));
            }
            paths.push(path);
        }
        // One directory: ordering by file name is ordering by path. `file_name()` re-parses
        // the path on every call, so the names are taken once (it showed at 10,000 files).
        paths.sort_by_cached_key(|p| p.file_name().map(|n| n.to_os_string()));
        // Reading and parsing thousands of small files is the whole cost of `history` on a
        // long history: spread it over the cores, keeping file-name order.
        let loaded = on_all_cores(&paths, 256, |part| {
            part.iter().map(|p| load(p)).collect::<Result<Vec<_>, _>>()
        })
        .unwrap_or_else(|| {
            vec![Err(ScriptError::Io {
                action: "read",
                path: dir.to_path_buf(),
                source: std::io::Error::other("a loader thread panicked"),
            })]
        });
        let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut scripts = Vec::with_capacity(paths.len());
        for (script, path) in loaded
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .zip(paths)
        {
            if let Some(first) = seen.get(script.revision()) {
                return Err(ScriptError::DuplicateRevision {
                    revision: script.header.revision,
                    first: first.clone(),
                    second: path,
                });
            }
            seen.insert(script.header.revision.clone(), path);
            scripts.push(script);
        }
        Ok(scripts)
    }
}

fn read(path: &Path) -> Result<String, ScriptError> {
    use std::io::Read;
    let io = |source| ScriptError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    // Not `fs::read_to_string`, which asks for the file's size first: one system call less
    // per file, which shows when `history` reads 10,000 of them. Most files fit the first
    // buffer; larger ones grow it as usual.
    let file = std::fs::File::open(path).map_err(io)?;
    let mut text = String::with_capacity(8 * 1024);
    file.take(u64::MAX)
        .read_to_string(&mut text)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => io(std::io::Error::other(
                "it is not valid UTF-8 text; save it as UTF-8",
            )),
            _ => io(e),
        })?;
    Ok(text)
}

/// Runs `f` on `items` cut into one contiguous part per core, each of at least `min_part`
/// items, and returns the results in order; on this thread when there is one part (a new
/// thread's allocations pay for a fresh malloc arena, and asking for the core count reads
/// cgroup files). `None` when a thread panicked.
pub(super) fn on_all_cores<T: Sync, R: Send>(
    items: &[T],
    min_part: usize,
    f: impl Fn(&[T]) -> R + Sync,
) -> Option<Vec<R>> {
    if items.len() <= min_part.max(1) {
        return Some(vec![f(items)]);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let part = items.len().div_ceil(threads).max(min_part).max(1);
    if part >= items.len() {
        return Some(vec![f(items)]);
    }
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(part)
            .map(|chunk| scope.spawn(move || f(chunk)))
            .collect();
        workers.into_iter().map(|w| w.join().ok()).collect()
    })
}

/// `text` with each note written as comment lines just above the `[[upgrade]]` line of its
/// step (TOML comments: the file parses to the same script).
fn annotate(text: &str, notes: &[(usize, String)]) -> String {
    if notes.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + notes.len() * 80);
    let mut step = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "[[upgrade]]" {
            for (_, note) in notes.iter().filter(|(i, _)| *i == step) {
                for l in note.lines() {
                    out.push_str("# ");
                    out.push_str(l);
                    out.push('\n');
                }
            }
            step += 1;
        }
        out.push_str(line);
    }
    out
}
