//! The shared edge-case stream and read checks (`labelpulse-testkit`).
#![allow(unused_imports)]

pub use labelpulse_testkit::*;
