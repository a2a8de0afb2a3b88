//! Pair scores between two annotations, Label Studio style, for every
//! control kind.
//!
//! Label Studio's rules (reference/labelstudio-dashboards.md §4): scores are
//! computed per control tag (dimension) with the tag's default metric, then
//! averaged with the tags' weights; a tag left empty by both sides counts as
//! a match (1), by one side as 0. Unknown kinds stay unscored.
//!
//! | kind | metric |
//! | --- | --- |
//! | `choices` | exact set ([`exact_set`]); per-region: IoU × [choices equal] |
//! | `taxonomy` | exact set of paths ([`taxonomy_exact`]) |
//! | `rating`, `number` | numeric difference over the declared range ([`numeric_difference`]) |
//! | `labels`, `hypertextlabels`, `paragraphlabels`, `timeserieslabels` | 1-D IoU ([`span_iou`]) |
//! | `rectanglelabels`, `rectangle` | box IoU ([`box_iou`]) |
//! | `polygonlabels`, `polygon` | polygon IoU ([`polygon_iou`]) |
//! | `textarea` | aligned normalized Levenshtein ([`texts_similarity`]); per-region: IoU × that |
//!
//! Region kinds are matched by [`region_score`]: each region's best
//! same-label IoU, weighted by label weights, min over both directions.
//! Partial-credit and detection metrics for reporting ([`jaccard`],
//! [`taxonomy_path_match`], [`detection_counts`]) are exported beside them.

mod choices;
mod geometry;
mod memo;
mod numeric;
mod prepared;
mod region;
mod sweep;
mod text;

pub use choices::{exact_set, jaccard, taxonomy_exact, taxonomy_path_match};
pub use geometry::{box_iou, iou, polygon_iou, span_iou, PreparedPolygon};
pub use memo::{fingerprint, Owner, PairMemo};
pub use numeric::numeric_difference;
pub use region::{
    detection_counts, directional_region_score, region_score, region_score_and_detection,
    region_weight, DetectionCounts,
};
pub use text::{text_similarity, texts_similarity};

use std::sync::Arc;

use crate::dims::{DimValue, Dims, Region};
use crate::event::{LabelWeights, DEFAULT_THRESHOLD};
use crate::project::ProjectConfig;
use crate::score::to_fixed;
use choices::{exact_weighted, label_weight, labels_weight};
use prepared::PreparedRegions;
use region::{detect, match_regions, passes, prepared_score_and_detection, symmetric};

/// How one dimension is scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// `choices`: 1 when both selected exactly the same set of labels (labels
    /// of weight 0 left out), else 0. When either side has per-region
    /// choices, scored region by region with match value
    /// `IoU × [choices equal]` (see [`region_score`] for the matching).
    ExactSet,
    /// `taxonomy`: 1 when both selected the same set of paths, else 0.
    TaxonomyExact,
    /// `1 − |a − b| / (max − min)`, clamped to `[0, 1]`.
    NumericDifference {
        /// Declared scale minimum.
        min: f64,
        /// Declared scale maximum.
        max: f64,
    },
    /// 1 when both numbers are equal (a number without a declared range).
    ExactNumber,
    /// Text spans, hypertext, paragraphs, time series: 1-D IoU matching.
    SpanIou,
    /// Rectangles: 2-D box IoU matching (rotation ignored).
    BoxIou,
    /// Polygons: polygon IoU matching.
    PolygonIou,
    /// `textarea`: texts aligned by index, normalized Levenshtein. When
    /// either side has per-region texts, scored region by region with match
    /// value `IoU × text similarity`.
    TextSimilarity,
}

impl Metric {
    /// The default metric of a control kind (Label Studio's defaults);
    /// `None` for kinds that are not scored. `min`/`max` are the declared
    /// range of a `rating` (default 1..=5) or `number`.
    pub fn for_kind(kind: &str, min: Option<f64>, max: Option<f64>) -> Option<Metric> {
        Some(match kind {
            "choices" => Metric::ExactSet,
            "taxonomy" => Metric::TaxonomyExact,
            "rating" => {
                let (min, max) = (min.unwrap_or(1.0), max.unwrap_or(5.0));
                if max > min {
                    Metric::NumericDifference { min, max }
                } else {
                    Metric::ExactNumber
                }
            }
            "number" => match (min, max) {
                (Some(min), Some(max)) if max > min => Metric::NumericDifference { min, max },
                _ => Metric::ExactNumber,
            },
            "labels" | "hypertextlabels" | "paragraphlabels" | "timeserieslabels" => {
                Metric::SpanIou
            }
            "rectanglelabels" | "rectangle" => Metric::BoxIou,
            "polygonlabels" | "polygon" => Metric::PolygonIou,
            "textarea" => Metric::TextSimilarity,
            _ => return None,
        })
    }

    /// True for the metrics that match regions by IoU.
    pub fn is_region(self) -> bool {
        matches!(self, Metric::SpanIou | Metric::BoxIou | Metric::PolygonIou)
    }
}

/// No label weights (every label weighs 1).
static NO_LABEL_WEIGHTS: LabelWeights = LabelWeights::new();

/// A dimension that takes part in agreement: its metric, weight, threshold
/// and label weights, borrowed from the project config (or from the
/// results, for an undeclared dimension).
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredDimension<'a> {
    /// The control tag.
    pub name: &'a str,
    /// The control kind (declared, or the item type for an undeclared tag).
    pub kind: &'a str,
    /// How it is scored.
    pub metric: Metric,
    /// Its weight in the overall score (> 0).
    pub weight: f64,
    /// IoU threshold of the threshold variants and detection counts, and the
    /// pair score at or above which two sides agree (consensus).
    pub threshold: f64,
    /// Label weights inside the tag (a missing label weighs 1).
    pub label_weights: &'a LabelWeights,
}

impl ScoredDimension<'_> {
    /// True for dimensions whose values are categories, so the
    /// chance-corrected statistics apply: `choices`, `taxonomy`, `rating`,
    /// `number` (a per-region `choices` value is not: see
    /// `contribution::agreement::category`).
    pub fn is_categorical(&self) -> bool {
        matches!(
            self.metric,
            Metric::ExactSet
                | Metric::TaxonomyExact
                | Metric::NumericDifference { .. }
                | Metric::ExactNumber
        )
    }
}

/// The dimensions scored for a task: the project's declared scorable
/// controls with weight > 0, plus undeclared scorable dimensions that appear
/// in any of the given results (weight 1, default threshold, no label
/// weights). Sorted by name.
pub fn scored_dimensions<'a>(
    config: &'a ProjectConfig,
    results: impl IntoIterator<Item = &'a Dims>,
) -> Vec<ScoredDimension<'a>> {
    let mut dims: Vec<ScoredDimension> = config
        .controls
        .iter()
        .filter(|c| c.weight > 0.0)
        .filter_map(|c| {
            Metric::for_kind(&c.kind, c.min, c.max).map(|metric| ScoredDimension {
                name: &c.name,
                kind: &c.kind,
                metric,
                weight: c.weight,
                threshold: c.threshold,
                label_weights: &c.label_weights,
            })
        })
        .collect();
    for result in results {
        for value in &result.values {
            if config.control(&value.name).is_some() || dims.iter().any(|d| d.name == value.name) {
                continue;
            }
            if let Some(metric) = Metric::for_kind(&value.kind, None, None) {
                dims.push(ScoredDimension {
                    name: &value.name,
                    kind: &value.kind,
                    metric,
                    weight: 1.0,
                    threshold: DEFAULT_THRESHOLD,
                    label_weights: &NO_LABEL_WEIGHTS,
                });
            }
        }
    }
    dims.sort_by(|a, b| a.name.cmp(b.name));
    dims
}

/// The weight of a per-region value: for choices, the largest weight of its
/// choices (0 drops it); for texts, 1.
fn attached_weight(dimension: &ScoredDimension<'_>, region: &Region) -> f64 {
    labels_weight(dimension.label_weights, &region.choices)
}

/// True when the pair is scored region by region (per-region choices or
/// texts on either side).
fn per_region(dimension: &ScoredDimension<'_>, a: &DimValue, b: &DimValue) -> bool {
    matches!(dimension.metric, Metric::ExactSet | Metric::TextSimilarity)
        && (!a.regions.is_empty() || !b.regions.is_empty())
}

/// True when the side has something for this dimension's metric.
fn present(dimension: &ScoredDimension<'_>, value: Option<&DimValue>) -> bool {
    let Some(v) = value else {
        return false;
    };
    let weights = dimension.label_weights;
    match dimension.metric {
        Metric::ExactSet => {
            v.labels.iter().any(|l| label_weight(weights, l) > 0.0)
                || v.regions
                    .iter()
                    .any(|r| attached_weight(dimension, r) > 0.0)
        }
        Metric::TaxonomyExact => !v.paths.is_empty(),
        Metric::NumericDifference { .. } | Metric::ExactNumber => v.number.is_some(),
        Metric::SpanIou | Metric::BoxIou | Metric::PolygonIou => {
            v.regions.iter().any(|r| region_weight(r, weights) > 0.0)
        }
        Metric::TextSimilarity => !v.texts.is_empty() || !v.regions.is_empty(),
    }
}

fn indicator(yes: bool) -> f64 {
    f64::from(u8::from(yes))
}

/// A continuous score, or `[score ≥ t]` in the threshold variant.
fn thresholded(score: f64, threshold: Option<f64>) -> f64 {
    match threshold {
        Some(t) => indicator(passes(score, t)),
        None => score,
    }
}

/// The score of two present sides; `threshold` selects the threshold variant.
fn score_present(
    dimension: &ScoredDimension<'_>,
    a: &DimValue,
    b: &DimValue,
    threshold: Option<f64>,
) -> f64 {
    let weights = dimension.label_weights;
    match dimension.metric {
        Metric::ExactSet if per_region(dimension, a, b) => {
            let (x, y) = match_regions(
                &a.regions,
                &b.regions,
                |r| attached_weight(dimension, r),
                |r, s| indicator(exact_weighted(&r.choices, &s.choices, weights)),
                threshold,
            );
            symmetric(x, y)
        }
        Metric::ExactSet => indicator(exact_weighted(&a.labels, &b.labels, weights)),
        Metric::TaxonomyExact => taxonomy_exact(&a.paths, &b.paths),
        Metric::NumericDifference { min, max } => match (a.number, b.number) {
            (Some(x), Some(y)) => thresholded(numeric_difference(x, y, min, max), threshold),
            _ => 0.0,
        },
        Metric::ExactNumber => indicator(a.number == b.number),
        Metric::SpanIou | Metric::BoxIou | Metric::PolygonIou => {
            region_score(&a.regions, &b.regions, weights, threshold)
        }
        Metric::TextSimilarity if per_region(dimension, a, b) => {
            let (x, y) = match_regions(
                &a.regions,
                &b.regions,
                |_| 1.0,
                |r, s| texts_similarity(&r.texts, &s.texts),
                threshold,
            );
            symmetric(x, y)
        }
        Metric::TextSimilarity => thresholded(texts_similarity(&a.texts, &b.texts), threshold),
    }
}

fn score(
    dimension: &ScoredDimension<'_>,
    a: Option<&DimValue>,
    b: Option<&DimValue>,
    threshold: Option<f64>,
) -> f64 {
    match (present(dimension, a), present(dimension, b), a, b) {
        (false, false, _, _) => 1.0,
        (true, true, Some(a), Some(b)) => score_present(dimension, a, b, threshold),
        _ => 0.0,
    }
}

/// The score of one dimension between two sides, `[0, 1]`, with the
/// dimension's metric (see [`Metric`]): 1 when neither side has a value for
/// it, 0 when only one has.
pub fn dimension_score(
    dimension: &ScoredDimension<'_>,
    a: Option<&DimValue>,
    b: Option<&DimValue>,
) -> f64 {
    score(dimension, a, b, None)
}

/// The threshold variant of [`dimension_score`] with `t` =
/// `dimension.threshold`: for region metrics (and per-region values) each
/// best match value is replaced by `[value ≥ t]`; for numeric difference and
/// text similarity the score becomes `[score ≥ t]`; exact metrics are
/// unchanged.
pub fn dimension_threshold_score(
    dimension: &ScoredDimension<'_>,
    a: Option<&DimValue>,
    b: Option<&DimValue>,
) -> f64 {
    score(dimension, a, b, Some(dimension.threshold))
}

/// True when the two sides agree in this dimension (consensus): for exact
/// metrics (`choices` without per-region values, `taxonomy`, a number
/// without range) when the score is 1; otherwise when
/// [`dimension_score`] ≥ `dimension.threshold` (compared in fixed point).
pub fn dimension_agrees(
    dimension: &ScoredDimension<'_>,
    a: Option<&DimValue>,
    b: Option<&DimValue>,
) -> bool {
    agrees_at(dimension, a, b, dimension_score(dimension, a, b))
}

/// [`dimension_agrees`] given the already computed [`dimension_score`].
fn agrees_at(
    dimension: &ScoredDimension<'_>,
    a: Option<&DimValue>,
    b: Option<&DimValue>,
    score: f64,
) -> bool {
    let exact = match (dimension.metric, a, b) {
        (Metric::ExactSet, Some(a), Some(b)) => !per_region(dimension, a, b),
        (Metric::ExactSet | Metric::TaxonomyExact | Metric::ExactNumber, _, _) => true,
        _ => false,
    };
    if exact {
        score >= 1.0
    } else {
        to_fixed(score) >= to_fixed(dimension.threshold)
    }
}

/// Detection counts of `candidate` against `reference` in a region
/// dimension (or a per-region `choices` dimension, where a match also needs
/// equal choices), at IoU threshold `dimension.threshold`; see
/// [`detection_counts`]. `None` for other metrics.
pub fn dimension_detection_counts(
    dimension: &ScoredDimension<'_>,
    reference: Option<&DimValue>,
    candidate: Option<&DimValue>,
) -> Option<DetectionCounts> {
    let (r, c) = (regions_of(reference), regions_of(candidate));
    let weights = dimension.label_weights;
    match dimension.metric {
        m if m.is_region() => Some(detection_counts(r, c, weights, dimension.threshold)),
        Metric::ExactSet if !r.is_empty() || !c.is_empty() => Some(detect(
            r,
            c,
            |x| attached_weight(dimension, x),
            |x, y| indicator(exact_weighted(&x.choices, &y.choices, weights)),
            dimension.threshold,
        )),
        _ => None,
    }
}

fn regions_of(value: Option<&DimValue>) -> &[Region] {
    value.map_or(&[], |v| &v.regions)
}

/// True when either side has a value for the dimension.
pub fn dimension_used(dimension: &ScoredDimension<'_>, a: &Dims, b: &Dims) -> bool {
    present(dimension, a.get(dimension.name)) || present(dimension, b.get(dimension.name))
}

/// Everything agreement needs about one pair, each dimension scored once.
#[derive(Debug, Clone, PartialEq)]
pub struct PairEvaluation {
    /// [`pair_score`].
    pub overall: Option<i64>,
    /// [`dimension_score`] per dimension, in the order of the dimensions.
    pub scores: Vec<f64>,
    /// [`dimension_agrees`] per dimension.
    pub agrees: Vec<bool>,
    /// [`dimension_detection_counts`] per dimension with `a` as the
    /// candidate and `b` as the reference (`None` for non-region metrics).
    pub detection: Vec<Option<DetectionCounts>>,
}

/// [`pair_score`], [`dimension_score`], [`dimension_agrees`] and
/// [`dimension_detection_counts`] of every dimension for one pair, scoring
/// each dimension once.
pub fn evaluate_pair(dimensions: &[ScoredDimension<'_>], a: &Dims, b: &Dims) -> PairEvaluation {
    evaluate_pair_prepared(dimensions, a, b, &mut |x, y| {
        (
            Arc::new(PreparedRegions::new(&x.regions)),
            Arc::new(PreparedRegions::new(&y.regions)),
        )
    })
}

/// The prepared regions of a region dimension's two values.
pub(crate) type Prepare<'p> =
    dyn FnMut(&DimValue, &DimValue) -> (Arc<PreparedRegions>, Arc<PreparedRegions>) + 'p;

/// [`evaluate_pair`], with the regions of region dimensions prepared by
/// `prepare` (given `a`'s value and `b`'s; e.g. from the pair memo's
/// cache).
pub(crate) fn evaluate_pair_prepared(
    dimensions: &[ScoredDimension<'_>],
    a: &Dims,
    b: &Dims,
    prepare: &mut Prepare<'_>,
) -> PairEvaluation {
    let mut scores = Vec::with_capacity(dimensions.len());
    let mut agrees = Vec::with_capacity(dimensions.len());
    let mut detection = Vec::with_capacity(dimensions.len());
    let (mut weighted, mut weights) = (0.0, 0.0);
    for dimension in dimensions {
        let (x, y) = (a.get(dimension.name), b.get(dimension.name));
        let (score, counts) = score_and_detection(dimension, x, y, prepare);
        weighted += score * dimension.weight;
        weights += dimension.weight;
        scores.push(score);
        agrees.push(agrees_at(dimension, x, y, score));
        detection.push(counts);
    }
    PairEvaluation {
        overall: (!dimensions.is_empty()).then(|| to_fixed(weighted / weights)),
        scores,
        agrees,
        detection,
    }
}

/// [`dimension_score`] of `a` and `b` and [`dimension_detection_counts`]
/// with `a` as the candidate, sharing the IoUs of region metrics.
fn score_and_detection(
    dimension: &ScoredDimension<'_>,
    a: Option<&DimValue>,
    b: Option<&DimValue>,
    prepare: &mut Prepare<'_>,
) -> (f64, Option<DetectionCounts>) {
    match (a, b) {
        (Some(x), Some(y))
            if dimension.metric.is_region() && present(dimension, a) && present(dimension, b) =>
        {
            let (px, py) = prepare(x, y);
            let (score, counts) = prepared_score_and_detection(
                (&x.regions, &px),
                (&y.regions, &py),
                dimension.label_weights,
                dimension.threshold,
            );
            (score, Some(counts))
        }
        _ => (
            dimension_score(dimension, a, b),
            dimension_detection_counts(dimension, b, a),
        ),
    }
}

/// The overall pair score in fixed point: the weighted mean of the
/// dimension scores. `None` when no dimension is scored.
pub fn pair_score(dimensions: &[ScoredDimension<'_>], a: &Dims, b: &Dims) -> Option<i64> {
    if dimensions.is_empty() {
        return None;
    }
    let (mut weighted, mut weights) = (0.0, 0.0);
    for dimension in dimensions {
        let score = dimension_score(dimension, a.get(dimension.name), b.get(dimension.name));
        weighted += score * dimension.weight;
        weights += dimension.weight;
    }
    Some(to_fixed(weighted / weights))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Control;
    use crate::score::SCORE_ONE;

    fn dims(json: &str) -> Dims {
        let items: Vec<crate::result::ResultItem<'_>> = serde_json::from_str(json).unwrap();
        Dims::from_result(&items)
    }

    fn control(name: &str, kind: &str, weight: f64) -> Control {
        Control {
            name: name.into(),
            kind: kind.into(),
            labels: vec![],
            multiple: false,
            min: None,
            max: None,
            weight,
            label_weights: LabelWeights::new(),
            threshold: DEFAULT_THRESHOLD,
        }
    }

    fn choice(name: &str, labels: &[&str]) -> String {
        format!(
            r#"{{"from_name":"{name}","to_name":"t","type":"choices","value":{{"choices":{}}}}}"#,
            serde_json::to_string(labels).unwrap()
        )
    }

    #[test]
    fn label_studio_example_two_of_three_controls() {
        // LS docs example 4: one tag matches, one does not, one is unselected
        // in both: (1 + 0 + 1) / 3.
        let config = ProjectConfig {
            controls: vec![
                control("c1", "choices", 1.0),
                control("c2", "choices", 1.0),
                control("c3", "choices", 1.0),
            ],
            ..ProjectConfig::default()
        };
        let a = dims(&format!(
            "[{},{}]",
            choice("c1", &["x"]),
            choice("c2", &["y"])
        ));
        let b = dims(&format!(
            "[{},{}]",
            choice("c1", &["x"]),
            choice("c2", &["z"])
        ));
        let scored = scored_dimensions(&config, [&a, &b]);
        assert_eq!(pair_score(&scored, &a, &b), Some(666_666_667));
    }

    #[test]
    fn multi_choice_is_an_exact_set_match() {
        let config = ProjectConfig::default();
        let a = dims(&format!("[{}]", choice("tags", &["a", "b"])));
        let b = dims(&format!("[{}]", choice("tags", &["b", "a"])));
        let c = dims(&format!("[{}]", choice("tags", &["a"])));
        let scored = scored_dimensions(&config, [&a, &b, &c]);
        assert_eq!(pair_score(&scored, &a, &b), Some(SCORE_ONE));
        assert_eq!(pair_score(&scored, &a, &c), Some(0));
    }

    #[test]
    fn rating_difference_over_declared_range() {
        let mut rating = control("stars", "rating", 1.0);
        rating.min = Some(1.0);
        rating.max = Some(5.0);
        let config = ProjectConfig {
            controls: vec![rating],
            ..ProjectConfig::default()
        };
        let r = |v: f64| {
            dims(&format!(
                r#"[{{"from_name":"stars","to_name":"t","type":"rating","value":{{"rating":{v}}}}}]"#
            ))
        };
        let scored = scored_dimensions(&config, []);
        // |4-2| / (5-1) = 0.5 -> 0.5
        assert_eq!(pair_score(&scored, &r(4.0), &r(2.0)), Some(SCORE_ONE / 2));
        assert_eq!(pair_score(&scored, &r(5.0), &r(1.0)), Some(0));
        assert_eq!(pair_score(&scored, &r(3.0), &r(3.0)), Some(SCORE_ONE));
    }

    #[test]
    fn weights_and_zero_weight_drop() {
        let config = ProjectConfig {
            controls: vec![
                control("a", "choices", 3.0),
                control("b", "choices", 1.0),
                control("c", "choices", 0.0),
            ],
            ..ProjectConfig::default()
        };
        let x = dims(&format!(
            "[{},{},{}]",
            choice("a", &["1"]),
            choice("b", &["1"]),
            choice("c", &["1"])
        ));
        let y = dims(&format!(
            "[{},{},{}]",
            choice("a", &["1"]),
            choice("b", &["2"]),
            choice("c", &["2"])
        ));
        let scored = scored_dimensions(&config, [&x, &y]);
        // c is dropped (weight 0) and not re-added as undeclared: (3*1 + 1*0)/4
        assert_eq!(scored.len(), 2);
        assert_eq!(pair_score(&scored, &x, &y), Some(750_000_000));
    }

    #[test]
    fn one_side_empty_scores_zero_and_unscored_kinds_give_none() {
        let config = ProjectConfig {
            controls: vec![control("s", "choices", 1.0)],
            ..ProjectConfig::default()
        };
        let empty = Dims::default();
        let a = dims(&format!("[{}]", choice("s", &["x"])));
        let scored = scored_dimensions(&config, [&a]);
        assert_eq!(pair_score(&scored, &a, &empty), Some(0));
        assert_eq!(pair_score(&scored, &empty, &empty), Some(SCORE_ONE));
        let brush_only = ProjectConfig {
            controls: vec![control("b", "brushlabels", 1.0)],
            ..ProjectConfig::default()
        };
        assert_eq!(
            pair_score(&scored_dimensions(&brush_only, []), &a, &a),
            None
        );
    }

    fn config_of(controls: Vec<Control>) -> ProjectConfig {
        ProjectConfig {
            controls,
            ..ProjectConfig::default()
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    fn rect(id: &str, label: &str, x: f64, y: f64, w: f64, h: f64) -> String {
        format!(
            r#"{{"id":"{id}","from_name":"box","to_name":"img","type":"rectanglelabels","value":{{"x":{x},"y":{y},"width":{w},"height":{h},"rotation":0,"rectanglelabels":["{label}"]}}}}"#
        )
    }

    fn one<'a>(config: &'a ProjectConfig, name: &str) -> ScoredDimension<'a> {
        let scored = scored_dimensions(config, []);
        scored
            .into_iter()
            .find(|d| d.name == name)
            .expect("declared dimension")
    }

    #[test]
    fn boxes_end_to_end() {
        let config = config_of(vec![control("box", "rectanglelabels", 1.0)]);
        let box_dim = one(&config, "box");
        assert_eq!(box_dim.metric, Metric::BoxIou);
        // Two 10x10 boxes offset by 5: 25 / 175.
        let a = dims(&format!("[{}]", rect("a", "car", 0.0, 0.0, 10.0, 10.0)));
        let b = dims(&format!("[{}]", rect("b", "car", 5.0, 5.0, 10.0, 10.0)));
        let scored = scored_dimensions(&config, [&a, &b]);
        assert_eq!(pair_score(&scored, &a, &b), Some(to_fixed(25.0 / 175.0)));
        // Other label: 0. Empty vs boxes: 0. Both empty: 1.
        let truck = dims(&format!("[{}]", rect("t", "truck", 0.0, 0.0, 10.0, 10.0)));
        assert_eq!(
            dimension_score(&box_dim, a.get("box"), truck.get("box")),
            0.0
        );
        assert_eq!(dimension_score(&box_dim, a.get("box"), None), 0.0);
        assert_eq!(dimension_score(&box_dim, None, None), 1.0);
        // Threshold variant at 0.5: 1/7 < 0.5 -> 0; identical -> 1.
        assert_eq!(
            dimension_threshold_score(&box_dim, a.get("box"), b.get("box")),
            0.0
        );
        assert_eq!(
            dimension_threshold_score(&box_dim, a.get("box"), a.get("box")),
            1.0
        );
        assert!(!dimension_agrees(&box_dim, a.get("box"), b.get("box")));
        assert!(dimension_agrees(&box_dim, a.get("box"), a.get("box")));
    }

    #[test]
    fn label_weights_from_the_control() {
        let mut boxes = control("box", "rectanglelabels", 1.0);
        boxes.label_weights = [("person".to_string(), 0.0)].into_iter().collect();
        let config = config_of(vec![boxes]);
        let box_dim = one(&config, "box");
        let a = dims(&format!(
            "[{},{}]",
            rect("a1", "car", 0.0, 0.0, 10.0, 10.0),
            rect("a2", "person", 50.0, 50.0, 10.0, 10.0)
        ));
        let b = dims(&format!("[{}]", rect("b1", "car", 0.0, 0.0, 10.0, 10.0)));
        // The person (weight 0) is dropped: 1 instead of 0.5.
        assert_eq!(dimension_score(&box_dim, a.get("box"), b.get("box")), 1.0);
        // A side with only dropped labels counts as empty.
        let persons = dims(&format!("[{}]", rect("p", "person", 0.0, 0.0, 5.0, 5.0)));
        assert!(!dimension_used(&box_dim, &persons, &Dims::default()));
        assert_eq!(dimension_score(&box_dim, persons.get("box"), None), 1.0);
        // Choices: a zero-weight choice is left out of the exact set.
        let mut tags = control("tags", "choices", 1.0);
        tags.label_weights = [("unsure".to_string(), 0.0)].into_iter().collect();
        let config = config_of(vec![tags]);
        let tags_dim = one(&config, "tags");
        let x = dims(&format!("[{}]", choice("tags", &["cat", "unsure"])));
        let y = dims(&format!("[{}]", choice("tags", &["cat"])));
        assert_eq!(
            dimension_score(&tags_dim, x.get("tags"), y.get("tags")),
            1.0
        );
    }

    #[test]
    fn spans_and_hypertext_offsets() {
        let config = config_of(vec![
            control("ner", "labels", 1.0),
            control("html", "hypertextlabels", 1.0),
        ]);
        let span = |name: &str, kind: &str, value: &str| {
            format!(
                r#"{{"id":"s","from_name":"{name}","to_name":"t","type":"{kind}","value":{value}}}"#
            )
        };
        let a = dims(&format!(
            "[{},{}]",
            span("ner", "labels", r#"{"start":0,"end":20,"labels":["PER"]}"#),
            span(
                "html",
                "hypertextlabels",
                r#"{"start":"/p[1]","end":"/p[1]","startOffset":0,"endOffset":20,"htmllabels":["ORG"]}"#
            )
        ));
        let b = dims(&format!(
            "[{},{}]",
            span("ner", "labels", r#"{"start":10,"end":30,"labels":["PER"]}"#),
            span(
                "html",
                "hypertextlabels",
                r#"{"start":"/p[1]","end":"/p[1]","startOffset":10,"endOffset":30,"htmllabels":["ORG"]}"#
            )
        ));
        // Both dimensions: (0,20) vs (10,30) -> 1/3.
        for name in ["ner", "html"] {
            let dim = one(&config, name);
            assert!(close(
                dimension_score(&dim, a.get(name), b.get(name)),
                1.0 / 3.0
            ));
        }
    }

    #[test]
    fn polygons_end_to_end() {
        let config = config_of(vec![control("poly", "polygonlabels", 1.0)]);
        let poly = |points: &str| {
            dims(&format!(
                r#"[{{"id":"p","from_name":"poly","to_name":"img","type":"polygonlabels","value":{{"points":{points},"polygonlabels":["roof"]}}}}]"#
            ))
        };
        let square = poly("[[0,0],[10,0],[10,10],[0,10]]");
        let triangle = poly("[[0,0],[10,0],[10,10]]");
        let dim = one(&config, "poly");
        assert_eq!(dim.metric, Metric::PolygonIou);
        // The triangle is half the square: 50 / 100.
        assert!(close(
            dimension_score(&dim, square.get("poly"), triangle.get("poly")),
            0.5
        ));
        assert!(dimension_agrees(
            &dim,
            square.get("poly"),
            triangle.get("poly")
        ));
    }

    #[test]
    fn per_region_choices_multiply_iou_by_choice_agreement() {
        let config = config_of(vec![
            control("box", "rectanglelabels", 1.0),
            control("color", "choices", 1.0),
        ]);
        let annotation = |width: f64, color: &str| {
            dims(&format!(
                r#"[{},{{"id":"r","from_name":"color","to_name":"img","type":"choices","value":{{"x":0,"y":0,"width":{width},"height":10,"choices":["{color}"]}}}}]"#,
                rect("r", "car", 0.0, 0.0, width, 10.0)
            ))
        };
        // Boxes (0,0,10,10) and (0,0,9,10): IoU 90 / 100 = 0.9.
        let red = annotation(10.0, "red");
        let blue = annotation(9.0, "blue");
        let red9 = annotation(9.0, "red");
        let color = one(&config, "color");
        // LS docs: IoU 0.9 × choices 0 = 0.
        assert_eq!(
            dimension_score(&color, red.get("color"), blue.get("color")),
            0.0
        );
        // Same choice: 0.9 × 1.
        assert!(close(
            dimension_score(&color, red.get("color"), red9.get("color")),
            0.9
        ));
        assert!(dimension_agrees(
            &color,
            red.get("color"),
            red9.get("color")
        ));
        assert!(!dimension_agrees(
            &color,
            red.get("color"),
            blue.get("color")
        ));
        // The box dimension is scored on its own: 0.9 either way.
        let scored = scored_dimensions(&config, [&red, &blue]);
        assert_eq!(pair_score(&scored, &red, &blue), Some(to_fixed(0.45)));
        let counts = dimension_detection_counts(&color, red.get("color"), blue.get("color"));
        assert_eq!(
            counts,
            Some(DetectionCounts {
                tp: 0,
                fp: 1,
                fn_: 1
            })
        );
    }

    #[test]
    fn textarea_and_taxonomy() {
        let config = config_of(vec![
            control("notes", "textarea", 1.0),
            control("topic", "taxonomy", 1.0),
        ]);
        let result = |texts: &str, paths: &str| {
            dims(&format!(
                r#"[{{"from_name":"notes","to_name":"t","type":"textarea","value":{{"text":{texts}}}}},
                    {{"from_name":"topic","to_name":"t","type":"taxonomy","value":{{"taxonomy":{paths}}}}}]"#
            ))
        };
        let a = result(r#"["kitten","same"]"#, r#"[["A","B"],["C"]]"#);
        let b = result(r#"["sitting","same","extra"]"#, r#"[["C"],["A","B"]]"#);
        let notes = one(&config, "notes");
        // (4/7 + 1 + 0) / 3.
        let expected = (4.0 / 7.0 + 1.0) / 3.0;
        assert!(close(
            dimension_score(&notes, a.get("notes"), b.get("notes")),
            expected
        ));
        // 0.52 >= 0.5 agrees at the default threshold.
        assert!(dimension_agrees(&notes, a.get("notes"), b.get("notes")));
        let topic = one(&config, "topic");
        assert_eq!(topic.metric, Metric::TaxonomyExact);
        assert_eq!(dimension_score(&topic, a.get("topic"), b.get("topic")), 1.0);
        assert!(dimension_agrees(&topic, a.get("topic"), b.get("topic")));
        let c = result(r#"["kitten"]"#, r#"[["A"]]"#);
        assert_eq!(dimension_score(&topic, a.get("topic"), c.get("topic")), 0.0);
        // ["kitten"] vs ["sitting", "same", "extra"]: (4/7) / 3 < 0.5.
        assert!(!dimension_agrees(&notes, c.get("notes"), b.get("notes")));
    }

    #[test]
    fn agreement_threshold_per_kind() {
        let mut stars = control("stars", "rating", 1.0);
        stars.min = Some(1.0);
        stars.max = Some(5.0);
        let mut strict = stars.clone();
        strict.name = "strict".into();
        strict.threshold = 0.75;
        let config = config_of(vec![stars, strict, control("c", "choices", 1.0)]);
        let r = |name: &str, v: f64| {
            dims(&format!(
                r#"[{{"from_name":"{name}","to_name":"t","type":"rating","value":{{"rating":{v}}}}}]"#
            ))
        };
        // 4 vs 2: 0.5 >= 0.5 agrees; not at 0.75.
        let stars = one(&config, "stars");
        assert!(dimension_agrees(
            &stars,
            r("stars", 4.0).get("stars"),
            r("stars", 2.0).get("stars")
        ));
        assert_eq!(
            dimension_threshold_score(
                &stars,
                r("stars", 4.0).get("stars"),
                r("stars", 2.0).get("stars")
            ),
            1.0
        );
        let strict = one(&config, "strict");
        assert!(!dimension_agrees(
            &strict,
            r("strict", 4.0).get("strict"),
            r("strict", 2.0).get("strict")
        ));
        // Exact metrics agree only on a full match; both empty agrees.
        let choices = one(&config, "c");
        let x = dims(&format!("[{}]", choice("c", &["a", "b"])));
        let y = dims(&format!("[{}]", choice("c", &["a"])));
        assert!(!dimension_agrees(&choices, x.get("c"), y.get("c")));
        assert!(dimension_agrees(&choices, x.get("c"), x.get("c")));
        assert!(dimension_agrees(&choices, None, None));
    }

    #[test]
    fn undeclared_region_dimensions_are_scored_with_defaults() {
        let config = ProjectConfig::default();
        let a = dims(&format!("[{}]", rect("a", "car", 0.0, 0.0, 10.0, 10.0)));
        let scored = scored_dimensions(&config, [&a]);
        assert_eq!(scored.len(), 1);
        assert_eq!(scored[0].kind, "rectanglelabels");
        assert_eq!(scored[0].threshold, DEFAULT_THRESHOLD);
        assert_eq!(pair_score(&scored, &a, &a), Some(SCORE_ONE));
    }

    #[test]
    fn stored_controls_without_the_new_fields_still_load() {
        let old = r#"{"name":"c","kind":"choices","labels":[],"multiple":false,"min":null,"max":null,"weight":1.0}"#;
        let control: Control = serde_json::from_str(old).unwrap();
        assert_eq!(control.threshold, DEFAULT_THRESHOLD);
        assert!(control.label_weights.is_empty());
    }
}
