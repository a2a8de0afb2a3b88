//! Pair scores between two annotations (first slice: `choices` by exact
//! set match and `rating`/`number` by numeric difference).
//!
//! Label Studio's rules (reference/labelstudio-dashboards.md §4.1): scores
//! are computed per control tag, then averaged with the tags' weights; a tag
//! left empty by both sides counts as a match (1), by one side as 0.

use crate::dims::{DimValue, Dims};
use crate::project::ProjectConfig;
use crate::score::to_fixed;

/// How one dimension is scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    /// 1 when both selected exactly the same set of labels, else 0.
    ExactSet,
    /// `1 − |a − b| / (max − min)`, clamped to `[0, 1]`.
    NumericDifference {
        /// Declared scale minimum.
        min: f64,
        /// Declared scale maximum.
        max: f64,
    },
    /// 1 when both numbers are equal (a number without a declared range).
    ExactNumber,
}

/// A dimension that takes part in agreement, with its metric and weight.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredDimension<'a> {
    /// The control tag.
    pub name: &'a str,
    /// How it is scored.
    pub metric: Metric,
    /// Its weight in the overall score (> 0).
    pub weight: f64,
}

/// The metric for a control kind, if this slice scores it.
fn metric_for(kind: &str, min: Option<f64>, max: Option<f64>) -> Option<Metric> {
    match kind {
        "choices" => Some(Metric::ExactSet),
        "rating" => {
            let (min, max) = (min.unwrap_or(1.0), max.unwrap_or(5.0));
            Some(if max > min {
                Metric::NumericDifference { min, max }
            } else {
                Metric::ExactNumber
            })
        }
        "number" => Some(match (min, max) {
            (Some(min), Some(max)) if max > min => Metric::NumericDifference { min, max },
            _ => Metric::ExactNumber,
        }),
        _ => None,
    }
}

/// The dimensions scored for a task: the project's declared scorable
/// controls with weight > 0, plus undeclared scorable dimensions that appear
/// in any of the given results (weight 1). Sorted by name.
pub fn scored_dimensions<'a>(
    config: &'a ProjectConfig,
    results: impl IntoIterator<Item = &'a Dims>,
) -> Vec<ScoredDimension<'a>> {
    let mut dims: Vec<ScoredDimension> = config
        .controls
        .iter()
        .filter(|c| c.weight > 0.0)
        .filter_map(|c| {
            metric_for(&c.kind, c.min, c.max).map(|metric| ScoredDimension {
                name: &c.name,
                metric,
                weight: c.weight,
            })
        })
        .collect();
    for result in results {
        for value in &result.values {
            if config.control(&value.name).is_some() || dims.iter().any(|d| d.name == value.name) {
                continue;
            }
            if let Some(metric) = metric_for(&value.kind, None, None) {
                dims.push(ScoredDimension {
                    name: &value.name,
                    metric,
                    weight: 1.0,
                });
            }
        }
    }
    dims.sort_by(|a, b| a.name.cmp(b.name));
    dims
}

/// True when the side has something for this metric.
fn present(metric: Metric, value: Option<&DimValue>) -> bool {
    match (metric, value) {
        (_, None) => false,
        (Metric::ExactSet, Some(v)) => !v.labels.is_empty(),
        (Metric::NumericDifference { .. } | Metric::ExactNumber, Some(v)) => v.number.is_some(),
    }
}

/// The score of one dimension between two sides, `[0, 1]`.
pub fn dimension_score(metric: Metric, a: Option<&DimValue>, b: Option<&DimValue>) -> f64 {
    match (present(metric, a), present(metric, b), a, b) {
        (false, false, _, _) => 1.0,
        (true, true, Some(a), Some(b)) => match metric {
            Metric::ExactSet => f64::from(u8::from(a.labels == b.labels)),
            Metric::NumericDifference { min, max } => match (a.number, b.number) {
                (Some(x), Some(y)) => (1.0 - (x - y).abs() / (max - min)).clamp(0.0, 1.0),
                _ => 0.0,
            },
            Metric::ExactNumber => f64::from(u8::from(a.number == b.number)),
        },
        _ => 0.0,
    }
}

/// True when either side has a value for the dimension.
pub fn dimension_used(dimension: &ScoredDimension<'_>, a: &Dims, b: &Dims) -> bool {
    present(dimension.metric, a.get(dimension.name))
        || present(dimension.metric, b.get(dimension.name))
}

/// The overall pair score in fixed point: the weighted mean of the
/// dimension scores. `None` when no dimension is scored.
pub fn pair_score(dimensions: &[ScoredDimension<'_>], a: &Dims, b: &Dims) -> Option<i64> {
    if dimensions.is_empty() {
        return None;
    }
    let (mut weighted, mut weights) = (0.0, 0.0);
    for dimension in dimensions {
        let score = dimension_score(
            dimension.metric,
            a.get(dimension.name),
            b.get(dimension.name),
        );
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
        let boxes_only = ProjectConfig {
            controls: vec![control("b", "rectanglelabels", 1.0)],
            ..ProjectConfig::default()
        };
        assert_eq!(
            pair_score(&scored_dimensions(&boxes_only, []), &a, &a),
            None
        );
    }
}
