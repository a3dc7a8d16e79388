//! Dialect layer: the driver's errors, wrapped so the driver is not part of Strata's API.

use std::fmt;

/// An error from the database driver: a statement the server refused, or a connection that
/// failed. It prints the driver's message; [`DriverError::code`] is the server's error code.
/// The driver itself is not part of Strata's API.
#[derive(Debug)]
pub struct DriverError(sqlx::Error);

impl DriverError {
    /// Wraps the driver's error.
    pub(crate) fn new(e: sqlx::Error) -> DriverError {
        DriverError(e)
    }

    /// The server's error code when it refused a statement: PostgreSQL's SQLSTATE (`42P01`),
    /// SQLite's result code (`1`, `5` for busy). `None` for failures of the connection itself.
    pub fn code(&self) -> Option<String> {
        self.0
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned())
    }
}

/// The server's code for an error it returned: MySQL's error number (`1205`), whose SQLSTATE
/// is mostly the generic `HY000`; elsewhere the SQLSTATE (PostgreSQL) or result code
/// (SQLite). `None` for failures of the connection itself.
pub(crate) fn server_code(e: &sqlx::Error) -> Option<String> {
    let db = e.as_database_error()?;
    #[cfg(feature = "mysql")]
    if let Some(m) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return Some(m.number().to_string());
    }
    db.code().map(|c| c.into_owned())
}

/// Why a server that answered refused a connection, where the driver's error says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // read by the command line only
pub(crate) enum Refusal {
    /// The user name or password was refused (SQLSTATE class 28).
    Credentials,
    /// The database named in the URL does not exist (PostgreSQL `3D000`, MySQL error 1049).
    NoDatabase,
}

impl DriverError {
    /// Why the server refused the connection; `None` when it did not answer (or said
    /// something else).
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn refusal(&self) -> Option<Refusal> {
        let db = self.0.as_database_error()?;
        #[cfg(feature = "mysql")]
        if db
            .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
            .is_some_and(|e| e.number() == 1049)
        {
            return Some(Refusal::NoDatabase);
        }
        match db.code()?.as_ref() {
            "3D000" => Some(Refusal::NoDatabase),
            c if c.starts_with("28") => Some(Refusal::Credentials),
            _ => None,
        }
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}
