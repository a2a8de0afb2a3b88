//! LabelPulse's engine: applies events to per-task state, turns state
//! changes into aggregate diffs, fences replays by version, and flushes to a
//! [`Store`] that adapters implement.
//!
//! Depends on `core` only: no runtime, no I/O of its own. Invariant: after a
//! crash anywhere in a flush, replaying from the store's positions yields the
//! same store contents as one clean pass (DESIGN.md §4).

mod aggregate_cache;
mod cache;
mod deferred;
pub mod engine;
pub mod entity;
mod hour_horizons;
mod intern;
mod known_keys;
mod map;
pub mod memory;
mod prefetch;
mod row_key;
mod scratch;
pub mod store;
mod window;

pub use engine::{BatchEvent, Engine, EngineCounters, EngineError, EngineSettings, Outcome};
pub use store::{Flush, FlushScope, Store, Versioned};
