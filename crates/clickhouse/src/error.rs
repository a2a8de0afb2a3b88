//! Errors of the store, the reader, the migrations and the client, and which
//! of them are worth retrying.

use std::time::Duration;

use thiserror::Error;

use crate::codec::CodecError;

/// One failed attempt at a request: what the client said, or our own timeout.
#[derive(Debug, Error)]
pub enum AttemptError {
    /// The `clickhouse` client failed (network, server exception, decoding).
    #[error(transparent)]
    Client(#[from] clickhouse::error::Error),
    /// The request did not finish within the configured timeout.
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
}

/// ClickHouse exception codes that say "try again later" rather than "this
/// request is wrong": timeouts, network trouble, too many parts or queries,
/// memory pressure, read-only replicas, Keeper trouble.
pub const TRANSIENT_CODES: &[u32] = &[
    3,   // UNEXPECTED_END_OF_FILE
    23,  // CANNOT_READ_FROM_ISTREAM
    24,  // CANNOT_WRITE_TO_OSTREAM
    32,  // ATTEMPT_TO_READ_AFTER_EOF
    159, // TIMEOUT_EXCEEDED
    164, // READONLY
    202, // TOO_MANY_SIMULTANEOUS_QUERIES
    203, // NO_FREE_CONNECTION
    209, // SOCKET_TIMEOUT
    210, // NETWORK_ERROR
    236, // ABORTED
    241, // MEMORY_LIMIT_EXCEEDED
    242, // TABLE_IS_READ_ONLY
    252, // TOO_MANY_PARTS
    279, // ALL_CONNECTION_TRIES_FAILED
    285, // TOO_FEW_LIVE_REPLICAS
    319, // UNKNOWN_STATUS_OF_INSERT
    425, // SYSTEM_ERROR
    999, // KEEPER_EXCEPTION
];

/// The exception code at the start of a ClickHouse error text
/// (`Code: 252, e.displayText() = ...` on 18.16, `Code: 252. DB::Exception: ...` now).
pub(crate) fn exception_code(message: &str) -> Option<u32> {
    let rest = message.trim_start().strip_prefix("Code:")?.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl AttemptError {
    /// True for errors a later attempt may not see: connection refused or
    /// reset, timeouts, HTTP 5xx without a body, and the exception codes of
    /// [`TRANSIENT_CODES`]. Syntax errors, unknown tables and decoding
    /// errors are permanent.
    pub fn is_transient(&self) -> bool {
        use clickhouse::error::Error as E;
        match self {
            AttemptError::TimedOut(_) => true,
            AttemptError::Client(error) => match error {
                E::Network(_) | E::TimedOut => true,
                E::BadResponse(message) => {
                    if let Some(code) = exception_code(message) {
                        return TRANSIENT_CODES.contains(&code);
                    }
                    // No exception text: the client reports the bare status ("503 Service Unavailable").
                    message.trim_start().starts_with('5')
                        && message
                            .split_whitespace()
                            .next()
                            .is_some_and(|s| s.len() == 3 && s.chars().all(|c| c.is_ascii_digit()))
                }
                _ => false,
            },
        }
    }
}

/// A failure of the ClickHouse store, reader, client or migrations.
#[derive(Debug, Error)]
pub enum ClickHouseError {
    /// A request failed with an error that retrying will not fix (a bad
    /// query, an unknown table, a row the server could not take).
    #[error("{what}: {source}")]
    Request {
        /// What was being done (e.g. `insert into tasks`).
        what: String,
        /// The failure.
        #[source]
        source: AttemptError,
    },
    /// Transient failures went on past the retry budget.
    #[error("{what}: still failing after {attempts} attempts in {elapsed:?} (retry budget {budget:?}): {source}")]
    Unavailable {
        /// What was being done.
        what: String,
        /// Attempts made.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
        /// The configured budget.
        budget: Duration,
        /// The last attempt's failure.
        #[source]
        source: AttemptError,
    },
    /// A stored value could not be decoded, or a row encoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// `SELECT version()` answered something that is not a version.
    #[error("unrecognized server version {0:?}")]
    ServerVersion(String),
    /// A migration that was applied before has different contents now.
    #[error("migration {version:04} ({name}) was applied with checksum {applied} but the file now has {current}: migrations must not change once applied; add a new one")]
    MigrationChanged {
        /// The migration's version.
        version: u32,
        /// Its file name.
        name: String,
        /// Checksum recorded when applied.
        applied: String,
        /// Checksum of the file now.
        current: String,
    },
    /// The database records a migration this build does not know (it was
    /// migrated by a newer build).
    #[error("database has migration {version:04} ({name}) that this build does not know: it was migrated by a newer LabelPulse")]
    MigrationUnknown {
        /// The migration's version.
        version: u32,
        /// Its recorded name.
        name: String,
    },
    /// A statement of a migration failed.
    #[error("migration {name}, statement {statement}: {source}")]
    Migration {
        /// The migration's file name.
        name: String,
        /// 1-based index of the failing statement in the file.
        statement: usize,
        /// The failure.
        #[source]
        source: Box<ClickHouseError>,
    },
    /// Tables that must agree do not (e.g. the two member-hour orders).
    #[error("inconsistent store: {0}")]
    Inconsistent(String),
    /// The background task writing a flush panicked or was cancelled.
    #[error("the flush write task ended abnormally: {0}")]
    WriteTask(String),
    /// A database name that is not a plain identifier.
    #[error("invalid database name {0:?}: use letters, digits and underscores")]
    DatabaseName(String),
}
