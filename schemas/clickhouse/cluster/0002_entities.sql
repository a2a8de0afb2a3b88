-- LabelPulse entity state, cluster layout (see README.md and ../0002_entities.sql).

CREATE TABLE IF NOT EXISTS tasks_local ON CLUSTER '{cluster}'
(
    project String,
    task String,
    version UInt64,
    state String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/tasks', '{replica}', version)
ORDER BY (project, task);

CREATE TABLE IF NOT EXISTS tasks ON CLUSTER '{cluster}'
AS tasks_local
ENGINE = Distributed('{cluster}', currentDatabase(), tasks_local, sipHash64(project));

-- A member's heartbeat session in a project.
CREATE TABLE IF NOT EXISTS sessions_local ON CLUSTER '{cluster}'
(
    project String,
    member String,
    version UInt64,
    latest_ms Nullable(Int64),
    open UInt8
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/sessions', '{replica}', version)
ORDER BY (project, member);

CREATE TABLE IF NOT EXISTS sessions ON CLUSTER '{cluster}'
AS sessions_local
ENGINE = Distributed('{cluster}', currentDatabase(), sessions_local, sipHash64(project));

-- Project settings; `controls` is the JSON array of control tags.
CREATE TABLE IF NOT EXISTS projects_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/projects', '{replica}', version)
ORDER BY project;

CREATE TABLE IF NOT EXISTS projects ON CLUSTER '{cluster}'
AS projects_local
ENGINE = Distributed('{cluster}', currentDatabase(), projects_local, sipHash64(project));

-- Members of the organization (last writer wins by occurred_ms, fenced by version).
CREATE TABLE IF NOT EXISTS members_local ON CLUSTER '{cluster}'
(
    member String,
    version UInt64,
    name String,
    email Nullable(String),
    role String,
    occurred_ms Int64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/members', '{replica}', version)
ORDER BY member;

CREATE TABLE IF NOT EXISTS members ON CLUSTER '{cluster}'
AS members_local
ENGINE = Distributed('{cluster}', currentDatabase(), members_local, sipHash64(member));

-- annotation / prediction / review id -> task (kind: 0 annotation,
-- 1 prediction, 2 review). Entries never change, so no version.
CREATE TABLE IF NOT EXISTS id_index_local ON CLUSTER '{cluster}'
(
    project String,
    kind UInt8,
    id String,
    task String
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/id_index', '{replica}')
ORDER BY (project, kind, id);

CREATE TABLE IF NOT EXISTS id_index ON CLUSTER '{cluster}'
AS id_index_local
ENGINE = Distributed('{cluster}', currentDatabase(), id_index_local, sipHash64(project));
