//! Set metrics: choices (exact set, Jaccard) and taxonomy paths (exact set,
//! path matching).
//!
//! Sets are given as slices; order and repeats do not matter.

use crate::event::LabelWeights;

/// Exact set match: 1 when `a` and `b` hold the same elements, else 0.
/// Two empty sets match (1).
pub fn exact_set<T: PartialEq>(a: &[T], b: &[T]) -> f64 {
    f64::from(u8::from(same_set(a, b)))
}

/// Jaccard partial credit `|A ∩ B| / |A ∪ B|`, with `J(∅, ∅) = 1`.
/// Example: {a, b, c} vs {a, b} → 2/3.
pub fn jaccard<T: PartialEq>(a: &[T], b: &[T]) -> f64 {
    let (distinct_a, distinct_b) = (distinct(a), distinct(b));
    let shared = a
        .iter()
        .enumerate()
        .filter(|(i, x)| first(a, *i, x) && b.contains(x))
        .count();
    let union = distinct_a + distinct_b - shared;
    if union == 0 {
        1.0
    } else {
        shared as f64 / union as f64
    }
}

/// Taxonomy exact match: 1 when both selected the same set of paths.
pub fn taxonomy_exact(a: &[Vec<String>], b: &[Vec<String>]) -> f64 {
    exact_set(a, b)
}

/// Taxonomy path matching, partial credit along paths: shared selections ÷
/// total selections, where the selections of a side are the nodes on its
/// selected paths (a selected node implies its ancestors, as Label Studio
/// stores them), each node identified by its path from the root:
///
/// `|N(A) ∩ N(B)| / |N(A) ∪ N(B)|`, with `N(P) = { p[..k] : p ∈ P, 1 <= k <= |p| }`,
/// and 1 when neither side selected anything.
///
/// Example (LS docs, 3 of 4 → 0.75): `[A, B, C, D]` vs `[A, B, C]` share
/// the nodes A, A/B and A/B/C out of four; so do four flat selections
/// against three of them.
pub fn taxonomy_path_match(a: &[Vec<String>], b: &[Vec<String>]) -> f64 {
    let (nodes_a, nodes_b) = (node_count(a), node_count(b));
    let mut shared = 0;
    for (i, path) in a.iter().enumerate() {
        for depth in 1..=path.len() {
            let node = &path[..depth];
            if !has_node(&a[..i], node) && has_node(b, node) {
                shared += 1;
            }
        }
    }
    let union = nodes_a + nodes_b - shared;
    if union == 0 {
        1.0
    } else {
        shared as f64 / union as f64
    }
}

/// Exact match of two sorted, deduplicated label lists after dropping the
/// labels of weight 0.
pub(crate) fn exact_weighted(a: &[String], b: &[String], weights: &LabelWeights) -> bool {
    if weights.is_empty() {
        return a == b;
    }
    let kept = |label: &&String| label_weight(weights, label) > 0.0;
    a.iter().filter(kept).eq(b.iter().filter(kept))
}

/// The weight of a label (1 when not listed).
pub(crate) fn label_weight(weights: &LabelWeights, label: &str) -> f64 {
    weights.get(label).copied().unwrap_or(1.0)
}

/// The weight of something carrying `labels`: the largest of their weights,
/// 1 when it has none or no weights are set. 0 drops it.
pub(crate) fn labels_weight(weights: &LabelWeights, labels: &[String]) -> f64 {
    if weights.is_empty() || labels.is_empty() {
        return 1.0;
    }
    labels
        .iter()
        .map(|label| label_weight(weights, label))
        .fold(0.0, f64::max)
}

fn same_set<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    a.iter().all(|x| b.contains(x)) && b.iter().all(|y| a.contains(y))
}

/// True when `x`, at index `i` of `items`, is its first occurrence.
fn first<T: PartialEq>(items: &[T], i: usize, x: &T) -> bool {
    !items[..i].contains(x)
}

fn distinct<T: PartialEq>(items: &[T]) -> usize {
    items
        .iter()
        .enumerate()
        .filter(|(i, x)| first(items, *i, x))
        .count()
}

/// True when some path in `paths` passes through `node`.
fn has_node(paths: &[Vec<String>], node: &[String]) -> bool {
    paths.iter().any(|path| path.starts_with(node))
}

fn node_count(paths: &[Vec<String>]) -> usize {
    paths
        .iter()
        .enumerate()
        .map(|(i, path)| {
            (1..=path.len())
                .filter(|&depth| !has_node(&paths[..i], &path[..depth]))
                .count()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&[&str]]) -> Vec<Vec<String>> {
        list.iter()
            .map(|p| p.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn jaccard_partial_credit() {
        // {a, b, c} vs {a, b}: 2 shared of 3 -> 2/3 (LS "two of three match").
        assert!((jaccard(&["a", "b", "c"], &["a", "b"]) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(jaccard::<&str>(&[], &[]), 1.0);
        assert_eq!(jaccard(&["a"], &[]), 0.0);
        assert_eq!(jaccard(&["a", "b"], &["c"]), 0.0);
        // Order and repeats do not matter.
        assert_eq!(jaccard(&["b", "a", "a"], &["a", "b"]), 1.0);
        // {a, b} vs {b, c}: 1 of 3.
        assert!((jaccard(&["a", "b"], &["b", "c"]) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn exact_sets() {
        assert_eq!(exact_set(&["a", "b"], &["b", "a"]), 1.0);
        assert_eq!(exact_set(&["a", "b"], &["a"]), 0.0);
        assert_eq!(exact_set::<&str>(&[], &[]), 1.0);
    }

    #[test]
    fn taxonomy_three_of_four() {
        // Deep: nodes A, A/B, A/B/C, A/B/C/D vs A, A/B, A/B/C -> 3/4.
        let a = paths(&[&["A", "B", "C", "D"]]);
        let b = paths(&[&["A", "B", "C"]]);
        assert_eq!(taxonomy_path_match(&a, &b), 0.75);
        assert_eq!(taxonomy_exact(&a, &b), 0.0);
        // Flat: four selections vs three of them -> 3/4.
        let a = paths(&[&["w"], &["x"], &["y"], &["z"]]);
        let b = paths(&[&["x"], &["y"], &["z"]]);
        assert_eq!(taxonomy_path_match(&a, &b), 0.75);
        // Siblings share the parent: {E, E/Human} vs {E, E/Opossum} -> 1/3.
        let a = paths(&[&["Eukarya", "Human"]]);
        let b = paths(&[&["Eukarya", "Opossum"]]);
        assert!((taxonomy_path_match(&a, &b) - 1.0 / 3.0).abs() < 1e-12);
        // The same set of paths in another order is an exact match.
        let a = paths(&[&["x"], &["y", "z"]]);
        let b = paths(&[&["y", "z"], &["x"]]);
        assert_eq!(taxonomy_exact(&a, &b), 1.0);
        assert_eq!(taxonomy_path_match(&a, &b), 1.0);
        assert_eq!(taxonomy_path_match(&[], &[]), 1.0);
    }

    #[test]
    fn weighted_exact_drops_zero_weight_labels() {
        let weights: LabelWeights = [("noise".to_string(), 0.0)].into_iter().collect();
        let a = vec!["cat".to_string(), "noise".to_string()];
        let b = vec!["cat".to_string()];
        assert!(exact_weighted(&a, &b, &weights));
        assert!(!exact_weighted(&a, &b, &LabelWeights::new()));
        assert_eq!(labels_weight(&weights, &a), 1.0);
        assert_eq!(labels_weight(&weights, &a[1..]), 0.0);
    }
}
