//! Messages read but not yet durable, per partition: one byte arena per
//! partition (one copy per message, no allocation per message), kept until
//! the flush that covers them is durable, so a store failure or an engine
//! reset can apply them again without reading them again.
//!
//! While a flush is written in the background, the messages it covers are
//! *sealed*: they stay (a failed write applies them again) but no longer
//! count toward the next flush's deadline and size; a full flush's success
//! releases them. A light flush's success (the aggregate rows and members only) *holds*
//! them: they stay until a full flush covers them, still out of the next
//! flush's deadline and size, and a failure makes them the next batch again.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::{Duration, Instant};

/// One buffered message: offset and where its key and payload are.
#[derive(Debug, Clone)]
struct Slot {
    offset: i64,
    key: Option<Range<usize>>,
    payload: Range<usize>,
}

/// A buffered message, borrowed from its arena.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Buffered<'a> {
    /// Kafka offset.
    pub(crate) offset: i64,
    /// Key bytes, when the message had a key.
    pub(crate) key: Option<&'a [u8]>,
    /// Payload bytes (empty for a message without payload).
    pub(crate) payload: &'a [u8],
}

/// The messages of one partition since its last durable flush.
#[derive(Debug, Default)]
pub(crate) struct PartitionBuffer {
    arena: Vec<u8>,
    slots: Vec<Slot>,
    /// Messages already handed to the engine or the dead-letter producer
    /// (reset to 0 when the engine is rebuilt: they are applied again).
    pub(crate) applied: usize,
    /// Messages whose dead letters were already queued (never reset, so a
    /// re-application sends no dead letter twice).
    pub(crate) dead_lettered: usize,
    /// Leading messages covered by the flush being written, and their bytes.
    sealed: usize,
    sealed_bytes: usize,
}

impl PartitionBuffer {
    /// Number of buffered messages.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The `index`th buffered message.
    pub(crate) fn get(&self, index: usize) -> Option<Buffered<'_>> {
        let slot = self.slots.get(index)?;
        Some(Buffered {
            offset: slot.offset,
            key: slot.key.clone().map(|range| &self.arena[range]),
            payload: &self.arena[slot.payload.clone()],
        })
    }

    /// Offset of the last buffered message.
    pub(crate) fn last_offset(&self) -> Option<i64> {
        self.slots.last().map(|slot| slot.offset)
    }

    /// Appends a message; returns the bytes it took.
    fn push(&mut self, offset: i64, key: Option<&[u8]>, payload: &[u8]) -> usize {
        let before = self.arena.len();
        let key = key.map(|key| {
            let start = self.arena.len();
            self.arena.extend_from_slice(key);
            start..self.arena.len()
        });
        let start = self.arena.len();
        self.arena.extend_from_slice(payload);
        self.slots.push(Slot {
            offset,
            key,
            payload: start..self.arena.len(),
        });
        self.arena.len() - before
    }

    /// Offset after the last sealed message, if any is sealed.
    fn sealed_next_offset(&self) -> Option<i64> {
        let last = self.sealed.checked_sub(1)?;
        self.slots.get(last).map(|slot| slot.offset + 1)
    }

    /// Drops the sealed messages (their flush is durable), keeping the rest.
    fn release_sealed(&mut self) {
        let (count, bytes) = (self.sealed, self.sealed_bytes);
        if count == 0 {
            return;
        }
        self.arena.drain(..bytes);
        self.slots.drain(..count);
        let shift = |range: &mut Range<usize>| *range = range.start - bytes..range.end - bytes;
        for slot in &mut self.slots {
            if let Some(key) = slot.key.as_mut() {
                shift(key);
            }
            shift(&mut slot.payload);
        }
        self.applied = self.applied.saturating_sub(count);
        self.dead_lettered = self.dead_lettered.saturating_sub(count);
        self.sealed = 0;
        self.sealed_bytes = 0;
    }
}

/// What is sealed over all partitions, and when its oldest message came.
#[derive(Debug, Clone, Copy)]
struct Sealed {
    messages: usize,
    bytes: usize,
    since: Option<Instant>,
}

/// Every partition's buffer and the totals that decide when to flush.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    partitions: BTreeMap<i32, PartitionBuffer>,
    /// Messages and bytes buffered, sealed ones included.
    messages: usize,
    bytes: usize,
    /// When the oldest message not sealed was buffered.
    since: Option<Instant>,
    sealed: Option<Sealed>,
    /// The leading messages covered by durable light flushes (none while a
    /// flush is being written: it seals them too).
    held: Option<Sealed>,
}

impl Buffers {
    /// Buffers a message read at `now`. Offsets at or before the last
    /// buffered one of the partition are ignored (returns false).
    pub(crate) fn push(
        &mut self,
        partition: i32,
        offset: i64,
        key: Option<&[u8]>,
        payload: &[u8],
        now: Instant,
    ) -> bool {
        let buffer = self.partitions.entry(partition).or_default();
        if buffer.last_offset().is_some_and(|last| offset <= last) {
            return false;
        }
        self.bytes += buffer.push(offset, key, payload);
        self.messages += 1;
        self.since.get_or_insert(now);
        true
    }

    /// Messages covered by the flush being written.
    pub(crate) fn sealed_messages(&self) -> usize {
        self.sealed.map_or(0, |sealed| sealed.messages)
    }

    /// Messages and bytes buffered, all of them: everything since the last
    /// full flush.
    pub(crate) fn totals(&self) -> (usize, usize) {
        (self.messages, self.bytes)
    }

    /// Whether messages covered by light flushes wait for a full one.
    pub(crate) fn holds(&self) -> bool {
        self.held.is_some()
    }

    /// Messages buffered but not yet handed to the engine, all partitions.
    pub(crate) fn unapplied(&self) -> usize {
        self.partitions
            .values()
            .map(|buffer| buffer.len().saturating_sub(buffer.applied))
            .sum()
    }

    /// When the oldest buffered message must be flushed.
    pub(crate) fn deadline(&self, interval: Duration) -> Option<Instant> {
        self.since.map(|since| since + interval)
    }

    /// True when the messages not sealed must be flushed now.
    pub(crate) fn due(
        &self,
        now: Instant,
        interval: Duration,
        max_messages: usize,
        max_bytes: usize,
    ) -> bool {
        let covered = self
            .sealed
            .or(self.held)
            .map_or((0, 0), |s| (s.messages, s.bytes));
        self.messages - covered.0 >= max_messages.max(1)
            || self.bytes - covered.1 >= max_bytes
            || self.deadline(interval).is_some_and(|at| now >= at)
    }

    /// Seals every buffered message (held ones included): a flush
    /// covering them is being written. Messages buffered from now on make
    /// up the next flush.
    pub(crate) fn seal(&mut self) {
        for buffer in self.partitions.values_mut() {
            buffer.sealed = buffer.len();
            buffer.sealed_bytes = buffer.arena.len();
        }
        let earlier = self
            .sealed
            .or(self.held.take())
            .and_then(|sealed| sealed.since);
        self.sealed = Some(Sealed {
            messages: self.messages,
            bytes: self.bytes,
            since: earlier.or(self.since),
        });
        self.since = None;
    }

    /// Holds the sealed messages: their light flush is durable, but only
    /// a full flush makes them committable.
    pub(crate) fn hold_sealed(&mut self) {
        if let Some(sealed) = self.sealed.take() {
            self.held = Some(sealed);
        }
    }

    /// Unseals: the flush being written failed or its outcome is unknown
    /// (or the engine that applied held messages is gone), so the sealed
    /// and held messages belong to the next flush again.
    pub(crate) fn unseal(&mut self) {
        let Some(sealed) = self.sealed.take().or(self.held.take()) else {
            return;
        };
        for buffer in self.partitions.values_mut() {
            buffer.sealed = 0;
            buffer.sealed_bytes = 0;
        }
        self.since = sealed.since.or(self.since);
    }

    /// The next offset to read of each partition after its sealed messages.
    pub(crate) fn sealed_next_offsets(&self) -> BTreeMap<i32, i64> {
        self.partitions
            .iter()
            .filter_map(|(partition, buffer)| Some((*partition, buffer.sealed_next_offset()?)))
            .collect()
    }

    /// Drops the sealed messages: their full flush is durable.
    pub(crate) fn release_sealed(&mut self) {
        let Some(sealed) = self.sealed.take() else {
            return;
        };
        for buffer in self.partitions.values_mut() {
            buffer.release_sealed();
        }
        self.messages -= sealed.messages;
        self.bytes -= sealed.bytes;
    }

    /// The partitions' buffers, in partition order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i32, &PartitionBuffer)> {
        self.partitions
            .iter()
            .map(|(partition, buffer)| (*partition, buffer))
    }

    /// The partitions' buffers, in partition order, to update.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (i32, &mut PartitionBuffer)> {
        self.partitions
            .iter_mut()
            .map(|(partition, buffer)| (*partition, buffer))
    }

    /// Marks every message as not yet applied (after an engine rebuild).
    pub(crate) fn rewind(&mut self) {
        for buffer in self.partitions.values_mut() {
            buffer.applied = 0;
        }
    }

    /// Drops the buffers of partitions this ingestor no longer owns
    /// (after their flush finished: nothing of theirs is sealed any more).
    pub(crate) fn remove(&mut self, partitions: &[i32]) {
        for partition in partitions {
            if let Some(buffer) = self.partitions.remove(partition) {
                self.messages -= buffer.len();
                self.bytes -= buffer.arena.len();
                for covered in [self.sealed.as_mut(), self.held.as_mut()]
                    .into_iter()
                    .flatten()
                {
                    covered.messages -= buffer.sealed;
                    covered.bytes -= buffer.sealed_bytes;
                }
            }
        }
        if self.messages == 0 {
            self.since = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_keep_bytes_per_partition_and_decide_flushes() {
        let now = Instant::now();
        let mut buffers = Buffers::default();
        assert!(buffers.push(1, 10, Some(b"k"), b"one", now));
        assert!(buffers.push(1, 11, None, b"two", now));
        assert!(!buffers.push(1, 11, None, b"again", now));
        assert!(buffers.push(0, 5, Some(b"kk"), b"", now));
        assert_eq!(buffers.messages, 3);
        assert_eq!(buffers.unapplied(), 3);
        if let Some(buffer) = buffers.partitions.get_mut(&1) {
            buffer.applied = 2;
        }
        assert_eq!(buffers.unapplied(), 1);
        buffers.rewind();
        assert_eq!(buffers.unapplied(), 3);
        assert_eq!(buffers.bytes, 1 + 3 + 3 + 2);
        let second = buffers
            .partitions
            .get(&1)
            .and_then(|b| b.get(1))
            .expect("buffered");
        assert_eq!(
            (second.offset, second.key, second.payload),
            (11, None, &b"two"[..])
        );
        let interval = Duration::from_millis(500);
        assert!(!buffers.due(now, interval, 10, 1 << 20));
        assert!(buffers.due(now + interval, interval, 10, 1 << 20));
        assert!(buffers.due(now, interval, 3, 1 << 20));
        assert!(buffers.due(now, interval, 10, 9));
        buffers.remove(&[1]);
        assert_eq!((buffers.messages, buffers.bytes), (1, 2));
    }

    #[test]
    fn sealed_messages_stay_until_released_and_leave_the_next_batch() {
        let start = Instant::now();
        let later = start + Duration::from_millis(300);
        let interval = Duration::from_millis(500);
        let mut buffers = Buffers::default();
        buffers.push(0, 1, Some(b"p"), b"first", start);
        buffers.push(0, 2, Some(b"p"), b"second", start);
        buffers.push(3, 7, None, b"other", start);
        for buffer in buffers.partitions.values_mut() {
            buffer.applied = buffer.len();
            buffer.dead_lettered = buffer.len();
        }
        buffers.seal();
        assert_eq!(buffers.sealed_messages(), 3);
        assert_eq!(
            buffers.sealed_next_offsets(),
            BTreeMap::from([(0, 3), (3, 8)])
        );
        // The sealed messages no longer count toward the next flush.
        assert_eq!(buffers.deadline(interval), None);
        assert!(!buffers.due(later + interval, interval, 2, 1 << 20));
        buffers.push(0, 3, Some(b"q"), b"third", later);
        assert_eq!(buffers.deadline(interval), Some(later + interval));
        assert!(!buffers.due(later, interval, 2, 1 << 20));
        assert_eq!(buffers.unapplied(), 1);

        // A failed write: everything is the next batch again, from the oldest.
        buffers.unseal();
        assert_eq!(buffers.sealed_messages(), 0);
        assert_eq!(buffers.deadline(interval), Some(start + interval));
        assert!(buffers.due(later, interval, 2, 1 << 20));

        // A durable write: the sealed ones go, the newer one stays intact.
        buffers.seal();
        buffers.push(0, 4, None, b"fourth", later);
        buffers.release_sealed();
        assert_eq!(buffers.messages, 1);
        assert_eq!(buffers.bytes, 6);
        let partition = buffers.partitions.get(&0).expect("partition 0");
        assert_eq!(
            (partition.len(), partition.applied, partition.dead_lettered),
            (1, 0, 0)
        );
        let kept = partition.get(0).expect("kept");
        assert_eq!(
            (kept.offset, kept.key, kept.payload),
            (4, None, &b"fourth"[..])
        );
        assert_eq!(buffers.deadline(interval), Some(later + interval));
        assert!(buffers.sealed_next_offsets().is_empty());
    }

    #[test]
    fn held_messages_stay_until_a_full_flush_and_leave_the_next_batch() {
        let start = Instant::now();
        let later = start + Duration::from_millis(300);
        let interval = Duration::from_millis(500);
        let mut buffers = Buffers::default();
        buffers.push(0, 1, None, b"first", start);
        buffers.push(1, 5, None, b"second", start);
        buffers.seal();
        // The light flush is durable: its messages are held, not released.
        buffers.hold_sealed();
        assert!(buffers.holds());
        assert_eq!(buffers.sealed_messages(), 0);
        assert_eq!(buffers.totals(), (2, 11));
        assert_eq!(buffers.deadline(interval), None);
        assert!(!buffers.due(later + interval, interval, 2, 1 << 20));
        buffers.push(0, 2, None, b"third", later);
        assert!(!buffers.due(later, interval, 2, 1 << 20));
        assert!(buffers.due(later + interval, interval, 2, 1 << 20));

        // The next flush covers the held messages too; a full one's
        // success releases all of them and gives their offsets.
        buffers.seal();
        assert!(!buffers.holds());
        assert_eq!(buffers.sealed_messages(), 3);
        assert_eq!(
            buffers.sealed_next_offsets(),
            BTreeMap::from([(0, 3), (1, 6)])
        );
        buffers.release_sealed();
        assert_eq!(buffers.totals(), (0, 0));

        // A failure after a light flush: the held messages are the next
        // batch again, due from the oldest of them.
        buffers.push(0, 3, None, b"fourth", start);
        buffers.seal();
        buffers.hold_sealed();
        buffers.push(0, 4, None, b"fifth", later);
        buffers.unseal();
        assert!(!buffers.holds());
        assert_eq!(buffers.deadline(interval), Some(start + interval));
        assert!(buffers.due(later, interval, 2, 1 << 20));

        // A revoked partition's held messages leave the totals.
        buffers.seal();
        buffers.hold_sealed();
        buffers.remove(&[0]);
        assert_eq!(buffers.totals(), (0, 0));
        assert_eq!(buffers.held.map(|held| held.messages), Some(0));
    }
}
