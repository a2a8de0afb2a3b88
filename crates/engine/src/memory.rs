//! An in-memory [`Store`] for tests and benchmarks, which can be told to
//! fail after a given number of row writes (a crash in the middle of a
//! flush), and to write started flushes only when they are finished (a
//! background write: reads meanwhile see the store before it).

use std::collections::BTreeMap;

use labelpulse_core::aggregate::{AggKey, AggRow};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::TaskState;
use thiserror::Error;

use crate::entity::{IndexKey, MemberState, SessionState};
use crate::store::{Flush, SessionKey, Store, TaskKey, Versioned};

/// The injected failure.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
#[error("injected write failure")]
pub struct InjectedFailure;

/// Everything the store holds; comparable, so two runs can be checked equal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryContents {
    /// Aggregate rows.
    pub aggregates: BTreeMap<AggKey, Versioned<AggRow>>,
    /// Tasks.
    pub tasks: BTreeMap<TaskKey, Versioned<TaskState>>,
    /// Sessions.
    pub sessions: BTreeMap<SessionKey, Versioned<SessionState>>,
    /// Projects.
    pub projects: BTreeMap<String, Versioned<ProjectConfig>>,
    /// Members.
    pub members: BTreeMap<String, Versioned<MemberState>>,
    /// Id index.
    pub index: BTreeMap<IndexKey, String>,
    /// Archived raw events.
    pub archive: BTreeMap<(u32, u64), Vec<u8>>,
    /// Durable positions.
    pub positions: BTreeMap<u32, u64>,
}

/// An in-memory store.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    /// What has been written.
    pub contents: MemoryContents,
    /// When set, the write that would be number `n` (0-based, counted over
    /// all rows of all flushes from now) fails, and every later one too.
    pub fail_after_rows: Option<usize>,
    /// When set, [`Store::start_write`] keeps the flush and
    /// [`Store::finish_write`] writes it, so every read in between sees
    /// the store without it (as a ClickHouse insert still under way);
    /// [`Store::write_finished`] answers `false` this many times first (a
    /// write that takes a while).
    pub background_writes: Option<u32>,
    /// When set, [`Store::list_tasks`] answers `None`, as a store that
    /// cannot list a project's tasks, and the engine reads every task it
    /// does not cache; by default it lists the tasks written so far.
    pub unlisted_tasks: bool,
    /// The started flush, kept until it is finished, and the `false`
    /// answers of `write_finished` it has left.
    started: Option<(Flush, u32)>,
}

impl MemoryStore {
    /// An empty store whose started flushes are written only when
    /// finished, and report themselves running for `polls` checks.
    pub fn with_background_writes(polls: u32) -> Self {
        MemoryStore {
            background_writes: Some(polls),
            ..MemoryStore::default()
        }
    }

    fn tick(&mut self) -> Result<(), InjectedFailure> {
        match &mut self.fail_after_rows {
            Some(0) => Err(InjectedFailure),
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }
}

impl Store for MemoryStore {
    type Error = InjectedFailure;

    fn task(&mut self, key: &TaskKey) -> Result<Option<Versioned<TaskState>>, Self::Error> {
        Ok(self.contents.tasks.get(key).cloned())
    }

    fn project_tasks(
        &mut self,
        project: &str,
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, Self::Error> {
        Ok(self
            .contents
            .tasks
            .iter()
            .filter(|((p, _), _)| p == project)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn list_tasks(&mut self, projects: &[String]) -> Result<Option<Vec<TaskKey>>, Self::Error> {
        if self.unlisted_tasks {
            return Ok(None);
        }
        Ok(Some(
            self.contents
                .tasks
                .keys()
                .filter(|(project, _)| projects.contains(project))
                .cloned()
                .collect(),
        ))
    }

    fn session(
        &mut self,
        key: &SessionKey,
    ) -> Result<Option<Versioned<SessionState>>, Self::Error> {
        Ok(self.contents.sessions.get(key).cloned())
    }

    fn project(&mut self, project: &str) -> Result<Option<Versioned<ProjectConfig>>, Self::Error> {
        Ok(self.contents.projects.get(project).cloned())
    }

    fn member(&mut self, member: &str) -> Result<Option<Versioned<MemberState>>, Self::Error> {
        Ok(self.contents.members.get(member).cloned())
    }

    fn index(&mut self, key: &IndexKey) -> Result<Option<String>, Self::Error> {
        Ok(self.contents.index.get(key).cloned())
    }

    fn aggregate(&mut self, key: &AggKey) -> Result<Option<Versioned<AggRow>>, Self::Error> {
        Ok(self.contents.aggregates.get(key).cloned())
    }

    fn positions(&mut self) -> Result<BTreeMap<u32, u64>, Self::Error> {
        Ok(self.contents.positions.clone())
    }

    fn start_write(&mut self, flush: Flush) -> Result<(), Self::Error> {
        self.finish_write()?;
        match self.background_writes {
            Some(polls) => {
                self.started = Some((flush, polls));
                Ok(())
            }
            None => self.write(&flush),
        }
    }

    fn write_finished(&mut self) -> bool {
        match &mut self.started {
            Some((_, 0)) | None => true,
            Some((_, polls)) => {
                *polls -= 1;
                false
            }
        }
    }

    fn finish_write(&mut self) -> Result<(), Self::Error> {
        match self.started.take() {
            Some((flush, _)) => self.write(&flush),
            None => Ok(()),
        }
    }

    fn write(&mut self, flush: &Flush) -> Result<(), Self::Error> {
        for (key, row) in &flush.aggregates {
            self.tick()?;
            self.contents.aggregates.insert(key.clone(), row.clone());
        }
        for (key, row) in &flush.members {
            self.tick()?;
            self.contents.members.insert(key.clone(), row.clone());
        }
        for (key, row) in &flush.sessions {
            self.tick()?;
            self.contents.sessions.insert(key.clone(), row.clone());
        }
        for (key, task) in &flush.index {
            self.tick()?;
            self.contents.index.insert(key.clone(), task.clone());
        }
        for (key, row) in &flush.tasks {
            self.tick()?;
            self.contents.tasks.insert(key.clone(), row.clone());
        }
        for (key, row) in &flush.projects {
            self.tick()?;
            self.contents.projects.insert(key.clone(), row.clone());
        }
        for (partition, sequence, raw) in &flush.archive {
            self.tick()?;
            self.contents
                .archive
                .insert((*partition, *sequence), raw.clone());
        }
        self.tick()?;
        self.contents
            .positions
            .extend(flush.positions.iter().map(|(p, s)| (*p, *s)));
        Ok(())
    }
}
