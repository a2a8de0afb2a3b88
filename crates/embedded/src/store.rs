//! [`EmbeddedStore`]: the redb file, and the engine's [`Store`] over it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use labelpulse_core::aggregate::{AggKey, AggRow};
use labelpulse_core::project::ProjectConfig;
use labelpulse_core::task::TaskState;
use labelpulse_engine::entity::{IndexKey, MemberState, SessionState};
use labelpulse_engine::store::{SessionKey, TaskKey};
use labelpulse_engine::{Flush, Store, Versioned};
use redb::{Database, ReadableTable};

use crate::codec::{decode_plain, encode_plain};
use crate::error::StoreError;
use crate::read::Snapshot;
use crate::tables::{self, FORMAT_VERSION, META, META_FORMAT};

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "labelpulse.redb";

/// One redb file holding every aggregate, entity, the archive and the
/// positions. Cheap to clone: clones share one `Arc<redb::Database>`, so the
/// node's writer and any number of readers use the same file.
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    path: PathBuf,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Opens (or creates) `<data_dir>/labelpulse.redb`, creating the
    /// directory and every table as needed. After an unclean shutdown redb
    /// repairs the file here; the last committed transaction is what is found.
    /// Blocks: call it before starting work, or inside `spawn_blocking`.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        let dir = data_dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let db = Database::create(&path)?;
        Self::with_database(Arc::new(db), path)
    }

    /// Wraps an already open database (e.g. one with a custom cache size),
    /// creating missing tables and checking the format. `path` is only
    /// reported in `Debug`.
    pub fn with_database(db: Arc<Database>, path: PathBuf) -> Result<Self, StoreError> {
        let txn = db.begin_write()?;
        tables::create_all(&txn)?;
        {
            let mut meta = txn.open_table(META)?;
            let found = match meta.get(META_FORMAT)? {
                Some(bytes) => Some(decode_plain::<u32>(tables::names::META, bytes.value())?),
                None => None,
            };
            match found {
                Some(FORMAT_VERSION) => {}
                Some(found) => {
                    return Err(StoreError::Format {
                        found,
                        expected: FORMAT_VERSION,
                    })
                }
                None => {
                    let bytes = encode_plain(tables::names::META, &FORMAT_VERSION)?;
                    meta.insert(META_FORMAT, bytes.as_slice())?;
                }
            }
        }
        txn.commit()?;
        Ok(EmbeddedStore { db, path })
    }

    /// The shared database handle.
    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A consistent read-only view of the whole store (one redb read
    /// transaction). Blocking; cheap to create.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        Snapshot::new(&self.db)
    }
}

impl Store for EmbeddedStore {
    type Error = StoreError;

    fn task(&mut self, key: &TaskKey) -> Result<Option<Versioned<TaskState>>, StoreError> {
        self.snapshot()?.task(key)
    }

    fn project_tasks(
        &mut self,
        project: &str,
    ) -> Result<Vec<(TaskKey, Versioned<TaskState>)>, StoreError> {
        self.snapshot()?.project_tasks(project)
    }

    fn session(&mut self, key: &SessionKey) -> Result<Option<Versioned<SessionState>>, StoreError> {
        self.snapshot()?.session(key)
    }

    fn project(&mut self, project: &str) -> Result<Option<Versioned<ProjectConfig>>, StoreError> {
        self.snapshot()?.project_config(project)
    }

    fn member(&mut self, member: &str) -> Result<Option<Versioned<MemberState>>, StoreError> {
        self.snapshot()?.member_versioned(member)
    }

    fn index(&mut self, key: &IndexKey) -> Result<Option<String>, StoreError> {
        self.snapshot()?.index(key)
    }

    fn aggregate(&mut self, key: &AggKey) -> Result<Option<Versioned<AggRow>>, StoreError> {
        self.snapshot()?.aggregate(key)
    }

    fn positions(&mut self) -> Result<BTreeMap<u32, u64>, StoreError> {
        self.snapshot()?.positions()
    }

    /// One redb write transaction per flush: durable whole or not at all.
    fn writes_atomically(&self) -> bool {
        true
    }

    /// One write transaction for the whole flush, committed durably
    /// (`Durability::Immediate`): after a crash all of it or none of it is there.
    fn write(&mut self, flush: &Flush) -> Result<(), StoreError> {
        crate::write::write_flush(&self.db, flush)
    }
}
