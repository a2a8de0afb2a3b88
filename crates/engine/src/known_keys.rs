//! Per project, a set of the keys the store may hold, so a batch's new
//! keys are cached as new without asking the store for them: the tasks of
//! a project (`Engine::known_tasks`) and its agreement statistics cells
//! (`AbsentRows::cells`, beside the hour horizons), each a [`KnownKeys`].
//!
//! Invariant: while a project has a set, every key of the project that
//! the store holds, or that a flush started or will write, is in it. A key
//! neither cached nor in the set is therefore absent from the store. The
//! set is a superset: it holds 64-bit hashes of keys, and a collision (or
//! a key deleted since) only costs the read the set would have saved.
//!
//! How the invariant is kept (by the engine): a set is made from the
//! store's listing of the project's keys together with the keys of the
//! project the cache holds (which include those of a flush being written:
//! they stay cached until it is durable), and every key a flush writes is
//! added when the flush is collected. Sets are dropped with the cache.

use std::hash::BuildHasher;

use labelpulse_core::aggregate::{AggKey, CellKind};

use crate::map::{HashMap, HashSet};

/// The known-key sets of the projects that have one.
#[derive(Debug, Default)]
pub(crate) struct KnownKeys {
    /// `None`: the project's listing did not fit the bound, or the store
    /// cannot list its keys; they are read as before until the sets are
    /// dropped.
    projects: HashMap<String, Option<HashSet<u64>>>,
}

/// The hash a set holds for `task` (FxHash: stable within the process).
pub(crate) fn task_hash(task: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(task)
}

/// The hash a set holds for a statistics cell of a project: its fields but
/// the project (see `AggKey::Cell`).
pub(crate) fn cell_hash(
    dimension: &str,
    kind: CellKind,
    m: u32,
    (a, b): (&str, &str),
    (c, k): (&str, &str),
) -> u64 {
    rustc_hash::FxBuildHasher.hash_one((dimension, kind, m, a, b, c, k))
}

/// [`cell_hash`] of a stored key, `None` for other kinds.
pub(crate) fn stored_cell_hash(key: &AggKey) -> Option<u64> {
    match key {
        AggKey::Cell {
            dimension,
            kind,
            m,
            a,
            b,
            c,
            k,
            ..
        } => Some(cell_hash(dimension, *kind, *m, (a, b), (c, k))),
        _ => None,
    }
}

impl KnownKeys {
    /// Whether `project` was listed (with or without a set).
    pub(crate) fn has_listing(&self, project: &str) -> bool {
        self.projects.contains_key(project)
    }

    /// False only when `project` has a set without `hash`: the store does
    /// not hold the key and no flush writes it.
    pub(crate) fn may_hold(&self, project: &str, hash: u64) -> bool {
        match self.projects.get(project) {
            Some(Some(set)) => set.contains(&hash),
            _ => true,
        }
    }

    /// The set of `project`, if it has one (for many lookups).
    pub(crate) fn set_of(&self, project: &str) -> Option<&HashSet<u64>> {
        self.projects.get(project).and_then(Option::as_ref)
    }

    /// Records a listing of `project`'s keys (the store's, and the
    /// cache's), as hashes. A listing that would take the sets over
    /// `bound` hashes keeps no set, as [`KnownKeys::insert_unlisted`].
    pub(crate) fn insert(
        &mut self,
        project: &str,
        hashes: impl Iterator<Item = u64>,
        bound: usize,
    ) {
        self.projects.remove(project);
        let room = bound.saturating_sub(self.len());
        let mut set = HashSet::default();
        for hash in hashes {
            set.insert(hash);
            if set.len() > room {
                self.insert_unlisted(project);
                return;
            }
        }
        self.projects.insert(project.to_string(), Some(set));
    }

    /// Records the listing of `projects`: `listing` holds the hashed keys
    /// of the store and of the cache, each with its project (those of
    /// other projects are ignored); `None` when the store cannot list.
    pub(crate) fn record<'p>(
        &mut self,
        projects: &[String],
        listing: Option<impl Iterator<Item = (&'p str, u64)>>,
        bound: usize,
    ) {
        let Some(listing) = listing else {
            for project in projects {
                self.insert_unlisted(project);
            }
            return;
        };
        let mut listed: HashMap<&str, Vec<u64>> =
            projects.iter().map(|p| (p.as_str(), Vec::new())).collect();
        for (project, hash) in listing {
            if let Some(hashes) = listed.get_mut(project) {
                hashes.push(hash);
            }
        }
        for project in projects {
            let hashes = listed.remove(project.as_str()).unwrap_or_default();
            self.insert(project, hashes.into_iter(), bound);
        }
    }

    /// Records that `project`'s keys are not listed: all are read.
    pub(crate) fn insert_unlisted(&mut self, project: &str) {
        self.projects.insert(project.to_string(), None);
    }

    /// Adds `hash` to its project's set, if the project has one.
    pub(crate) fn add(&mut self, project: &str, hash: u64) {
        if let Some(Some(set)) = self.projects.get_mut(project) {
            set.insert(hash);
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
        let mut known = KnownKeys::default();
        assert!(
            known.may_hold("p", task_hash("t1")),
            "no listing: ask the store"
        );
        known.insert("p", ["t1", "t2"].into_iter().map(task_hash), 100);
        assert!(known.has_listing("p"));
        assert!(known.may_hold("p", task_hash("t1")));
        assert!(!known.may_hold("p", task_hash("t3")));
        assert!(
            known.may_hold("q", task_hash("t3")),
            "another project is not listed"
        );
        known.add("p", task_hash("t3"));
        assert!(known.may_hold("p", task_hash("t3")));
        known.add("q", task_hash("t9"));
        assert!(!known.has_listing("q"), "adding does not list a project");
        assert_eq!(known.len(), 3);
        known.clear();
        assert!(known.may_hold("p", task_hash("t4")));
        assert_eq!(known.len(), 0);
    }

    #[test]
    fn a_listing_over_the_bound_keeps_no_set() {
        let mut known = KnownKeys::default();
        known.insert("p", ["t1", "t2"].into_iter().map(task_hash), 3);
        known.insert("q", ["u1", "u2"].into_iter().map(task_hash), 3);
        assert!(known.has_listing("q"));
        assert!(
            known.may_hold("q", task_hash("anything")),
            "no set: ask the store"
        );
        assert!(!known.may_hold("p", task_hash("t3")));
        assert_eq!(known.len(), 2);
        known.insert_unlisted("r");
        assert!(known.has_listing("r") && known.may_hold("r", task_hash("x")));
    }

    #[test]
    fn listing_a_project_again_replaces_its_set() {
        let mut known = KnownKeys::default();
        known.insert("p", ["t1", "t2"].into_iter().map(task_hash), 100);
        known.insert("p", ["t3"].into_iter().map(task_hash), 100);
        assert_eq!(known.len(), 1);
        assert!(known.may_hold("p", task_hash("t3")) && !known.may_hold("p", task_hash("t1")));
    }
}
