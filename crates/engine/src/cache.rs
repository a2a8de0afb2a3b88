//! The engine's cache entries: a versioned value, whether it must be
//! written, and which event last stamped it.

use crate::map::HashMap;
use hashbrown::hash_map::EntryRef;
use hashbrown::Equivalent;
use std::hash::Hash;

use crate::store::Versioned;

/// One cached row: its versioned value, whether it must be written, which
/// event last stamped it in this process (so one event can add several
/// contributions to the same row), and the version it had when read (what
/// the store holds of it, for the fences of aggregate rows).
#[derive(Debug, Clone)]
pub(crate) struct Cached<T> {
    pub(crate) value: Versioned<T>,
    pub(crate) dirty: bool,
    pub(crate) stamped_by: u64,
    pub(crate) loaded: u64,
    /// For an aggregate row: the partition of the events that changed it
    /// (a project's events come from one partition), whose position at a
    /// flush becomes the version written.
    pub(crate) partition: u32,
}

/// The events `first..=last` of one partition whose net change to a task's
/// contributions is added at once (one event: `first == last`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) partition: u32,
    pub(crate) first: u64,
    pub(crate) last: u64,
}

/// What an aggregate row's stored version says of a [`Span`]'s change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// The store holds none of the span's events: add the change.
    Add,
    /// The store holds every one of them: the change is in the row already.
    Skip,
    /// The store holds some of them (a replay after a crash in the middle
    /// of a flush that covered part of the span): only the span's events
    /// after the stored version may be added, one event at a time.
    Split,
}

impl Span {
    /// One event.
    pub(crate) fn one(partition: u32, sequence: u64) -> Self {
        Span {
            partition,
            first: sequence,
            last: sequence,
        }
    }

    /// Compares the span with a row's stored version: a row stored at
    /// version `v` holds the effect of every event up to `v` of its
    /// partition and of none after it, `v` being the position its flush
    /// ended at (DESIGN.md §4).
    pub(crate) fn admission(self, stored: u64) -> Admission {
        if stored < self.first {
            Admission::Add
        } else if stored >= self.last {
            Admission::Skip
        } else {
            Admission::Split
        }
    }
}

impl<T> Cached<T> {
    pub(crate) fn clean(value: Versioned<T>) -> Self {
        let loaded = value.version;
        Cached {
            value,
            dirty: false,
            stamped_by: 0,
            loaded,
            partition: 0,
        }
    }

    /// How a change of `span` meets the row's stored version: the fence of
    /// an aggregate row. Every change the engine added to the row since it
    /// was read came from events after the stored version (a partition's
    /// events are applied in order), so the stored version alone decides.
    pub(crate) fn admission(&self, span: Span) -> Admission {
        span.admission(self.loaded)
    }

    /// Marks an aggregate row changed by the events of `span`: it is
    /// written with the next flush, at the position that flush ends at in
    /// the span's partition (see `Engine::collect`).
    pub(crate) fn raise(&mut self, span: Span) {
        self.value.version = self.value.version.max(span.last);
        self.partition = span.partition;
        self.dirty = true;
    }

    /// May event `sequence` change this row?
    pub(crate) fn behind(&self, sequence: u64) -> bool {
        self.value.version < sequence || self.stamped_by == sequence
    }

    pub(crate) fn stamp(&mut self, sequence: u64) {
        self.value.version = sequence;
        self.stamped_by = sequence;
        self.dirty = true;
    }
}

/// The cached entry of `key` (borrowed: a hit allocates nothing), loaded
/// from the store on a miss (`owned` makes the key to insert) or new
/// (version 0, `default()`) when the store has none.
pub(crate) fn cached<'m, K, Q, T, E>(
    map: &'m mut HashMap<K, Cached<T>>,
    key: &Q,
    owned: impl FnOnce() -> K,
    load: impl FnOnce(&K) -> std::result::Result<Option<Versioned<T>>, E>,
    default: impl FnOnce() -> T,
) -> std::result::Result<&'m mut Cached<T>, E>
where
    K: Hash + Eq,
    Q: Hash + Equivalent<K> + ?Sized,
{
    match map.entry_ref(key) {
        EntryRef::Occupied(entry) => Ok(entry.into_mut()),
        EntryRef::Vacant(entry) => {
            let key = owned();
            let value = load(&key)?.unwrap_or_else(|| Versioned {
                version: 0,
                value: default(),
            });
            Ok(entry.insert_with_key(key, Cached::clean(value)))
        }
    }
}
