//! Text similarity for `textarea`.

/// Normalized Levenshtein similarity of two texts (`strsim`):
/// `1 − lev(a, b) / max(|a|, |b|)` over characters, 1 for two empty texts.
pub fn text_similarity(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(a, b)
}

/// Similarity of two text lists aligned by index: item `i` of `a` is
/// compared with item `i` of `b` by [`text_similarity`], an item without a
/// counterpart scores 0, and the sum is divided by `max(|a|, |b|)`:
///
/// `Σ_{i < min(|a|,|b|)} sim(a_i, b_i) / max(|a|, |b|)`; 1 when both are empty.
pub fn texts_similarity(a: &[String], b: &[String]) -> f64 {
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 1.0;
    }
    let sum: f64 = a.iter().zip(b).map(|(x, y)| text_similarity(x, y)).sum();
    sum / longest as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn aligned_by_index_unaligned_score_zero() {
        // "kitten" -> "sitting": 3 edits over 7 characters -> 4/7.
        assert!((text_similarity("kitten", "sitting") - 4.0 / 7.0).abs() < 1e-12);
        assert_eq!(text_similarity("", ""), 1.0);
        // [same, kitten/sitting, unaligned] -> (1 + 4/7 + 0) / 3.
        let a = texts(&["a cat", "kitten", "extra"]);
        let b = texts(&["a cat", "sitting"]);
        let expected = (1.0 + 4.0 / 7.0) / 3.0;
        assert!((texts_similarity(&a, &b) - expected).abs() < 1e-12);
        assert!((texts_similarity(&b, &a) - expected).abs() < 1e-12);
        assert_eq!(texts_similarity(&[], &[]), 1.0);
        assert_eq!(texts_similarity(&a, &[]), 0.0);
    }
}
