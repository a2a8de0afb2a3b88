//! `labelpulse_core::reliability` against published values, a direct batch
//! implementation of agreement.md section 3, and incremental maintenance
//! (create / update / delete) of the integer cells.

#[path = "reliability/batch.rs"]
mod batch;
#[path = "reliability/edge.rs"]
mod edge;
#[path = "reliability/incremental.rs"]
mod incremental;
#[path = "reliability/published.rs"]
mod published;
#[path = "reliability/support.rs"]
mod support;
