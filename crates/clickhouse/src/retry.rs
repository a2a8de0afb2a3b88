//! Retries with exponential backoff and full jitter, bounded by a total time.
//!
//! Every request this crate makes is safe to repeat: inserts write absolute,
//! versioned rows (a repeated insert adds copies that ReplacingMergeTree
//! collapses), reads are reads, and DDL uses `IF NOT EXISTS`.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::error::{AttemptError, ClickHouseError};
use crate::metrics::RequestCounters;

/// How long and how often to retry, and which counters to move.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Total time after which a still-failing request is given up
    /// ([`ClickHouseError::Unavailable`]); zero means one attempt.
    pub budget: Duration,
    /// Timeout of one attempt.
    pub attempt_timeout: Duration,
    /// First backoff; doubled after every failure.
    pub initial_backoff: Duration,
    /// Largest backoff.
    pub max_backoff: Duration,
    /// Where retries and failed requests are counted
    /// ([`ClickHouseMetrics`](crate::metrics::ClickHouseMetrics)); `None`
    /// counts nothing.
    pub counters: Option<RequestCounters>,
}

impl Default for RetryPolicy {
    /// 30 s budget, 30 s per attempt, backoff from 50 ms doubling up to 5 s,
    /// no counters.
    fn default() -> Self {
        RetryPolicy {
            budget: Duration::from_secs(30),
            attempt_timeout: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(5),
            counters: None,
        }
    }
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1` (`attempt` >= 1): a uniformly
    /// random duration in `[0, min(max, initial * 2^(attempt-1))]` ("full
    /// jitter"), so many writers that failed together do not retry together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }

    /// Runs `attempt` until it succeeds, fails permanently, or transient
    /// failures outlast the budget. Each attempt is bounded by
    /// `attempt_timeout`; a backoff never sleeps past the budget. Each
    /// retry and a final failure are counted in `counters`.
    pub async fn run<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T, ClickHouseError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, clickhouse::error::Error>>,
    {
        let start = Instant::now();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let outcome = match tokio::time::timeout(self.attempt_timeout, attempt()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(error)) => AttemptError::Client(error),
                Err(_) => AttemptError::TimedOut(self.attempt_timeout),
            };
            if !outcome.is_transient() {
                self.count(|c| &c.permanent);
                return Err(ClickHouseError::Request {
                    what: what.to_string(),
                    source: outcome,
                });
            }
            let elapsed = start.elapsed();
            let pause = self.backoff(attempts);
            if elapsed + pause >= self.budget {
                self.count(|c| &c.unavailable);
                return Err(ClickHouseError::Unavailable {
                    what: what.to_string(),
                    attempts,
                    elapsed,
                    budget: self.budget,
                    source: outcome,
                });
            }
            tracing::warn!(what, attempts, ?pause, error = %outcome, "transient ClickHouse failure, retrying");
            self.count(|c| &c.retries);
            tokio::time::sleep(pause).await;
        }
    }

    /// Adds one to the counter `which` picks, if this policy counts.
    fn count(&self, which: impl Fn(&RequestCounters) -> &prometheus::IntCounter) {
        if let Some(counters) = &self.counters {
            which(counters).inc();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{ClickHouseMetrics, Request};

    fn policy(budget_ms: u64) -> RetryPolicy {
        RetryPolicy {
            budget: Duration::from_millis(budget_ms),
            attempt_timeout: Duration::from_secs(1),
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(40),
            counters: None,
        }
    }

    /// `policy(budget_ms)` counting as a dashboard read, and its counters.
    fn counted(budget_ms: u64) -> (RetryPolicy, RequestCounters) {
        let counters = ClickHouseMetrics::unregistered().of(Request::Read);
        let policy = RetryPolicy {
            counters: Some(counters.clone()),
            ..policy(budget_ms)
        };
        (policy, counters)
    }

    /// (retries, unavailable, permanent).
    fn counts(counters: &RequestCounters) -> (u64, u64, u64) {
        (
            counters.retries.get(),
            counters.unavailable.get(),
            counters.permanent.get(),
        )
    }

    #[test]
    fn backoff_grows_to_the_ceiling_and_is_jittered() {
        let p = policy(1000);
        for attempt in 1..30 {
            let ceiling =
                Duration::from_millis(10 * (1u64 << (attempt - 1).min(20))).min(p.max_backoff);
            for _ in 0..50 {
                assert!(p.backoff(attempt) <= ceiling);
            }
        }
        let samples: std::collections::HashSet<Duration> = (0..50).map(|_| p.backoff(5)).collect();
        assert!(samples.len() > 10, "jitter spreads the pauses");
    }

    #[tokio::test]
    async fn permanent_errors_are_not_retried() {
        let mut calls = 0;
        let (policy, counters) = counted(500);
        let result: Result<(), _> = policy
            .run("test", || {
                calls += 1;
                async {
                    Err(clickhouse::error::Error::BadResponse(
                        "Code: 62, e.displayText() = DB::Exception: Syntax error".into(),
                    ))
                }
            })
            .await;
        assert!(matches!(result, Err(ClickHouseError::Request { .. })));
        assert_eq!(calls, 1);
        assert_eq!(counts(&counters), (0, 0, 1));
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_the_budget() {
        let mut calls = 0;
        let start = Instant::now();
        let (policy, counters) = counted(200);
        let result: Result<(), _> = policy
            .run("test", || {
                calls += 1;
                async {
                    Err(clickhouse::error::Error::BadResponse(
                        "Code: 252. DB::Exception: Too many parts".into(),
                    ))
                }
            })
            .await;
        assert!(start.elapsed() < Duration::from_millis(400));
        match result {
            Err(ClickHouseError::Unavailable { attempts, .. }) => {
                assert!(attempts > 2);
                assert_eq!(attempts, calls);
                // Every attempt but the last was followed by a retry.
                assert_eq!(counts(&counters), (u64::from(attempts) - 1, 1, 0));
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_later_success_ends_the_retries() {
        let mut calls = 0;
        let (policy, counters) = counted(1000);
        let result = policy
            .run("test", || {
                calls += 1;
                let n = calls;
                async move {
                    if n < 3 {
                        Err(clickhouse::error::Error::BadResponse(
                            "503 Service Unavailable".into(),
                        ))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(result.unwrap(), 3);
        assert_eq!(counts(&counters), (2, 0, 0));
    }

    #[test]
    fn exception_codes_of_both_server_generations_are_read() {
        use crate::error::exception_code;
        assert_eq!(
            exception_code("Code: 60, e.displayText() = DB::Exception: Table x doesn't exist"),
            Some(60)
        );
        assert_eq!(
            exception_code("Code: 252. DB::Exception: Too many parts (300). (TOO_MANY_PARTS)"),
            Some(252)
        );
        assert_eq!(exception_code("503 Service Unavailable"), None);
        let transient = |m: &str| {
            AttemptError::Client(clickhouse::error::Error::BadResponse(m.into())).is_transient()
        };
        assert!(transient("500 Internal Server Error"));
        assert!(!transient("404 Not Found"));
        assert!(!transient(
            "Code: 60, e.displayText() = DB::Exception: Table x doesn't exist"
        ));
        assert!(transient(
            "Code: 159, e.displayText() = DB::Exception: Timeout exceeded"
        ));
    }
}
