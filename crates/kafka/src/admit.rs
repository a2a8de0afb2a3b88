//! Admission of buffered messages before the engine sees them: the size
//! limit, decoding and validation, and the project's home partition. A
//! refused message becomes a dead letter with its reason, once.

use labelpulse_core::{Event, EventBody};
use tracing::warn;

use crate::batch::{Buffered, PartitionBuffer};
use crate::dead_letter::{DeadLetter, DeadLetterProducer};
use crate::metrics::{IngestMetrics, REASON_MISROUTED, REASON_OVERSIZED};
use crate::routing::ProjectRoutes;

/// An admitted message: its sequence (offset + 1), raw bytes and event.
pub(crate) type Admitted<'b> = (u64, &'b [u8], Event<'b>);

/// What admission needs besides the messages.
pub(crate) struct Admission<'p> {
    /// The events topic (named in dead letters).
    pub(crate) topic: &'p str,
    /// Largest accepted message, bytes.
    pub(crate) max_message_bytes: usize,
    /// The home partition of each project seen.
    pub(crate) routes: &'p mut ProjectRoutes,
    /// Where refused messages go.
    pub(crate) dead_letters: &'p mut DeadLetterProducer,
    /// Counts replayed messages.
    pub(crate) metrics: &'p IngestMetrics,
}

/// Fewest messages worth decoding on two threads: starting the second
/// costs some tens of microseconds, decoding 4,096 events some
/// milliseconds. Below it (the live phase's small batches) one thread decodes.
const PARALLEL_DECODE_MIN: usize = 4096;

/// A message's event, or why it is refused (reason, detail).
type Checked<'b> = Result<Event<'b>, (&'static str, String)>;

/// A buffered message past its partition's durable position, to admit.
struct Candidate<'b> {
    partition: i32,
    sequence: u64,
    /// Whether its dead letter, if refused, is not queued yet.
    first_time: bool,
    message: Buffered<'b>,
}

impl Admission<'_> {
    /// For each `(partition, buffer, position)`, the messages of `buffer`
    /// not applied yet whose sequence is past `position` (older ones are
    /// replays the store already holds), with the refused ones sent as
    /// dead letters unless they were already; in the order given, each
    /// partition's messages in offset order.
    ///
    /// Decoding, the costly part, needs nothing but the message, so a
    /// large batch is decoded on two threads ([`decode_all`]); the checks
    /// with state (the home partition, the dead letters) follow on this
    /// thread in message order.
    pub(crate) fn admit<'b>(
        &mut self,
        pending: &[(i32, &'b PartitionBuffer, u64)],
    ) -> Vec<(i32, Vec<Admitted<'b>>)> {
        let mut candidates = Vec::new();
        for &(partition, buffer, position) in pending {
            for index in buffer.applied..buffer.len() {
                let Some(message) = buffer.get(index) else {
                    break;
                };
                let Ok(offset) = u64::try_from(message.offset) else {
                    continue;
                };
                let sequence = offset + 1;
                if sequence <= position {
                    self.metrics.replayed.inc();
                    continue;
                }
                candidates.push(Candidate {
                    partition,
                    sequence,
                    first_time: index >= buffer.dead_lettered,
                    message,
                });
            }
        }
        let decoded = decode_all(self.max_message_bytes, &candidates);
        let mut admitted: Vec<(i32, Vec<Admitted<'b>>)> = pending
            .iter()
            .map(|&(partition, buffer, _)| {
                let unapplied = buffer.len().saturating_sub(buffer.applied);
                (partition, Vec::with_capacity(unapplied))
            })
            .collect();
        let mut slot = 0;
        for (candidate, checked) in candidates.iter().zip(decoded) {
            while admitted
                .get(slot)
                .is_some_and(|(partition, _)| *partition != candidate.partition)
            {
                slot += 1;
            }
            let Some((_, events)) = admitted.get_mut(slot) else {
                break;
            };
            let checked = checked.and_then(|event| self.check_route(candidate.partition, event));
            match checked {
                Ok(event) => events.push((candidate.sequence, candidate.message.payload, event)),
                Err((reason, detail)) if candidate.first_time => {
                    self.refuse(candidate.partition, &candidate.message, reason, &detail)
                }
                Err(_) => {}
            }
        }
        admitted
    }

    /// The event, or why it is refused: its project was seen first on
    /// another partition (rule of DESIGN.md section 4: a project lives on
    /// one partition).
    fn check_route<'b>(&mut self, partition: i32, event: Event<'b>) -> Checked<'b> {
        let project = match &event.body {
            EventBody::MemberUpserted(_) => None,
            _ => event.envelope.project_id.as_deref(),
        };
        if let Some(project) = project {
            if let Err(home) = self.routes.check(project, partition) {
                return Err((
                    REASON_MISROUTED,
                    format!(
                        "project `{project}` belongs to partition {home} (seen there first), arrived on partition {partition}"
                    ),
                ));
            }
        }
        Ok(event)
    }

    /// Queues `message` on the dead-letter topic; a refusal is retried
    /// before the commit ([`DeadLetterProducer::wait_all`]).
    fn refuse(
        &mut self,
        partition: i32,
        message: &Buffered<'_>,
        reason: &'static str,
        detail: &str,
    ) {
        let letter = DeadLetter {
            payload: message.payload,
            key: message.key,
            reason,
            detail,
            source_topic: self.topic,
            source_partition: partition,
            source_offset: message.offset,
        };
        if let Err(error) = self.dead_letters.enqueue(&letter) {
            warn!(%error, "dead letter refused; retried before the commit");
        }
    }
}

/// The size check and the decoding of every candidate, in order: on this
/// thread for a small batch, otherwise the second half on a helper thread
/// while this one decodes the first (on this thread alone when the helper
/// cannot be started).
fn decode_all<'b>(max_message_bytes: usize, candidates: &[Candidate<'b>]) -> Vec<Checked<'b>> {
    let decode = |candidate: &Candidate<'b>| decode_one(max_message_bytes, &candidate.message);
    if candidates.len() < PARALLEL_DECODE_MIN {
        return candidates.iter().map(decode).collect();
    }
    let (first, second) = candidates.split_at(candidates.len() / 2);
    std::thread::scope(|scope| {
        let helper = std::thread::Builder::new()
            .name("labelpulse-decode".to_string())
            .spawn_scoped(scope, || second.iter().map(decode).collect::<Vec<_>>());
        let mut all: Vec<Checked<'b>> = Vec::with_capacity(candidates.len());
        all.extend(first.iter().map(decode));
        let rest = match helper {
            Ok(helper) => match helper.join() {
                Ok(rest) => rest,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(error) => {
                warn!(%error, "no decoding thread: decoding on this one");
                second.iter().map(decode).collect()
            }
        };
        all.extend(rest);
        all
    })
}

/// One message's event, or why it is refused: too large, undecodable or
/// invalid.
fn decode_one<'b>(max_message_bytes: usize, message: &Buffered<'b>) -> Checked<'b> {
    if message.payload.len() > max_message_bytes {
        return Err((
            REASON_OVERSIZED,
            format!(
                "message of {} bytes exceeds max_message_bytes {max_message_bytes}",
                message.payload.len()
            ),
        ));
    }
    labelpulse_core::decode(message.payload).map_err(|error| (error.kind(), error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &[u8] =
        include_bytes!("../../../schemas/events/v1/examples/annotation.submitted/valid-1.json");
    const INVALID: &[u8] = include_bytes!(
        "../../../schemas/events/v1/examples/annotation.submitted/invalid-missing-annotation-id.json"
    );

    /// A mix of valid, invalid, malformed and oversized messages, as
    /// candidates of two partitions.
    fn candidates<'b>(payloads: &'b [Vec<u8>]) -> Vec<Candidate<'b>> {
        payloads
            .iter()
            .enumerate()
            .map(|(index, payload)| Candidate {
                partition: i32::from(index % 7 == 0),
                sequence: index as u64 + 1,
                first_time: true,
                message: Buffered {
                    offset: index as i64,
                    key: None,
                    payload,
                },
            })
            .collect()
    }

    #[test]
    fn two_threads_decode_in_order_what_one_thread_decodes() {
        let kinds: [&[u8]; 4] = [VALID, INVALID, b"{not json", &[b' '; 300]];
        let payloads: Vec<Vec<u8>> = (0..PARALLEL_DECODE_MIN * 2 + 3)
            .map(|index| kinds[index % 4].to_vec())
            .collect();
        let candidates = candidates(&payloads);
        let max = 200;
        let one_thread: Vec<Checked<'_>> = candidates
            .iter()
            .map(|candidate| decode_one(max, &candidate.message))
            .collect();
        let two_threads = decode_all(max, &candidates);
        assert_eq!(two_threads.len(), candidates.len());
        assert_eq!(two_threads, one_thread);
        let reasons: Vec<&str> = two_threads[..4]
            .iter()
            .map(|checked| checked.as_ref().err().map_or("ok", |(reason, _)| *reason))
            .collect();
        // valid-1.json is longer than 200 bytes: oversized like the blank one.
        assert_eq!(
            reasons,
            ["oversized", "oversized", "malformed", "oversized"]
        );
        let roomy = decode_all(1 << 20, &candidates);
        let reasons: Vec<&str> = roomy[..4]
            .iter()
            .map(|checked| checked.as_ref().err().map_or("ok", |(reason, _)| *reason))
            .collect();
        assert_eq!(reasons, ["ok", "missing_field", "malformed", "malformed"]);
        assert_eq!(roomy[0], roomy[PARALLEL_DECODE_MIN * 2]);
    }
}
