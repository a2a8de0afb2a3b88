//! The tasks changed by the events of one batch, with their states before
//! the batch.
//!
//! A task's contributions are a pure function of its state, so the net
//! change of several events of one task is the difference between its
//! contributions before the first and after the last. Over a store that
//! writes a flush atomically, the engine adds that difference once per
//! task and batch ([`Engine::settle`](crate::Engine)) instead of once per
//! event (see `Engine::coalesces`).

use labelpulse_core::task::TaskState;

use crate::cache::Span;
use crate::map::{HashMap, StrPair};
use crate::store::TaskKey;

/// One task changed in the batch.
#[derive(Debug)]
pub(crate) struct ChangedTask {
    /// The task.
    pub(crate) key: TaskKey,
    /// Its state before the first event of the batch that changed it.
    pub(crate) initial: TaskState,
    /// The first and last events that changed it.
    pub(crate) span: Span,
}

/// The tasks changed since the last [`ChangedTasks::take`], in the order
/// of their first change.
#[derive(Debug, Default)]
pub(crate) struct ChangedTasks {
    /// Each changed task's place in `changes` (the one copy of its key).
    slots: HashMap<TaskKey, usize>,
    /// Per changed task: its state before the batch and its span.
    changes: Vec<(TaskState, Span)>,
}

impl ChangedTasks {
    /// Records that the event of `event` (a span of one) is about to
    /// change task `key`, now in state `current` (copied on the task's
    /// first change only).
    pub(crate) fn record(&mut self, key: StrPair<'_>, event: Span, current: &TaskState) {
        if let Some(&slot) = self.slots.get(&key) {
            if let Some((_, span)) = self.changes.get_mut(slot) {
                span.last = event.last;
                return;
            }
        }
        self.slots.insert(key.to_owned(), self.changes.len());
        self.changes.push((current.clone(), event));
    }

    /// True when no task changed since the last [`ChangedTasks::take`].
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The changed tasks, in the order of their first change; empties the set.
    pub(crate) fn take(&mut self) -> Vec<ChangedTask> {
        let mut keys: Vec<(usize, TaskKey)> =
            self.slots.drain().map(|(key, slot)| (slot, key)).collect();
        keys.sort_unstable_by_key(|(slot, _)| *slot);
        keys.into_iter()
            // Drained, not taken: the list keeps its room for the next batch.
            .zip(self.changes.drain(..))
            .map(|((_, key), (initial, span))| ChangedTask { key, initial, span })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_keeps_its_first_state_and_the_span_of_its_changes() {
        let mut changed = ChangedTasks::default();
        let mut state = TaskState::default();
        changed.record(StrPair("p", "t1"), Span::one(0, 3), &state);
        changed.record(StrPair("p", "t2"), Span::one(0, 4), &state);
        state.exists = true;
        changed.record(StrPair("p", "t1"), Span::one(0, 7), &state);
        assert!(!changed.is_empty());
        let tasks = changed.take();
        assert!(changed.is_empty());
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0].key, ("p".to_string(), "t1".to_string()));
        let span = Span {
            partition: 0,
            first: 3,
            last: 7,
        };
        assert_eq!(tasks[0].span, span);
        assert!(
            !tasks[0].initial.exists,
            "the state before the first change"
        );
        assert_eq!(tasks[1].span, Span::one(0, 4));
    }
}
