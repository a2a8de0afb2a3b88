//! Pruning of box pairs that cannot overlap, for region matching: a pair
//! of disjoint boxes has IoU exactly 0, so when a match value of 0 cannot
//! raise a best match the pair need not be scored at all.

use std::ops::Range;

use crate::dims::{Region, Shape};

/// The boxes `[x, y, width, height]` of a region list when every region is
/// a rectangle of finite coordinates and non-negative size (`None`
/// otherwise: `min`/`max` skip NaN, so a box with a NaN edge can overlap).
pub(crate) fn boxes(regions: &[Region]) -> Option<Vec<[f64; 4]>> {
    // Sized up front (collecting into `Option<Vec>` would grow it).
    let mut out = Vec::with_capacity(regions.len());
    for region in regions {
        match region.shape {
            Shape::Rectangle {
                x,
                y,
                width,
                height,
            } if [x, y, width, height].iter().all(|v| v.is_finite())
                && width >= 0.0
                && height >= 0.0 =>
            {
                out.push([x, y, width, height])
            }
            _ => return None,
        }
    }
    Some(out)
}

/// True when two boxes of non-negative size have no common point, so
/// their [`box_iou`](super::geometry::box_iou) is exactly 0 (the
/// intersection's extent, computed as there, is negative on an axis, and
/// the boxes differ).
#[inline]
pub(crate) fn disjoint(a: [f64; 4], b: [f64; 4]) -> bool {
    let [ax, ay, aw, ah] = a;
    let [bx, by, bw, bh] = b;
    let dx = (ax + aw).min(bx + bw) - ax.max(bx);
    let dy = (ay + ah).min(by + bh) - ay.max(by);
    dx < 0.0 || dy < 0.0
}

/// One side's boxes (from [`boxes`]) ordered by left edge, with the
/// running maximum of their right edges: the boxes a box may meet on the x
/// axis form one slice of that order.
#[derive(Debug)]
pub(crate) struct Sweep {
    order: Vec<usize>,
    left: Vec<f64>,
    reach: Vec<f64>,
}

impl Sweep {
    /// The sweep over `boxes`.
    pub(crate) fn new(boxes: &[[f64; 4]]) -> Self {
        Sweep::over(boxes, 0..boxes.len())
    }

    /// The sweep over the boxes `members` names (indices into `boxes`);
    /// its candidates are indices into `boxes` too.
    pub(crate) fn over(boxes: &[[f64; 4]], members: impl Iterator<Item = usize>) -> Self {
        let mut order: Vec<usize> = members.collect();
        order.sort_unstable_by(|&p, &q| boxes[p][0].total_cmp(&boxes[q][0]));
        let left = order.iter().map(|&j| boxes[j][0]).collect();
        let mut reach = Vec::with_capacity(order.len());
        let mut furthest = f64::NEG_INFINITY;
        for &j in &order {
            furthest = furthest.max(boxes[j][0] + boxes[j][2]);
            reach.push(furthest);
        }
        Sweep { order, left, reach }
    }

    /// Every box that may meet the box `b` (`[x, y, width, height]`); each
    /// box left out is [`disjoint`] from it on the x axis.
    #[inline]
    pub(crate) fn candidates(&self, b: [f64; 4]) -> Candidates<'_> {
        let (x, right) = (b[0], b[0] + b[2]);
        // Left edges past `right`: disjoint. Right edges (all, up to that
        // position) before `x`: disjoint.
        let end = self.left.partition_point(|&l| l <= right);
        let start = self.reach[..end].partition_point(|&r| r < x);
        Candidates::Some(self.order[start..end].iter())
    }
}

/// The indices of the other side a region is matched against.
pub(crate) enum Candidates<'s> {
    /// All of them.
    All(Range<usize>),
    /// Those a sweep kept.
    Some(std::slice::Iter<'s, usize>),
}

impl Iterator for Candidates<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            Candidates::All(range) => range.next(),
            Candidates::Some(iter) => iter.next().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::geometry::box_iou;
    use super::*;

    fn rectangle(x: f64, width: f64) -> Region {
        Region {
            labels: Vec::new(),
            shape: Shape::Rectangle {
                x,
                y: 0.0,
                width,
                height: 1.0,
            },
            choices: Vec::new(),
            texts: Vec::new(),
        }
    }

    #[test]
    fn only_finite_non_negative_boxes_are_pruned() {
        assert!(boxes(&[rectangle(1.0, 2.0)]).is_some());
        assert!(boxes(&[rectangle(1.0, 2.0), rectangle(f64::NAN, 1.0)]).is_none());
        assert!(boxes(&[rectangle(1.0, -1.0)]).is_none());
        assert!(boxes(&[rectangle(f64::INFINITY, 1.0)]).is_none());
    }

    #[test]
    fn every_box_left_out_has_iou_zero() {
        let boxes: Vec<[f64; 4]> = (0..40)
            .map(|i| {
                let i = f64::from(i);
                [(i * 7.3) % 50.0, (i * 3.1) % 40.0, (i % 5.0) * 2.0, 4.0]
            })
            .chain([
                [10.0, 10.0, 0.0, 0.0],
                [10.0, 10.0, 0.0, 0.0],
                [49.0, 0.0, 1e-300, 0.0],
            ])
            .collect();
        let sweep = Sweep::new(&boxes);
        for &a in &boxes {
            let kept: Vec<usize> = sweep.candidates(a).collect();
            for (j, &b) in boxes.iter().enumerate() {
                let iou = box_iou((a[0], a[1], a[2], a[3]), (b[0], b[1], b[2], b[3]));
                if !kept.contains(&j) {
                    assert_eq!(iou, 0.0, "{a:?} {b:?}");
                }
                if disjoint(a, b) {
                    assert_eq!(iou, 0.0, "{a:?} {b:?}");
                }
            }
        }
    }
}
