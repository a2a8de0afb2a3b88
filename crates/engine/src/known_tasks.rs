//! Per project, a set of the tasks the store may hold, so a batch's new
//! tasks are cached as new without asking the store for them.
//!
//! Invariant: while a project has a set, every task of the project that
//! the store holds, or that a flush started or will write, is in it. A task
//! neither cached nor in the set is therefore absent from the store. The
//! set is a superset: it holds 64-bit hashes of task ids, and a collision
//! (or a task deleted since) only costs the read the set would have saved.
//!
//! How the invariant is kept (by the engine): a set is made from the
//! store's listing of the project's tasks together with the tasks of the
//! project the cache holds (which include those of a flush being written:
//! they stay cached until it is durable), and every task a flush writes is
//! added when the flush is collected. Sets are dropped with the cache.

use std::hash::BuildHasher;

use crate::map::{HashMap, HashSet};

/// The known-task sets of the projects that have one.
#[derive(Debug, Default)]
pub(crate) struct KnownTasks {
    /// `None`: the project's listing did not fit the bound, or the store
    /// cannot list tasks; its tasks are read as before until the sets are
    /// dropped.
    projects: HashMap<String, Option<HashSet<u64>>>,
}

/// The hash a set holds for `task` (FxHash: stable within the process).
fn task_hash(task: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(task)
}

impl KnownTasks {
    /// Whether `project` was listed (with or without a set).
    pub(crate) fn has_listing(&self, project: &str) -> bool {
        self.projects.contains_key(project)
    }

    /// False only when `project` has a set without `task`: the store does
    /// not hold the task and no flush writes it.
    pub(crate) fn may_hold(&self, project: &str, task: &str) -> bool {
        match self.projects.get(project) {
            Some(Some(set)) => set.contains(&task_hash(task)),
            _ => true,
        }
    }

    /// Records a listing of `project`'s tasks (the store's, and the
    /// cache's). A listing that would take the sets over `bound` hashes
    /// keeps no set, as [`KnownTasks::insert_unlisted`].
    pub(crate) fn insert<'t>(
        &mut self,
        project: &str,
        tasks: impl Iterator<Item = &'t str>,
        bound: usize,
    ) {
        self.projects.remove(project);
        let room = bound.saturating_sub(self.len());
        let mut set = HashSet::default();
        for task in tasks {
            set.insert(task_hash(task));
            if set.len() > room {
                self.insert_unlisted(project);
                return;
            }
        }
        self.projects.insert(project.to_string(), Some(set));
    }

    /// Records that `project`'s tasks are not listed: all are read.
    pub(crate) fn insert_unlisted(&mut self, project: &str) {
        self.projects.insert(project.to_string(), None);
    }

    /// Adds `task` to its project's set, if the project has one.
    pub(crate) fn add(&mut self, project: &str, task: &str) {
        if let Some(Some(set)) = self.projects.get_mut(project) {
            set.insert(task_hash(task));
        }
    }

    /// Hashes held, over all sets.
    pub(crate) fn len(&self) -> usize {
        self.projects.values().flatten().map(HashSet::len).sum()
    }

    /// Drops every set (they are listed again on next use).
    pub(crate) fn clear(&mut self) {
        self.projects.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_listed_project_rules_tasks_out() {
        let mut known = KnownTasks::default();
        assert!(known.may_hold("p", "t1"), "no listing: ask the store");
        known.insert("p", ["t1", "t2"].into_iter(), 100);
        assert!(known.has_listing("p"));
        assert!(known.may_hold("p", "t1"));
        assert!(!known.may_hold("p", "t3"));
        assert!(known.may_hold("q", "t3"), "another project is not listed");
        known.add("p", "t3");
        assert!(known.may_hold("p", "t3"));
        known.add("q", "t9");
        assert!(!known.has_listing("q"), "adding does not list a project");
        assert_eq!(known.len(), 3);
        known.clear();
        assert!(known.may_hold("p", "t4"));
        assert_eq!(known.len(), 0);
    }

    #[test]
    fn a_listing_over_the_bound_keeps_no_set() {
        let mut known = KnownTasks::default();
        known.insert("p", ["t1", "t2"].into_iter(), 3);
        known.insert("q", ["u1", "u2"].into_iter(), 3);
        assert!(known.has_listing("q"));
        assert!(known.may_hold("q", "anything"), "no set: ask the store");
        assert!(!known.may_hold("p", "t3"));
        assert_eq!(known.len(), 2);
        known.insert_unlisted("r");
        assert!(known.has_listing("r") && known.may_hold("r", "x"));
    }

    #[test]
    fn listing_a_project_again_replaces_its_set() {
        let mut known = KnownTasks::default();
        known.insert("p", ["t1", "t2"].into_iter(), 100);
        known.insert("p", ["t3"].into_iter(), 100);
        assert_eq!(known.len(), 1);
        assert!(known.may_hold("p", "t3") && !known.may_hold("p", "t1"));
    }
}
