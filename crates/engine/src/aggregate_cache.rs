//! The engine's cached aggregate rows, with the list of those changed
//! since the last flush: a flush visits the changed rows only, however many
//! rows the cache holds (a cache of millions of rows, a flush of a few
//! thousand while live).
//!
//! Invariant: `changed` lists the key of every dirty row exactly once, in
//! the order the rows first changed since the last flush, and no other
//! key. Rows become dirty only through [`Changed::raise`] or
//! [`AggregateCache::insert`], and clean only through
//! [`AggregateCache::mark_clean`], which empties the list.

use labelpulse_core::aggregate::AggRow;

use crate::cache::{Cached, Span};
use crate::intern::Interner;
use crate::map::HashMap;
use crate::row_key::RowKey;

/// Cached aggregate rows by interned key ([`RowKey`]): a lookup hashes and
/// compares integers, and a hit allocates nothing.
pub(crate) type AggregateRows = HashMap<RowKey, Cached<AggRow>>;

/// Cached aggregate rows and the keys of those changed since the last flush.
#[derive(Debug, Default)]
pub(crate) struct AggregateCache {
    rows: AggregateRows,
    changed: Vec<RowKey>,
}

/// Where the changes of rows borrowed from [`AggregateCache::split`] are
/// recorded.
pub(crate) struct Changed<'c>(&'c mut Vec<RowKey>);

impl Changed<'_> {
    /// Marks the row of `key` changed by the events of `span` (see
    /// [`Cached::raise`]), listing its key on its first change since the
    /// last flush.
    pub(crate) fn raise(&mut self, key: RowKey, row: &mut Cached<AggRow>, span: Span) {
        if !row.dirty {
            self.0.push(key);
        }
        row.raise(span);
    }
}

impl AggregateCache {
    /// The rows, to read.
    pub(crate) fn rows(&self) -> &AggregateRows {
        &self.rows
    }

    /// The rows, to look up and change, and where their changes are
    /// recorded ([`Changed::raise`]).
    pub(crate) fn split(&mut self) -> (&mut AggregateRows, Changed<'_>) {
        (&mut self.rows, Changed(&mut self.changed))
    }

    /// Rows cached.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Rows changed since the last flush.
    pub(crate) fn changed_len(&self) -> usize {
        self.changed.len()
    }

    /// Caches `row` under `key` (a row read from the store, with the
    /// changes that waited for it); a dirty row is listed unless the row it
    /// replaces was.
    pub(crate) fn insert(&mut self, key: RowKey, row: Cached<AggRow>) {
        let dirty = row.dirty;
        let replaced = self.rows.insert(key, row);
        let listed = replaced.is_some_and(|old| old.dirty);
        if dirty && !listed {
            self.changed.push(key);
        } else if !dirty && listed {
            self.changed.retain(|listed| *listed != key);
        }
    }

    /// Calls `f` on every row changed since the last flush, in the order
    /// they first changed.
    pub(crate) fn for_each_changed(&mut self, mut f: impl FnMut(RowKey, &mut Cached<AggRow>)) {
        debug_assert_eq!(
            self.rows.values().filter(|row| row.dirty).count(),
            self.changed.len(),
            "every dirty row is listed once"
        );
        for key in &self.changed {
            if let Some(row) = self.rows.get_mut(key) {
                f(*key, row);
            }
        }
    }

    /// Marks every row clean (what a flush took is written) and empties
    /// the list.
    pub(crate) fn mark_clean(&mut self) {
        for key in self.changed.drain(..) {
            if let Some(row) = self.rows.get_mut(&key) {
                row.dirty = false;
            }
        }
    }

    /// Drops the clean rows (an eviction; the dirty ones and the list stay).
    pub(crate) fn keep_dirty(&mut self) {
        self.rows.retain(|_, row| row.dirty);
    }

    /// Drops every row (a flushed cache: no row is dirty).
    pub(crate) fn clear(&mut self) {
        debug_assert!(self.changed.is_empty(), "cleared after a flush");
        self.rows.clear();
        self.changed.clear();
    }

    /// Moves every key from interner `from` to `to`.
    pub(crate) fn move_keys(&mut self, from: &Interner, to: &mut Interner) {
        let mut moved = HashMap::default();
        moved.reserve(self.rows.len());
        let mut changed = Vec::with_capacity(self.changed.len());
        for key in &self.changed {
            changed.push(key.moved(from, to));
        }
        for (key, row) in self.rows.drain() {
            moved.insert(key.moved(from, to), row);
        }
        self.rows = moved;
        self.changed = changed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Versioned;

    fn key(hour: i64) -> RowKey {
        let mut interner = Interner::default();
        RowKey::ProjectHour {
            project: interner.intern_project("p"),
            hour,
        }
    }

    fn clean_row() -> Cached<AggRow> {
        Cached::clean(Versioned {
            version: 0,
            value: key(0).empty_row(),
        })
    }

    fn changed(cache: &mut AggregateCache) -> Vec<RowKey> {
        let mut keys = Vec::new();
        cache.for_each_changed(|key, _| keys.push(key));
        keys
    }

    #[test]
    fn a_row_is_listed_on_its_first_change_only_until_the_flush() {
        let mut cache = AggregateCache::default();
        for hour in [1, 2] {
            cache.insert(key(hour), clean_row());
        }
        let span = Span::one(0, 5);
        for hour in [2, 1, 2] {
            let (rows, mut record) = cache.split();
            let row = rows.get_mut(&key(hour)).expect("cached");
            record.raise(key(hour), row, span);
        }
        assert_eq!(changed(&mut cache), vec![key(2), key(1)]);
        cache.mark_clean();
        assert!(changed(&mut cache).is_empty());
        assert!(cache.rows().values().all(|row| !row.dirty));
        let (rows, mut record) = cache.split();
        let row = rows.get_mut(&key(1)).expect("cached");
        record.raise(key(1), row, Span::one(0, 6));
        assert_eq!(changed(&mut cache), vec![key(1)]);
    }

    #[test]
    fn an_inserted_dirty_row_is_listed_once_and_eviction_keeps_it() {
        let mut cache = AggregateCache::default();
        let mut row = clean_row();
        row.raise(Span::one(0, 3));
        cache.insert(key(7), row.clone());
        cache.insert(key(7), row);
        cache.insert(key(8), clean_row());
        assert_eq!(changed(&mut cache), vec![key(7)]);
        cache.keep_dirty();
        assert_eq!(cache.len(), 1);
        assert_eq!(changed(&mut cache), vec![key(7)]);
        cache.insert(key(7), clean_row());
        assert!(changed(&mut cache).is_empty());
    }
}
