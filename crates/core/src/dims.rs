//! Results normalized per dimension (control tag), independent of the
//! project's config, so a later config change can re-score stored state.
//!
//! Besides the label lists used by the label distribution, each dimension
//! keeps what its agreement metric needs: the regions with their labels and
//! shape, the texts of a `textarea`, the paths of a `taxonomy`. Items that
//! share an `id` describe one region: a `choices` or `textarea` item whose
//! id is a region's id in another dimension is a *per-region* value; it stays
//! on its own dimension, as a [`Region`] carrying the geometry and labels of
//! the region it is attached to, so that dimension is scored region by region.

use serde::{Deserialize, Serialize};

use crate::result::{Position, ResultItem, ResultValue, Text};

/// What one annotation (or prediction) says for one dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimValue {
    /// The control tag (`from_name`).
    pub name: String,
    /// The item type as sent (`choices`, `rating`, `rectanglelabels`, ...).
    pub kind: String,
    /// Selected labels, sorted and deduplicated (choices; region labels).
    pub labels: Vec<String>,
    /// Label occurrences, one per region or selection, for the label distribution.
    pub occurrences: Vec<String>,
    /// The numeric value of a `rating` or `number`.
    pub number: Option<f64>,
    /// The regions, in result order: for region kinds (`labels`,
    /// `rectanglelabels`, `polygonlabels`, ...) one per item; for `choices`
    /// and `textarea`, one per per-region item (attached to a region of
    /// another dimension). Empty for whole-task values.
    #[serde(default)]
    pub regions: Vec<Region>,
    /// Whole-task `textarea` texts, in result order.
    #[serde(default)]
    pub texts: Vec<String>,
    /// Selected `taxonomy` paths (root first), sorted and deduplicated.
    #[serde(default)]
    pub paths: Vec<Vec<String>>,
}

/// One region of a dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// The region's labels, sorted and deduplicated (for a per-region value:
    /// the labels of the region it is attached to).
    pub labels: Vec<String>,
    /// Where the region is.
    pub shape: Shape,
    /// A per-region `choices` value: the choices selected for the region,
    /// sorted and deduplicated. Empty otherwise.
    pub choices: Vec<String>,
    /// A per-region `textarea` value: its texts, in order. Empty otherwise.
    pub texts: Vec<String>,
}

/// A region's geometry. Coordinates are as sent: percentages of the image
/// for boxes and polygons, offsets or times for spans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Shape {
    /// No usable geometry (e.g. a brush or keypoint, or missing coordinates).
    None,
    /// A 1-D interval: `start`/`end` for text, audio and time series;
    /// `startOffset`/`endOffset` for hypertext and paragraphs. `start <= end`.
    Span {
        /// Start.
        start: f64,
        /// End.
        end: f64,
    },
    /// An axis-aligned box (rotation is ignored), `width`, `height` >= 0.
    Rectangle {
        /// Left.
        x: f64,
        /// Top.
        y: f64,
        /// Width.
        width: f64,
        /// Height.
        height: f64,
    },
    /// A polygon's vertices `[x, y]`, in order, not closed.
    Polygon {
        /// Vertices.
        points: Vec<[f64; 2]>,
    },
}

/// A normalized result: one [`DimValue`] per dimension, sorted by name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Dims {
    /// Per-dimension values, sorted by `name`.
    pub values: Vec<DimValue>,
    /// Items with an id, relations included (Label Studio's "regions").
    pub regions: u32,
}

/// A region item of the result, by id, for attaching per-region values.
struct Anchor<'r> {
    id: &'r str,
    from_name: &'r str,
    kind: &'r str,
    value: &'r ResultValue,
}

/// Kinds whose items with a region id are per-region values.
fn per_region_kind(kind: &str) -> bool {
    matches!(kind, "choices" | "textarea")
}

/// Kinds that describe regions themselves (anything labelled `...labels`,
/// plus the label-less tools).
fn region_kind(kind: &str) -> bool {
    kind.ends_with("labels") || matches!(kind, "rectangle" | "polygon")
}

/// Kinds whose items are whole-task values, never regions.
fn whole_task_kind(kind: &str) -> bool {
    matches!(kind, "taxonomy" | "rating" | "number" | "relation") || per_region_kind(kind)
}

fn sorted(mut labels: Vec<String>) -> Vec<String> {
    labels.sort_unstable();
    labels.dedup();
    labels
}

fn number(position: &Option<Position>) -> Option<f64> {
    match position {
        Some(Position::Number(n)) => Some(*n),
        _ => None,
    }
}

fn span(start: f64, end: f64) -> Shape {
    Shape::Span {
        start: start.min(end),
        end: start.max(end),
    }
}

/// The geometry of an item's value. Spans use `startOffset`/`endOffset`
/// for hypertext and paragraphs and `start`/`end` otherwise, each falling
/// back to the other when its pair is missing or not numeric.
fn shape_of(kind: &str, value: &ResultValue) -> Shape {
    if let Some(points) = &value.points {
        let points = points
            .iter()
            .filter_map(|p| match p.as_slice() {
                [x, y] => Some([*x, *y]),
                _ => None,
            })
            .collect();
        return Shape::Polygon { points };
    }
    if let (Some(x), Some(y), Some(width), Some(height)) =
        (value.x, value.y, value.width, value.height)
    {
        // A negative extent is the same box drawn the other way.
        return Shape::Rectangle {
            x: x.min(x + width),
            y: y.min(y + height),
            width: width.abs(),
            height: height.abs(),
        };
    }
    let numbers = number(&value.start).zip(number(&value.end));
    let offsets = value.start_offset.zip(value.end_offset);
    let pair = match kind {
        "hypertextlabels" | "paragraphlabels" => offsets.or(numbers),
        _ => numbers.or(offsets),
    };
    match pair {
        Some((start, end)) => span(start, end),
        None => Shape::None,
    }
}

fn texts_of(value: &ResultValue) -> Vec<String> {
    match &value.text {
        Some(Text::One(text)) => vec![text.clone()],
        Some(Text::Many(texts)) => texts.clone(),
        None => Vec::new(),
    }
}

impl Dims {
    /// Normalizes Label Studio result items.
    pub fn from_result(items: &[ResultItem<'_>]) -> Dims {
        let anchors = anchors(items);
        let mut values: Vec<DimValue> = Vec::new();
        let mut regions = 0;
        for item in items {
            if item.counts_as_region() {
                regions += 1;
            }
            let (Some(name), Some(value)) = (&item.from_name, &item.value) else {
                continue;
            };
            let kind = item.kind();
            let position = match values.iter().position(|v| v.name == name.as_ref()) {
                Some(position) => position,
                None => {
                    values.push(DimValue {
                        name: name.to_string(),
                        kind: kind.to_string(),
                        labels: Vec::new(),
                        occurrences: Vec::new(),
                        number: None,
                        regions: Vec::new(),
                        texts: Vec::new(),
                        paths: Vec::new(),
                    });
                    values.len() - 1
                }
            };
            let entry = &mut values[position];
            let labels = value.label_names();
            let anchor = match (per_region_kind(kind), item.id.as_deref()) {
                (true, Some(id)) => find_anchor(&anchors, id, name),
                _ => None,
            };
            if let Some(anchor) = anchor {
                let shape = match shape_of(anchor.kind, anchor.value) {
                    Shape::None => shape_of(kind, value),
                    shape => shape,
                };
                let (choices, texts) = match kind {
                    "choices" => (
                        sorted(value.choices.clone().unwrap_or_default()),
                        Vec::new(),
                    ),
                    _ => (Vec::new(), texts_of(value)),
                };
                entry.regions.push(Region {
                    labels: sorted(anchor.value.label_names()),
                    shape,
                    choices,
                    texts,
                });
            } else if kind == "textarea" {
                entry.texts.extend(texts_of(value));
            } else if kind == "taxonomy" {
                entry.paths.extend(value.taxonomy.iter().flatten().cloned());
            } else if !whole_task_kind(kind) && (region_kind(kind) || has_geometry(value)) {
                entry.regions.push(Region {
                    labels: sorted(labels.clone()),
                    shape: shape_of(kind, value),
                    choices: Vec::new(),
                    texts: Vec::new(),
                });
            }
            entry.occurrences.extend(labels);
            if entry.number.is_none() {
                entry.number = value.numeric();
            }
        }
        for value in &mut values {
            value.occurrences.sort_unstable();
            // The selected labels are the occurrences' distinct values.
            value.labels = distinct(&value.occurrences);
            value.paths.sort_unstable();
            value.paths.dedup();
        }
        values.sort_by(|a, b| a.name.cmp(&b.name));
        Dims { values, regions }
    }

    /// The value for one dimension.
    pub fn get(&self, name: &str) -> Option<&DimValue> {
        self.values
            .binary_search_by(|v| v.name.as_str().cmp(name))
            .ok()
            .map(|index| &self.values[index])
    }
}

/// The distinct values of a sorted list, in order (each cloned once).
fn distinct(sorted: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in sorted {
        if out.last() != Some(value) {
            out.push(value.clone());
        }
    }
    out
}

fn has_geometry(value: &ResultValue) -> bool {
    value.points.is_some()
        || value.width.is_some()
        || value.start.is_some()
        || value.start_offset.is_some()
}

/// The region items of a result with their ids, sorted by id (first item
/// wins for a repeated id within one dimension).
fn anchors<'r>(items: &'r [ResultItem<'_>]) -> Vec<Anchor<'r>> {
    if !items
        .iter()
        .any(|item| per_region_kind(item.kind()) && item.id.is_some())
    {
        return Vec::new();
    }
    let mut anchors: Vec<Anchor<'r>> = items
        .iter()
        .filter(|item| !whole_task_kind(item.kind()))
        .filter_map(|item| {
            let (Some(id), Some(from_name), Some(value)) =
                (item.id.as_deref(), item.from_name.as_deref(), &item.value)
            else {
                return None;
            };
            Some(Anchor {
                id,
                from_name,
                kind: item.kind(),
                value,
            })
        })
        .collect();
    // Stable: among equal ids the first item stays first.
    anchors.sort_by(|a, b| a.id.cmp(b.id));
    anchors
}

/// The region that a per-region item with `id` on dimension `name` is
/// attached to: the first region item with that id on another dimension.
fn find_anchor<'a, 'r>(anchors: &'a [Anchor<'r>], id: &str, name: &str) -> Option<&'a Anchor<'r>> {
    let first = anchors.partition_point(|a| a.id < id);
    anchors[first..]
        .iter()
        .take_while(|a| a.id == id)
        .find(|a| a.from_name != name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(json: &str) -> Vec<ResultItem<'_>> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn groups_by_control_and_counts_regions() {
        let result = items(
            r#"[{"id":"r1","from_name":"box","to_name":"img","type":"rectanglelabels","value":{"x":1,"y":1,"width":2,"height":2,"rectanglelabels":["car"]}},
                {"id":"r2","from_name":"box","to_name":"img","type":"rectanglelabels","value":{"x":5,"y":5,"width":2,"height":2,"rectanglelabels":["car"]}},
                {"from_name":"sentiment","to_name":"text","type":"choices","value":{"choices":["positive","neutral","positive"]}},
                {"id":"rel","type":"relation","from_id":"r1","to_id":"r2"}]"#,
        );
        let dims = Dims::from_result(&result);
        assert_eq!(dims.regions, 3);
        assert_eq!(dims.values.len(), 2);
        let boxes = dims.get("box").unwrap();
        assert_eq!(boxes.labels, vec!["car"]);
        assert_eq!(boxes.occurrences, vec!["car", "car"]);
        let sentiment = dims.get("sentiment").unwrap();
        assert_eq!(sentiment.labels, vec!["neutral", "positive"]);
    }

    #[test]
    fn keeps_shapes_texts_and_paths() {
        let result = items(
            r#"[{"id":"b","from_name":"box","to_name":"img","type":"rectanglelabels","value":{"x":10,"y":10,"width":-5,"height":2,"rotation":30,"rectanglelabels":["car"]}},
                {"id":"p","from_name":"poly","to_name":"img","type":"polygonlabels","value":{"points":[[0,0],[4,0],[4,4]],"polygonlabels":["roof"]}},
                {"id":"s","from_name":"ner","to_name":"txt","type":"labels","value":{"start":20,"end":10,"labels":["PER"]}},
                {"id":"h","from_name":"html","to_name":"doc","type":"hypertextlabels","value":{"start":"/p[1]","end":"/p[2]","startOffset":3,"endOffset":9,"htmllabels":["ORG"]}},
                {"id":"t1","from_name":"notes","to_name":"txt","type":"textarea","value":{"text":["first","second"]}},
                {"id":"t2","from_name":"notes","to_name":"txt","type":"textarea","value":{"text":"third"}},
                {"id":"x","from_name":"topic","to_name":"txt","type":"taxonomy","value":{"taxonomy":[["b","c"],["a"],["b","c"]]}}]"#,
        );
        let dims = Dims::from_result(&result);
        let region = |name: &str| dims.get(name).unwrap().regions[0].clone();
        assert_eq!(
            region("box").shape,
            Shape::Rectangle {
                x: 5.0,
                y: 10.0,
                width: 5.0,
                height: 2.0
            }
        );
        assert_eq!(region("box").labels, vec!["car"]);
        assert_eq!(
            region("poly").shape,
            Shape::Polygon {
                points: vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0]]
            }
        );
        assert_eq!(
            region("ner").shape,
            Shape::Span {
                start: 10.0,
                end: 20.0
            }
        );
        assert_eq!(
            region("html").shape,
            Shape::Span {
                start: 3.0,
                end: 9.0
            }
        );
        let notes = dims.get("notes").unwrap();
        assert_eq!(notes.texts, vec!["first", "second", "third"]);
        assert!(notes.regions.is_empty());
        let topic = dims.get("topic").unwrap();
        assert_eq!(topic.paths, vec![vec!["a"], vec!["b", "c"]]);
        assert_eq!(topic.labels, vec!["a", "b / c"]);
    }

    #[test]
    fn per_region_choices_carry_the_region() {
        let result = items(
            r#"[{"id":"r1","from_name":"box","to_name":"img","type":"rectanglelabels","value":{"x":0,"y":0,"width":10,"height":10,"rectanglelabels":["car"]}},
                {"id":"r1","from_name":"color","to_name":"img","type":"choices","value":{"x":0,"y":0,"width":10,"height":10,"choices":["red","blue"]}},
                {"id":"c9","from_name":"color","to_name":"img","type":"choices","value":{"choices":["green"]}},
                {"id":"r1","from_name":"note","to_name":"img","type":"textarea","value":{"text":["dented"]}}]"#,
        );
        let dims = Dims::from_result(&result);
        let color = dims.get("color").unwrap();
        assert_eq!(color.labels, vec!["blue", "green", "red"]);
        assert_eq!(
            color.regions,
            vec![Region {
                labels: vec!["car".into()],
                shape: Shape::Rectangle {
                    x: 0.0,
                    y: 0.0,
                    width: 10.0,
                    height: 10.0
                },
                choices: vec!["blue".into(), "red".into()],
                texts: vec![],
            }]
        );
        let note = dims.get("note").unwrap();
        assert_eq!(note.regions.len(), 1);
        assert_eq!(note.regions[0].texts, vec!["dented"]);
        assert!(note.texts.is_empty());
        // The box dimension itself is unchanged by its attachments.
        assert_eq!(dims.get("box").unwrap().regions.len(), 1);
    }

    #[test]
    fn stored_values_without_the_new_fields_still_load() {
        let old =
            r#"{"name":"s","kind":"choices","labels":["a"],"occurrences":["a"],"number":null}"#;
        let value: DimValue = serde_json::from_str(old).unwrap();
        assert!(value.regions.is_empty() && value.texts.is_empty() && value.paths.is_empty());
    }
}
