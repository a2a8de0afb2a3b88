//! The engine's cache entries: a versioned value, whether it must be
//! written, and which event last stamped it.

use crate::map::HashMap;
use hashbrown::hash_map::EntryRef;
use hashbrown::Equivalent;
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
