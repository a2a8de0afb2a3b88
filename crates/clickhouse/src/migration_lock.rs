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
//! The holder writes a heartbeat row into the table every
//! [`LockTiming::beat_every`] while it migrates. A lock whose newest beat
//! (or, before the first, whose creation) is older than
//! [`LockTiming::stale_after`] was left by a process that died while
//! migrating (`kill -9`, a lost machine): a waiter removes it and takes the
//! lock, so a crashed ingestor restarted at once waits seconds, not minutes.
//! The lock is per server: in a cluster, point every migrator at the same
//! node (or run `labelpulse migrate` once before starting the ingestors
//! with `--no-migrate`).

use std::future::Future;
use std::time::{Duration, Instant};

use clickhouse::Client;

use crate::error::{exception_code, ClickHouseError};
use crate::queries;
use crate::retry::RetryPolicy;

/// How a lock is kept alive and when it counts as abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockTiming {
    /// A lock without a beat for this long is abandoned.
    pub stale_after: Duration,
    /// How often the holder beats.
    pub beat_every: Duration,
}

impl Default for LockTiming {
    /// Stale after 30 s without a beat; a beat every 5 s.
    fn default() -> Self {
        LockTiming {
            stale_after: Duration::from_secs(30),
            beat_every: Duration::from_secs(5),
        }
    }
}

/// How often a waiting migrator looks at the lock again.
const POLL: Duration = Duration::from_millis(200);

/// How often a waiting migrator says it is still waiting.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// `TABLE_ALREADY_EXISTS`.
const ALREADY_EXISTS: u32 = 57;

/// `UNKNOWN_TABLE`.
const UNKNOWN_TABLE: u32 = 60;

/// `TABLE_IS_DROPPED`: the holder's release ran while the read did.
const TABLE_IS_DROPPED: u32 = 218;

/// True when a failed read of the lock means that nobody holds it any more:
/// the table is gone, or it was dropped while the read ran (the release of
/// the holder racing a waiter's look; seen on ClickHouse 18.16 with four
/// migrators starting together).
fn means_released(message: &str) -> bool {
    matches!(
        exception_code(message),
        Some(UNKNOWN_TABLE | TABLE_IS_DROPPED)
    )
}

/// The held lock of one database (`client` names the database). Run the
/// work with [`MigrationLock::while_beating`], then release it with
/// [`MigrationLock::release`]; dropped without that, the table stays until
/// it is stale.
#[must_use = "the lock is held until released"]
pub struct MigrationLock<'a> {
    client: &'a Client,
    timing: LockTiming,
}

impl<'a> MigrationLock<'a> {
    /// Waits until this process holds the lock of `client`'s database,
    /// removing an abandoned one (see [`LockTiming`]). ClickHouse errors
    /// are retried within `policy`, as every other request is.
    pub async fn acquire(
        client: &'a Client,
        policy: &RetryPolicy,
        timing: LockTiming,
    ) -> Result<MigrationLock<'a>, ClickHouseError> {
        let waiting_since = Instant::now();
        let mut reported = waiting_since;
        loop {
            if Self::try_create(client, policy).await? {
                // Until the first beat, the lock's age counts from its creation.
                return Ok(MigrationLock { client, timing });
            }
            match Self::silence(client, policy).await? {
                // Released between our attempt and the look: try again now.
                None => continue,
                Some(seconds) if Duration::from_secs(seconds) >= timing.stale_after => {
                    tracing::warn!(
                        silent_seconds = seconds,
                        "removing a migration lock left by a process that stopped while migrating"
                    );
                    policy
                        .run("remove an abandoned migration lock", || {
                            client.query(queries::DROP_MIGRATION_LOCK).execute()
                        })
                        .await?;
                }
                Some(seconds) => {
                    if reported.elapsed() >= REPORT_EVERY {
                        reported = Instant::now();
                        tracing::info!(
                            silent_seconds = seconds,
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

    /// Seconds since the lock's newest beat (or its creation, before the
    /// first); `None` when nobody holds it (see [`means_released`]).
    async fn silence(
        client: &Client,
        policy: &RetryPolicy,
    ) -> Result<Option<u64>, ClickHouseError> {
        policy
            .run("read the migration lock's last beat", || async {
                match client
                    .query(queries::MIGRATION_LOCK_SILENCE)
                    .fetch_one::<u64>()
                    .await
                {
                    Ok(seconds) => Ok(Some(seconds)),
                    Err(clickhouse::error::Error::BadResponse(message))
                        if means_released(&message) =>
                    {
                        Ok(None)
                    }
                    Err(error) => Err(error),
                }
            })
            .await
    }

    /// Writes one heartbeat row.
    async fn beat(&self, policy: &RetryPolicy) -> Result<(), ClickHouseError> {
        let holder = format!("pid {}", std::process::id());
        policy
            .run("beat the migration lock", || {
                self.client
                    .query(queries::BEAT_MIGRATION_LOCK)
                    .bind(holder.as_str())
                    .execute()
            })
            .await
    }

    /// Runs `work` while beating every `beat_every` (a failed beat is
    /// logged; the work decides the outcome).
    pub async fn while_beating<T>(&self, policy: &RetryPolicy, work: impl Future<Output = T>) -> T {
        tokio::pin!(work);
        loop {
            tokio::select! {
                outcome = &mut work => return outcome,
                () = tokio::time::sleep(self.timing.beat_every) => {
                    if let Err(error) = self.beat(policy).await {
                        tracing::warn!(%error, "could not beat the migration lock");
                    }
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use super::means_released;

    #[test]
    fn a_lock_table_gone_or_being_dropped_means_released() {
        assert!(means_released(
            "Code: 60, e.displayText() = DB::Exception: Table test.schema_migrations_lock doesn't exist."
        ));
        assert!(means_released(
            "Code: 218, e.displayText() = DB::Exception: Table is dropped, e.what() = DB::Exception"
        ));
        assert!(!means_released(
            "Code: 241, e.displayText() = DB::Exception: Memory limit exceeded"
        ));
        assert!(!means_released("500 Internal Server Error"));
    }
}
