//! The engine's cache entries: a versioned value, whether it must be
//! written, and which event last stamped it.

use crate::map::HashMap;
use hashbrown::hash_map::Entry as MapEntry;
use std::hash::Hash;

use crate::store::Versioned;

/// One cached row: its versioned value, whether it must be written, and
/// which event last stamped it in this process (so one event can add
/// several contributions to the same row).
#[derive(Debug, Clone)]
pub(crate) struct Cached<T> {
    pub(crate) value: Versioned<T>,
    pub(crate) dirty: bool,
    pub(crate) stamped_by: u64,
}

impl<T> Cached<T> {
    pub(crate) fn clean(value: Versioned<T>) -> Self {
        Cached {
            value,
            dirty: false,
            stamped_by: 0,
        }
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

/// Loads a key into a cache map from the store on a miss.
pub(crate) fn cached<'m, K, T, E>(
    map: &'m mut HashMap<K, Cached<T>>,
    key: &K,
    load: impl FnOnce() -> std::result::Result<Option<Versioned<T>>, E>,
    default: impl FnOnce() -> T,
) -> std::result::Result<&'m mut Cached<T>, E>
where
    K: Hash + Eq + Clone,
{
    match map.entry(key.clone()) {
        MapEntry::Occupied(entry) => Ok(entry.into_mut()),
        MapEntry::Vacant(entry) => {
            let value = load()?.unwrap_or_else(|| Versioned {
                version: 0,
                value: default(),
            });
            Ok(entry.insert(Cached::clean(value)))
        }
    }
}
