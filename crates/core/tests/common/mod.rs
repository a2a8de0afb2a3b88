//! Helpers shared by the contribution tests (`change.rs`, `memo.rs`).

use labelpulse_core::contribution::{diff_each, Contribution};

/// The net change from `before` to `after` as sorted, comparable lines.
pub fn net(before: &[Contribution<'_>], after: &[Contribution<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    diff_each(before, after, |c, sign| out.push(format!("{sign} {c:?}")));
    out.sort();
    out
}
