//! Per project, the latest hour of an hour row (project-hour, member-hour,
//! agreement-hour) the store may hold, so a batch's rows of later hours are
//! cached as new without asking the store for them.
//!
//! Invariant: while a project has a horizon, the store holds no hour row of
//! the project past it, and no flush started or to come writes one, except
//! rows the cache holds. An hour row neither cached nor at or before its
//! project's horizon is therefore absent from the store. While catching up,
//! most of a batch's hour rows are of hours no earlier batch reached: they
//! are the larger part of the rows the engine would otherwise read.
//!
//! How the invariant is kept (by the engine): a horizon is made at the start
//! of a batch, before any row waits for a read, from the store's latest hour
//! of the project together with the latest hour of the project's cached hour
//! rows (which include those of a flush being written: they stay cached
//! until it is durable), and every hour row a flush writes raises it when
//! the flush is collected. Rows leave the cache only once written, so an
//! eviction keeps horizons true; they are dropped when the cache is dropped
//! for a rebalance (another owner may write the project next).

use labelpulse_core::time::Hour;

use crate::map::HashMap;

/// The horizons of the projects that have one.
#[derive(Debug, Default)]
pub(crate) struct HourHorizons {
    /// `Hour::MAX` for a project the store cannot list: every hour may be
    /// held, and its rows are read as before.
    projects: HashMap<String, Hour>,
}

impl HourHorizons {
    /// Whether `project` has a horizon (possibly the unlisted one).
    pub(crate) fn has(&self, project: &str) -> bool {
        self.projects.contains_key(project)
    }

    /// The latest hour `project`'s rows may be stored at: `None` while it
    /// has no horizon (all of its hour rows may be held).
    pub(crate) fn of(&self, project: &str) -> Option<Hour> {
        self.projects.get(project).copied()
    }

    /// Records `project`'s horizon: the latest hour of its hour rows (the
    /// store's and the cache's), or before every hour when it has none.
    pub(crate) fn insert(&mut self, project: &str, latest: Option<Hour>) {
        self.projects
            .insert(project.to_string(), latest.unwrap_or(Hour::MIN));
    }

    /// Records that the store does not list `project`'s hours: all are read.
    pub(crate) fn insert_unlisted(&mut self, project: &str) {
        self.projects.insert(project.to_string(), Hour::MAX);
    }

    /// A flush writes an hour row of `project` at `hour`.
    pub(crate) fn raise(&mut self, project: &str, hour: Hour) {
        if let Some(horizon) = self.projects.get_mut(project) {
            *horizon = (*horizon).max(hour);
        }
    }

    /// Drops every horizon (they are made again on next use).
    pub(crate) fn clear(&mut self) {
        self.projects.clear();
    }
}

/// Whether a row of `hour` of a project whose horizon is `horizon` is
/// absent from the store (it is not cached: the caller looked first).
pub(crate) fn past(horizon: Option<Hour>, hour: Hour) -> bool {
    horizon.is_some_and(|horizon| hour > horizon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hours_past_a_projects_horizon_are_ruled_out() {
        let mut horizons = HourHorizons::default();
        assert!(!past(horizons.of("p"), 10), "no horizon: ask the store");
        horizons.insert("p", Some(7));
        assert!(horizons.has("p") && !horizons.has("q"));
        assert!(!past(horizons.of("p"), 7));
        assert!(past(horizons.of("p"), 8));
        horizons.raise("p", 9);
        assert!(!past(horizons.of("p"), 8) && past(horizons.of("p"), 10));
        horizons.raise("p", 4);
        assert_eq!(horizons.of("p"), Some(9), "a horizon never goes back");
        horizons.raise("q", 1);
        assert!(!horizons.has("q"), "raising does not make a horizon");
        horizons.clear();
        assert!(!past(horizons.of("p"), 100));
    }

    #[test]
    fn a_project_without_hour_rows_rules_out_every_hour_and_an_unlisted_one_none() {
        let mut horizons = HourHorizons::default();
        horizons.insert("empty", None);
        assert!(past(horizons.of("empty"), Hour::MIN + 1));
        assert!(past(horizons.of("empty"), -5));
        horizons.insert_unlisted("u");
        assert!(horizons.has("u"));
        assert!(!past(horizons.of("u"), Hour::MAX));
    }
}
