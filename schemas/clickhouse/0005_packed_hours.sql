-- The hour tables with their counters in one array (single-node layout).
--
-- ClickHouse 18.16 writes every column of an inserted part to files of its
-- own (data and marks), and the cost of an insert grows with its columns,
-- not with its few hundred rows: in system.part_log at 20,000 events/s the
-- 27-column hour tables took 25 to 31 ms per new part against 6 ms for the
-- 4-column `tasks`, half of every flush's insert time together. Here
-- the 20 counters of a row are one `counters Array(Int64)`, in this order
-- (`crates/clickhouse/src/tables.rs`, `HOUR_COUNTERS`):
--
--   1 submitted          2 skipped                3 updated
--   4 regions            5 lead_time_ms           6 lead_time_count
--   7 lead_time_zeros    8 accepted               9 fixed_and_accepted
--  10 rejected          11 performance_sum       12 performance_count
--  13 reviews_accepted  14 reviews_fixed_and_accepted
--  15 reviews_rejected  16 review_time_ms        17 review_time_count
--  18 review_time_zeros 19 tasks_done            20 active_ms
--
-- The sketches keep their bucket and count arrays (merge with sumMap). The
-- rows of the 0001 tables are copied over (a second run copies them again
-- with the same versions, which FINAL and merges collapse); 0006 drops the
-- 0001 tables and puts views with their names and columns in their place.

-- project x hour
CREATE TABLE IF NOT EXISTS project_hour_v2
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
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, hour);

-- project x member x hour, project first (the Members page)
CREATE TABLE IF NOT EXISTS member_hour_v2
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
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, hour, member);

-- The same rows member first (the Member Performance page), filled only by
-- the materialized view below from every insert into member_hour_v2.
CREATE TABLE IF NOT EXISTS member_hour_by_member_v2
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
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (member, hour, project);

CREATE MATERIALIZED VIEW IF NOT EXISTS member_hour_by_member_v2_mv
TO member_hour_by_member_v2
AS SELECT
    member, hour, project, version, counters,
    lead_time_buckets, lead_time_counts, review_time_buckets, review_time_counts
FROM member_hour_v2;

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
