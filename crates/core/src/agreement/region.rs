//! Matching the regions of two annotations by IoU (Label Studio / evalme):
//! best same-label match per region, averaged with label weights, min over
//! the two directions; the threshold variant; precision/recall/F1 counts.
//!
//! A region takes part only with weight > 0 (see [`region_weight`]); two
//! regions are candidates for each other only when their label sets are
//! equal (labels compare as strings).

use std::ops::{Add, AddAssign};

use super::choices::labels_weight;
use super::geometry::{iou, PreparedPolygon};
use super::prepared::{prepared_polygons, PreparedRegions};
use super::sweep::{boxes, disjoint, Candidates, Sweep};
use crate::dims::Region;
use crate::event::LabelWeights;

/// Slack when comparing a value with a threshold, so `0.1 + 0.2 >= 0.3`.
pub(crate) const EPSILON: f64 = 1e-12;

/// Region lists up to this length are matched without allocating.
const INLINE: usize = 32;

/// Label groups whose per-group tables live on the stack.
const INLINE_GROUPS: usize = 8;

/// A scratch slice of `len` elements set to `fill`: a prefix of `inline`
/// when it fits, else `heap` resized.
fn scratch<'s, T: Copy>(
    inline: &'s mut [T],
    heap: &'s mut Vec<T>,
    len: usize,
    fill: T,
) -> &'s mut [T] {
    if len <= inline.len() {
        let part = &mut inline[..len];
        part.fill(fill);
        part
    } else {
        heap.clear();
        heap.resize(len, fill);
        heap
    }
}

/// `[value ≥ threshold]`, with [`EPSILON`] of slack.
pub(crate) fn passes(value: f64, threshold: f64) -> bool {
    value + EPSILON >= threshold
}

/// A region's weight: the largest weight among its labels (a label not in
/// `weights` weighs 1; a region without labels weighs 1). 0 drops it.
pub fn region_weight(region: &Region, weights: &LabelWeights) -> f64 {
    labels_weight(weights, &region.labels)
}

/// Directional score x→y: for every region r of x, the best IoU with a
/// region of y that has the same labels (0 if there is none), averaged over
/// x's regions weighted by [`region_weight`]:
///
/// `score(x→y) = Σ_r w(r) · max_{s ∈ y, labels(s) = labels(r)} IoU(r, s) / Σ_r w(r)`.
///
/// Threshold variant (`threshold = Some(t)`): each best IoU is replaced by
/// `[IoU ≥ t]` (LS docs: IoUs 0.99, 0.34, 0.82 at t = 0.5 → 2/3).
/// When x has no region: 1 if y has none either, else 0.
pub fn directional_region_score(
    x: &[Region],
    y: &[Region],
    weights: &LabelWeights,
    threshold: Option<f64>,
) -> f64 {
    let (dx, dy) = match_regions(x, y, |r| region_weight(r, weights), |_, _| 1.0, threshold);
    dx.score(dy)
}

/// Symmetric region score: `min(score(a→b), score(b→a))` (evalme's
/// symmetric mode); 1 when both have no region, 0 when only one has none.
pub fn region_score(
    a: &[Region],
    b: &[Region],
    weights: &LabelWeights,
    threshold: Option<f64>,
) -> f64 {
    let (da, db) = match_regions(a, b, |r| region_weight(r, weights), |_, _| 1.0, threshold);
    symmetric(da, db)
}

/// Detection counts of `candidate` against `reference` at IoU threshold `t`:
///
/// 1. Candidate pairs: a reference and a candidate region with equal label
///    sets and IoU ≥ t.
/// 2. Greedy one-to-one matching: pairs in descending IoU (ties: lower
///    reference index, then lower candidate index) are taken when neither
///    region is matched yet. Each match is a true positive.
/// 3. `fp` = candidate regions left unmatched, `fn_` = reference regions left
///    unmatched.
///
/// So a candidate at IoU ≥ t with a different label (LS's FP) is an `fp`
/// (and its reference region an `fn_`), a same-label candidate below t
/// (LS's FN) leaves an `fn_` (and an `fp`), and missing or spurious regions
/// count too. Regions of weight 0 are left out.
pub fn detection_counts(
    reference: &[Region],
    candidate: &[Region],
    weights: &LabelWeights,
    threshold: f64,
) -> DetectionCounts {
    detect(
        reference,
        candidate,
        |r| region_weight(r, weights),
        |_, _| 1.0,
        threshold,
    )
}

/// Integer detection counts, summable exactly across tasks and pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DetectionCounts {
    /// Matched regions (same labels, IoU ≥ t).
    pub tp: u64,
    /// Candidate regions without a match.
    pub fp: u64,
    /// Reference regions without a match.
    pub fn_: u64,
}

impl DetectionCounts {
    /// `tp / (tp + fp)`; `None` when there is no candidate region.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// `tp / (tp + fn_)`; `None` when there is no reference region.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// `2PR / (P + R) = 2tp / (2tp + fp + fn_)`; `None` when all counts are 0.
    pub fn f1(&self) -> Option<f64> {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

impl Add for DetectionCounts {
    type Output = DetectionCounts;
    fn add(self, other: DetectionCounts) -> DetectionCounts {
        DetectionCounts {
            tp: self.tp + other.tp,
            fp: self.fp + other.fp,
            fn_: self.fn_ + other.fn_,
        }
    }
}

impl AddAssign for DetectionCounts {
    fn add_assign(&mut self, other: DetectionCounts) {
        *self = *self + other;
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The totals of one direction: `Σ w · best` and `Σ w`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Direction {
    sum: f64,
    weight: f64,
}

impl Direction {
    /// This direction's score, given the other's totals for the empty cases.
    pub(crate) fn score(self, other: Direction) -> f64 {
        if self.weight > 0.0 {
            self.sum / self.weight
        } else if other.weight > 0.0 {
            0.0
        } else {
            1.0
        }
    }
}

/// `min` of the two directions: 1 when both are empty, 0 when one is.
pub(crate) fn symmetric(a: Direction, b: Direction) -> f64 {
    a.score(b).min(b.score(a))
}

/// The shapes of a region list, with its polygons built once.
struct Shapes<'a> {
    regions: &'a [Region],
    polygons: Vec<Option<PreparedPolygon>>,
}

impl<'a> Shapes<'a> {
    fn new(regions: &'a [Region]) -> Self {
        Shapes {
            regions,
            polygons: prepared_polygons(regions),
        }
    }

    fn prepared(&self, k: usize) -> Option<&PreparedPolygon> {
        self.polygons.get(k).and_then(Option::as_ref)
    }

    fn iou(&self, i: usize, other: &Shapes<'_>, j: usize) -> f64 {
        match (self.prepared(i), other.prepared(j)) {
            (Some(a), Some(b)) => a.iou(b),
            _ => iou(&self.regions[i].shape, &other.regions[j].shape),
        }
    }
}

/// Matches two region lists both ways. The match value of a same-label
/// pair is `factor(r, s) · IoU(r, s)` (IoU skipped when the factor is 0);
/// with a threshold, `[value ≥ t]`.
pub(crate) fn match_regions(
    a: &[Region],
    b: &[Region],
    weight: impl Fn(&Region) -> f64,
    factor: impl Fn(&Region, &Region) -> f64,
    threshold: Option<f64>,
) -> (Direction, Direction) {
    let (shapes_a, shapes_b) = (Shapes::new(a), Shapes::new(b));
    let (class_a, class_b) = label_classes(a, b);
    // Pairs of disjoint boxes have IoU 0, so their value cannot raise a best
    // match (bests start at 0): skip them, unless a value of 0 would pass
    // the threshold.
    let prune = threshold.is_none_or(|t| !passes(0.0, t));
    let boxes = if prune { boxes(a).zip(boxes(b)) } else { None };
    let sweep = boxes.as_ref().map(|(_, boxes_b)| Sweep::new(boxes_b));
    let candidates = |i: usize| match (&boxes, &sweep) {
        (Some((boxes_a, _)), Some(sweep)) => sweep.candidates(boxes_a[i]),
        _ => Candidates::All(0..b.len()),
    };
    let value = |i: usize, j: usize| {
        if let Some((boxes_a, boxes_b)) = &boxes {
            if disjoint(boxes_a[i], boxes_b[j]) {
                return None;
            }
        }
        (class_a[i] == class_b[j]).then(|| {
            let f = factor(&a[i], &b[j]);
            if f == 0.0 {
                0.0
            } else {
                f * shapes_a.iou(i, &shapes_b, j)
            }
        })
    };
    best_matches(
        a.len(),
        b.len(),
        |i| weight(&a[i]),
        |j| weight(&b[j]),
        candidates,
        value,
        threshold,
    )
}

/// A small id per distinct label set of `a` and `b` (regions match only
/// with equal label sets), so the matching loop compares integers instead
/// of strings.
fn label_classes(a: &[Region], b: &[Region]) -> (Vec<u32>, Vec<u32>) {
    fn class<'r>(seen: &mut Vec<&'r [String]>, labels: &'r [String]) -> u32 {
        let index = match seen.iter().position(|s| *s == labels) {
            Some(index) => index,
            None => {
                seen.push(labels);
                seen.len() - 1
            }
        };
        index as u32
    }
    let mut seen: Vec<&[String]> = Vec::new();
    let class_a = a.iter().map(|r| class(&mut seen, &r.labels)).collect();
    let class_b = b.iter().map(|r| class(&mut seen, &r.labels)).collect();
    (class_a, class_b)
}

/// The core of the matching, over indices: `value(i, j)` is `None` for
/// pairs that may not match, and `candidates(i)` gives the `j` worth
/// trying (a pair left out must be one whose value could not raise a best
/// match). One pass over the pairs fills both directions;
/// the other side's best values and weights live on the stack for up to
/// [`INLINE`] regions.
fn best_matches<'c>(
    nx: usize,
    ny: usize,
    weight_x: impl Fn(usize) -> f64,
    weight_y: impl Fn(usize) -> f64,
    candidates: impl Fn(usize) -> Candidates<'c>,
    mut value: impl FnMut(usize, usize) -> Option<f64>,
    threshold: Option<f64>,
) -> (Direction, Direction) {
    let mut inline = [0.0_f64; 2 * INLINE];
    let mut heap = Vec::new();
    let scratch: &mut [f64] = if ny <= INLINE {
        &mut inline[..2 * ny]
    } else {
        heap.resize(2 * ny, 0.0);
        &mut heap
    };
    let (best_y, weights_y) = scratch.split_at_mut(ny);
    for (j, w) in weights_y.iter_mut().enumerate() {
        *w = weight_y(j);
    }
    let mut x = Direction::default();
    for i in 0..nx {
        let wx = weight_x(i);
        if wx <= 0.0 {
            continue;
        }
        let mut best = 0.0_f64;
        for j in candidates(i) {
            if weights_y[j] <= 0.0 {
                continue;
            }
            let Some(v) = value(i, j) else {
                continue;
            };
            let v = match threshold {
                Some(t) => f64::from(u8::from(passes(v, t))),
                None => v,
            };
            best = best.max(v);
            best_y[j] = best_y[j].max(v);
        }
        x.sum += wx * best;
        x.weight += wx;
    }
    let mut y = Direction::default();
    for (best, w) in best_y.iter().zip(weights_y.iter()) {
        if *w > 0.0 {
            y.sum += w * best;
            y.weight += w;
        }
    }
    (x, y)
}

/// Greedy one-to-one detection matching (see [`detection_counts`]).
pub(crate) fn detect(
    reference: &[Region],
    candidate: &[Region],
    weight: impl Fn(&Region) -> f64,
    factor: impl Fn(&Region, &Region) -> f64,
    threshold: f64,
) -> DetectionCounts {
    let (shapes_r, shapes_c) = (Shapes::new(reference), Shapes::new(candidate));
    let live_r: Vec<bool> = reference.iter().map(|r| weight(r) > 0.0).collect();
    let live_c: Vec<bool> = candidate.iter().map(|r| weight(r) > 0.0).collect();
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (i, r) in reference.iter().enumerate().filter(|(i, _)| live_r[*i]) {
        for (j, c) in candidate.iter().enumerate().filter(|(j, _)| live_c[*j]) {
            if r.labels != c.labels {
                continue;
            }
            let f = factor(r, c);
            let v = if f == 0.0 {
                0.0
            } else {
                f * shapes_r.iou(i, &shapes_c, j)
            };
            if passes(v, threshold) {
                pairs.push((v, i, j));
            }
        }
    }
    greedy(pairs, &live_r, &live_c)
}

/// The greedy one-to-one matching of [`detection_counts`] over candidate
/// pairs `(value, reference index, candidate index)` at or above the
/// threshold, between the live (weight > 0) regions of both sides.
fn greedy(pairs: Vec<(f64, usize, usize)>, live_r: &[bool], live_c: &[bool]) -> DetectionCounts {
    let count = |live: &[bool]| live.iter().filter(|l| **l).count();
    greedy_counts(
        pairs,
        (live_r.len(), count(live_r)),
        (live_c.len(), count(live_c)),
    )
}

/// [`greedy`] given, per side, `(regions, live regions)`.
fn greedy_counts(
    mut pairs: Vec<(f64, usize, usize)>,
    (regions_r, live_r): (usize, usize),
    (regions_c, live_c): (usize, usize),
) -> DetectionCounts {
    // The index pairs are distinct, so the order is total and an unstable
    // sort gives the same order as a stable one (without its buffer).
    pairs.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let (mut inline_r, mut heap_r) = ([false; INLINE], Vec::new());
    let (mut inline_c, mut heap_c) = ([false; INLINE], Vec::new());
    let used_r = scratch(&mut inline_r, &mut heap_r, regions_r, false);
    let used_c = scratch(&mut inline_c, &mut heap_c, regions_c, false);
    let mut tp = 0;
    for (_, i, j) in pairs {
        if !used_r[i] && !used_c[j] {
            used_r[i] = true;
            used_c[j] = true;
            tp += 1;
        }
    }
    DetectionCounts {
        tp,
        fp: live_c as u64 - tp,
        fn_: live_r as u64 - tp,
    }
}

/// [`region_score`] of `a` and `b` (no threshold variant) and the
/// [`detection_counts`] of `a` as the candidate against `b` as the
/// reference at IoU `detect_at`, with every IoU computed once: the same
/// two results as the separate functions, for about the cost of one.
///
/// One pass over the candidate pairs fills both best-match directions and
/// the detection pairs, so nothing of size `|a| · |b|` is allocated.
pub fn region_score_and_detection(
    a: &[Region],
    b: &[Region],
    weights: &LabelWeights,
    detect_at: f64,
) -> (f64, DetectionCounts) {
    let (prepared_a, prepared_b) = (PreparedRegions::new(a), PreparedRegions::new(b));
    prepared_score_and_detection((a, &prepared_a), (b, &prepared_b), weights, detect_at)
}

/// [`region_score_and_detection`] of two region lists, each with its
/// [`PreparedRegions`] (built from that very list).
///
/// Each region of `a` is matched only against the regions of `b` in the
/// group with its labels (and, for boxes, only those the group's sweep
/// keeps); sums run over the regions in their order, so the result is
/// the same bit for bit as matching every pair.
pub(crate) fn prepared_score_and_detection(
    (a, prepared_a): (&[Region], &PreparedRegions),
    (b, prepared_b): (&[Region], &PreparedRegions),
    weights: &LabelWeights,
    detect_at: f64,
) -> (f64, DetectionCounts) {
    // A region's weight depends on its labels alone: one per group.
    // Weights are never NaN (`labels_weight` folds with `max` from 0), so
    // `weight > 0` (live) and `weight <= 0` (left out) are complements.
    // Per-group tables live on the stack for up to [`INLINE_GROUPS`] groups.
    let (mut inline_a, mut heap_a) = ([0.0_f64; INLINE_GROUPS], Vec::new());
    let (mut inline_b, mut heap_b) = ([0.0_f64; INLINE_GROUPS], Vec::new());
    let group_weights = |regions: &[Region], prepared: &PreparedRegions, table: &mut [f64]| {
        for (g, w) in table.iter_mut().enumerate() {
            *w = region_weight(&regions[prepared.first(g)], weights);
        }
    };
    let weight_a = scratch(&mut inline_a, &mut heap_a, prepared_a.groups(), 0.0);
    group_weights(a, prepared_a, weight_a);
    let weight_b = scratch(&mut inline_b, &mut heap_b, prepared_b.groups(), 0.0);
    group_weights(b, prepared_b, weight_b);
    let (weight_a, weight_b) = (&*weight_a, &*weight_b);
    // Per group of `a`: the live group of `b` with the same labels.
    let (mut inline_partner, mut heap_partner) = ([None; INLINE_GROUPS], Vec::new());
    let partner = scratch(
        &mut inline_partner,
        &mut heap_partner,
        prepared_a.groups(),
        None,
    );
    for (g, partner) in partner.iter_mut().enumerate() {
        let labels = &a[prepared_a.first(g)].labels;
        *partner = (0..prepared_b.groups())
            .find(|&h| b[prepared_b.first(h)].labels == *labels)
            .filter(|&h| weight_b[h] > 0.0);
    }
    let partner = &*partner;
    // Disjoint boxes (IoU 0) raise no best match and, unless 0 passes the
    // detection threshold, make no detection pair: the sweeps skip them.
    let boxes = if passes(0.0, detect_at) {
        None
    } else {
        prepared_a.boxes().zip(prepared_b.boxes())
    };
    let nb = prepared_b.len();
    let (mut inline, mut heap) = ([0.0_f64; INLINE], Vec::new());
    let best_b = scratch(&mut inline, &mut heap, nb, 0.0);
    // Usually about one detection pair per region: grow once.
    let mut pairs = Vec::with_capacity(prepared_a.len().max(nb));
    let mut da = Direction::default();
    let (mut live_a, mut live_b) = (0, 0);
    for i in 0..prepared_a.len() {
        let g = prepared_a.group(i);
        let wa = weight_a[g];
        if wa <= 0.0 {
            continue;
        }
        live_a += 1;
        let mut best = 0.0_f64;
        if let Some(h) = partner[g] {
            let mut consider = |j: usize| {
                let v = prepared_a.iou(a, i, prepared_b, b, j);
                if passes(v, detect_at) {
                    pairs.push((v, j, i));
                }
                best = best.max(v);
                best_b[j] = best_b[j].max(v);
            };
            match (boxes, prepared_b.sweep(h)) {
                (Some((boxes_a, boxes_b)), Some(sweep)) => {
                    for j in sweep.candidates(boxes_a[i]) {
                        if !disjoint(boxes_a[i], boxes_b[j]) {
                            consider(j);
                        }
                    }
                }
                _ => prepared_b.members(h).iter().for_each(|&j| consider(j)),
            }
        }
        da.sum += wa * best;
        da.weight += wa;
    }
    let mut db = Direction::default();
    for (j, best) in best_b.iter().enumerate() {
        let w = weight_b[prepared_b.group(j)];
        if w > 0.0 {
            live_b += 1;
            db.sum += w * best;
            db.weight += w;
        }
    }
    (
        symmetric(da, db),
        greedy_counts(pairs, (nb, live_b), (prepared_a.len(), live_a)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dims::Shape;

    fn span(label: &str, start: f64, end: f64) -> Region {
        Region {
            labels: vec![label.to_string()],
            shape: Shape::Span { start, end },
            choices: vec![],
            texts: vec![],
        }
    }

    fn rect(label: &str, x: f64, y: f64, w: f64, h: f64) -> Region {
        Region {
            labels: vec![label.to_string()],
            shape: Shape::Rectangle {
                x,
                y,
                width: w,
                height: h,
            },
            choices: vec![],
            texts: vec![],
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    const NONE: &LabelWeights = &LabelWeights::new();

    #[test]
    fn best_match_per_region_and_min_of_directions() {
        // x: A(0,20) and B(100,110); y: A(10,30), A(0,18), B(100,110), B(200,210).
        // x→y: A best of 1/3 and 18/20 = 0.9; B: 1 -> (0.9 + 1) / 2 = 0.95.
        // y→x: A(10,30) 1/3, A(0,18) 0.9, B(100,110) 1, B(200,210) 0
        //      -> (1/3 + 0.9 + 1 + 0) / 4.
        let x = [span("A", 0.0, 20.0), span("B", 100.0, 110.0)];
        let y = [
            span("A", 10.0, 30.0),
            span("A", 0.0, 18.0),
            span("B", 100.0, 110.0),
            span("B", 200.0, 210.0),
        ];
        let xy = directional_region_score(&x, &y, NONE, None);
        let yx = directional_region_score(&y, &x, NONE, None);
        assert!(close(xy, 0.95));
        assert!(close(yx, (1.0 / 3.0 + 0.9 + 1.0) / 4.0));
        assert!(close(region_score(&x, &y, NONE, None), yx));
        assert!(close(region_score(&y, &x, NONE, None), yx));
    }

    #[test]
    fn label_mismatch_and_missing_region() {
        // Same box, other label: no candidate -> 0 both ways.
        let car = [rect("car", 0.0, 0.0, 10.0, 10.0)];
        let truck = [rect("truck", 0.0, 0.0, 10.0, 10.0)];
        assert_eq!(region_score(&car, &truck, NONE, None), 0.0);
        // y misses the second car: x→y = (1 + 0) / 2, y→x = 1 -> 0.5.
        let two = [
            rect("car", 0.0, 0.0, 10.0, 10.0),
            rect("car", 50.0, 50.0, 10.0, 10.0),
        ];
        assert!(close(directional_region_score(&two, &car, NONE, None), 0.5));
        assert_eq!(directional_region_score(&car, &two, NONE, None), 1.0);
        assert!(close(region_score(&two, &car, NONE, None), 0.5));
    }

    #[test]
    fn empty_annotations() {
        let car = [rect("car", 0.0, 0.0, 10.0, 10.0)];
        assert_eq!(region_score(&[], &[], NONE, None), 1.0);
        assert_eq!(region_score(&car, &[], NONE, None), 0.0);
        assert_eq!(region_score(&[], &car, NONE, None), 0.0);
        assert_eq!(directional_region_score(&[], &car, NONE, None), 0.0);
    }

    #[test]
    fn label_weights_weight_the_mean_and_zero_drops() {
        // x: car (IoU 1 with y) and person (no match in y).
        let x = [
            rect("car", 0.0, 0.0, 10.0, 10.0),
            rect("person", 50.0, 50.0, 10.0, 10.0),
        ];
        let y = [rect("car", 0.0, 0.0, 10.0, 10.0)];
        assert!(close(region_score(&x, &y, NONE, None), 0.5));
        // car weighs 3: x→y = (3·1 + 1·0) / 4 = 0.75.
        let weights: LabelWeights = [("car".to_string(), 3.0)].into_iter().collect();
        assert!(close(region_score(&x, &y, &weights, None), 0.75));
        // person weighs 0: dropped from x -> 1.
        let weights: LabelWeights = [("person".to_string(), 0.0)].into_iter().collect();
        assert_eq!(region_score(&x, &y, &weights, None), 1.0);
        // Everything dropped on both sides: both empty -> 1.
        let weights: LabelWeights = [("car".to_string(), 0.0), ("person".to_string(), 0.0)]
            .into_iter()
            .collect();
        assert_eq!(region_score(&x, &y, &weights, None), 1.0);
    }

    #[test]
    fn threshold_variant_label_studio_example() {
        // Three spans with IoUs 0.99, 0.34 and 0.82 against their
        // counterparts: at t = 0.5 -> [1, 0, 1] -> 2/3.
        // (0,100)/(0,99): 99/100; (200,300)/(200,234): 34/100; (400,500)/(400,482): 82/100.
        let x = [
            span("A", 0.0, 100.0),
            span("A", 200.0, 300.0),
            span("A", 400.0, 500.0),
        ];
        let y = [
            span("A", 0.0, 99.0),
            span("A", 200.0, 234.0),
            span("A", 400.0, 482.0),
        ];
        let xy = directional_region_score(&x, &y, NONE, Some(0.5));
        assert!(close(xy, 2.0 / 3.0));
        assert!(close(region_score(&x, &y, NONE, Some(0.5)), 2.0 / 3.0));
        // Without the threshold: (0.99 + 0.34 + 0.82) / 3.
        assert!(close(
            directional_region_score(&x, &y, NONE, None),
            (0.99 + 0.34 + 0.82) / 3.0
        ));
        // At exactly the IoU (0.34 >= 0.34) the region counts.
        assert_eq!(directional_region_score(&x, &y, NONE, Some(0.34)), 1.0);
    }

    #[test]
    fn detection_counts_greedy_one_to_one() {
        // Reference: car A (0,0,10,10), car B (20,0,10,10), person C (50,50,10,10).
        // Candidate: car (0,0,10,10) IoU 1 with A; car (1,0,10,10) IoU 9/11
        // with A (taken by the first), 0 with B; truck (20,0,10,10) on B
        // (other label); car (80,80,5,5) spurious.
        let reference = [
            rect("car", 0.0, 0.0, 10.0, 10.0),
            rect("car", 20.0, 0.0, 10.0, 10.0),
            rect("person", 50.0, 50.0, 10.0, 10.0),
        ];
        let candidate = [
            rect("car", 1.0, 0.0, 10.0, 10.0),
            rect("car", 0.0, 0.0, 10.0, 10.0),
            rect("truck", 20.0, 0.0, 10.0, 10.0),
            rect("car", 80.0, 80.0, 5.0, 5.0),
        ];
        let counts = detection_counts(&reference, &candidate, NONE, 0.5);
        // tp: A with the exact car; fp: shifted car, truck, spurious car;
        // fn: B, C.
        assert_eq!(
            counts,
            DetectionCounts {
                tp: 1,
                fp: 3,
                fn_: 2
            }
        );
        assert_eq!(counts.precision(), Some(0.25));
        assert_eq!(counts.recall(), Some(1.0 / 3.0));
        assert!(close(counts.f1().unwrap_or(0.0), 2.0 / 7.0));
        // Below the threshold a same-label pair is no match: IoU 1/3 < 0.5.
        let shifted = [rect("car", 5.0, 0.0, 10.0, 10.0)];
        assert_eq!(
            detection_counts(&reference[..1], &shifted, NONE, 0.5),
            DetectionCounts {
                tp: 0,
                fp: 1,
                fn_: 1
            }
        );
        // Counts add exactly; weight 0 leaves regions out.
        let weights: LabelWeights = [("person".to_string(), 0.0)].into_iter().collect();
        let sum = counts + detection_counts(&reference, &candidate, &weights, 0.5);
        assert_eq!(
            sum,
            DetectionCounts {
                tp: 2,
                fp: 6,
                fn_: 3
            }
        );
        assert_eq!(DetectionCounts::default().f1(), None);
    }

    #[test]
    fn many_regions_use_the_heap_path_with_the_same_result() {
        let x: Vec<Region> = (0..40)
            .map(|i| rect("car", f64::from(i) * 20.0, 0.0, 10.0, 10.0))
            .collect();
        let mut y = x.clone();
        y.truncate(30);
        // 30 of 40 matched exactly one way, all the other way.
        assert!(close(region_score(&x, &y, NONE, None), 0.75));
        assert!(close(region_score(&y, &x, NONE, None), 0.75));
    }

    fn arb_regions() -> impl proptest::strategy::Strategy<Value = Vec<Region>> {
        use proptest::prelude::*;
        proptest::collection::vec((0u8..3, 0u8..12, 0u8..12, 1u8..8, 1u8..8), 0..9).prop_map(
            |items| {
                items
                    .into_iter()
                    .map(|(label, x, y, w, h)| {
                        let label = ["car", "bus", "person"][usize::from(label)];
                        rect(
                            label,
                            f64::from(x),
                            f64::from(y),
                            f64::from(w),
                            f64::from(h),
                        )
                    })
                    .collect()
            },
        )
    }

    /// Regions of mixed shapes: boxes mostly, spans, triangles, shapeless.
    fn arb_mixed_regions() -> impl proptest::strategy::Strategy<Value = Vec<Region>> {
        use proptest::prelude::*;
        let region =
            (0u8..3, 0u8..8, 0u8..12, 0u8..12, 1u8..8).prop_map(|(label, kind, x, y, w)| {
                let label = ["car", "bus", "person"][usize::from(label)];
                let (x, y, w) = (f64::from(x), f64::from(y), f64::from(w));
                let shape = match kind {
                    0 => Shape::Span {
                        start: x,
                        end: x + w,
                    },
                    1 => Shape::Polygon {
                        points: vec![[x, y], [x + w, y], [x, y + w]],
                    },
                    2 => Shape::None,
                    _ => Shape::Rectangle {
                        x,
                        y,
                        width: w,
                        height: w,
                    },
                };
                Region {
                    labels: vec![label.to_string()],
                    shape,
                    choices: vec![],
                    texts: vec![],
                }
            });
        proptest::collection::vec(region, 0..7)
    }

    /// `region_score_and_detection` against `region_score` and
    /// `detection_counts`, bit for bit; `drop_person` weighs `person` 0.
    fn combined_equals_separate(
        a: &[Region],
        b: &[Region],
        threshold: f64,
        drop_person: bool,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let weights: LabelWeights = if drop_person {
            [("person".to_string(), 0.0)].into_iter().collect()
        } else {
            LabelWeights::new()
        };
        let (score, counts) = region_score_and_detection(a, b, &weights, threshold);
        proptest::prop_assert_eq!(
            score.to_bits(),
            region_score(a, b, &weights, None).to_bits()
        );
        proptest::prop_assert_eq!(counts, detection_counts(b, a, &weights, threshold));
        Ok(())
    }

    proptest::proptest! {
        /// The combined pass gives exactly the separate functions' results.
        #[test]
        fn score_and_detection_equal_the_separate_functions(
            a in arb_regions(),
            b in arb_regions(),
            threshold in proptest::prop_oneof![0.0f64..1.0, proptest::strategy::Just(0.0)],
            drop_person in proptest::bool::ANY,
        ) {
            combined_equals_separate(&a, &b, threshold, drop_person)?;
        }

        /// The same with spans, polygons and shapeless regions among the
        /// boxes (no sweep; the polygons built once).
        #[test]
        fn score_and_detection_of_mixed_shapes_equal_the_separate_functions(
            a in arb_mixed_regions(),
            b in arb_mixed_regions(),
            threshold in proptest::prop_oneof![0.0f64..1.0, proptest::strategy::Just(0.0)],
            drop_person in proptest::bool::ANY,
        ) {
            combined_equals_separate(&a, &b, threshold, drop_person)?;
        }
    }
}
