//! The engine's batch reads: a batch's entities in one store read per
//! kind before it is applied (tasks the store cannot hold left out, hour
//! horizons made), and the aggregate rows it missed in one read after,
//! with the changes that waited for them added in order.

use labelpulse_core::aggregate::AggRow;
use labelpulse_core::task::TaskState;
use labelpulse_core::time::Hour;

use super::{BatchEvent, Engine, EngineError, Result};
use crate::cache::{Admission, Cached};
use crate::entity::SessionState;
use crate::known_keys::{stored_cell_hash, task_hash};
use crate::map::HashMap;
use crate::row_key::RowKey;
use crate::store::{Store, TaskKey, Versioned};
use labelpulse_core::project::ProjectConfig;

/// Caches the entries of `keys` (the prefetch's, none of them cached):
/// loaded ones as read, absent ones as new (version 0, `default()`). An
/// entry cached meanwhile is kept, never overwritten.
fn load_missing<K, T, E>(
    map: &mut HashMap<K, Cached<T>>,
    keys: Vec<K>,
    default: impl Fn() -> T,
    load: impl FnOnce(&[K]) -> std::result::Result<Vec<(K, Versioned<T>)>, E>,
) -> std::result::Result<(), EngineError<E>>
where
    K: std::hash::Hash + Eq,
    E: std::error::Error + 'static,
{
    if keys.is_empty() {
        return Ok(());
    }
    for (key, value) in load(&keys).map_err(EngineError::Store)? {
        map.entry(key).or_insert_with(|| Cached::clean(value));
    }
    for key in keys {
        map.entry(key).or_insert_with(|| {
            Cached::clean(Versioned {
                version: 0,
                value: default(),
            })
        });
    }
    Ok(())
}

impl<S: Store> Engine<S> {
    /// Loads, in one read per kind, every entity the batch will touch that
    /// is not cached; absent ones are cached as new (version 0).
    pub(super) fn prefetch<'b, 'e: 'b>(
        &mut self,
        events: impl Iterator<Item = &'b BatchEvent<'e>> + Clone,
    ) -> Result<(), S> {
        let cache = crate::prefetch::CacheView {
            index: &self.index,
            tasks: &self.tasks,
            sessions: &self.sessions,
            projects: &self.projects,
            members: &self.members,
        };
        let wanted = crate::prefetch::keys(events, &cache);
        if !wanted.index.is_empty() {
            let found = self
                .store
                .load_index(&wanted.index)
                .map_err(EngineError::Store)?;
            self.index.extend(found);
        }
        let tasks = wanted.tasks(
            |key| self.index.get(key).cloned(),
            |key| self.tasks.contains_key(key),
        );
        self.list_tasks_of(&tasks)?;
        let known = &self.known_tasks;
        load_missing(&mut self.tasks, tasks, TaskState::default, |keys| {
            if keys
                .iter()
                .all(|(project, task)| known.may_hold(project, task_hash(task)))
            {
                return self.store.load_tasks(keys);
            }
            let stored: Vec<TaskKey> = keys
                .iter()
                .filter(|(project, task)| known.may_hold(project, task_hash(task)))
                .cloned()
                .collect();
            self.store.load_tasks(&stored)
        })?;
        load_missing(
            &mut self.sessions,
            wanted.sessions,
            SessionState::default,
            |keys| self.store.load_sessions(keys),
        )?;
        load_missing(
            &mut self.projects,
            wanted.projects,
            ProjectConfig::default,
            |keys| self.store.load_projects(keys),
        )?;
        // Members absent from the store stay uncached (a member has no
        // default state): `member.upserted` asks the store again and
        // creates them from its event.
        if !wanted.members.is_empty() {
            for (key, value) in self
                .store
                .load_members(&wanted.members)
                .map_err(EngineError::Store)?
            {
                self.members
                    .entry(key)
                    .or_insert_with(|| Cached::clean(value));
            }
        }
        Ok(())
    }

    /// For the batch's projects, before any of its changes waits for a
    /// read (so no row that waits is one they then rule out): the hour
    /// horizons of those that have none ([`Engine::make_horizons`]) and
    /// the known-cell sets of those without a listing
    /// ([`Engine::list_cells_of`]), one store read each.
    pub(super) fn know_absent_rows(
        &mut self,
        batches: &[(u32, &[BatchEvent<'_>])],
    ) -> Result<(), S> {
        let mut projects: Vec<&str> = Vec::new();
        // Events of one project come in runs (a project has one partition):
        // each run is looked up once.
        let mut previous: Option<&str> = None;
        for item in batches.iter().flat_map(|(_, events)| events.iter()) {
            let Some(project) = item.event.envelope.project_id.as_deref() else {
                continue;
            };
            if previous == Some(project) {
                continue;
            }
            previous = Some(project);
            let listed =
                self.absent.horizons.has(project) && self.absent.cells.has_listing(project);
            if !listed && !projects.contains(&project) {
                projects.push(project);
            }
        }
        if projects.is_empty() {
            return Ok(());
        }
        debug_assert!(self.deferred.is_empty(), "made between batches");
        let without_horizon: Vec<String> = projects
            .iter()
            .filter(|p| !self.absent.horizons.has(p))
            .map(|p| p.to_string())
            .collect();
        let unlisted: Vec<String> = projects
            .iter()
            .filter(|p| !self.absent.cells.has_listing(p))
            .map(|p| p.to_string())
            .collect();
        self.make_horizons(&without_horizon)?;
        self.list_cells_of(&unlisted)
    }

    /// Lists, in one store read, the statistics cells of `projects` and
    /// makes their known-cell sets: the store's cells and the cache's
    /// (those of a flush being written among them).
    fn list_cells_of(&mut self, projects: &[String]) -> Result<(), S> {
        if projects.is_empty() {
            return Ok(());
        }
        let stored = self
            .store
            .list_cells(projects)
            .map_err(EngineError::Store)?;
        let (interner, aggregates) = (&self.interner, &self.aggregates);
        let listing = stored.as_ref().map(|stored| {
            let stored = stored
                .iter()
                .filter_map(|key| Some((key.project(), stored_cell_hash(key)?)));
            let cached = aggregates.rows().keys().filter_map(|key| {
                let hash = key.cell_hash(interner)?;
                Some((interner.name(key.project()), hash))
            });
            stored.chain(cached)
        });
        self.absent
            .cells
            .record(projects, listing, self.settings.cache_capacity);
        Ok(())
    }

    /// Makes, in one store read, the hour horizons of `projects`: the
    /// latest hour of their hour rows in the store or in the cache (those
    /// of a flush being written among them).
    fn make_horizons(&mut self, projects: &[String]) -> Result<(), S> {
        if projects.is_empty() {
            return Ok(());
        }
        let Some(stored) = self
            .store
            .hour_horizons(projects)
            .map_err(EngineError::Store)?
        else {
            for project in projects {
                self.absent.horizons.insert_unlisted(project);
            }
            return Ok(());
        };
        let mut latest: HashMap<&str, Option<Hour>> =
            projects.iter().map(|p| (p.as_str(), None)).collect();
        let cached = self.aggregates.rows().keys().filter_map(|key| {
            let hour = key.hour()?;
            Some((self.interner.name(key.project()), hour))
        });
        for (project, hour) in stored.iter().map(|(p, h)| (p.as_str(), *h)).chain(cached) {
            if let Some(latest) = latest.get_mut(project) {
                *latest = Some(latest.map_or(hour, |l| l.max(hour)));
            }
        }
        for (project, hour) in latest {
            self.absent.horizons.insert(project, hour);
        }
        Ok(())
    }

    /// Lists, in one store read, the tasks of the projects of `tasks` that
    /// have no listing yet, and makes their known-task sets: the store's
    /// tasks and the cache's (those of a flush being written among them).
    pub(super) fn list_tasks_of(&mut self, tasks: &[TaskKey]) -> Result<(), S> {
        let mut projects: Vec<String> = Vec::new();
        for (project, _) in tasks {
            if !self.known_tasks.has_listing(project) && !projects.contains(project) {
                projects.push(project.clone());
            }
        }
        if projects.is_empty() {
            return Ok(());
        }
        let stored = self
            .store
            .list_tasks(&projects)
            .map_err(EngineError::Store)?;
        let listing = stored.as_ref().map(|stored| {
            stored
                .iter()
                .chain(self.tasks.keys())
                .map(|(project, task)| (project.as_str(), task_hash(task)))
        });
        self.known_tasks
            .record(&projects, listing, self.settings.cache_capacity);
        Ok(())
    }

    /// Reads every deferred aggregate row in one batch and applies its
    /// waiting changes in order, fenced by the row's stored version.
    pub(super) fn resolve_deferred(&mut self) -> Result<(), S> {
        if self.deferred.is_empty() {
            return Ok(());
        }
        let keys = self.deferred.keys(&self.interner);
        let loaded = self
            .store
            .load_aggregates(&keys)
            .map_err(EngineError::Store)?;
        let interner = &mut self.interner;
        let mut loaded: HashMap<RowKey, Versioned<AggRow>> = loaded
            .into_iter()
            .map(|(key, value)| (RowKey::intern(&key, interner), value))
            .collect();
        for (key, ops) in self.deferred.drain() {
            let value = loaded.remove(&key).unwrap_or_else(|| Versioned {
                version: 0,
                value: key.empty_row(),
            });
            let mut row = Cached::clean(value);
            for (span, op) in ops {
                match row.admission(span) {
                    Admission::Add => {
                        if op.apply(&mut row.value.value) {
                            row.raise(span);
                        }
                    }
                    Admission::Skip => {}
                    Admission::Split => self.straddled.push(span),
                }
            }
            self.aggregates.insert(key, row);
        }
        Ok(())
    }
}
