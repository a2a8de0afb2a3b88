//! Versioned migrations: the files of `schemas/clickhouse/` (built into the
//! binary), applied in order and recorded in `schema_migrations`.
//!
//! [`migrate`] is idempotent: applied versions are skipped, so running it at
//! every start is fine. A file that changed after it was applied is an error
//! naming it (add a new migration instead), and so is a recorded version this
//! build does not know (the database was migrated by a newer build). Every
//! statement may run again (`IF NOT EXISTS`, `IF EXISTS`), so a migration
//! interrupted half way re-runs harmlessly; processes that migrate one
//! database at once take turns (`migration_lock`), since a migration that
//! moves data (0005) cannot interleave with itself.

use clickhouse::sql::Identifier;
use clickhouse::{Client, Compression};

use crate::error::ClickHouseError;
use crate::migration_lock::{LockTiming, MigrationLock};
use crate::queries;
use crate::retry::RetryPolicy;
use crate::tables::{names, SchemaMigrationsRow};

/// One migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Its number (`NNNN` of `NNNN_name.sql`).
    pub version: u32,
    /// The file name without `.sql`.
    pub name: &'static str,
    /// The file's text.
    pub sql: &'static str,
}

macro_rules! migration {
    ($version:literal, $name:literal, $dir:literal) => {
        Migration {
            version: $version,
            name: $name,
            sql: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../schemas/clickhouse/",
                $dir,
                $name,
                ".sql"
            )),
        }
    };
}

/// The single-node migrations, in order.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_aggregates", ""),
    migration!(2, "0002_entities", ""),
    migration!(3, "0003_ingest", ""),
    migration!(4, "0004_agreement", ""),
    migration!(5, "0005_packed_hours", ""),
    migration!(6, "0006_hour_views", ""),
    migration!(7, "0007_flush_marks", ""),
];

/// The cluster variant of [`MIGRATIONS`] (`schemas/clickhouse/cluster/`):
/// `Replicated*MergeTree` tables on the `{cluster}` macro and `Distributed`
/// tables in front of them; see `schemas/clickhouse/README.md`.
pub const CLUSTER_MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_aggregates", "cluster/"),
    migration!(2, "0002_entities", "cluster/"),
    migration!(3, "0003_ingest", "cluster/"),
    migration!(4, "0004_agreement", "cluster/"),
    migration!(5, "0005_packed_hours", "cluster/"),
    migration!(6, "0006_hour_views", "cluster/"),
    migration!(7, "0007_flush_marks", "cluster/"),
];

/// What [`migrate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationReport {
    /// Migrations applied by this call, in order.
    pub applied: Vec<String>,
    /// Migrations found already applied.
    pub already_applied: usize,
}

/// FNV-1a (64 bit) of the text, as 16 hex digits: stable across builds and
/// platforms, which `std`'s hasher is not.
pub fn checksum(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The statements of a migration file: split at `;` outside quotes and
/// comments, comments removed, blank statements dropped.
pub fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        current.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = '\0';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                current.push(' ');
            }
            '\'' | '`' | '"' => {
                current.push(c);
                while let Some(inner) = chars.next() {
                    current.push(inner);
                    if inner == '\\' {
                        if let Some(escaped) = chars.next() {
                            current.push(escaped);
                        }
                    } else if inner == c {
                        break;
                    }
                }
            }
            ';' => {
                let statement = current.trim();
                if !statement.is_empty() {
                    out.push(statement.to_string());
                }
                current.clear();
            }
            c => current.push(c),
        }
    }
    let statement = current.trim();
    if !statement.is_empty() {
        out.push(statement.to_string());
    }
    out
}

/// True for names ClickHouse takes without quoting and that need no escaping.
pub(crate) fn valid_database(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// Creates `database` if needed and applies every migration of
/// [`MIGRATIONS`] it lacks, with a default retry policy (30 s budget).
/// `client` needs no database set (one that does not exist yet is fine).
pub async fn migrate(client: &Client, database: &str) -> Result<MigrationReport, ClickHouseError> {
    migrate_with(client, database, MIGRATIONS, &RetryPolicy::default()).await
}

/// [`migrate`] with a chosen migration list and retry policy.
///
/// When a migration is missing it is applied under the database's
/// migration lock (`migration_lock`), and the applied list is read again
/// under it: of processes migrating one database at once, one applies each
/// migration and the others find it applied.
pub async fn migrate_with(
    client: &Client,
    database: &str,
    migrations: &[Migration],
    policy: &RetryPolicy,
) -> Result<MigrationReport, ClickHouseError> {
    if !valid_database(database) {
        return Err(ClickHouseError::DatabaseName(database.to_string()));
    }
    let base = client
        .clone()
        .with_compression(Compression::None)
        .with_validation(false);
    // `system` always exists, unlike the database the client may name.
    let system = base.clone().with_database("system");
    policy
        .run("create database", || {
            system
                .query(queries::CREATE_DATABASE)
                .bind(Identifier(database))
                .execute()
        })
        .await?;
    let db = base.with_database(database);
    policy
        .run("create schema_migrations", || {
            db.query(queries::CREATE_SCHEMA_MIGRATIONS).execute()
        })
        .await?;
    let applied = applied_migrations(&db, migrations, policy).await?;
    if migrations
        .iter()
        .all(|m| applied.iter().any(|row| row.version == m.version))
    {
        return Ok(MigrationReport {
            applied: Vec::new(),
            already_applied: applied.len(),
        });
    }
    let lock = MigrationLock::acquire(&db, policy, LockTiming::default()).await?;
    let outcome = lock
        .while_beating(policy, apply_missing(&db, database, migrations, policy))
        .await;
    let released = lock.release(policy).await;
    let report = outcome?;
    released?;
    Ok(report)
}

/// The recorded migrations, checked against `migrations`: each must be
/// known and unchanged.
async fn applied_migrations(
    db: &Client,
    migrations: &[Migration],
    policy: &RetryPolicy,
) -> Result<Vec<SchemaMigrationsRow>, ClickHouseError> {
    let applied: Vec<SchemaMigrationsRow> = policy
        .run("read schema_migrations", || {
            db.query(queries::APPLIED_MIGRATIONS).fetch_all()
        })
        .await?;
    for row in &applied {
        match migrations.iter().find(|m| m.version == row.version) {
            None => {
                return Err(ClickHouseError::MigrationUnknown {
                    version: row.version,
                    name: row.name.clone(),
                })
            }
            Some(known) => {
                let current = checksum(known.sql);
                if current != row.checksum {
                    return Err(ClickHouseError::MigrationChanged {
                        version: known.version,
                        name: known.name.to_string(),
                        applied: row.checksum.clone(),
                        current,
                    });
                }
            }
        }
    }
    Ok(applied)
}

/// Applies, in order, the migrations `schema_migrations` does not list,
/// recording each after its last statement. Call it holding the lock.
async fn apply_missing(
    db: &Client,
    database: &str,
    migrations: &[Migration],
    policy: &RetryPolicy,
) -> Result<MigrationReport, ClickHouseError> {
    let applied = applied_migrations(db, migrations, policy).await?;
    let mut report = MigrationReport {
        already_applied: applied.len(),
        ..MigrationReport::default()
    };
    for migration in migrations {
        if applied.iter().any(|row| row.version == migration.version) {
            continue;
        }
        for (index, statement) in statements(migration.sql).iter().enumerate() {
            let what = format!("migration {} statement {}", migration.name, index + 1);
            policy
                .run(&what, || db.query_raw(statement).execute())
                .await
                .map_err(|source| ClickHouseError::Migration {
                    name: migration.name.to_string(),
                    statement: index + 1,
                    source: Box::new(source),
                })?;
        }
        let record = SchemaMigrationsRow {
            version: migration.version,
            name: migration.name.to_string(),
            checksum: checksum(migration.sql),
        };
        policy
            .run("record migration", || async {
                let mut insert = db
                    .insert::<SchemaMigrationsRow>(names::SCHEMA_MIGRATIONS)
                    .await?;
                insert.write(&record).await?;
                insert.end().await
            })
            .await?;
        tracing::info!(database, migration = migration.name, "applied migration");
        report.applied.push(migration.name.to_string());
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_outside_quotes_and_comments() {
        let sql = "-- a comment; with a semicolon\nCREATE TABLE a (x String DEFAULT ';') ENGINE = Memory;\n\
                   /* block; */ SELECT 'it\\'s;', `a;b` ; ;\n-- trailing";
        assert_eq!(
            statements(sql),
            [
                "CREATE TABLE a (x String DEFAULT ';') ENGINE = Memory",
                "SELECT 'it\\'s;', `a;b`",
            ]
        );
    }

    #[test]
    fn migrations_are_numbered_in_order_and_checksums_are_stable() {
        for list in [MIGRATIONS, CLUSTER_MIGRATIONS] {
            for (i, m) in list.iter().enumerate() {
                assert_eq!(m.version as usize, i + 1);
                assert!(m.name.starts_with(&format!("{:04}_", m.version)));
                assert!(!statements(m.sql).is_empty());
            }
        }
        assert_eq!(checksum(""), "cbf29ce484222325");
        assert_eq!(checksum("a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn every_file_in_the_schema_folders_is_listed() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../schemas/clickhouse");
        for (dir, list) in [
            (root.to_string(), MIGRATIONS),
            (format!("{root}/cluster"), CLUSTER_MIGRATIONS),
        ] {
            let mut files: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            files.sort();
            let listed: Vec<String> = list.iter().map(|m| format!("{}.sql", m.name)).collect();
            assert_eq!(files, listed, "{dir}");
        }
    }

    /// Names of the tables and views a migration list creates.
    fn created(list: &[Migration]) -> Vec<String> {
        let mut names = Vec::new();
        for m in list {
            for s in statements(m.sql) {
                let words: Vec<&str> = s.split_whitespace().collect();
                if let Some(i) = words.iter().position(|w| *w == "EXISTS") {
                    names.push(words[i + 1].to_string());
                }
            }
        }
        names.sort();
        names
    }

    #[test]
    fn the_cluster_layout_has_every_single_node_table() {
        let single = created(MIGRATIONS);
        let cluster = created(CLUSTER_MIGRATIONS);
        for table in &single {
            if table.ends_with("_mv") {
                assert!(cluster.contains(table), "{table}");
                continue;
            }
            assert!(cluster.contains(&format!("{table}_local")), "{table}_local");
            assert!(cluster.contains(table), "distributed {table}");
        }
    }

    #[test]
    fn database_names_are_checked() {
        assert!(valid_database("labelpulse_test_1"));
        assert!(!valid_database(""));
        assert!(!valid_database("1abc"));
        assert!(!valid_database("a-b"));
        assert!(!valid_database("a`; DROP"));
    }
}
