-- The hour tables with their counters in one array, cluster layout (see
-- README.md and ../0005_packed_hours.sql for the why and the counter order):
-- Replicated `<name>_v2_local` tables on every node of `{cluster}`, Distributed
-- `<name>_v2` tables in front of them, sharded by project. The copy of the
-- 0001 rows runs once, from the node that migrates, through the Distributed
-- tables.

-- project x hour
CREATE TABLE IF NOT EXISTS project_hour_v2_local ON CLUSTER '{cluster}'
(
    project String,
    hour Int64,
    version UInt64,
    counters Array(Int64),
    lead_time_buckets Array(Int32),
    lead_time_counts Array(Int64),
    review_time_buckets Array(Int32),
    review_time_counts Array(Int64),
    hour_start DateTime ALIAS toDateTime(hour * 3600)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/project_hour_v2', '{replica}', version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, hour);

CREATE TABLE IF NOT EXISTS project_hour_v2 ON CLUSTER '{cluster}'
AS project_hour_v2_local
ENGINE = Distributed('{cluster}', currentDatabase(), project_hour_v2_local, sipHash64(project));

-- project x member x hour, project first (the Members page)
CREATE TABLE IF NOT EXISTS member_hour_v2_local ON CLUSTER '{cluster}'
(
    project String,
    hour Int64,
    member String,
    version UInt64,
    counters Array(Int64),
    lead_time_buckets Array(Int32),
    lead_time_counts Array(Int64),
    review_time_buckets Array(Int32),
    review_time_counts Array(Int64),
    hour_start DateTime ALIAS toDateTime(hour * 3600)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/member_hour_v2', '{replica}', version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, hour, member);

CREATE TABLE IF NOT EXISTS member_hour_v2 ON CLUSTER '{cluster}'
AS member_hour_v2_local
ENGINE = Distributed('{cluster}', currentDatabase(), member_hour_v2_local, sipHash64(project));

-- The same rows member first, filled only by the materialized view below
-- from every insert into member_hour_v2_local.
CREATE TABLE IF NOT EXISTS member_hour_by_member_v2_local ON CLUSTER '{cluster}'
(
    member String,
    hour Int64,
    project String,
    version UInt64,
    counters Array(Int64),
    lead_time_buckets Array(Int32),
    lead_time_counts Array(Int64),
    review_time_buckets Array(Int32),
    review_time_counts Array(Int64),
    hour_start DateTime ALIAS toDateTime(hour * 3600)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/member_hour_by_member_v2', '{replica}', version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (member, hour, project);

CREATE TABLE IF NOT EXISTS member_hour_by_member_v2 ON CLUSTER '{cluster}'
AS member_hour_by_member_v2_local
ENGINE = Distributed('{cluster}', currentDatabase(), member_hour_by_member_v2_local, sipHash64(project));

CREATE MATERIALIZED VIEW IF NOT EXISTS member_hour_by_member_v2_mv ON CLUSTER '{cluster}'
TO member_hour_by_member_v2_local
AS SELECT
    member, hour, project, version, counters,
    lead_time_buckets, lead_time_counts, review_time_buckets, review_time_counts
FROM member_hour_v2_local;

INSERT INTO project_hour_v2
SELECT
    project, hour, version,
    [submitted, skipped, updated, regions, lead_time_ms, lead_time_count, lead_time_zeros,
     accepted, fixed_and_accepted, rejected, performance_sum, performance_count,
     reviews_accepted, reviews_fixed_and_accepted, reviews_rejected,
     review_time_ms, review_time_count, review_time_zeros, tasks_done, active_ms],
    lead_time_buckets, lead_time_counts, review_time_buckets, review_time_counts
FROM project_hour FINAL;

INSERT INTO member_hour_v2
SELECT
    project, hour, member, version,
    [submitted, skipped, updated, regions, lead_time_ms, lead_time_count, lead_time_zeros,
     accepted, fixed_and_accepted, rejected, performance_sum, performance_count,
     reviews_accepted, reviews_fixed_and_accepted, reviews_rejected,
     review_time_ms, review_time_count, review_time_zeros, tasks_done, active_ms],
    lead_time_buckets, lead_time_counts, review_time_buckets, review_time_counts
FROM member_hour FINAL;
