//! Messages read but not yet durable, per partition: one byte arena per
//! partition (one copy per message, no allocation per message), kept until
//! the flush that covers them is durable, so a store failure or an engine
//! reset can apply them again without reading them again.

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

    fn clear(&mut self) {
        self.arena.clear();
        self.slots.clear();
        self.applied = 0;
        self.dead_lettered = 0;
    }
}

/// Every partition's buffer and the totals that decide when to flush.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    partitions: BTreeMap<i32, PartitionBuffer>,
    messages: usize,
    bytes: usize,
    since: Option<Instant>,
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

    /// Messages buffered, all partitions.
    pub(crate) fn messages(&self) -> usize {
        self.messages
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

    /// True when the buffers must be flushed now.
    pub(crate) fn due(
        &self,
        now: Instant,
        interval: Duration,
        max_messages: usize,
        max_bytes: usize,
    ) -> bool {
        self.messages >= max_messages.max(1)
            || self.bytes >= max_bytes
            || self.deadline(interval).is_some_and(|at| now >= at)
    }

    /// The partitions' buffers, in partition order.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (i32, &mut PartitionBuffer)> {
        self.partitions
            .iter_mut()
            .map(|(partition, buffer)| (*partition, buffer))
    }

    /// The next offset to read of each partition with buffered messages.
    pub(crate) fn next_offsets(&self) -> BTreeMap<i32, i64> {
        self.partitions
            .iter()
            .filter_map(|(partition, buffer)| Some((*partition, buffer.last_offset()? + 1)))
            .collect()
    }

    /// Marks every message as not yet applied (after an engine rebuild).
    pub(crate) fn rewind(&mut self) {
        for buffer in self.partitions.values_mut() {
            buffer.applied = 0;
        }
    }

    /// Empties every buffer (their flush is durable); keeps the arenas' memory.
    pub(crate) fn clear(&mut self) {
        for buffer in self.partitions.values_mut() {
            buffer.clear();
        }
        self.messages = 0;
        self.bytes = 0;
        self.since = None;
    }

    /// Drops the buffers of partitions this ingestor no longer owns.
    pub(crate) fn remove(&mut self, partitions: &[i32]) {
        for partition in partitions {
            if let Some(buffer) = self.partitions.remove(partition) {
                self.messages -= buffer.len();
                self.bytes -= buffer.arena.len();
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
        assert_eq!(buffers.messages(), 3);
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
        assert_eq!(buffers.next_offsets(), BTreeMap::from([(0, 6), (1, 12)]));
        let interval = Duration::from_millis(500);
        assert!(!buffers.due(now, interval, 10, 1 << 20));
        assert!(buffers.due(now + interval, interval, 10, 1 << 20));
        assert!(buffers.due(now, interval, 3, 1 << 20));
        assert!(buffers.due(now, interval, 10, 9));
        buffers.remove(&[1]);
        assert_eq!((buffers.messages(), buffers.bytes), (1, 2));
        buffers.clear();
        assert_eq!(buffers.deadline(interval), None);
    }
}
