//! Multi-choice values as one category string per annotator.

/// Joins the labels of a multi-choice value into one category
/// (U+001F, the ASCII unit separator). Labels must not contain it.
pub const SET_SEPARATOR: char = '\u{1f}';

/// The category of a set of labels: sorted, deduplicated, joined with
/// [`SET_SEPARATOR`]. The empty set is `""`. Empty labels are dropped.
pub fn set_category(labels: &[&str]) -> String {
    let mut sorted: Vec<&str> = labels.iter().copied().filter(|l| !l.is_empty()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    for (i, label) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(SET_SEPARATOR);
        }
        out.push_str(label);
    }
    out
}

/// The labels of a set category (none for `""`).
pub fn set_labels(category: &str) -> impl Iterator<Item = &str> {
    category.split(SET_SEPARATOR).filter(|l| !l.is_empty())
}

/// Jaccard similarity |A ∩ B| / |A ∪ B| of two set categories, with
/// J(∅, ∅) = 1 (agreement.md 3.6).
pub(crate) fn jaccard(a: &str, b: &str) -> f64 {
    let mut a: Vec<&str> = set_labels(a).collect();
    let mut b: Vec<&str> = set_labels(b).collect();
    a.sort_unstable();
    a.dedup();
    b.sort_unstable();
    b.dedup();
    let common = a.iter().filter(|l| b.binary_search(l).is_ok()).count();
    let union = a.len() + b.len() - common;
    if union == 0 {
        1.0
    } else {
        common as f64 / union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_canonical() {
        assert_eq!(set_category(&["b", "a", "b"]), "a\u{1f}b");
        assert_eq!(set_category(&[]), "");
        assert_eq!(set_labels("a\u{1f}b").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(set_labels("").count(), 0);
        assert_eq!(set_labels(&set_category(&["x"])).collect::<Vec<_>>(), ["x"]);
    }

    #[test]
    fn jaccard_of_sets() {
        let ab = set_category(&["a", "b"]);
        let bc = set_category(&["b", "c"]);
        assert_eq!(jaccard(&ab, &bc), 1.0 / 3.0);
        assert_eq!(jaccard("", ""), 1.0);
        assert_eq!(jaccard("", "a"), 0.0);
        assert_eq!(jaccard(&ab, &ab), 1.0);
    }
}
