//! The engine's hash map: hashbrown with FxHash (fast for short string
//! keys), which also allows lookups by borrowed keys (`Equivalent`).

/// A hash map of the engine.
pub(crate) type HashMap<K, V> = hashbrown::HashMap<K, V, rustc_hash::FxBuildHasher>;
