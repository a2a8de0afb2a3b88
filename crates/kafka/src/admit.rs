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

impl Admission<'_> {
    /// The messages of `buffer` not applied yet whose sequence is past
    /// `position` (older ones are replays the store already holds), with
    /// the refused ones sent as dead letters unless they were already.
    pub(crate) fn admit<'b>(
        &mut self,
        partition: i32,
        buffer: &'b PartitionBuffer,
        position: u64,
    ) -> Vec<Admitted<'b>> {
        let mut admitted = Vec::with_capacity(buffer.len().saturating_sub(buffer.applied));
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
            let first_time = index >= buffer.dead_lettered;
            match self.check(partition, &message) {
                Ok(event) => admitted.push((sequence, message.payload, event)),
                Err((reason, detail)) if first_time => {
                    self.refuse(partition, &message, reason, &detail)
                }
                Err(_) => {}
            }
        }
        admitted
    }

    /// The message's event, or why it is refused (reason, detail).
    fn check<'b>(
        &mut self,
        partition: i32,
        message: &Buffered<'b>,
    ) -> Result<Event<'b>, (&'static str, String)> {
        if message.payload.len() > self.max_message_bytes {
            return Err((
                REASON_OVERSIZED,
                format!(
                    "message of {} bytes exceeds max_message_bytes {}",
                    message.payload.len(),
                    self.max_message_bytes
                ),
            ));
        }
        let event = labelpulse_core::decode(message.payload)
            .map_err(|error| (error.kind(), error.to_string()))?;
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
