//! Members of the organization: a dimension, last writer wins by `occurred_at`.

use serde::{Deserialize, Serialize};

use crate::event::{MemberUpserted, Role};
use crate::time::epoch_ms;
use crate::Event;

/// A member as last upserted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberState {
    /// Display name.
    pub name: String,
    /// Email, when known.
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// `occurred_at` of the event that set this, epoch ms.
    pub occurred_ms: i64,
}

impl MemberState {
    /// The state a `member.upserted` describes.
    pub fn from_event(event: &Event<'_>, member: &MemberUpserted<'_>) -> Self {
        MemberState {
            name: member.name.to_string(),
            email: member.email.as_deref().map(str::to_string),
            role: member.role,
            occurred_ms: epoch_ms(event.envelope.occurred_at),
        }
    }
}
