//! Results normalized per dimension (control tag), independent of the
//! project's config, so a later config change can re-score stored state.

use serde::{Deserialize, Serialize};

use crate::result::ResultItem;

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
}

/// A normalized result: one [`DimValue`] per dimension, sorted by name.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Dims {
    /// Per-dimension values, sorted by `name`.
    pub values: Vec<DimValue>,
    /// Items with an id, relations included (Label Studio's "regions").
    pub regions: u32,
}

impl Dims {
    /// Normalizes Label Studio result items.
    pub fn from_result(items: &[ResultItem<'_>]) -> Dims {
        let mut values: Vec<DimValue> = Vec::new();
        let mut regions = 0;
        for item in items {
            if item.counts_as_region() {
                regions += 1;
            }
            let (Some(name), Some(value)) = (&item.from_name, &item.value) else {
                continue;
            };
            let position = match values.iter().position(|v| v.name == name.as_ref()) {
                Some(position) => position,
                None => {
                    values.push(DimValue {
                        name: name.to_string(),
                        kind: item.kind().to_string(),
                        labels: Vec::new(),
                        occurrences: Vec::new(),
                        number: None,
                    });
                    values.len() - 1
                }
            };
            let entry = &mut values[position];
            let labels = value.label_names();
            entry.labels.extend(labels.iter().cloned());
            entry.occurrences.extend(labels);
            if entry.number.is_none() {
                entry.number = value.numeric();
            }
        }
        for value in &mut values {
            value.labels.sort_unstable();
            value.labels.dedup();
            value.occurrences.sort_unstable();
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
}
