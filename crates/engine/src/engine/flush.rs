//! Flushing and the cache's lifetime: collecting the dirty rows as a
//! [`Flush`] versioned at the flush's end, writing it (in the background
//! when the store can), and dropping clean entries once it is durable.

use labelpulse_core::aggregate::{AggKey, AggRow};

use super::{Engine, EngineError, Result};
use crate::cache::Cached;
use crate::intern::Interner;
use crate::known_keys::task_hash;
use crate::map::HashMap;
use crate::store::{Flush, FlushScope, Store, Versioned};

/// Whether finishing a started flush may drop clean cache entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Eviction {
    /// Over capacity, drop them (the flushes the caller asks for).
    IfFull,
    /// Keep them until the next flush the caller asks for (a barrier
    /// inside an apply call).
    Defer,
}

impl<S: Store> Engine<S> {
    /// Writes everything applied since the last flush: aggregates, then
    /// entities, then positions. On error nothing is forgotten; the caller
    /// may retry (rows are absolute) or drop the engine and replay.
    /// A flush started with [`Engine::start_flush`] is finished first.
    /// Afterwards a cache over capacity drops its clean entries.
    pub fn flush(&mut self) -> Result<usize, S> {
        let rows = self.write_keeping_cache()?;
        self.evict_if_full();
        Ok(rows)
    }

    /// [`Engine::flush`] without dropping anything from the cache: the
    /// barrier inside an apply call (`upsert_project`). Eviction happens
    /// only at the flushes the caller asks for, so what the cache holds
    /// while a call applies (and with it which barriers write, and at which
    /// versions rows are written) does not depend on how the caller grouped
    /// partitions into calls: entries prefetched for a later partition of
    /// the call stay.
    pub(super) fn write_keeping_cache(&mut self) -> Result<usize, S> {
        let Some(flush) = self.next_flush(Eviction::Defer, FlushScope::Full)? else {
            return Ok(0);
        };
        if let Err(error) = self.store.write(&flush) {
            // Nothing is forgotten: the next flush writes the archive again.
            self.archive = flush.archive;
            return Err(EngineError::Store(error));
        }
        self.mark_clean(FlushScope::Full);
        self.counters.flushes += 1;
        Ok(flush.rows())
    }

    /// Starts writing everything applied since the last flush, in the
    /// order of [`Engine::flush`], and returns without waiting when the
    /// store writes in the background ([`Store::start_write`]): the engine
    /// goes on applying events meanwhile, and the flush's rows stay cached
    /// until [`Engine::finish_flush`], so no read reaches a row being
    /// written. A started flush is finished first. Returns the rows started.
    ///
    /// After an error from this or from `finish_flush` the engine no longer
    /// knows which rows are durable: drop it and replay from the store's
    /// positions (versions fence what the store already holds).
    pub fn start_flush(&mut self) -> Result<usize, S> {
        self.start_flush_of(FlushScope::Full)
    }

    /// [`Engine::start_flush`] of `scope`: a light flush
    /// ([`FlushScope::Aggregates`]) writes the aggregate rows and members
    /// changed since the last flush, what the dashboards read, and leaves
    /// the rest (tasks, sessions, projects, index, archive, positions) to
    /// the next full one. Over a
    /// store without marks ([`Engine::flushes_light`] is false) every
    /// flush is full.
    pub fn start_flush_of(&mut self, scope: FlushScope) -> Result<usize, S> {
        let scope = if self.flushes_light() {
            scope
        } else {
            FlushScope::Full
        };
        let Some(flush) = self.next_flush(Eviction::IfFull, scope)? else {
            return Ok(0);
        };
        let rows = flush.rows();
        self.store.start_write(flush).map_err(EngineError::Store)?;
        self.mark_clean(scope);
        match scope {
            FlushScope::Full => self.counters.flushes += 1,
            FlushScope::Aggregates => self.counters.light_flushes += 1,
        }
        self.in_flight = true;
        Ok(rows)
    }

    /// Whether light flushes ([`FlushScope::Aggregates`]) are possible:
    /// the store keeps flush marks, so a replay can cut its batches where
    /// they ended.
    pub fn flushes_light(&self) -> bool {
        self.keeps_marks
    }

    /// Whether events applied since the last full flush wait for one (a
    /// light flush leaves them waiting).
    pub fn awaits_full_flush(&self) -> bool {
        self.pending || !self.touched.is_empty() || !self.new_index.is_empty()
    }

    /// Whether a started flush is still being written.
    pub fn flush_running(&mut self) -> bool {
        self.in_flight && !self.store.write_finished()
    }

    /// Whether a flush was started and not finished yet.
    pub fn flush_in_flight(&self) -> bool {
        self.in_flight
    }

    /// Waits for the started flush (none: returns at once). Once it is
    /// durable, a cache over capacity drops its clean entries (the events
    /// applied since the start stay cached until their own flush).
    pub fn finish_flush(&mut self) -> Result<(), S> {
        self.finish_started(Eviction::IfFull)
    }

    fn finish_started(&mut self, eviction: Eviction) -> Result<(), S> {
        if !self.in_flight {
            return Ok(());
        }
        self.in_flight = false;
        self.store.finish_write().map_err(EngineError::Store)?;
        if eviction == Eviction::IfFull {
            self.evict_if_full();
        }
        Ok(())
    }

    /// What the next flush of `scope` writes, once a started one is
    /// finished: `None` when nothing was applied since the last flush (a
    /// full one: since the last full flush); otherwise the batch's waiting
    /// changes are added and a full flush takes the archive.
    fn next_flush(&mut self, eviction: Eviction, scope: FlushScope) -> Result<Option<Flush>, S> {
        self.finish_started(eviction)?;
        let nothing = match scope {
            FlushScope::Full => !self.awaits_full_flush(),
            FlushScope::Aggregates => !self.pending,
        };
        if nothing {
            return Ok(None);
        }
        self.settle()?;
        let mut flush = self.collect(scope);
        if scope == FlushScope::Full {
            flush.archive = std::mem::take(&mut self.archive);
        }
        Ok(Some(flush))
    }

    /// The dirty rows (of a light flush: the aggregate rows and members) and the
    /// positions of the partitions applied to since the last full flush, as
    /// a [`Flush`] of `scope` in the caches' order (the stores sort what
    /// they write, off this thread when they write in the background); the
    /// archive is the caller's.
    pub(super) fn collect(&mut self, scope: FlushScope) -> Flush {
        fn dirty<K: Clone, T: Clone>(map: &HashMap<K, Cached<T>>) -> Vec<(K, Versioned<T>)> {
            map.iter()
                .filter(|(_, cached)| cached.dirty)
                .map(|(key, cached)| (key.clone(), cached.value.clone()))
                .collect()
        }
        // A row is written at the position its partition's events reached:
        // it holds every event up to there and none after, whether it
        // took them one at a time or as batches' net changes. A row the
        // store does not hold that is empty again is not written: absent
        // means empty, and whether it was touched at all depends on where
        // batches ended (a change undone within one batch touches nothing).
        // Once written, a row counts as held by the store (`loaded`: any
        // later event is past the version written, so the fence is the same).
        let positions = &self.positions;
        let interner = &self.interner;
        let absent = &mut self.absent;
        let mut aggregates: Vec<(AggKey, Versioned<AggRow>)> =
            Vec::with_capacity(self.aggregates.changed_len());
        self.aggregates.for_each_changed(|key, cached| {
            if cached.loaded == 0 && cached.value.value.is_empty() {
                return;
            }
            let version = positions
                .get(&cached.partition)
                .copied()
                .unwrap_or(cached.value.version);
            cached.loaded = version;
            // The horizon invariant: every hour row a flush writes is
            // at or before its project's horizon.
            if let Some(hour) = key.hour() {
                absent.horizons.raise(interner.name(key.project()), hour);
            }
            // The known-cell invariant: every cell a flush writes is known.
            if let Some(hash) = key.cell_hash(interner) {
                absent.cells.add(interner.name(key.project()), hash);
            }
            let row = Versioned {
                version,
                value: cached.value.value.clone(),
            };
            aggregates.push((key.to_key(interner), row));
        });
        let mut flush = Flush {
            scope,
            aggregates,
            members: dirty(&self.members),
            positions: self
                .positions
                .iter()
                .filter(|(partition, _)| self.touched.contains(partition))
                .map(|(partition, sequence)| (*partition, *sequence))
                .collect(),
            ..Flush::default()
        };
        if scope == FlushScope::Full {
            flush.index = self.new_index.clone();
            flush.tasks = dirty(&self.tasks);
            flush.sessions = dirty(&self.sessions);
            flush.projects = dirty(&self.projects);
            // The known-task invariant: every task a flush writes is known.
            for ((project, task), _) in &flush.tasks {
                self.known_tasks.add(project, task_hash(task));
            }
        }
        flush
    }

    /// Entries held in the cache.
    pub fn cached_entries(&self) -> usize {
        self.tasks.len()
            + self.sessions.len()
            + self.members.len()
            + self.aggregates.len()
            + self.index.len()
    }

    /// Flushes, then drops every cached entry (e.g. when a consumer loses
    /// partitions in a rebalance: their keys may change owner). Later
    /// events reload what they need from the store.
    pub fn flush_and_clear(&mut self) -> Result<usize, S> {
        let rows = self.flush()?;
        self.tasks.clear();
        self.sessions.clear();
        self.members.clear();
        self.aggregates.clear();
        self.compact_keys();
        self.index.clear();
        self.projects.clear();
        self.known_tasks.clear();
        self.absent.clear();
        self.pair_memo.clear();
        Ok(rows)
    }

    /// Once a flush is durable, over capacity, drop every clean entry
    /// (projects excepted: few, and read by every event). Entries changed
    /// since a started flush are dirty and stay, and so do the index entries
    /// not written yet. Rule 3 of DESIGN.md §4: an evicted key is reloaded
    /// from the store before use.
    pub(super) fn evict_if_full(&mut self) {
        fn keep_dirty<K, T>(map: &mut HashMap<K, Cached<T>>) {
            map.retain(|_, cached| cached.dirty);
        }
        if self.known_tasks.len() > self.settings.cache_capacity {
            self.known_tasks.clear();
        }
        if self.absent.cells.len() > self.settings.cache_capacity {
            self.absent.cells.clear();
        }
        if self.cached_entries() <= self.settings.cache_capacity {
            return;
        }
        keep_dirty(&mut self.tasks);
        keep_dirty(&mut self.sessions);
        keep_dirty(&mut self.members);
        self.aggregates.keep_dirty();
        self.compact_keys();
        self.index.clear();
        self.index.extend(self.new_index.iter().cloned());
        self.pair_memo.clear();
        self.counters.evictions += 1;
    }

    /// Keeps only the key strings the cached and queued rows still use
    /// (after rows were dropped), so the interner does not grow forever.
    pub(super) fn compact_keys(&mut self) {
        let old = std::mem::take(&mut self.interner);
        let mut new = Interner::default();
        self.aggregates.move_keys(&old, &mut new);
        self.deferred.move_keys(&old, &mut new);
        self.interner = new;
    }

    /// Marks what a flush of `scope` took as written.
    pub(super) fn mark_clean(&mut self, scope: FlushScope) {
        fn clean<K, T>(map: &mut HashMap<K, Cached<T>>) {
            for cached in map.values_mut() {
                cached.dirty = false;
            }
        }
        self.aggregates.mark_clean();
        clean(&mut self.members);
        self.pending = false;
        if scope == FlushScope::Aggregates {
            return;
        }
        clean(&mut self.projects);
        clean(&mut self.sessions);
        clean(&mut self.tasks);
        self.new_index.clear();
        self.archive.clear();
        self.touched.clear();
    }
}
