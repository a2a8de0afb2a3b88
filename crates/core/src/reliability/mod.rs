//! Chance-corrected agreement statistics from exact integer sufficient
//! statistics (reference: agreement.md sections 1-5).
//!
//! A dimension's state is a multiset of integer cells: each task contributes
//! its [`unit_cells`], and an update subtracts the task's old cells and adds
//! its new ones, so deletions, relabels and shard merges are exact. The
//! statistics ([`Coincidences`] for any number of annotators, [`Confusion`]
//! for one annotator pair) divide only at read time, in f64. Undefined
//! statistics are [`Undefined`] values, never panics.

#![warn(missing_docs)]

mod alpha;
mod cells;
mod cohen;
mod coincidence;
mod sets;
mod undefined;

pub use alpha::Level;
pub use cells::{unit_cells, StatCell};
pub use cohen::{light_kappa, CohenKappa, Confusion};
pub use coincidence::{Coincidences, ABSENT, PRESENT};
pub use sets::{set_category, set_labels, SET_SEPARATOR};
pub use undefined::Undefined;
