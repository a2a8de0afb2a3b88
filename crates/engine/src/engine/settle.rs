//! Net changes: the events of one task in one batch add a single change
//! at the end of the batch, fenced by their span; replays cut their
//! batches at the marks of flushes that failed half-way, so no span holds
//! a stored row's version (ARCHITECTURE.md, "Why it is exactly once").

use std::collections::BTreeMap;

use super::{add_task_change, project_entry, ChangeParts, Engine, EngineError, Result};
use crate::map::StrPair;
use crate::store::Store;
use crate::window::ChangedTask;

impl<S: Store> Engine<S> {
    /// Whether a task's events of one batch add their net change at once
    /// (at [`Engine::settle`]) instead of one event at a time: only over a
    /// store that writes each flush atomically or keeps flush marks. Over
    /// one that does neither, a
    /// crash in the middle of a flush leaves some rows of it durable, and
    /// a replay in batches cut elsewhere would make a task's batch span
    /// both events those rows hold and events they do not; the net change
    /// cannot be split between them (it may even be zero on a row that
    /// needs the change of the later events), so such stores get one
    /// event at a time, whose change a row's version always fences.
    pub(super) fn coalesces(&self) -> bool {
        self.keeps_marks || self.store.writes_atomically()
    }

    /// Before event `sequence` of `partition`: when it is past a mark of
    /// the partition (the end of a flush that failed half-way, whose rows
    /// may hold every event up to the mark), adds the task changes waiting
    /// so far, so that no task's span holds events on both sides of it.
    pub(super) fn cut_before(&mut self, partition: u32, sequence: u64) -> Result<(), S> {
        if self.cuts.is_empty() {
            return Ok(());
        }
        let Some(ends) = self.cuts.get_mut(&partition) else {
            return Ok(());
        };
        if ends.first().is_none_or(|&end| end >= sequence) {
            return Ok(());
        }
        ends.retain(|&end| end >= sequence);
        if ends.is_empty() {
            self.cuts.remove(&partition);
        }
        self.add_changed()
    }

    /// Reads again, for newly assigned `partitions`, their durable
    /// positions and the marks above them: another owner may have moved
    /// them on, or failed half-way through a flush.
    pub fn reload_partitions(&mut self, partitions: &[u32]) -> Result<(), S> {
        let stored = self.store.positions().map_err(EngineError::Store)?;
        let mut durable = BTreeMap::new();
        for &partition in partitions {
            self.cuts.remove(&partition);
            match stored.get(&partition) {
                Some(&position) => {
                    self.positions.insert(partition, position);
                    durable.insert(partition, position);
                }
                None => {
                    self.positions.remove(&partition);
                }
            }
        }
        let marks = self
            .store
            .flush_marks(&durable)
            .map_err(EngineError::Store)?;
        for (partition, ends) in marks.unwrap_or_default() {
            if partitions.contains(&partition) {
                self.cuts.insert(partition, ends);
            }
        }
        Ok(())
    }

    /// Adds the net change of every task changed since the last call
    /// (rows not cached queue their part).
    pub(super) fn add_changed(&mut self) -> Result<(), S> {
        for task in self.changed.take() {
            self.add_net_change(&task)?;
        }
        Ok(())
    }

    /// Adds one changed task's net change over its span (see [`Engine::settle`]).
    pub(super) fn add_net_change(&mut self, task: &ChangedTask) -> Result<(), S> {
        let Engine {
            store,
            tasks,
            projects,
            aggregates,
            interner,
            deferred,
            pair_memo,
            scratch,
            group_keys,
            straddled,
            absent,
            ..
        } = self;
        let (project, task_id) = (&task.key.0, &task.key.1);
        let config = &project_entry(store, projects, project)?.value.value;
        let Some(current) = tasks.get(&StrPair(project, task_id)) else {
            return Ok(());
        };
        let mut parts = ChangeParts {
            rows: (aggregates, deferred, interner, straddled, absent),
            pair_memo,
            scratch,
            group_keys,
        };
        let states = (&task.initial, &current.value.value);
        add_task_change(&mut parts, project, task.span, states, config);
        Ok(())
    }

    /// Ends a batch: adds the net change of each task it changed (its
    /// contributions before its first change against its contributions
    /// now), reads the rows not cached in one batch and adds what waited
    /// for them, then gives the rows found holding part of a task's span
    /// that task's events one by one. Afterwards no change waits.
    pub(super) fn settle(&mut self) -> Result<(), S> {
        if !self.changed.is_empty() {
            self.add_changed()?;
        }
        self.resolve_deferred()?;
        let straddled = std::mem::take(&mut self.straddled);
        match (
            straddled.iter().map(|s| s.first).min(),
            straddled.iter().map(|s| s.last).max(),
        ) {
            (Some(first), Some(last)) => Err(EngineError::PartlyWritten {
                rows: straddled.len(),
                first,
                last,
            }),
            _ => Ok(()),
        }
    }
}
