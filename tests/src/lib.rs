//! Stage 1, model (tests): nothing public; this package holds the derive's trybuild cases
//! (`tests/ui`), the metadata and registry tests, and the cross-crate linking test.
