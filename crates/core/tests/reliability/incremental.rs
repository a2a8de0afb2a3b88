//! Property tests: cells maintained incrementally over random create /
//! update / delete events equal the cells recomputed in one batch, and every
//! statistic equals the direct batch implementation.

use std::collections::BTreeMap;

use labelpulse_core::reliability::{
    light_kappa, set_category, set_labels, Coincidences, Confusion, Level, Undefined,
};
use proptest::prelude::*;

use crate::batch;
use crate::support::{
    add_task_cells, add_task_pairs, batch_cells, batch_pairs, coincidences, confusion, strings,
    CellMap, PairMap, Ratings,
};

/// One annotation event on (task, annotator): `Some(category index)` creates
/// or updates the value, `None` deletes it.
#[derive(Debug, Clone)]
struct Event {
    task: u32,
    annotator: u32,
    category: Option<usize>,
}

fn events(categories: usize) -> impl Strategy<Value = Vec<Event>> {
    let event = (0u32..7, 0u32..5, prop::option::weighted(0.8, 0..categories)).prop_map(
        |(task, annotator, category)| Event {
            task,
            annotator,
            category,
        },
    );
    prop::collection::vec(event, 0..60)
}

/// The state the engine keeps: values per task, and the summed cells.
#[derive(Default)]
struct Incremental {
    ratings: Ratings,
    cells: CellMap,
    pairs: PairMap,
}

impl Incremental {
    /// Subtracts the task's old contribution, applies the event, adds the new.
    fn apply(&mut self, event: &Event, pool: &[String]) {
        let old = self.ratings.remove(&event.task).unwrap_or_default();
        add_task_cells(&old, -1, &mut self.cells);
        add_task_pairs(&old, -1, &mut self.pairs);
        let mut new = old;
        match event.category {
            Some(c) => {
                new.insert(event.annotator, pool[c].clone());
            }
            None => {
                new.remove(&event.annotator);
            }
        }
        add_task_cells(&new, 1, &mut self.cells);
        add_task_pairs(&new, 1, &mut self.pairs);
        if !new.is_empty() {
            self.ratings.insert(event.task, new);
        }
    }
}

fn run(events: &[Event], pool: &[String]) -> Incremental {
    let mut state = Incremental::default();
    for event in events {
        state.apply(event, pool);
    }
    state
}

/// A result as comparable bits.
fn bits(r: Result<f64, Undefined>) -> Result<u64, Undefined> {
    r.map(f64::to_bits)
}

/// Equal reasons, or values within 1e-9 (relative to max(1, |expected|)).
fn close(actual: Result<f64, Undefined>, expected: Result<f64, Undefined>) -> bool {
    match (actual, expected) {
        (Ok(a), Ok(e)) => (a - e).abs() <= 1e-9 * e.abs().max(1.0),
        (a, e) => a == e,
    }
}

/// Every statistic of the Coincidences, as bits.
fn all_bits(s: &Coincidences, order: &[String]) -> Vec<Result<u64, Undefined>> {
    vec![
        bits(s.percent_agreement()),
        bits(s.fleiss_kappa()),
        bits(s.mean_jaccard()),
        bits(s.alpha(&Level::Nominal)),
        bits(s.alpha(&Level::Ordinal(order))),
        bits(s.alpha(&Level::Interval)),
    ]
}

/// Cells and confusion tables of both routes are equal, as are all
/// statistics, and a two-shard merge gives the same state.
fn check_exact(state: &Incremental, order: &[String]) -> Result<(), TestCaseError> {
    prop_assert_eq!(&state.cells, &batch_cells(&state.ratings));
    prop_assert_eq!(&state.pairs, &batch_pairs(&state.ratings));
    let incremental = coincidences(&state.cells);
    let recomputed = coincidences(&batch_cells(&state.ratings));
    prop_assert_eq!(all_bits(&incremental, order), all_bits(&recomputed, order));
    prop_assert_eq!(incremental.units(), state.ratings.len() as i64);
    // Shards partitioned by task merge by adding their cells (agreement.md 5.5).
    let (even, odd): (Ratings, Ratings) = state
        .ratings
        .clone()
        .into_iter()
        .partition(|(t, _)| t % 2 == 0);
    let (even, odd) = (batch_cells(&even), batch_cells(&odd));
    let merged = Coincidences::from_cells(even.into_iter().chain(odd));
    prop_assert_eq!(&merged, &incremental);
    let cells_back: CellMap = incremental
        .cells()
        .map(|(c, n)| (c.into_owned(), n))
        .collect();
    prop_assert_eq!(&cells_back, &state.cells);
    Ok(())
}

/// The library's statistics against the direct implementation.
fn check_against_batch(state: &Incremental, order: &[String]) -> Result<(), TestCaseError> {
    let s = coincidences(&state.cells);
    let units = batch::units(&state.ratings);
    let cases = [
        (
            "percent",
            s.percent_agreement(),
            batch::percent_agreement(&units),
        ),
        ("fleiss", s.fleiss_kappa(), batch::fleiss(&units)),
        ("jaccard", s.mean_jaccard(), batch::mean_jaccard(&units)),
        (
            "nominal",
            s.alpha(&Level::Nominal),
            batch::alpha(&units, &batch::Level::Nominal),
        ),
        (
            "ordinal",
            s.alpha(&Level::Ordinal(order)),
            batch::alpha(&units, &batch::Level::Ordinal(order)),
        ),
        (
            "interval",
            s.alpha(&Level::Interval),
            batch::alpha(&units, &batch::Level::Interval),
        ),
    ];
    for (name, actual, expected) in cases {
        prop_assert!(
            close(actual, expected),
            "{}: {:?} vs {:?}",
            name,
            actual,
            expected
        );
    }
    let tables: BTreeMap<(u32, u32), Confusion> = state
        .pairs
        .iter()
        .map(|(k, t)| (*k, confusion(t)))
        .collect();
    for (pair, raw) in batch::annotator_pairs(&state.ratings) {
        let table = tables.get(&pair).cloned().unwrap_or_default();
        prop_assert_eq!(table.tasks(), raw.len() as i64);
        let k = table.cohen(Some(order));
        let (unweighted, linear, quadratic) = batch::cohen(&raw, order);
        prop_assert!(
            close(k.unweighted, unweighted),
            "{:?} {:?}",
            k.unweighted,
            unweighted
        );
        prop_assert!(close(k.linear, linear), "{:?} {:?}", k.linear, linear);
        prop_assert!(
            close(k.quadratic, quadratic),
            "{:?} {:?}",
            k.quadratic,
            quadratic
        );
    }
    let light = light_kappa(tables.values());
    prop_assert!(close(light, batch::light(&state.ratings)), "{:?}", light);
    Ok(())
}

/// Numeric rating categories; the declared order has an unused level.
fn rating_pool() -> Vec<String> {
    strings(&["1", "2", "3", "5", "8"])
}

/// Multi-choice set categories over labels a, b, c (the empty set included).
fn set_pool() -> Vec<String> {
    let labels = ["a", "b", "c"];
    (0..8u32)
        .map(|bits| {
            let chosen: Vec<&str> = (0..3)
                .filter(|i| bits & (1 << i) != 0)
                .map(|i| labels[i])
                .collect();
            set_category(&chosen)
        })
        .collect()
}

proptest! {
    #[test]
    fn ratings_incremental_equals_batch(events in events(5)) {
        let pool = rating_pool();
        let state = run(&events, &pool);
        let declared = strings(&["1", "2", "3", "5", "8", "13"]);
        check_exact(&state, &declared)?;
        check_against_batch(&state, &declared)?;
        // An order missing "8": UnorderedCategory exactly when "8" was seen.
        check_against_batch(&state, &strings(&["1", "2", "3", "5"]))?;
    }

    #[test]
    fn sets_incremental_equals_batch(events in events(8)) {
        let pool = set_pool();
        let state = run(&events, &pool);
        check_exact(&state, &pool)?;
        check_against_batch(&state, &pool)?;
        let s = coincidences(&state.cells);
        for label in ["a", "b", "c"] {
            let per_label = s.binary(|c| set_labels(c).any(|l| l == label));
            let mapped: Ratings = state
                .ratings
                .iter()
                .map(|(t, values)| {
                    let values = values
                        .iter()
                        .map(|(a, c)| (*a, u8::from(set_labels(c).any(|l| l == label)).to_string()))
                        .collect();
                    (*t, values)
                })
                .collect();
            prop_assert_eq!(&per_label, &coincidences(&batch_cells(&mapped)));
            let units = batch::units(&mapped);
            let alpha = per_label.alpha(&Level::Nominal);
            let expected = batch::alpha(&units, &batch::Level::Nominal);
            prop_assert!(close(alpha, expected), "{}: {:?} vs {:?}", label, alpha, expected);
            let agree = per_label.percent_agreement();
            prop_assert!(close(agree, batch::percent_agreement(&units)));
        }
    }
}
