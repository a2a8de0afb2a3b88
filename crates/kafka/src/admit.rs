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

/// A message's event, or why it is refused (reason, detail).
type Checked<'b> = Result<Event<'b>, (&'static str, String)>;

/// A message past its partition's durable position, to be admitted or refused.
struct Candidate<'b> {
    /// Index of its partition in the cycle's list.
    slot: usize,
    sequence: u64,
    /// Its dead letter, if refused, was not queued before.
    first_time: bool,
    message: Buffered<'b>,
}

/// Below this many messages a cycle decodes on its own thread: starting
/// threads would cost more than they save.
const PARALLEL_CHECK_MIN: usize = 4096;
/// Most threads one cycle decodes on.
const CHECK_THREADS_MAX: usize = 4;

/// The size check and decoding of every payload, in order: on the calling
/// thread for a small cycle, else split in contiguous chunks over up to
/// [`CHECK_THREADS_MAX`] scoped threads (the caller's among them). Pure:
/// routing and dead letters stay with the caller.
fn check_all<'b>(payloads: &[&'b [u8]], max_message_bytes: usize) -> Vec<Checked<'b>> {
    let check = |chunk: &[&'b [u8]]| -> Vec<Checked<'b>> {
        chunk
            .iter()
            .map(|payload| check_payload(payload, max_message_bytes))
            .collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(CHECK_THREADS_MAX);
    if payloads.len() < PARALLEL_CHECK_MIN || threads < 2 {
        return check(payloads);
    }
    let mut chunks = payloads.chunks(payloads.len().div_ceil(threads));
    let Some(own) = chunks.next() else {
        return Vec::new();
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = chunks
            .map(|chunk| scope.spawn(move || check(chunk)))
            .collect();
        let mut checked = check(own);
        for helper in helpers {
            match helper.join() {
                Ok(part) => checked.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        checked
    })
}

/// The size limit, then decoding and validation.
fn check_payload<'b>(payload: &'b [u8], max_message_bytes: usize) -> Checked<'b> {
    if payload.len() > max_message_bytes {
        return Err((
            REASON_OVERSIZED,
            format!(
                "message of {} bytes exceeds max_message_bytes {max_message_bytes}",
                payload.len()
            ),
        ));
    }
    labelpulse_core::decode(payload).map_err(|error| (error.kind(), error.to_string()))
}

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

impl Admission<'_> {
    /// The messages of each `(partition, buffer, position)` not applied yet
    /// whose sequence is past `position` (older ones are replays the store
    /// already holds), per partition in order, with the refused ones sent
    /// as dead letters unless they were already. Decoding, the costly
    /// part, runs on several threads for a large cycle ([`check_all`]);
    /// routing and dead letters follow in message order.
    pub(crate) fn admit_all<'b>(
        &mut self,
        partitions: &[(i32, &'b PartitionBuffer, u64)],
    ) -> Vec<Vec<Admitted<'b>>> {
        let mut candidates: Vec<Candidate<'b>> = Vec::new();
        for (slot, (_, buffer, position)) in partitions.iter().enumerate() {
            for index in buffer.applied..buffer.len() {
                let Some(message) = buffer.get(index) else {
                    break;
                };
                let Ok(offset) = u64::try_from(message.offset) else {
                    continue;
                };
                let sequence = offset + 1;
                if sequence <= *position {
                    self.metrics.replayed.inc();
                    continue;
                }
                candidates.push(Candidate {
                    slot,
                    sequence,
                    first_time: index >= buffer.dead_lettered,
                    message,
                });
            }
        }
        let payloads: Vec<&'b [u8]> = candidates.iter().map(|c| c.message.payload).collect();
        let checked = check_all(&payloads, self.max_message_bytes);
        let mut admitted: Vec<Vec<Admitted<'b>>> = vec![Vec::new(); partitions.len()];
        for (candidate, checked) in candidates.into_iter().zip(checked) {
            let partition = partitions[candidate.slot].0;
            match checked.and_then(|event| self.route(partition, event)) {
                Ok(event) => admitted[candidate.slot].push((
                    candidate.sequence,
                    candidate.message.payload,
                    event,
                )),
                Err((reason, detail)) if candidate.first_time => {
                    self.refuse(partition, &candidate.message, reason, &detail)
                }
                Err(_) => {}
            }
        }
        admitted
    }

    /// The event, unless its project belongs to another partition.
    fn route<'b>(&mut self, partition: i32, event: Event<'b>) -> Checked<'b> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid heartbeat, an undecodable line, a schema violation and an
    /// oversized line, with ids that tell every position apart.
    fn payload(index: usize) -> String {
        match index % 4 {
            0 => format!(
                r#"{{"event_id":"e{index}","type":"session.heartbeat","schema_version":1,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p1","member_id":"m{index}"}}"#
            ),
            1 => format!("{{not json {index}"),
            2 => format!(
                r#"{{"event_id":"e{index}","type":"session.heartbeat","schema_version":9,"occurred_at":"2026-03-01T10:00:00Z","project_id":"p1","member_id":"m"}}"#
            ),
            _ => format!("{index}{}", " ".repeat(300)),
        }
    }

    fn outcome(checked: &Checked<'_>) -> String {
        match checked {
            Ok(event) => format!("ok {}", event.envelope.event_id),
            Err((reason, detail)) => format!("{reason}: {detail}"),
        }
    }

    #[test]
    fn a_large_cycle_decodes_on_several_threads_in_message_order() {
        let lines: Vec<String> = (0..PARALLEL_CHECK_MIN * 2 + 3).map(payload).collect();
        let payloads: Vec<&[u8]> = lines.iter().map(|line| line.as_bytes()).collect();
        let one_by_one: Vec<String> = payloads
            .iter()
            .map(|payload| outcome(&check_payload(payload, 256)))
            .collect();
        let checked: Vec<String> = check_all(&payloads, 256).iter().map(outcome).collect();
        assert_eq!(checked, one_by_one);
        assert_eq!(checked[4], "ok e4");
        assert!(checked[1].starts_with("malformed"), "{}", checked[1]);
        assert!(
            checked[2].starts_with("unsupported_schema_version"),
            "{}",
            checked[2]
        );
        assert!(checked[3].starts_with(REASON_OVERSIZED));
        assert_eq!(check_all(&payloads[..3], 256).len(), 3, "a small cycle too");
    }
}
