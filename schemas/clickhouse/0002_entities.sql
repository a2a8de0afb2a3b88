-- LabelPulse entity state, single-node layout: what the engine reloads after
-- a restart or an eviction. Versioned like the aggregates:
-- ReplacingMergeTree(version), read with FINAL.

-- Task state: the engine's TaskState as postcard bytes (a blob the engine
-- owns; dashboards never read it).
CREATE TABLE IF NOT EXISTS tasks
(
    project String,
    task String,
    version UInt64,
    state String
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project, task);

-- A member's heartbeat session in a project.
CREATE TABLE IF NOT EXISTS sessions
(
    project String,
    member String,
    version UInt64,
    latest_ms Nullable(Int64),
    open UInt8
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project, member);

-- Project settings; `controls` is the JSON array of control tags.
CREATE TABLE IF NOT EXISTS projects
(
    project String,
    version UInt64,
    title String,
    workspace_id Nullable(String),
    overlap UInt32,
    agreement_threshold Float64,
    review_criteria String,
    controls String
)
ENGINE = ReplacingMergeTree(version)
ORDER BY project;

-- Members of the organization (last writer wins by occurred_ms, fenced by version).
CREATE TABLE IF NOT EXISTS members
(
    member String,
    version UInt64,
    name String,
    email Nullable(String),
    role String,
    occurred_ms Int64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY member;

-- annotation / prediction / review id -> task (kind: 0 annotation,
-- 1 prediction, 2 review). Entries never change, so no version.
CREATE TABLE IF NOT EXISTS id_index
(
    project String,
    kind UInt8,
    id String,
    task String
)
ENGINE = ReplacingMergeTree
ORDER BY (project, kind, id);
