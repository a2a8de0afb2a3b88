//! LabelPulse's domain: the event contract, per-task state, what a task
//! contributes to each aggregate, agreement scores and quantile sketches.
//!
//! This crate does no I/O and knows no runtime: no tokio, no files, no
//! network. Its invariant: aggregates are a pure function of entity state,
//! `contributions(state)`, so applying an event is a diff of two states and
//! every stored counter is an integer that can be added and removed exactly.

pub mod aggregate;
pub mod agreement;
mod borrow;
pub mod contribution;
pub mod decode;
pub mod dims;
pub mod error;
pub mod event;
pub mod ingest;
pub mod member;
pub mod participant;
pub mod project;
pub mod read;
pub mod reliability;
pub mod result;
pub mod score;
pub mod sketch;
pub mod task;
pub mod time;

pub use decode::decode;
pub use error::{DecodeError, Reason};
pub use event::{Event, EventBody, EventType};
