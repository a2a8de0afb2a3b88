//! Intersection over union of two regions of the same shape: spans (1-D),
//! axis-aligned boxes and polygons.
//!
//! Every IoU is in `[0, 1]`. When the union is empty (two zero-length spans,
//! two zero-area boxes or polygons) the IoU is 1 for identical shapes and 0
//! otherwise. Shapes of different kinds have IoU 0; two regions without
//! geometry ([`Shape::None`]) have IoU 1, so only their labels decide.

use geo::{Area, BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};

use crate::dims::Shape;

/// 1-D IoU of spans `[s₁, e₁]` and `[s₂, e₂]` (each `s <= e`):
///
/// `inter = min(e₁, e₂) − max(s₁, s₂)`, `union = max(e₁, e₂) − min(s₁, s₂)`,
/// IoU = inter / union, and 0 when the spans do not overlap (`inter <= 0`).
/// Example: (0, 20) vs (10, 30) → 10 / 30.
pub fn span_iou(a: (f64, f64), b: (f64, f64)) -> f64 {
    let inter = a.1.min(b.1) - a.0.max(b.0);
    let union = a.1.max(b.1) - a.0.min(b.0);
    if union <= 0.0 {
        return identical(a == b);
    }
    if inter <= 0.0 {
        return 0.0;
    }
    (inter / union).clamp(0.0, 1.0)
}

/// 2-D IoU of axis-aligned boxes `(x, y, width, height)` (extents >= 0;
/// rotation is ignored, as in evalme):
///
/// `inter = max(0, min(x₁+w₁, x₂+w₂) − max(x₁, x₂)) · max(0, min(y₁+h₁, y₂+h₂) − max(y₁, y₂))`,
/// IoU = inter / (w₁h₁ + w₂h₂ − inter). Percent coordinates give the same
/// IoU as pixels (IoU is invariant under scaling each axis).
pub fn box_iou(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> f64 {
    let (ax, ay, aw, ah) = a;
    let (bx, by, bw, bh) = b;
    let dx = ((ax + aw).min(bx + bw) - ax.max(bx)).max(0.0);
    let dy = ((ay + ah).min(by + bh) - ay.max(by)).max(0.0);
    let inter = dx * dy;
    let union = aw * ah + bw * bh - inter;
    if union <= 0.0 {
        return identical(a == b);
    }
    (inter / union).clamp(0.0, 1.0)
}

/// Polygon IoU of two vertex lists `[x, y]` (open or closed rings):
/// `area(A ∩ B) / area(A ∪ B)`, with the intersection and union computed by
/// `geo`'s [`BooleanOps`] (even-odd fill, so self-intersecting rings are
/// read consistently) and their unsigned areas. Works for non-convex
/// polygons. Fewer than three vertices make an empty polygon.
pub fn polygon_iou(a: &[[f64; 2]], b: &[[f64; 2]]) -> f64 {
    let (pa, pb) = (polygon(a), polygon(b));
    let union = pa.union(&pb).unsigned_area();
    if union <= 0.0 {
        return identical(a == b);
    }
    (pa.intersection(&pb).unsigned_area() / union).clamp(0.0, 1.0)
}

/// IoU of two shapes of the same kind (see the module doc for the rest).
/// Polygons go through [`polygon_iou`]; when many polygons are compared,
/// [`PreparedPolygon`] avoids rebuilding them for every pair.
pub fn iou(a: &Shape, b: &Shape) -> f64 {
    match (a, b) {
        (Shape::None, Shape::None) => 1.0,
        (Shape::Span { start: s1, end: e1 }, Shape::Span { start: s2, end: e2 }) => {
            span_iou((*s1, *e1), (*s2, *e2))
        }
        (
            Shape::Rectangle {
                x: x1,
                y: y1,
                width: w1,
                height: h1,
            },
            Shape::Rectangle {
                x: x2,
                y: y2,
                width: w2,
                height: h2,
            },
        ) => box_iou((*x1, *y1, *w1, *h1), (*x2, *y2, *w2, *h2)),
        (Shape::Polygon { points: p1 }, Shape::Polygon { points: p2 }) => polygon_iou(p1, p2),
        _ => 0.0,
    }
}

/// A polygon built once for many IoU computations: its `geo` form, its
/// bounding box and its area. The area is normalized by a boolean union
/// with nothing, so a self-intersecting ring is read with the same even-odd
/// fill rule as the intersections (the shoelace formula would not).
#[derive(Debug, Clone)]
pub struct PreparedPolygon {
    polygon: Polygon<f64>,
    bounds: Option<Rect<f64>>,
    area: f64,
}

impl PreparedPolygon {
    /// Builds the polygon of a vertex list (one boolean operation).
    pub fn new(points: &[[f64; 2]]) -> Self {
        let polygon = polygon(points);
        let area = polygon
            .union(&MultiPolygon::<f64>::new(Vec::new()))
            .unsigned_area();
        PreparedPolygon {
            bounds: polygon.bounding_rect(),
            polygon,
            area,
        }
    }

    /// The same IoU as [`polygon_iou`], with one boolean operation per pair
    /// and none when the bounding boxes do not overlap:
    /// `inter / (area(A) + area(B) − inter)`, `inter = area(A ∩ B)`.
    pub fn iou(&self, other: &PreparedPolygon) -> f64 {
        let total = self.area + other.area;
        if total <= 0.0 {
            return identical(self.polygon == other.polygon);
        }
        let overlapping = match (self.bounds, other.bounds) {
            (Some(a), Some(b)) => {
                a.min().x < b.max().x
                    && b.min().x < a.max().x
                    && a.min().y < b.max().y
                    && b.min().y < a.max().y
            }
            _ => false,
        };
        if !overlapping {
            return 0.0;
        }
        let inter = self.polygon.intersection(&other.polygon).unsigned_area();
        let union = total - inter;
        if union <= 0.0 {
            return 0.0;
        }
        (inter / union).clamp(0.0, 1.0)
    }
}

fn polygon(points: &[[f64; 2]]) -> Polygon<f64> {
    let ring: Vec<Coord<f64>> = if points.len() >= 3 {
        points.iter().map(|&[x, y]| Coord { x, y }).collect()
    } else {
        Vec::new()
    };
    Polygon::new(LineString::new(ring), Vec::new())
}

fn identical(same: bool) -> f64 {
    f64::from(u8::from(same))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn span_fixtures() {
        // (0, 20) vs (10, 30): inter = 20 - 10 = 10, union = 30 - 0 = 30 -> 1/3.
        assert!(close(span_iou((0.0, 20.0), (10.0, 30.0)), 1.0 / 3.0));
        // Nested: (0, 10) in (0, 40): 10 / 40.
        assert!(close(span_iou((0.0, 10.0), (0.0, 40.0)), 0.25));
        // Touching (0, 10) and (10, 20): inter = 0 -> 0; disjoint -> 0.
        assert_eq!(span_iou((0.0, 10.0), (10.0, 20.0)), 0.0);
        assert_eq!(span_iou((0.0, 10.0), (15.0, 20.0)), 0.0);
        // Zero-length spans: identical -> 1, different -> 0.
        assert_eq!(span_iou((5.0, 5.0), (5.0, 5.0)), 1.0);
        assert_eq!(span_iou((5.0, 5.0), (6.0, 6.0)), 0.0);
    }

    #[test]
    fn box_fixtures() {
        // Two 10x10 boxes offset by 5 in x and y: inter = 5*5 = 25,
        // union = 100 + 100 - 25 = 175 -> 25/175 = 1/7.
        assert!(close(
            box_iou((0.0, 0.0, 10.0, 10.0), (5.0, 5.0, 10.0, 10.0)),
            25.0 / 175.0
        ));
        // Offset by 5 in x only: inter = 5*10 = 50, union = 150 -> 1/3.
        assert!(close(
            box_iou((0.0, 0.0, 10.0, 10.0), (5.0, 0.0, 10.0, 10.0)),
            1.0 / 3.0
        ));
        // Contained 5x5 in 10x10: 25 / 100.
        assert!(close(
            box_iou((0.0, 0.0, 10.0, 10.0), (2.0, 2.0, 5.0, 5.0)),
            0.25
        ));
        assert_eq!(
            box_iou((0.0, 0.0, 10.0, 10.0), (10.0, 0.0, 10.0, 10.0)),
            0.0
        );
        assert_eq!(box_iou((1.0, 1.0, 4.0, 4.0), (1.0, 1.0, 4.0, 4.0)), 1.0);
    }

    const SQUARE: [[f64; 2]; 4] = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];

    #[test]
    fn polygon_fixtures() {
        // The triangle (0,0) (10,0) (10,10) is half of the 10x10 square:
        // inter = 50, union = 100 -> 0.5.
        let triangle = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]];
        assert!(close(polygon_iou(&SQUARE, &triangle), 0.5));
        // Two squares offset by 5: the box fixture again, 25/175.
        let shifted = [[5.0, 5.0], [15.0, 5.0], [15.0, 15.0], [5.0, 15.0]];
        assert!(close(polygon_iou(&SQUARE, &shifted), 25.0 / 175.0));
        assert!(close(polygon_iou(&SQUARE, &SQUARE), 1.0));
        // A closed ring (first vertex repeated) is the same polygon.
        let closed = [SQUARE[0], SQUARE[1], SQUARE[2], SQUARE[3], SQUARE[0]];
        assert!(close(polygon_iou(&SQUARE, &closed), 1.0));
        // Fewer than three vertices: empty.
        assert_eq!(polygon_iou(&SQUARE, &[[0.0, 0.0], [1.0, 1.0]]), 0.0);
    }

    #[test]
    fn non_convex_polygon() {
        // An L: the 2x2 square without its top-right unit square, area 3.
        let l_shape = [
            [0.0, 0.0],
            [2.0, 0.0],
            [2.0, 1.0],
            [1.0, 1.0],
            [1.0, 2.0],
            [0.0, 2.0],
        ];
        let square2 = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]];
        // L within the 2x2 square: inter = 3, union = 4 -> 0.75.
        assert!(close(polygon_iou(&l_shape, &square2), 0.75));
        // The unit square (0.5,0.5)-(1.5,1.5), area 1, overlaps the notch in
        // (1,1)-(1.5,1.5) (0.25): inter = 1 - 0.25 = 0.75,
        // union = 3 + 1 - 0.75 = 3.25 -> 0.75 / 3.25 = 3/13.
        let centre = [[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5]];
        assert!(close(polygon_iou(&l_shape, &centre), 3.0 / 13.0));
        // The notch itself: bounding boxes overlap, the polygons only touch -> 0.
        let notch = [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0]];
        assert!(close(polygon_iou(&l_shape, &notch), 0.0));
        // The prepared form gives the same values.
        let prepared = PreparedPolygon::new(&l_shape);
        for (other, expected) in [(&square2, 0.75), (&centre, 3.0 / 13.0), (&notch, 0.0)] {
            assert!(close(prepared.iou(&PreparedPolygon::new(other)), expected));
        }
        assert!(close(prepared.iou(&prepared), 1.0));
    }

    #[test]
    fn self_intersecting_ring_is_read_even_odd() {
        // A bow tie (0,0) (2,2) (2,0) (0,2): two triangles of area 1 each;
        // the shoelace formula would say 0. Against the 2x2 square: 2 / 4.
        let bow_tie = [[0.0, 0.0], [2.0, 2.0], [2.0, 0.0], [0.0, 2.0]];
        let square2 = [[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]];
        assert!(close(polygon_iou(&bow_tie, &square2), 0.5));
        let prepared = PreparedPolygon::new(&bow_tie);
        assert!(close(prepared.iou(&PreparedPolygon::new(&square2)), 0.5));
    }

    #[test]
    fn shapes_dispatch() {
        let span = Shape::Span {
            start: 0.0,
            end: 20.0,
        };
        let other = Shape::Span {
            start: 10.0,
            end: 30.0,
        };
        assert!(close(iou(&span, &other), 1.0 / 3.0));
        let rect = Shape::Rectangle {
            x: 0.0,
            y: 0.0,
            width: 10.0,
            height: 10.0,
        };
        assert_eq!(iou(&span, &rect), 0.0);
        assert_eq!(iou(&Shape::None, &Shape::None), 1.0);
        assert_eq!(iou(&Shape::None, &rect), 0.0);
    }
}
