//! Row values on disk: postcard bytes of [`Versioned<T>`], decoded strictly.
//!
//! Decoding never panics on bad bytes: a truncated, corrupt or foreign value
//! is a [`CodecError`] that names its table.

use labelpulse_engine::Versioned;
use serde::de::DeserializeOwned;
use serde::Serialize;
use thiserror::Error;

/// A value that could not be encoded or decoded.
#[derive(Debug, Error)]
pub enum CodecError {
    /// Serialization failed (should not happen for the row types).
    #[error("encoding a row for table {table}: {source}")]
    Encode {
        /// The table the row was meant for.
        table: &'static str,
        /// postcard's error.
        #[source]
        source: postcard::Error,
    },
    /// Stored bytes are not a value of the table's type.
    #[error("decoding a row of table {table}: {source}")]
    Decode {
        /// The table read.
        table: &'static str,
        /// postcard's error.
        #[source]
        source: postcard::Error,
    },
    /// Stored bytes hold a value followed by garbage.
    #[error("decoding a row of table {table}: {extra} trailing bytes")]
    Trailing {
        /// The table read.
        table: &'static str,
        /// How many bytes were left over.
        extra: usize,
    },
    /// An aggregate row whose kind does not match its key (an engine bug).
    #[error("aggregate row of the wrong kind for table {table}")]
    RowKind {
        /// The table of the key.
        table: &'static str,
    },
}

/// Serializes like `Versioned<T>` without cloning the value.
#[derive(Serialize)]
struct VersionedRef<'a, T> {
    version: u64,
    value: &'a T,
}

/// Encodes `Versioned { version, value }` for `table`.
pub fn encode<T: Serialize>(
    table: &'static str,
    version: u64,
    value: &T,
) -> Result<Vec<u8>, CodecError> {
    postcard::to_allocvec(&VersionedRef { version, value })
        .map_err(|source| CodecError::Encode { table, source })
}

/// Encodes a plain (unversioned) value for `table`.
pub fn encode_plain<T: Serialize>(table: &'static str, value: &T) -> Result<Vec<u8>, CodecError> {
    postcard::to_allocvec(value).map_err(|source| CodecError::Encode { table, source })
}

/// Decodes a `Versioned<T>` read from `table`; every byte must be used.
pub fn decode<T: DeserializeOwned>(
    table: &'static str,
    bytes: &[u8],
) -> Result<Versioned<T>, CodecError> {
    decode_plain(table, bytes)
}

/// Decodes a plain value read from `table`; every byte must be used.
pub fn decode_plain<T: DeserializeOwned>(
    table: &'static str,
    bytes: &[u8],
) -> Result<T, CodecError> {
    let (value, rest) =
        postcard::take_from_bytes(bytes).map_err(|source| CodecError::Decode { table, source })?;
    if !rest.is_empty() {
        return Err(CodecError::Trailing {
            table,
            extra: rest.len(),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use labelpulse_core::aggregate::HourRow;

    #[test]
    fn versioned_round_trips_and_matches_the_owned_encoding() {
        let mut row = HourRow {
            submitted: 3,
            lead_time_ms: -7,
            ..HourRow::default()
        };
        row.lead_time_sketch.add(1234, 2);
        let bytes = encode("t", 42, &row).unwrap();
        let owned = postcard::to_allocvec(&Versioned {
            version: 42,
            value: row.clone(),
        })
        .unwrap();
        assert_eq!(bytes, owned);
        let back: Versioned<HourRow> = decode("t", &bytes).unwrap();
        assert_eq!(back.version, 42);
        assert_eq!(back.value, row);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let bytes = encode("t", 1, &HourRow::default()).unwrap();
        assert!(decode::<HourRow>("t", &bytes[..bytes.len() / 2]).is_err());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            decode::<HourRow>("t", &longer),
            Err(CodecError::Trailing { extra: 1, .. })
        ));
        assert!(decode::<HourRow>("t", &[0xff; 3]).is_err());
        assert!(decode::<HourRow>("t", &[]).is_err());
    }
}
