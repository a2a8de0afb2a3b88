//! One side's regions prepared for matching: grouped by label set (regions
//! match only with equal label sets), with each group's sweep over its
//! boxes and the polygons built. It depends on the regions alone (not on
//! label weights or thresholds), so it is built once per result and
//! dimension and reused for every partner (see [`super::memo`]).

use super::geometry::{box_iou, iou, PreparedPolygon};
use super::sweep::{boxes, Sweep};
use crate::dims::{Region, Shape};

/// Each region's polygon prepared for intersection, by position (`None`
/// for other shapes); empty when no region is a polygon.
pub(crate) fn prepared_polygons(regions: &[Region]) -> Vec<Option<PreparedPolygon>> {
    if !regions
        .iter()
        .any(|r| matches!(r.shape, Shape::Polygon { .. }))
    {
        return Vec::new();
    }
    regions
        .iter()
        .map(|r| match &r.shape {
            Shape::Polygon { points } => Some(PreparedPolygon::new(points)),
            _ => None,
        })
        .collect()
}

/// A region list ready for [`super::region`]'s matching.
#[derive(Debug)]
pub(crate) struct PreparedRegions {
    /// Per region: its group (distinct label sets, in order of first
    /// appearance).
    group: Vec<u32>,
    /// Per group: the index of its first region (whose labels are the
    /// group's).
    first: Vec<usize>,
    /// The regions of group `g`, in order: `members[starts[g]..starts[g + 1]]`.
    members: Vec<usize>,
    starts: Vec<usize>,
    /// The boxes of the regions, when every region is a box (see
    /// [`boxes`]).
    boxes: Option<Vec<[f64; 4]>>,
    /// Per group, with `boxes`: the sweep over the group's boxes.
    sweeps: Vec<Sweep>,
    /// Per region, when any is a polygon: its polygon, built.
    polygons: Vec<Option<PreparedPolygon>>,
}

impl PreparedRegions {
    /// Prepares `regions`.
    pub(crate) fn new(regions: &[Region]) -> Self {
        let mut first: Vec<usize> = Vec::new();
        let group: Vec<u32> = regions
            .iter()
            .enumerate()
            .map(|(index, region)| {
                let found = first
                    .iter()
                    .position(|&f| regions[f].labels == region.labels);
                let g = found.unwrap_or_else(|| {
                    first.push(index);
                    first.len() - 1
                });
                g as u32
            })
            .collect();
        // Counting sort of the regions by group, keeping their order.
        let mut starts = vec![0usize; first.len() + 1];
        for &g in &group {
            starts[g as usize + 1] += 1;
        }
        for g in 0..first.len() {
            starts[g + 1] += starts[g];
        }
        let mut fill = starts.clone();
        let mut members = vec![0usize; regions.len()];
        for (index, &g) in group.iter().enumerate() {
            members[fill[g as usize]] = index;
            fill[g as usize] += 1;
        }
        let boxes = boxes(regions);
        let sweeps = match &boxes {
            Some(boxes) => (0..first.len())
                .map(|g| Sweep::over(boxes, members[starts[g]..starts[g + 1]].iter().copied()))
                .collect(),
            None => Vec::new(),
        };
        let polygons = prepared_polygons(regions);
        PreparedRegions {
            group,
            first,
            members,
            starts,
            boxes,
            sweeps,
            polygons,
        }
    }

    /// The number of regions.
    pub(crate) fn len(&self) -> usize {
        self.group.len()
    }

    /// The number of groups.
    pub(crate) fn groups(&self) -> usize {
        self.first.len()
    }

    /// The group of region `index`.
    pub(crate) fn group(&self, index: usize) -> usize {
        self.group[index] as usize
    }

    /// The first region of group `g` (its labels are the group's).
    pub(crate) fn first(&self, g: usize) -> usize {
        self.first[g]
    }

    /// The regions of group `g`, in order.
    pub(crate) fn members(&self, g: usize) -> &[usize] {
        &self.members[self.starts[g]..self.starts[g + 1]]
    }

    /// The boxes, when every region is one.
    pub(crate) fn boxes(&self) -> Option<&[[f64; 4]]> {
        self.boxes.as_deref()
    }

    /// The sweep over group `g`'s boxes (with [`Self::boxes`]).
    pub(crate) fn sweep(&self, g: usize) -> Option<&Sweep> {
        self.sweeps.get(g)
    }

    /// The built polygon of region `k`, if it is a polygon.
    fn polygon(&self, k: usize) -> Option<&PreparedPolygon> {
        self.polygons.get(k).and_then(Option::as_ref)
    }

    /// The IoU of region `i` of `self` (of `regions`) with region `j` of
    /// `other` (of `other_regions`): the built polygons when both are
    /// polygons, else [`iou`] of the shapes (both boxes: [`box_iou`] of
    /// the same numbers).
    #[inline]
    pub(crate) fn iou(
        &self,
        regions: &[Region],
        i: usize,
        other: &PreparedRegions,
        other_regions: &[Region],
        j: usize,
    ) -> f64 {
        if let (Some(a), Some(b)) = (self.boxes(), other.boxes()) {
            let ([ax, ay, aw, ah], [bx, by, bw, bh]) = (a[i], b[j]);
            return box_iou((ax, ay, aw, ah), (bx, by, bw, bh));
        }
        match (self.polygon(i), other.polygon(j)) {
            (Some(a), Some(b)) => a.iou(b),
            _ => iou(&regions[i].shape, &other_regions[j].shape),
        }
    }
}
