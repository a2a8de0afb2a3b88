//! One migrator at a time per database: a lock that is a table.
//!
//! ClickHouse has no advisory locks, but `CREATE TABLE` without
//! `IF NOT EXISTS` succeeds for exactly one of any number of concurrent
//! callers (the others get `TABLE_ALREADY_EXISTS`, code 57). So the process
//! that creates `schema_migrations_lock` holds the lock, and dropping the
//! table releases it. Without it, two processes starting on a fresh database
//! (an ingestor and a query service, or two ingestors) interleave the
//! migrations' statements, and one fails: migration 0005 moves data from
//! tables that the other process has already dropped.
//!
//! A process killed while it holds the lock leaves the table behind; a lock
//! older than [`STALE_LOCK_AFTER`] is taken to be such a leftover and
//! dropped. The lock is per server: in a cluster, point every migrator at
//! the same node (or run `labelpulse migrate` once before starting the
//! ingestors with `--no-migrate`).

use std::time::{Duration, Instant};

use clickhouse::Client;

use crate::error::{exception_code, ClickHouseError};
use crate::queries;
use crate::retry::RetryPolicy;

/// How old a migration lock must be before it is taken for the leftover of
/// a process that died while migrating, and removed.
pub const STALE_LOCK_AFTER: Duration = Duration::from_secs(600);

/// How often a waiting migrator looks at the lock again.
const POLL: Duration = Duration::from_millis(200);

/// How often a waiting migrator says it is still waiting.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// `TABLE_ALREADY_EXISTS`.
const ALREADY_EXISTS: u32 = 57;

/// The held lock of one database (`client` names the database). Release it
/// with [`MigrationLock::release`]; dropped without that, the table stays
/// until it is stale.
#[must_use = "the lock is held until released"]
pub struct MigrationLock<'a> {
    client: &'a Client,
}

impl<'a> MigrationLock<'a> {
    /// Waits until this process holds the lock of `client`'s database,
    /// removing a lock older than `stale_after`. ClickHouse errors are
    /// retried within `policy`, as every other request is.
    pub async fn acquire(
        client: &'a Client,
        policy: &RetryPolicy,
        stale_after: Duration,
    ) -> Result<MigrationLock<'a>, ClickHouseError> {
        let waiting_since = Instant::now();
        let mut reported = waiting_since;
        loop {
            if Self::try_create(client, policy).await? {
                return Ok(MigrationLock { client });
            }
            let age: Option<u64> = policy
                .run("read the migration lock's age", || {
                    client.query(queries::MIGRATION_LOCK_AGE).fetch_optional()
                })
                .await?;
            match age {
                // Released between our attempt and the look: try again now.
                None => continue,
                Some(seconds) if Duration::from_secs(seconds) >= stale_after => {
                    tracing::warn!(
                        age_seconds = seconds,
                        "removing a migration lock left by a process that stopped while migrating"
                    );
                    policy
                        .run("remove a stale migration lock", || {
                            client.query(queries::DROP_MIGRATION_LOCK).execute()
                        })
                        .await?;
                }
                Some(seconds) => {
                    if reported.elapsed() >= REPORT_EVERY {
                        reported = Instant::now();
                        tracing::info!(
                            lock_age_seconds = seconds,
                            waited = ?waiting_since.elapsed(),
                            "waiting for another process's migrations"
                        );
                    }
                    tokio::time::sleep(POLL).await;
                }
            }
        }
    }

    /// Creates the lock table: `true` if this call created it, `false` if
    /// it already existed.
    async fn try_create(client: &Client, policy: &RetryPolicy) -> Result<bool, ClickHouseError> {
        policy
            .run("take the migration lock", || async {
                match client.query(queries::CREATE_MIGRATION_LOCK).execute().await {
                    Ok(()) => Ok(true),
                    Err(clickhouse::error::Error::BadResponse(message))
                        if exception_code(&message) == Some(ALREADY_EXISTS) =>
                    {
                        Ok(false)
                    }
                    Err(error) => Err(error),
                }
            })
            .await
    }

    /// Drops the lock table.
    pub async fn release(self, policy: &RetryPolicy) -> Result<(), ClickHouseError> {
        policy
            .run("release the migration lock", || {
                self.client.query(queries::DROP_MIGRATION_LOCK).execute()
            })
            .await
    }
}
