//! Dialect: postgres, rendering ops to DDL.

use super::Postgres;
use crate::dialect::{DialectKind, RenderError};
use crate::ops::Op;
use crate::schema::{Schema, SqlType};

pub(super) fn type_sql(ty: &SqlType) -> Result<String, RenderError> {
    Ok(ty.to_string())
}

pub(super) fn render(_d: &Postgres, op: &Op, _before: &Schema) -> Result<Vec<String>, RenderError> {
    Err(RenderError::Unsupported {
        dialect: DialectKind::Postgres,
        what: format!("{op:?}"),
        hint: Some("rendering is not written yet".into()),
    })
}
