//! The engine's hash map: hashbrown with FxHash (fast for short string
//! keys), which also allows lookups by borrowed keys (`Equivalent`).

use std::hash::{Hash, Hasher};

/// A hash map of the engine.
pub(crate) type HashMap<K, V> = hashbrown::HashMap<K, V, rustc_hash::FxBuildHasher>;
/// A hash set of the engine.
pub(crate) type HashSet<T> = hashbrown::HashSet<T, rustc_hash::FxBuildHasher>;

/// A borrowed `(String, String)` key (a task's or a session's): it hashes
/// and compares like the owned pair, so a lookup allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StrPair<'a>(pub(crate) &'a str, pub(crate) &'a str);

impl StrPair<'_> {
    /// The owned key.
    pub(crate) fn to_owned(self) -> (String, String) {
        (self.0.to_string(), self.1.to_string())
    }
}

impl Hash for StrPair<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `(String, String)` hashes: each string in order.
        (self.0, self.1).hash(state);
    }
}

impl hashbrown::Equivalent<(String, String)> for StrPair<'_> {
    fn equivalent(&self, key: &(String, String)) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrowed_pair_finds_the_owned_one() {
        let mut map: HashMap<(String, String), u32> = HashMap::default();
        map.insert(("p".to_string(), "t1".to_string()), 1);
        map.insert(("p".to_string(), "t2".to_string()), 2);
        assert_eq!(map.get(&StrPair("p", "t1")), Some(&1));
        assert_eq!(map.get(&StrPair("p", "t2")), Some(&2));
        assert_eq!(map.get(&StrPair("pt", "1")), None);
        assert_eq!(
            StrPair("p", "t1").to_owned(),
            ("p".to_string(), "t1".to_string())
        );
    }
}
