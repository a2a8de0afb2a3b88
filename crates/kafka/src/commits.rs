//! Offset commits and their answers.
//!
//! A commit waits for the group coordinator's answer. Made on the polling
//! thread, that wait would hold the ingestor for a whole Kafka outage: no
//! polls, so no statistics, no error reports and no graceful shutdown
//! until the brokers are back (librdkafka's synchronous commit has no
//! timeout, and rust-rdkafka's `BaseConsumer` reports no answer to a
//! commit sent without waiting). So the pipeline hands its commits to the
//! committer, a thread of its own that sends them one after the other and
//! records each answer in [`Commits`]: the committed offsets the handle
//! and the gauges show, the commit counters, and whether a failed commit
//! must be sent again. Only a revoke commits on the polling thread itself
//! (the next owner must find the commit), after the committer caught up.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::{Offset, TopicPartitionList};
use tracing::warn;

use crate::metrics::IngestMetrics;
use crate::pipeline::{lock, Progress};

/// One commit: the next offset to read, per partition.
pub(crate) type CommitRequest = Vec<(i32, i64)>;

/// What the commits sent and answered so far say; shared by the pipeline
/// (which sends), the committer (which hears the answers) and the
/// ingestor's end (which waits for the last answer).
pub(crate) struct Commits {
    topic: String,
    progress: Arc<Mutex<Progress>>,
    metrics: IngestMetrics,
    answers: Mutex<Answers>,
    /// Signalled whenever a commit is answered.
    answered: Condvar,
}

/// The answers still due and whether one was a failure.
#[derive(Debug, Default)]
struct Answers {
    /// Commits handed to the committer and not answered yet.
    outstanding: usize,
    /// A commit failed since the pipeline last asked.
    failed: bool,
}

impl Commits {
    /// The bookkeeping of the ingestor of `topic`, which publishes the
    /// committed offsets in `progress` and in `metrics`.
    pub(crate) fn new(topic: &str, progress: Arc<Mutex<Progress>>, metrics: IngestMetrics) -> Self {
        Commits {
            topic: topic.to_string(),
            progress,
            metrics,
            answers: Mutex::new(Answers::default()),
            answered: Condvar::new(),
        }
    }

    /// A commit was handed to the committer: its answer is due.
    pub(crate) fn sent(&self) {
        lock(&self.answers).outstanding += 1;
    }

    /// Whether a commit failed since the last call (and forgets it).
    pub(crate) fn take_failure(&self) -> bool {
        std::mem::take(&mut lock(&self.answers).failed)
    }

    /// Waits until every commit handed to the committer is answered, or
    /// `deadline`. Returns whether all were.
    pub(crate) fn wait_answered(&self, deadline: Instant) -> bool {
        let mut answers = lock(&self.answers);
        while answers.outstanding > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            answers = self
                .answered
                .wait_timeout(answers, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0);
        }
        true
    }

    /// Sends `request` (its partitions still assigned) and waits for the
    /// answer: on success each gets its offset in the progress and in the
    /// committed-offset gauge; a failure is counted and remembered, so the
    /// pipeline sends the durable offsets again.
    pub(crate) fn commit<C: ConsumerContext, K: Consumer<C>>(
        &self,
        consumer: &K,
        request: &[(i32, i64)],
    ) {
        let assigned: Vec<(i32, i64)> = {
            let progress = lock(&self.progress);
            request
                .iter()
                .copied()
                .filter(|(partition, _)| progress.assigned.contains(partition))
                .collect()
        };
        if !assigned.is_empty() {
            self.commit_now(consumer, &assigned);
        }
        self.answer();
    }

    /// What the answer to a commit of `request` means for the progress,
    /// the gauges and the counters.
    fn record(&self, outcome: KafkaResult<()>, request: &[(i32, i64)]) {
        match outcome {
            Ok(()) => {
                self.metrics.commits.inc();
                let mut progress = lock(&self.progress);
                for &(partition, next) in request {
                    // Revoked while the commit was on its way: its next
                    // owner reports it.
                    if !progress.assigned.contains(&partition) {
                        continue;
                    }
                    progress.committed.insert(partition, next);
                    self.metrics
                        .committed_offset
                        .with_label_values(&[&partition.to_string()])
                        .set(next);
                }
            }
            Err(error) => {
                lock(&self.answers).failed = true;
                self.metrics.commit_failures.inc();
                warn!(%error, "offset commit failed; sent again after the next flush or in 1 s");
            }
        }
    }

    /// A request handed over never reached the committer (it ended).
    pub(crate) fn abandon(&self) {
        self.answer();
    }

    fn answer(&self) {
        let mut answers = lock(&self.answers);
        answers.outstanding = answers.outstanding.saturating_sub(1);
        self.answered.notify_all();
    }

    /// Commits `request` on the calling thread and records the answer
    /// (the committer's work; a revoke's, outside the committer's count).
    pub(crate) fn commit_now<C: ConsumerContext, K: Consumer<C>>(
        &self,
        consumer: &K,
        request: &[(i32, i64)],
    ) {
        let outcome =
            offsets(&self.topic, request).and_then(|list| consumer.commit(&list, CommitMode::Sync));
        self.record(outcome, request);
    }
}

/// The offsets of `request` as librdkafka takes them.
fn offsets(topic: &str, request: &[(i32, i64)]) -> KafkaResult<TopicPartitionList> {
    let mut list = TopicPartitionList::new();
    for &(partition, next) in request {
        list.add_partition_offset(topic, partition, Offset::Offset(next))?;
    }
    Ok(list)
}

/// Starts the committer: it commits each request of `requests` in order
/// and ends when the pipeline drops its sender.
pub(crate) fn spawn_committer<C: ConsumerContext + 'static>(
    consumer: Arc<BaseConsumer<C>>,
    requests: Receiver<CommitRequest>,
    commits: Arc<Commits>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("labelpulse-committer".to_string())
        .spawn(move || {
            for request in requests {
                commits.commit(&*consumer, &request);
            }
        })
}

/// Where the pipeline hands its commits.
pub(crate) type CommitSender = Sender<CommitRequest>;

/// Which thread makes the pipeline's commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CommitOn {
    /// The committer: the polling thread does not wait.
    Committer,
    /// The polling thread itself, waiting for the answer (a revoke: the
    /// next owner must find the commit).
    PollingThread,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rdkafka::error::{KafkaError, RDKafkaErrorCode};

    use super::*;

    fn commits(assigned: &[i32]) -> Commits {
        let progress = Progress {
            assigned: assigned.iter().copied().collect(),
            ..Progress::default()
        };
        Commits::new(
            "events",
            Arc::new(Mutex::new(progress)),
            IngestMetrics::unregistered(),
        )
    }

    #[test]
    fn an_answered_commit_publishes_only_partitions_still_assigned() {
        let commits = commits(&[0, 1]);
        commits.record(Ok(()), &[(0, 10), (2, 7)]);
        assert_eq!(
            lock(&commits.progress).committed,
            [(0, 10)].into_iter().collect()
        );
        assert_eq!(
            commits.metrics.committed_offsets(),
            [(0, 10)].into_iter().collect()
        );
        assert_eq!(commits.metrics.snapshot().commits, 1);
        assert!(!commits.take_failure());
    }

    #[test]
    fn a_failed_commit_is_counted_and_asks_for_a_resend_once() {
        let commits = commits(&[0]);
        let refused = KafkaError::ConsumerCommit(RDKafkaErrorCode::UnknownMemberId);
        commits.record(Err(refused), &[(0, 10)]);
        assert!(lock(&commits.progress).committed.is_empty());
        assert_eq!(commits.metrics.snapshot().commit_failures, 1);
        assert!(commits.take_failure());
        assert!(!commits.take_failure(), "the flag is taken");
    }

    #[test]
    fn waiting_for_answers_ends_with_the_last_answer_or_the_deadline() {
        let commits = Arc::new(commits(&[0]));
        assert!(commits.wait_answered(Instant::now()), "nothing outstanding");
        commits.sent();
        assert!(!commits.wait_answered(Instant::now() + Duration::from_millis(20)));
        let answering = {
            let commits = commits.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                commits.abandon();
            })
        };
        assert!(commits.wait_answered(Instant::now() + Duration::from_secs(30)));
        answering.join().expect("the answering thread");
    }
}
