//! Label Studio's result format: one item per region, choice or value.
//!
//! Items are grouped by control tag (`from_name`); each control tag is a
//! labeling *dimension*. Relations (`type: "relation"`) have no `from_name`.

use std::borrow::Cow;

use serde::Deserialize;

/// One item of an annotation's or prediction's `result[]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ResultItem<'a> {
    /// Region id (shared by items that describe the same region).
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    pub id: Option<Cow<'a, str>>,
    /// The control tag (dimension) that produced the item.
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    pub from_name: Option<Cow<'a, str>>,
    /// The object tag it labels.
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    pub to_name: Option<Cow<'a, str>>,
    /// The control kind, e.g. `choices`, `rating`, `rectanglelabels`,
    /// `relation` (required: the decoder refuses an item without it).
    #[serde(
        borrow,
        default,
        rename = "type",
        deserialize_with = "crate::borrow::option_cow"
    )]
    pub item_type: Option<Cow<'a, str>>,
    /// A relation's source region.
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    pub from_id: Option<Cow<'a, str>>,
    /// A relation's target region.
    #[serde(borrow, default, deserialize_with = "crate::borrow::option_cow")]
    pub to_id: Option<Cow<'a, str>>,
    /// The payload; absent on relations. Boxed: a [`ResultValue`] is large
    /// (one slot per field any control kind uses), and items are moved as
    /// they are decoded and collected; a box keeps each move small.
    #[serde(default)]
    pub value: Option<Box<ResultValue>>,
}

/// Where a region's start or end is: an offset, or an xpath for hypertext.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Position {
    /// Character offset or time.
    Number(f64),
    /// XPath (hypertext).
    Path(String),
}

/// A text value: one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Text {
    /// A single string.
    One(String),
    /// Several strings (Label Studio's usual shape).
    Many(Vec<String>),
}

/// The typed payload of a result item. Every field is optional; the ones a
/// control kind uses are read by the agreement and distribution code.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct ResultValue {
    /// `choices`
    #[serde(default)]
    pub choices: Option<Vec<String>>,
    /// `labels` (text spans)
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    /// `rectanglelabels`
    #[serde(default)]
    pub rectanglelabels: Option<Vec<String>>,
    /// `polygonlabels`
    #[serde(default)]
    pub polygonlabels: Option<Vec<String>>,
    /// `hypertextlabels`
    #[serde(default)]
    pub htmllabels: Option<Vec<String>>,
    /// `paragraphlabels`
    #[serde(default)]
    pub paragraphlabels: Option<Vec<String>>,
    /// `timeserieslabels`
    #[serde(default)]
    pub timeserieslabels: Option<Vec<String>>,
    /// `taxonomy`: selected paths.
    #[serde(default)]
    pub taxonomy: Option<Vec<Vec<String>>>,
    /// `rating`
    #[serde(default)]
    pub rating: Option<f64>,
    /// `number`
    #[serde(default)]
    pub number: Option<f64>,
    /// `textarea`
    #[serde(default)]
    pub text: Option<Text>,
    /// Span start.
    #[serde(default)]
    pub start: Option<Position>,
    /// Span end.
    #[serde(default)]
    pub end: Option<Position>,
    /// Hypertext span start offset.
    #[serde(default, rename = "startOffset")]
    pub start_offset: Option<f64>,
    /// Hypertext span end offset.
    #[serde(default, rename = "endOffset")]
    pub end_offset: Option<f64>,
    /// Box left, percent of width.
    #[serde(default)]
    pub x: Option<f64>,
    /// Box top, percent of height.
    #[serde(default)]
    pub y: Option<f64>,
    /// Box width, percent.
    #[serde(default)]
    pub width: Option<f64>,
    /// Box height, percent.
    #[serde(default)]
    pub height: Option<f64>,
    /// Box rotation, degrees.
    #[serde(default)]
    pub rotation: Option<f64>,
    /// Polygon vertices `[x, y]`, percent (the decoder checks each has two).
    #[serde(default)]
    pub points: Option<Vec<Vec<f64>>>,
}

impl ResultValue {
    /// The labels this item assigns, whatever the control kind: choices,
    /// span or region labels, or taxonomy paths joined with ` / `.
    pub fn label_names(&self) -> Vec<String> {
        let lists = [
            &self.choices,
            &self.labels,
            &self.rectanglelabels,
            &self.polygonlabels,
            &self.htmllabels,
            &self.paragraphlabels,
            &self.timeserieslabels,
        ];
        let mut names: Vec<String> = lists
            .into_iter()
            .flatten()
            .flat_map(|list| list.iter().cloned())
            .collect();
        if let Some(paths) = &self.taxonomy {
            names.extend(paths.iter().map(|path| path.join(" / ")));
        }
        names
    }

    /// The numeric value of a `rating` or `number` item.
    pub fn numeric(&self) -> Option<f64> {
        self.rating.or(self.number)
    }
}

impl ResultItem<'_> {
    /// The item type, `""` when absent.
    pub fn kind(&self) -> &str {
        self.item_type.as_deref().unwrap_or_default()
    }

    /// True for relation items, which link regions and belong to no dimension.
    pub fn is_relation(&self) -> bool {
        self.item_type.as_deref() == Some("relation")
    }

    /// A "region" in Label Studio's Regions Created count: any item with an id.
    pub fn counts_as_region(&self) -> bool {
        self.id.is_some()
    }
}
