//! Dashboards computed from stored rows. "Compute the dashboard" lives here,
//! "serialize it" in the routes: JSON now, HTML pages later, over the same
//! functions.

pub mod agreement;
pub mod detection;
pub mod index;
pub mod members;
pub mod outliers;
pub mod performance;
pub mod project;
pub mod projects;
pub mod stats;
