//! Stage 3, introspect: reading typed values out of catalog rows.
//!
//! The `Any` driver decodes only booleans, integers, floats, text and bytes, and SQLite hands
//! back whatever storage class a value has, so these readers accept any of the close kinds
//! (an integer where a boolean is expected, a number where text is expected).

use sqlx::any::AnyRow;
use sqlx::Row;

use super::IntrospectError;

fn decode_err(query: &str, col: &str, e: sqlx::Error) -> IntrospectError {
    IntrospectError::Decode(format!(
        "column `{col}` of the `{query}` catalog query: {e}"
    ))
}

fn missing(query: &str, col: &str) -> IntrospectError {
    IntrospectError::Decode(format!(
        "column `{col}` of the `{query}` catalog query is NULL where a value was expected"
    ))
}

/// One catalog row, with the name of the query it came from for error messages.
#[derive(Clone, Copy)]
pub(crate) struct CatalogRow<'a> {
    /// Which query (for messages).
    pub(crate) query: &'static str,
    /// The row.
    pub(crate) row: &'a AnyRow,
}

impl<'a> CatalogRow<'a> {
    /// Wraps `row`, read by the query named `query`.
    pub(crate) fn new(query: &'static str, row: &'a AnyRow) -> Self {
        CatalogRow { query, row }
    }

    /// A text value, or `None` for NULL. Numbers and booleans are turned into text.
    pub(crate) fn opt_text(&self, col: &str) -> Result<Option<String>, IntrospectError> {
        if let Ok(v) = self.row.try_get::<Option<String>, _>(col) {
            return Ok(v);
        }
        if let Ok(v) = self.row.try_get::<Option<i64>, _>(col) {
            return Ok(v.map(|i| i.to_string()));
        }
        if let Ok(v) = self.row.try_get::<Option<f64>, _>(col) {
            return Ok(v.map(|f| f.to_string()));
        }
        if let Ok(v) = self.row.try_get::<Option<Vec<u8>>, _>(col) {
            return Ok(v.map(|b| String::from_utf8_lossy(&b).into_owned()));
        }
        self.row
            .try_get::<Option<bool>, _>(col)
            .map(|v| v.map(|b| b.to_string()))
            .map_err(|e| decode_err(self.query, col, e))
    }

    /// A non-NULL text value.
    pub(crate) fn text(&self, col: &str) -> Result<String, IntrospectError> {
        self.opt_text(col)?.ok_or_else(|| missing(self.query, col))
    }

    /// An integer, or `None` for NULL.
    pub(crate) fn opt_int(&self, col: &str) -> Result<Option<i64>, IntrospectError> {
        match self.row.try_get::<Option<i64>, _>(col) {
            Ok(v) => Ok(v),
            Err(e) => match self.row.try_get::<Option<String>, _>(col) {
                Ok(Some(s)) => s
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| decode_err(self.query, col, e)),
                Ok(None) => Ok(None),
                Err(_) => match self.row.try_get::<Option<bool>, _>(col) {
                    Ok(v) => Ok(v.map(i64::from)),
                    Err(_) => Err(decode_err(self.query, col, e)),
                },
            },
        }
    }

    /// A non-NULL integer.
    pub(crate) fn int(&self, col: &str) -> Result<i64, IntrospectError> {
        self.opt_int(col)?.ok_or_else(|| missing(self.query, col))
    }

    /// A boolean (an integer is true when not zero); NULL is false.
    pub(crate) fn flag(&self, col: &str) -> Result<bool, IntrospectError> {
        match self.row.try_get::<Option<bool>, _>(col) {
            Ok(v) => Ok(v.unwrap_or(false)),
            Err(_) => Ok(self.opt_int(col)?.is_some_and(|i| i != 0)),
        }
    }
}

/// Checks that the driver passed one result per catalog query.
pub(crate) fn expect_results(
    results: Vec<Vec<AnyRow>>,
    expected: usize,
) -> Result<Vec<Vec<AnyRow>>, IntrospectError> {
    if results.len() == expected {
        Ok(results)
    } else {
        Err(IntrospectError::Decode(format!(
            "expected the rows of {expected} catalog queries, got {}",
            results.len()
        )))
    }
}
