//! Ratings as (task → annotator → category) and what they contribute.

use std::borrow::Cow;
use std::collections::BTreeMap;

use labelpulse_core::reliability::{unit_cells, Coincidences, Confusion, StatCell, Undefined};

/// Task → annotator → category.
pub type Ratings = BTreeMap<u32, BTreeMap<u32, String>>;

/// Summed cells, the way the store keeps them.
pub type CellMap = BTreeMap<StatCell<'static>, i64>;

/// Per annotator pair (a < b): (a's category, b's category) → count.
pub type PairMap = BTreeMap<(u32, u32), BTreeMap<(String, String), i64>>;

/// Ratings from one whitespace-separated line per observer ('.' = missing);
/// column i is task i.
pub fn by_observer(lines: &[&str]) -> Ratings {
    let mut ratings = Ratings::new();
    for (a, line) in lines.iter().enumerate() {
        for (u, v) in line.split_whitespace().enumerate() {
            let task = ratings.entry(u as u32).or_default();
            if v != "." {
                task.insert(a as u32, v.to_string());
            }
        }
    }
    ratings.retain(|_, t| !t.is_empty());
    ratings
}

/// Ratings from one whitespace-separated line per task ('.' = missing);
/// column a is annotator a.
pub fn by_unit(lines: &[&str]) -> Ratings {
    let mut ratings = Ratings::new();
    for (u, line) in lines.iter().enumerate() {
        let task: BTreeMap<u32, String> = line
            .split_whitespace()
            .enumerate()
            .filter(|(_, v)| *v != ".")
            .map(|(a, v)| (a as u32, v.to_string()))
            .collect();
        if !task.is_empty() {
            ratings.insert(u as u32, task);
        }
    }
    ratings
}

/// Adds `sign` × the cells of one task's values to `cells`.
pub fn add_task_cells(values: &BTreeMap<u32, String>, sign: i64, cells: &mut CellMap) {
    let values: Vec<&str> = values.values().map(String::as_str).collect();
    let mut out = Vec::new();
    unit_cells(&values, &mut out);
    for (cell, amount) in out {
        let slot = cells.entry(cell.into_owned()).or_insert(0);
        *slot += sign * amount;
    }
    cells.retain(|_, n| *n != 0);
}

/// Adds `sign` × the confusion cells of one task to `pairs`.
pub fn add_task_pairs(values: &BTreeMap<u32, String>, sign: i64, pairs: &mut PairMap) {
    for (&a, x) in values {
        for (&b, y) in values.range(a + 1..) {
            let table = pairs.entry((a, b)).or_default();
            *table.entry((x.clone(), y.clone())).or_insert(0) += sign;
            table.retain(|_, n| *n != 0);
        }
    }
    pairs.retain(|_, t| !t.is_empty());
}

/// The cells of all tasks, in one batch.
pub fn batch_cells(ratings: &Ratings) -> CellMap {
    let mut cells = CellMap::new();
    for values in ratings.values() {
        add_task_cells(values, 1, &mut cells);
    }
    cells
}

/// The confusion cells of all tasks, in one batch.
pub fn batch_pairs(ratings: &Ratings) -> PairMap {
    let mut pairs = PairMap::new();
    for values in ratings.values() {
        add_task_pairs(values, 1, &mut pairs);
    }
    pairs
}

/// Coincidences of a cell map.
pub fn coincidences(cells: &CellMap) -> Coincidences {
    Coincidences::from_cells(cells.iter().map(|(c, n)| (c.clone(), *n)))
}

/// Coincidences of ratings.
pub fn stats(ratings: &Ratings) -> Coincidences {
    coincidences(&batch_cells(ratings))
}

/// A confusion table from one pair's cells.
pub fn confusion(table: &BTreeMap<(String, String), i64>) -> Confusion {
    Confusion::from_cells(
        table
            .iter()
            .map(|((x, y), n)| ((Cow::Borrowed(x.as_str()), Cow::Borrowed(y.as_str())), *n)),
    )
}

/// A confusion table from a square count table over `categories`
/// (rows: rater a, columns: rater b).
pub fn confusion_table(categories: &[&str], counts: &[&[i64]]) -> Confusion {
    let mut cells = Vec::new();
    for (i, row) in counts.iter().enumerate() {
        for (j, &n) in row.iter().enumerate() {
            cells.push((
                (Cow::Borrowed(categories[i]), Cow::Borrowed(categories[j])),
                n,
            ));
        }
    }
    Confusion::from_cells(cells)
}

/// The confusion table of annotators a and b of `ratings`.
pub fn pair_confusion(ratings: &Ratings, a: u32, b: u32) -> Confusion {
    let pairs = batch_pairs(ratings);
    pairs.get(&(a, b)).map(confusion).unwrap_or_default()
}

/// Owned strings.
pub fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// |actual − expected| <= tolerance, with the values in the message.
#[track_caller]
pub fn assert_close(actual: Result<f64, Undefined>, expected: f64, tolerance: f64) {
    match actual {
        Ok(v) => assert!(
            (v - expected).abs() <= tolerance,
            "got {v}, expected {expected} ± {tolerance}"
        ),
        Err(e) => panic!("got {e:?}, expected {expected}"),
    }
}
