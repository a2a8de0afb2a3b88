//! The stored aggregates (DESIGN.md §5): keys ([`key`]), row values
//! ([`rows`]), and the rows a [`Contribution`](crate::contribution::Contribution)
//! lands on ([`targets`]).
//!
//! Rows are absolute values. Every counter is an integer (milliseconds,
//! fixed-point scores), so adding a contribution and later removing it
//! restores the row exactly.

pub mod key;
pub mod rows;
pub mod targets;

pub use key::{confusion_scope, detection_count, AggKey, AggKeyRef, CellKind};
pub use rows::{ActivityRow, AggRow, AgreementRow, CellRow, HourRow, LabelRow, PairRow, TotalsRow};
pub use targets::{participant_total, project_confusion, targets_ref, PARTICIPANT_TOTALS};

#[cfg(test)]
mod tests;
