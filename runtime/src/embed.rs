//! Stage 7, apply: migration files embedded in the binary at build time (`embed_migrations!`).
//!
//! `strata::embed_migrations!("migrations")` expands to an [`Embedded`] value holding every
//! file of `migrations/versions` (and `strata.toml`) through `include_str!`, so edits to
//! those files rebuild the binary. Cargo does not watch a directory for new files on its own:
//! add a one-line build script so a new migration is picked up on the next build:
//!
//! ```text
//! // build.rs
//! fn main() { println!("cargo:rerun-if-changed=migrations"); }
//! ```

/// One embedded migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedFile {
    /// The file name inside `versions/`.
    pub name: &'static str,
    /// The file's text.
    pub text: &'static str,
}

/// A migrations directory embedded in the binary; give it to
/// [`Migrator::from_embedded`](crate::Migrator::from_embedded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Embedded {
    /// The directory as named in the macro (for messages).
    pub dir: &'static str,
    /// `strata.toml`, if present.
    pub settings: Option<&'static str>,
    /// The files of `versions/`, sorted by name.
    pub files: &'static [EmbeddedFile],
}
