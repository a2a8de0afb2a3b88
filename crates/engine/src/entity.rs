//! Entity states kept beside tasks: sessions and the id index (members live in core).

pub use labelpulse_core::member::MemberState;
use serde::{Deserialize, Serialize};

/// A member's heartbeat session in one project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    /// The latest session event seen (heartbeat or end), epoch ms. Session
    /// events at or before it are ignored, so re-sending any suffix of a
    /// stream changes nothing.
    pub latest_ms: Option<i64>,
    /// A heartbeat came after the last `session.ended`.
    pub open: bool,
}

/// What an index entry points from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IndexKind {
    /// An annotation id.
    Annotation,
    /// A prediction id.
    Prediction,
    /// A review id.
    Review,
}

/// `(project, kind, id)`: resolves deletes that carry only an id.
pub type IndexKey = (String, IndexKind, String);
