-- LabelPulse aggregates (DESIGN.md section 5), single-node layout.
--
-- Every row is absolute and carries `version`, the sequence (Kafka offset + 1)
-- of the last event applied to it: ReplacingMergeTree(version) keeps the
-- highest version of each sorting key, so a retried or replayed flush never
-- double counts. Read the latest rows with FINAL (or argMax(.., version)).
--
-- Hours are whole hours since the Unix epoch, UTC (Int64, so any hour is
-- representable); `hour_start` is the same as a DateTime for SQL users.
-- Counters are Int64. A quantile sketch is three columns: the count of zero
-- values, the bucket indexes and their counts (parallel arrays; merge across
-- rows with sumMap(buckets, counts)). Written and read on ClickHouse 18.16 and
-- on current versions alike (no LowCardinality, DateTime64, Map, TTL, ...).

-- project x hour
CREATE TABLE IF NOT EXISTS project_hour
(
    project String,
    hour Int64,
    version UInt64,
    submitted Int64,
    skipped Int64,
    updated Int64,
    regions Int64,
    lead_time_ms Int64,
    lead_time_count Int64,
    lead_time_zeros Int64,
    lead_time_buckets Array(Int32),
    lead_time_counts Array(Int64),
    accepted Int64,
    fixed_and_accepted Int64,
    rejected Int64,
    performance_sum Int64,
    performance_count Int64,
    reviews_accepted Int64,
    reviews_fixed_and_accepted Int64,
    reviews_rejected Int64,
    review_time_ms Int64,
    review_time_count Int64,
    review_time_zeros Int64,
    review_time_buckets Array(Int32),
    review_time_counts Array(Int64),
    tasks_done Int64,
    active_ms Int64,
    hour_start DateTime ALIAS toDateTime(hour * 3600)
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, hour);

-- project x member x hour, project first (the Members page)
CREATE TABLE IF NOT EXISTS member_hour
(
    project String,
    hour Int64,
    member String,
    version UInt64,
    submitted Int64,
    skipped Int64,
    updated Int64,
    regions Int64,
    lead_time_ms Int64,
    lead_time_count Int64,
    lead_time_zeros Int64,
    lead_time_buckets Array(Int32),
    lead_time_counts Array(Int64),
    accepted Int64,
    fixed_and_accepted Int64,
    rejected Int64,
    performance_sum Int64,
    performance_count Int64,
    reviews_accepted Int64,
    reviews_fixed_and_accepted Int64,
    reviews_rejected Int64,
    review_time_ms Int64,
    review_time_count Int64,
    review_time_zeros Int64,
    review_time_buckets Array(Int32),
    review_time_counts Array(Int64),
    tasks_done Int64,
    active_ms Int64,
    hour_start DateTime ALIAS toDateTime(hour * 3600)
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, hour, member);

-- The same rows member first (the Member Performance page reads one member
-- across projects). Filled only by the materialized view below: every insert
-- into member_hour lands here too, in the same INSERT.
CREATE TABLE IF NOT EXISTS member_hour_by_member
(
    member String,
    hour Int64,
    project String,
    version UInt64,
    submitted Int64,
    skipped Int64,
    updated Int64,
    regions Int64,
    lead_time_ms Int64,
    lead_time_count Int64,
    lead_time_zeros Int64,
    lead_time_buckets Array(Int32),
    lead_time_counts Array(Int64),
    accepted Int64,
    fixed_and_accepted Int64,
    rejected Int64,
    performance_sum Int64,
    performance_count Int64,
    reviews_accepted Int64,
    reviews_fixed_and_accepted Int64,
    reviews_rejected Int64,
    review_time_ms Int64,
    review_time_count Int64,
    review_time_zeros Int64,
    review_time_buckets Array(Int32),
    review_time_counts Array(Int64),
    tasks_done Int64,
    active_ms Int64,
    hour_start DateTime ALIAS toDateTime(hour * 3600)
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (member, hour, project);

CREATE MATERIALIZED VIEW IF NOT EXISTS member_hour_by_member_mv
TO member_hour_by_member
AS SELECT
    member, hour, project, version,
    submitted, skipped, updated, regions,
    lead_time_ms, lead_time_count, lead_time_zeros, lead_time_buckets, lead_time_counts,
    accepted, fixed_and_accepted, rejected, performance_sum, performance_count,
    reviews_accepted, reviews_fixed_and_accepted, reviews_rejected,
    review_time_ms, review_time_count, review_time_zeros, review_time_buckets, review_time_counts,
    tasks_done, active_ms
FROM member_hour;

-- Snapshot counts of a project: tasks by state, current annotations.
CREATE TABLE IF NOT EXISTS project_totals
(
    project String,
    version UInt64,
    tasks_initial Int64,
    tasks_annotating Int64,
    tasks_needs_review Int64,
    tasks_in_review Int64,
    tasks_done Int64,
    submitted Int64,
    skipped Int64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY project;

-- A member's latest activity in a project (epoch ms).
CREATE TABLE IF NOT EXISTS member_activity
(
    project String,
    member String,
    version UInt64,
    last_active_ms Int64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project, member);

-- project x dimension (control tag) x label: occurrences by source.
CREATE TABLE IF NOT EXISTS labels
(
    project String,
    dimension String,
    label String,
    version UInt64,
    annotations Int64,
    predictions Int64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project, dimension, label);

-- project x dimension x participant pair (a < b; '' is the overall dimension).
CREATE TABLE IF NOT EXISTS pairs
(
    project String,
    dimension String,
    a String,
    b String,
    version UInt64,
    score_sum Int64,
    tasks Int64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (project, dimension, a, b);

-- project x dimension x hour: task-agreement statistics; `histogram` has 10
-- deciles [0,0.1) .. [0.9,1]; scores are fixed point.
CREATE TABLE IF NOT EXISTS agreement_hour
(
    project String,
    dimension String,
    hour Int64,
    version UInt64,
    tasks Int64,
    score_sum Int64,
    histogram Array(Int64),
    low Int64,
    hour_start DateTime ALIAS toDateTime(hour * 3600)
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, dimension, hour);
