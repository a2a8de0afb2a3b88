//! The net change between two contribution lists (as multisets).
//!
//! Both lists are put in one order that needs no string comparison: by a
//! 32-bit hash of the rows each entry lands on (every field but its amount
//! or score; ties by position), sorting plain integers `hash << 32 |
//! position`, so no entry moves. Entries of equal hash are then matched
//! exactly, entry by entry (`==`), so a hash collision can never cancel two
//! different entries. Any consistent order works for a multiset
//! difference; the changes come out in hash order (changes of one row
//! together), and applying them is commutative.

use std::hash::{Hash, Hasher};

use super::Contribution;

/// The net change between two contribution lists, as `(contribution,
/// sign)` appended to `out`: entries present on both sides cancel (as
/// multisets). The changes are moved out of the lists, not copied: the
/// entries of `before` and `after` are unspecified afterwards (clear them
/// before reuse). See [`diff_each`], which lends the changes instead.
pub fn diff<'a>(
    before: &mut [Contribution<'a>],
    after: &mut [Contribution<'a>],
    out: &mut Vec<(Contribution<'a>, i64)>,
) {
    let mut changes: Vec<(i64, usize)> = Vec::with_capacity(before.len() + after.len());
    diff_positions(
        before,
        after,
        |sign, index| (sign, index),
        |group| changes.extend_from_slice(group),
    );
    out.reserve(changes.len());
    for (sign, index) in changes {
        let list = if sign < 0 { &mut *before } else { &mut *after };
        if let Some(entry) = list.get_mut(index) {
            out.push((std::mem::replace(entry, PLACEHOLDER), sign));
        }
    }
}

/// What a change moved out of a list leaves behind.
const PLACEHOLDER: Contribution<'static> = Contribution::Status {
    status: crate::event::TaskStatus::Initial,
};

/// Calls `change(contribution, sign)` once per entry of the net change
/// between `before` (sign -1) and `after` (sign +1); entries present on
/// both sides cancel (as multisets).
pub fn diff_each<'c, 'a>(
    before: &'c [Contribution<'a>],
    after: &'c [Contribution<'a>],
    mut change: impl FnMut(&'c Contribution<'a>, i64),
) {
    diff_grouped(before, after, |group| {
        for &(contribution, sign) in group {
            change(contribution, sign);
        }
    });
}

/// The net change of [`diff_each`], lent in groups: the changes of one
/// group have the same row hash (every field but the amount or score:
/// almost always the same rows, e.g. a task agreement's old and new
/// score), so a caller can look each row up once per group.
pub fn diff_grouped<'c, 'a>(
    before: &'c [Contribution<'a>],
    after: &'c [Contribution<'a>],
    group: impl FnMut(&[(&'c Contribution<'a>, i64)]),
) {
    diff_positions(
        before,
        after,
        |sign, index| {
            let list = if sign < 0 { before } else { after };
            (&list[index], sign)
        },
        group,
    );
}

/// The net change, in groups of one row hash: each change is given to
/// `pick` as `(sign, index)` (an index into `before` for sign -1, into
/// `after` for +1), and the groups of what it returns to `group`.
fn diff_positions<'a, T: Copy>(
    before: &[Contribution<'a>],
    after: &[Contribution<'a>],
    pick: impl Fn(i64, usize) -> T,
    mut group: impl FnMut(&[T]),
) {
    let (old, new) = (order(before), order(after));
    let mut changes = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        let (x, y) = (hash(old[i]), hash(new[j]));
        if x < y {
            group(&[pick(-1, position(old[i]))]);
            i += 1;
        } else if y < x {
            group(&[pick(1, position(new[j]))]);
            j += 1;
        } else {
            let run_old = run(&old[i..]);
            let run_new = run(&new[j..]);
            changes.clear();
            match_run(
                before,
                &old[i..i + run_old],
                after,
                &new[j..j + run_new],
                &mut |sign, index| changes.push(pick(sign, index)),
            );
            if !changes.is_empty() {
                group(&changes);
            }
            i += run_old;
            j += run_new;
        }
    }
    for &key in &old[i..] {
        group(&[pick(-1, position(key))]);
    }
    for &key in &new[j..] {
        group(&[pick(1, position(key))]);
    }
}

/// `hash << 32 | position` of every entry (the top 32 bits of its 64-bit
/// hash), sorted. Lists are far shorter than 2^32 entries.
fn order(list: &[Contribution<'_>]) -> Vec<u64> {
    let mut keys: Vec<u64> = list
        .iter()
        .enumerate()
        .map(|(index, c)| (row_hash(c) & !u64::from(u32::MAX)) | index as u64)
        .collect();
    keys.sort_unstable();
    keys
}

fn hash(key: u64) -> u64 {
    key >> 32
}

fn position(key: u64) -> usize {
    (key & u64::from(u32::MAX)) as usize
}

/// The length of the run of keys with the first key's hash.
fn run(keys: &[u64]) -> usize {
    let first = keys.first().map(|&k| hash(k));
    keys.iter().take_while(|&&k| Some(hash(k)) == first).count()
}

/// Matches entries of equal hash exactly: pairs of equal entries cancel,
/// the rest are changes, given as `(sign, index)` (see
/// [`diff_positions`]). Runs are almost always one entry each.
fn match_run(
    before: &[Contribution<'_>],
    old: &[u64],
    after: &[Contribution<'_>],
    new: &[u64],
    change: &mut impl FnMut(i64, usize),
) {
    if let ([x], [y]) = (old, new) {
        let (x, y) = (position(*x), position(*y));
        if before[x] != after[y] {
            change(-1, x);
            change(1, y);
        }
        return;
    }
    let mut matched = vec![false; new.len()];
    for &x in old {
        let x = position(x);
        let partner = new
            .iter()
            .zip(matched.iter_mut())
            .find(|(y, taken)| !**taken && after[position(**y)] == before[x]);
        match partner {
            Some((_, taken)) => *taken = true,
            None => change(-1, x),
        }
    }
    for (&y, taken) in new.iter().zip(&matched) {
        if !taken {
            change(1, position(y));
        }
    }
}

/// A hash of what decides the rows a contribution lands on: every field
/// but its amount, score or status. Equal contributions hash equal, so
/// ordering by it still pairs them up; changes of one row come together.
fn row_hash(contribution: &Contribution<'_>) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    std::mem::discriminant(contribution).hash(&mut h);
    match contribution {
        Contribution::Count {
            hour,
            member,
            counter,
            ..
        } => (hour, member, counter).hash(&mut h),
        Contribution::LeadTime { hour, member, .. } => (hour, member).hash(&mut h),
        Contribution::ReviewTime { hour, reviewer, .. } => (hour, reviewer).hash(&mut h),
        Contribution::Label {
            dimension, label, ..
        } => (dimension, label).hash(&mut h),
        Contribution::Pair {
            dimension, a, b, ..
        } => (dimension, a, b).hash(&mut h),
        Contribution::TaskAgreement {
            dimension,
            scope,
            hour,
            ..
        } => (dimension, scope, hour).hash(&mut h),
        Contribution::Cell {
            dimension,
            kind,
            m,
            a,
            b,
            c,
            k,
            ..
        } => (dimension, kind, m, a, b, c, k).hash(&mut h),
        Contribution::Status { .. } => {}
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::event::TaskStatus;

    fn label(name: &str, count: i64) -> Contribution<'_> {
        Contribution::Label {
            dimension: Cow::Borrowed("d"),
            label: Cow::Borrowed(name),
            source: super::super::LabelSource::Annotation,
            count,
        }
    }

    fn net(before: &[Contribution<'_>], after: &[Contribution<'_>]) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        diff_each(before, after, |c, sign| out.push((format!("{c:?}"), sign)));
        out.sort();
        out
    }

    #[test]
    fn shared_entries_cancel_as_multisets() {
        let status = Contribution::Status {
            status: TaskStatus::Done,
        };
        let before = [label("a", 1), label("a", 1), label("b", 2), status.clone()];
        let after = [label("a", 1), status, label("c", 1), label("b", 3)];
        let expected = {
            let mut e = vec![
                (format!("{:?}", label("a", 1)), -1),
                (format!("{:?}", label("b", 2)), -1),
                (format!("{:?}", label("b", 3)), 1),
                (format!("{:?}", label("c", 1)), 1),
            ];
            e.sort();
            e
        };
        assert_eq!(net(&before, &after), expected);
        assert!(net(&after, &after).is_empty());
        assert_eq!(net(&[], &after).len(), after.len());
    }

    #[test]
    fn diff_moves_out_what_diff_each_lends() {
        let status = Contribution::Status {
            status: TaskStatus::Done,
        };
        let before = vec![label("a", 1), label("b", 2), status.clone(), label("d", 4)];
        let after = vec![label("c", 1), status, label("b", 3), label("a", 1)];
        let mut lent = Vec::new();
        diff_each(&before, &after, |c, sign| lent.push((c.clone(), sign)));
        let (mut old, mut new, mut moved) = (before.clone(), after.clone(), Vec::new());
        diff(&mut old, &mut new, &mut moved);
        assert_eq!(moved, lent);
        assert_eq!(moved.len(), 4);
    }

    #[test]
    fn equal_hash_runs_match_exactly() {
        let (x, y) = (label("x", 1), label("y", 1));
        let old: Vec<u64> = vec![0, 1];
        let new: Vec<u64> = vec![0, 1];
        let mut out = Vec::new();
        // Pretend both entries share one hash: only equal entries cancel.
        match_run(
            &[x.clone(), x.clone()],
            &old,
            &[x.clone(), y.clone()],
            &new,
            &mut |sign, index| out.push((sign, index)),
        );
        assert_eq!(out, vec![(-1, 1), (1, 1)]);
    }
}
