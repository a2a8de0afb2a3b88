//! Why an event was refused.

use thiserror::Error;

/// Why one event could not be decoded. Bad input is never a panic: it goes to
/// the dead-letter path (or an HTTP 4xx) with this reason.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DecodeError {
    /// Not JSON, or not one JSON object.
    #[error("malformed json: {0}")]
    Malformed(String),
    /// JSON, but a field breaks the contract.
    #[error("invalid field `{field}`: {reason}")]
    Invalid {
        /// The offending field, as a dotted path (`result.0.from_name`).
        field: String,
        /// What is wrong with it.
        reason: Reason,
    },
}

impl DecodeError {
    /// An invalid-field error.
    pub fn invalid(field: impl Into<String>, reason: Reason) -> Self {
        DecodeError::Invalid {
            field: field.into(),
            reason,
        }
    }

    /// The offending field, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            DecodeError::Malformed(_) => None,
            DecodeError::Invalid { field, .. } => Some(field),
        }
    }

    /// A short, bounded label for metrics and dead-letter headers.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::Malformed(_) => "malformed",
            DecodeError::Invalid { reason, .. } => reason.kind(),
        }
    }
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Reason {
    /// A required field is absent or null.
    #[error("missing")]
    Missing,
    /// An id or name is the empty string.
    #[error("must not be empty")]
    Empty,
    /// The JSON type is wrong (e.g. an integer id).
    #[error("wrong type: {0}")]
    WrongType(String),
    /// Not one of the allowed values.
    #[error("unknown value `{0}`")]
    UnknownValue(String),
    /// Not RFC 3339 with an offset.
    #[error("not an RFC 3339 timestamp with offset: `{0}`")]
    BadTimestamp(String),
    /// A number outside its allowed range.
    #[error("out of range: {0}")]
    OutOfRange(&'static str),
    /// `schema_version` other than 1.
    #[error("unsupported schema_version {0}")]
    UnsupportedVersion(u64),
}

impl Reason {
    /// A short, bounded label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Reason::Missing => "missing_field",
            Reason::Empty => "empty_field",
            Reason::WrongType(_) => "wrong_type",
            Reason::UnknownValue(_) => "unknown_value",
            Reason::BadTimestamp(_) => "bad_timestamp",
            Reason::OutOfRange(_) => "out_of_range",
            Reason::UnsupportedVersion(_) => "unsupported_schema_version",
        }
    }
}
