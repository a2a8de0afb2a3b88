//! Where a change lands: the signed contributions of one event (or the
//! net change of one task's events in a batch) are added to every cached
//! aggregate row they name, fenced by the row's stored version, or queued
//! until the batch reads the rows not cached; an hour row past its
//! project's horizon, or a statistics cell its project's known-cell set
//! rules out, is cached as new instead.

use hashbrown::hash_map::Entry as MapEntry;
use labelpulse_core::aggregate::participant_total;
use labelpulse_core::agreement::PairMemo;
use labelpulse_core::contribution::{change_contributions, diff_grouped, Contribution, Detached};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::TaskState;
use labelpulse_core::time::Hour;

use crate::aggregate_cache::AggregateCache;
use crate::cache::{Admission, Cached, Span};
use crate::deferred::{DeferredOp, DeferredRows};
use crate::hour_horizons::{self, HourHorizons};
use crate::intern::{Interner, Sym, Symbols};
use crate::known_keys::KnownKeys;
use crate::map::HashSet;
use crate::row_key::RowKey;
use crate::scratch::Scratch;
use crate::store::Versioned;

/// Where the signed contributions of one event (or of one task's events in
/// a batch) in one project are added: the cached rows, the queue of the
/// rows not cached yet, and a pass of the key interner over the strings of
/// the contributions (all borrowed for `'k`).
pub(super) struct RowSink<'e, 'k> {
    aggregates: &'e mut AggregateCache,
    deferred: &'e mut DeferredRows,
    symbols: Symbols<'e, 'k>,
    /// The project's symbol.
    project: Sym,
    /// The events whose change is added.
    span: Span,
    /// Rows found holding part of the span (see [`EngineError::PartlyWritten`]).
    straddled: &'e mut Vec<Span>,
    /// The project's name, to look up what rules its rows out.
    project_name: &'k str,
    /// What rules out rows of the project the store cannot hold.
    absent: &'e AbsentRows,
    /// The project's hour horizon and known-cell set, looked up on the
    /// first row missing from the cache (most changes find all their rows
    /// cached and need neither).
    ruled_out: Option<RuledOut<'e>>,
}

/// A project's hour horizon (its hour rows past it are new) and its
/// known-cell set, if it has one (cells not in it are new).
#[derive(Clone, Copy)]
struct RuledOut<'e> {
    horizon: Option<Hour>,
    cells: Option<&'e HashSet<u64>>,
}

/// The row caches a [`RowSink`] writes to.
pub(super) type Rows<'e> = (
    &'e mut AggregateCache,
    &'e mut DeferredRows,
    &'e mut Interner,
    &'e mut Vec<Span>,
    &'e AbsentRows,
);

impl<'e, 'k> RowSink<'e, 'k> {
    pub(super) fn new(
        (aggregates, deferred, interner, straddled, absent): Rows<'e>,
        project: &'k str,
        span: Span,
    ) -> Self {
        let sym = interner.intern_project(project);
        RowSink {
            aggregates,
            deferred,
            symbols: interner.symbols(),
            project: sym,
            span,
            straddled,
            project_name: project,
            absent,
            ruled_out: None,
        }
    }

    /// The cache keys of the rows `contribution` lands on, appended to `out`.
    fn targets(&mut self, contribution: &'k Contribution<'_>, out: &mut Vec<RowKey>) {
        RowKey::targets(self.project, contribution, &mut self.symbols, out);
    }
}

/// Adds signed contributions to every row each lands on, fenced; rows not
/// in the cache get the change queued until their batch read.
pub(super) fn add_diff<'k>(sink: &mut RowSink<'_, 'k>, changes: &'k [(Contribution<'_>, i64)]) {
    let mut keys: Vec<RowKey> = Vec::with_capacity(3);
    for (contribution, sign) in changes {
        add_one(sink, contribution, *sign, &mut keys);
    }
}

/// Adds one signed contribution to every row it lands on (see
/// [`add_diff`]); `keys` is scratch space for its targets.
fn add_one<'k>(
    sink: &mut RowSink<'_, 'k>,
    contribution: &'k Contribution<'_>,
    sign: i64,
    keys: &mut Vec<RowKey>,
) {
    keys.clear();
    sink.targets(contribution, keys);
    for &key in keys.iter() {
        add_at(sink, key, &[(contribution, sign)]);
    }
}

/// Whether the row of `key`, not cached, is absent from the store and from
/// every flush under way: an hour row past its project's horizon
/// ([`crate::hour_horizons`]), or a statistics cell not in its project's
/// known-cell set ([`crate::known_keys`]).
fn absent(key: RowKey, ruled_out: RuledOut<'_>, interner: &Interner) -> bool {
    if let Some(hour) = key.hour() {
        return hour_horizons::past(ruled_out.horizon, hour);
    }
    ruled_out.cells.is_some_and(|cells| {
        key.cell_hash(interner)
            .is_some_and(|hash| !cells.contains(&hash))
    })
}

/// `project`'s horizon and known-cell set, looked up on first use and kept
/// in `memo` (a sink's).
fn ruled_out<'e>(
    memo: &mut Option<RuledOut<'e>>,
    absent: &'e AbsentRows,
    project: &str,
) -> RuledOut<'e> {
    *memo.get_or_insert_with(|| RuledOut {
        horizon: absent.horizons.of(project),
        cells: absent.cells.set_of(project),
    })
}

/// What rules out, for a row missing from the cache, that the store holds
/// it: per project, the hour horizon and the known-cell set.
#[derive(Debug, Default)]
pub(super) struct AbsentRows {
    pub(super) horizons: HourHorizons,
    pub(super) cells: KnownKeys,
}

impl AbsentRows {
    /// Drops both (a rebalance: another owner may write the projects next).
    pub(super) fn clear(&mut self) {
        self.horizons.clear();
        self.cells.clear();
    }
}

/// Adds signed contributions that land on `key` to its row, fenced, or
/// queues them when the row is not cached yet (one lookup for all of them).
/// A row the store cannot hold ([`absent`]) is cached as new.
fn add_at(sink: &mut RowSink<'_, '_>, key: RowKey, changes: &[(&Contribution<'_>, i64)]) {
    let (deferred, span) = (&mut *sink.deferred, sink.span);
    let (aggregates, mut changed) = sink.aggregates.split();
    let row = match aggregates.entry(key) {
        MapEntry::Occupied(row) => row.into_mut(),
        MapEntry::Vacant(vacant)
            if absent(
                key,
                ruled_out(&mut sink.ruled_out, sink.absent, sink.project_name),
                sink.symbols.interner(),
            ) =>
        {
            vacant.insert(Cached::clean(Versioned {
                version: 0,
                value: key.empty_row(),
            }))
        }
        MapEntry::Vacant(_) => {
            // The key names the row: the change needs no strings of its own.
            for (contribution, sign) in changes {
                let detached = match total_on(key, contribution) {
                    Some(amount) => Detached::Cell(amount),
                    None => contribution.detach(),
                };
                deferred.push(key, span, DeferredOp::Add(detached, *sign));
            }
            return;
        }
    };
    match row.admission(span) {
        Admission::Add => {
            for (contribution, sign) in changes {
                match total_on(key, contribution) {
                    Some(amount) => row.value.value.add_to_cell(sign * amount),
                    None => row.value.value.apply(contribution, *sign),
                }
            }
            changed.raise(key, row, span);
        }
        Admission::Skip => {}
        Admission::Split => sink.straddled.push(span),
    }
}

/// What a pair's contribution adds to the participant-totals cell `key`
/// ([`participant_total`]); `None` for any other row or contribution.
fn total_on(key: RowKey, contribution: &Contribution<'_>) -> Option<i64> {
    match key {
        RowKey::Cell { kind, .. } => participant_total(kind, contribution),
        _ => None,
    }
}

/// Scratch space of [`add_group`], kept by the engine from one change to
/// the next: the row keys of a group's first change and of the one being
/// compared.
#[derive(Debug, Default)]
pub(super) struct GroupKeys {
    first: Vec<RowKey>,
    other: Vec<RowKey>,
}

/// Adds a group of signed contributions (from
/// [`labelpulse_core::contribution::diff_grouped`]): the changes landing on
/// exactly the rows of the first share one lookup per row; any other (a
/// hash collision) is added on its own.
fn add_group<'k>(
    sink: &mut RowSink<'_, 'k>,
    group: &[(&'k Contribution<'k>, i64)],
    scratch: &mut GroupKeys,
    shared: &mut Vec<(&'k Contribution<'k>, i64)>,
) {
    let [(first, first_sign), rest @ ..] = group else {
        return;
    };
    if rest.is_empty() {
        add_one(sink, first, *first_sign, &mut scratch.first);
        return;
    }
    scratch.first.clear();
    sink.targets(first, &mut scratch.first);
    shared.clear();
    shared.push((first, *first_sign));
    for &(contribution, sign) in rest {
        scratch.other.clear();
        sink.targets(contribution, &mut scratch.other);
        if scratch.other == scratch.first {
            shared.push((contribution, sign));
        } else {
            for &key in &scratch.other {
                add_at(sink, key, &[(contribution, sign)]);
            }
        }
    }
    for &key in &scratch.first {
        add_at(sink, key, shared);
    }
}

/// The parts of the engine a task change writes to or reuses.
pub(super) struct ChangeParts<'e> {
    pub(super) rows: Rows<'e>,
    pub(super) pair_memo: &'e mut PairMemo,
    pub(super) scratch: &'e mut Scratch,
    pub(super) group_keys: &'e mut GroupKeys,
}

/// Adds the change of a task from state `old` to state `new` (one event's,
/// or the net change of its events `span` in a batch) to the rows of
/// `project`: the difference of their contribution lists, fenced by each
/// row's stored version.
pub(super) fn add_task_change(
    parts: &mut ChangeParts<'_>,
    project: &str,
    span: Span,
    (old, new): (&TaskState, &TaskState),
    config: &ProjectConfig,
) {
    let (mut before, mut after) = parts.scratch.take();
    change_contributions(old, new, config, parts.pair_memo, &mut before, &mut after);
    {
        let mut shared = Vec::new();
        let (aggregates, deferred, interner, straddled, absent) = &mut parts.rows;
        let rows = (
            &mut **aggregates,
            &mut **deferred,
            &mut **interner,
            &mut **straddled,
            &**absent,
        );
        let mut sink = RowSink::new(rows, project, span);
        let group_keys = &mut *parts.group_keys;
        diff_grouped(&before, &after, |group| {
            add_group(&mut sink, group, group_keys, &mut shared)
        });
    }
    parts.scratch.give_back((before, after));
}
