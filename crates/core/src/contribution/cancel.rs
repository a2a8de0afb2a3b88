//! Entries both sides of a change share, dropped before the diff.
//!
//! The contributions of a task before and after a change are built by the
//! same code in the same order, so most of them sit at the same position
//! of a section on both sides and are equal there. Dropping such a pair of
//! equal entries from both lists leaves their multiset difference as it
//! was (and [`super::diff`] then sorts and matches only what may have
//! changed). Equality is exact: [`same`] is `==` with a shortcut for
//! strings borrowed from the very same text.

use std::ops::Range;

use super::Contribution;

/// True when two strings are equal, comparing the bytes only when they are
/// not the very same text.
fn same_text(a: &str, b: &str) -> bool {
    (a.len() == b.len() && std::ptr::eq(a.as_ptr(), b.as_ptr())) || a == b
}

/// `a == b`, cheaper for the strings both borrow from the same state.
pub(super) fn same(a: &Contribution<'_>, b: &Contribution<'_>) -> bool {
    use Contribution as C;
    match (a, b) {
        (
            C::Count {
                hour,
                member,
                counter,
                amount,
            },
            C::Count {
                hour: hour2,
                member: member2,
                counter: counter2,
                amount: amount2,
            },
        ) => {
            hour == hour2
                && counter == counter2
                && amount == amount2
                && match (member, member2) {
                    (Some(x), Some(y)) => same_text(x, y),
                    (None, None) => true,
                    _ => false,
                }
        }
        (
            C::LeadTime { hour, member, ms },
            C::LeadTime {
                hour: hour2,
                member: member2,
                ms: ms2,
            },
        ) => hour == hour2 && ms == ms2 && same_text(member, member2),
        (
            C::ReviewTime { hour, reviewer, ms },
            C::ReviewTime {
                hour: hour2,
                reviewer: reviewer2,
                ms: ms2,
            },
        ) => hour == hour2 && ms == ms2 && same_text(reviewer, reviewer2),
        (
            C::Label {
                dimension,
                label,
                source,
                count,
            },
            C::Label {
                dimension: dimension2,
                label: label2,
                source: source2,
                count: count2,
            },
        ) => {
            source == source2
                && count == count2
                && same_text(dimension, dimension2)
                && same_text(label, label2)
        }
        (
            C::Pair {
                dimension,
                a,
                b,
                score,
            },
            C::Pair {
                dimension: dimension2,
                a: a2,
                b: b2,
                score: score2,
            },
        ) => {
            score == score2
                && same_text(dimension, dimension2)
                && same_text(a, a2)
                && same_text(b, b2)
        }
        (
            C::TaskAgreement {
                dimension,
                scope,
                hour,
                score,
                low,
            },
            C::TaskAgreement {
                dimension: dimension2,
                scope: scope2,
                hour: hour2,
                score: score2,
                low: low2,
            },
        ) => {
            scope == scope2
                && hour == hour2
                && score == score2
                && low == low2
                && same_text(dimension, dimension2)
        }
        (
            C::Cell {
                dimension,
                kind,
                m,
                a,
                b,
                c,
                k,
                amount,
            },
            C::Cell {
                dimension: dimension2,
                kind: kind2,
                m: m2,
                a: a2,
                b: b2,
                c: c2,
                k: k2,
                amount: amount2,
            },
        ) => {
            kind == kind2
                && m == m2
                && amount == amount2
                && same_text(dimension, dimension2)
                && same_text(a, a2)
                && same_text(b, b2)
                && same_text(c, c2)
                && same_text(k, k2)
        }
        (C::Status { status }, C::Status { status: status2 }) => status == status2,
        _ => false,
    }
}

/// Aligned sections of the two sides: a range of `before` and the range of
/// `after` built by the same code.
pub(super) type Sections = Vec<(Range<usize>, Range<usize>)>;

/// Drops from `before` and `after` the entries equal at the same offset of
/// aligned sections (the ranges must lie inside the lists and not
/// overlap). Entries outside the sections are kept.
pub(super) fn cancel_aligned(
    before: &mut Vec<Contribution<'_>>,
    after: &mut Vec<Contribution<'_>>,
    sections: &[(Range<usize>, Range<usize>)],
) {
    // One table for both: `before`'s flags, then `after`'s.
    let mut keep = vec![true; before.len() + after.len()];
    let (keep_before, keep_after) = keep.split_at_mut(before.len());
    let mut dropped = 0;
    for (old, new) in sections {
        for (x, y) in old.clone().zip(new.clone()) {
            let (Some(a), Some(b)) = (before.get(x), after.get(y)) else {
                continue;
            };
            if same(a, b) {
                keep_before[x] = false;
                keep_after[y] = false;
                dropped += 1;
            }
        }
    }
    if dropped == 0 {
        return;
    }
    let mut flags = keep_before.iter();
    before.retain(|_| flags.next().copied().unwrap_or(true));
    let mut flags = keep_after.iter();
    after.retain(|_| flags.next().copied().unwrap_or(true));
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::contribution::LabelSource;

    fn label(name: &str, count: i64) -> Contribution<'_> {
        Contribution::Label {
            dimension: Cow::Borrowed("d"),
            label: Cow::Borrowed(name),
            source: LabelSource::Annotation,
            count,
        }
    }

    #[test]
    fn same_is_equality() {
        let owned = Contribution::Label {
            dimension: Cow::Owned("d".to_string()),
            label: Cow::Owned("a".to_string()),
            source: LabelSource::Annotation,
            count: 1,
        };
        assert!(same(&label("a", 1), &owned));
        assert!(!same(&label("a", 1), &label("a", 2)));
        assert!(!same(&label("a", 1), &label("b", 1)));
        assert!(!same(
            &label("a", 1),
            &Contribution::Status {
                status: crate::event::TaskStatus::Done
            }
        ));
    }

    #[test]
    fn only_equal_entries_at_aligned_offsets_are_dropped() {
        let mut before = vec![label("x", 1), label("a", 1), label("b", 1), label("c", 1)];
        let mut after = vec![label("a", 1), label("b", 2), label("c", 1)];
        // Section 1..4 of before against 0..3 of after; "x" lies outside.
        cancel_aligned(&mut before, &mut after, &[(1..4, 0..3)]);
        assert_eq!(before, vec![label("x", 1), label("b", 1)]);
        assert_eq!(after, vec![label("b", 2)]);
    }
}
