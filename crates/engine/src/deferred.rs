//! Aggregate changes waiting for their row to be read from the store.
//!
//! A row missing from the cache is not read at once: its changes queue here,
//! in event order, and one batch read at the end of the batch (or before a
//! flush) fetches every such row; then the changes are applied, each fenced
//! by the row's stored version ([`Span::admission`]).

use labelpulse_core::aggregate::{ActivityRow, AggKey, AggRow};
use labelpulse_core::contribution::Detached;

use crate::cache::Span;
use crate::intern::Interner;
use crate::map::HashMap;
use crate::row_key::RowKey;

/// One waiting change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DeferredOp {
    /// Add (`+1`) or remove (`-1`) a contribution, detached (the row is
    /// the queue's key).
    Add(Detached, i64),
    /// Raise a last-activity time.
    Activity(i64),
}

impl DeferredOp {
    /// Applies the change; false when it changed nothing (an older activity time).
    pub(crate) fn apply(&self, row: &mut AggRow) -> bool {
        match (self, row) {
            (DeferredOp::Add(detached, sign), row) => {
                row.apply(&detached.attach(), *sign);
                true
            }
            (DeferredOp::Activity(at_ms), AggRow::Activity(activity)) => {
                if *at_ms > activity.last_active_ms {
                    *activity = ActivityRow {
                        last_active_ms: *at_ms,
                    };
                    true
                } else {
                    false
                }
            }
            (DeferredOp::Activity(_), _) => false,
        }
    }
}

/// One waiting change and the events it sums up.
pub(crate) type Waiting = (Span, DeferredOp);

/// Waiting changes per row, in arrival order.
#[derive(Debug, Default)]
pub(crate) struct DeferredRows {
    rows: HashMap<RowKey, Vec<Waiting>>,
}

impl DeferredRows {
    /// Queues a change of the events `span` for `key`.
    pub(crate) fn push(&mut self, key: RowKey, span: Span, op: DeferredOp) {
        self.rows.entry(key).or_default().push((span, op));
    }

    /// True when nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows to read, as stored keys of `interner` (the keys'), sorted
    /// (deterministic store reads).
    pub(crate) fn keys(&self, interner: &Interner) -> Vec<AggKey> {
        let mut keys: Vec<AggKey> = self.rows.keys().map(|key| key.to_key(interner)).collect();
        keys.sort();
        keys
    }

    /// Takes every row's waiting changes.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (RowKey, Vec<Waiting>)> + '_ {
        self.rows.drain()
    }

    /// Moves every key from interner `from` to `to`.
    pub(crate) fn move_keys(&mut self, from: &Interner, to: &mut Interner) {
        self.rows = self
            .rows
            .drain()
            .map(|(key, ops)| (key.moved(from, to), ops))
            .collect();
    }
}
