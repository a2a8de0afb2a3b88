//! The exact per-task sufficient statistics of a dimension: [`StatCell`]s.

use std::borrow::Cow;

/// One cell of a dimension's exact sufficient statistics. A task ("unit")
/// whose participants gave the values v_1..v_m (category strings; m = number
/// of values, a multiset) contributes:
///  - m == 1: `Single { c: v_1 }` with amount 1;
///  - m >= 2: for every ordered category pair (c, k) present in the unit,
///    `Coincidence { m, c, k }` with amount n_uc * n_uk - [c == k] * n_uc
///    (cells whose amount is 0 are omitted).
///
/// Summing cells over tasks gives C\[m\]\[c\]\[k\] of agreement.md 5.1; G and U
/// are derivable (G\[m\]\[c\] = sum_k C\[m\]\[c\]\[k\] / (m-1), U\[m\] = sum_c
/// G\[m\]\[c\] / m for m >= 2; U\[1\] = sum_c Single\[c\]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatCell<'a> {
    /// A task with exactly one value, `c`.
    Single {
        /// The only value of the task.
        c: Cow<'a, str>,
    },
    /// Ordered value pairs (c, k) within tasks of `m` values.
    Coincidence {
        /// The number of values of the task (>= 2).
        m: u32,
        /// The first value of the pair.
        c: Cow<'a, str>,
        /// The second value of the pair.
        k: Cow<'a, str>,
    },
}

impl StatCell<'_> {
    /// The same cell owning its strings.
    pub fn into_owned(self) -> StatCell<'static> {
        match self {
            StatCell::Single { c } => StatCell::Single {
                c: Cow::Owned(c.into_owned()),
            },
            StatCell::Coincidence { m, c, k } => StatCell::Coincidence {
                m,
                c: Cow::Owned(c.into_owned()),
                k: Cow::Owned(k.into_owned()),
            },
        }
    }
}

/// Appends the cells of one unit (values in any order) to `out` as
/// (cell, amount), sorted by cell. Nothing is appended for a unit without
/// values. Units of more than `u32::MAX` values are outside the domain (the
/// size saturates).
pub fn unit_cells<'a>(values: &[&'a str], out: &mut Vec<(StatCell<'a>, i64)>) {
    let counts = value_counts(values);
    // Every cell at most once: one allocation, not a doubling series.
    out.reserve(counts.len() * counts.len());
    match values.len() {
        0 => {}
        1 => out.extend(counts.iter().map(|&(c, _)| {
            (
                StatCell::Single {
                    c: Cow::Borrowed(c),
                },
                1,
            )
        })),
        m => {
            let m = u32::try_from(m).unwrap_or(u32::MAX);
            for &(c, n_c) in &counts {
                for &(k, n_k) in &counts {
                    let amount = if c == k {
                        n_c.saturating_mul(n_c - 1)
                    } else {
                        n_c.saturating_mul(n_k)
                    };
                    if amount != 0 {
                        let cell = StatCell::Coincidence {
                            m,
                            c: Cow::Borrowed(c),
                            k: Cow::Borrowed(k),
                        };
                        out.push((cell, amount));
                    }
                }
            }
        }
    }
}

/// Values of a unit up to which [`value_counts`] looks each value up among
/// those already counted (beyond, it sorts a copy of the values first).
const SMALL_UNIT: usize = 32;

/// The distinct values of a unit with their multiplicities, sorted. A
/// unit usually has a few values: each is looked up among those already
/// counted, and only the distinct ones are sorted (no copy of the values).
fn value_counts<'a>(values: &[&'a str]) -> Vec<(&'a str, i64)> {
    let mut counts: Vec<(&'a str, i64)> = Vec::with_capacity(values.len());
    if values.len() > SMALL_UNIT {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        for v in sorted {
            match counts.last_mut() {
                Some((last, n)) if *last == v => *n = n.saturating_add(1),
                _ => counts.push((v, 1)),
            }
        }
        return counts;
    }
    for &v in values {
        match counts.iter_mut().find(|(seen, _)| *seen == v) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => counts.push((v, 1)),
        }
    }
    // Distinct values: the unstable sort gives the one order.
    counts.sort_unstable_by(|a, b| a.0.cmp(b.0));
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_units_count_alike() {
        let labels = ["b", "a", "c", "a", "b", "a", "d"];
        for n in [0, 1, 2, 7, SMALL_UNIT, SMALL_UNIT + 1, 100] {
            let values: Vec<&str> = (0..n).map(|i| labels[(i * 5) % labels.len()]).collect();
            let mut expected: Vec<(&str, i64)> = Vec::new();
            for v in &values {
                match expected.iter_mut().find(|(seen, _)| seen == v) {
                    Some((_, count)) => *count += 1,
                    None => expected.push((v, 1)),
                }
            }
            expected.sort();
            assert_eq!(value_counts(&values), expected, "{n} values");
        }
    }

    fn cells(values: &[&'static str]) -> Vec<(StatCell<'static>, i64)> {
        let mut out = Vec::new();
        unit_cells(values, &mut out);
        out
    }

    fn co(m: u32, c: &'static str, k: &'static str) -> StatCell<'static> {
        StatCell::Coincidence {
            m,
            c: c.into(),
            k: k.into(),
        }
    }

    #[test]
    fn empty_unit_has_no_cells() {
        assert!(cells(&[]).is_empty());
    }

    #[test]
    fn single_value_is_a_single_cell() {
        assert_eq!(cells(&["x"]), vec![(StatCell::Single { c: "x".into() }, 1)]);
    }

    #[test]
    fn pairs_follow_the_definition_and_are_sorted() {
        // n_a = 2, n_b = 1, m = 3: (a,a) 2·1, (a,b) 2, (b,a) 2, (b,b) 0 omitted.
        let got = cells(&["b", "a", "a"]);
        assert_eq!(
            got,
            vec![
                (co(3, "a", "a"), 2),
                (co(3, "a", "b"), 2),
                (co(3, "b", "a"), 2)
            ]
        );
        let mut sorted = got.clone();
        sorted.sort();
        assert_eq!(got, sorted);
        // The amounts sum to m (m - 1).
        assert_eq!(got.iter().map(|(_, a)| a).sum::<i64>(), 6);
    }

    #[test]
    fn order_of_values_does_not_matter() {
        assert_eq!(cells(&["c", "a", "b", "a"]), cells(&["a", "b", "a", "c"]));
    }

    #[test]
    fn into_owned_keeps_the_cell() {
        let cell = co(2, "p", "q");
        assert_eq!(cell.clone().into_owned(), cell);
    }
}
