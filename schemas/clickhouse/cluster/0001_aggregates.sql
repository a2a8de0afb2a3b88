-- LabelPulse aggregates, cluster layout (see README.md): the tables of
-- ../0001_aggregates.sql as Replicated*MergeTree `<name>_local` tables on every
-- node of the `{cluster}` macro, and `Distributed` tables with the plain names in
-- front of them, sharded by project (all rows of a project, and so every copy of
-- a key, live on one shard: FINAL is exact per shard).

CREATE TABLE IF NOT EXISTS project_hour_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/project_hour', '{replica}', version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, hour);

CREATE TABLE IF NOT EXISTS project_hour ON CLUSTER '{cluster}'
AS project_hour_local
ENGINE = Distributed('{cluster}', currentDatabase(), project_hour_local, sipHash64(project));

-- project x member x hour, project first (the Members page)
CREATE TABLE IF NOT EXISTS member_hour_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/member_hour', '{replica}', version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, hour, member);

CREATE TABLE IF NOT EXISTS member_hour ON CLUSTER '{cluster}'
AS member_hour_local
ENGINE = Distributed('{cluster}', currentDatabase(), member_hour_local, sipHash64(project));

-- The same rows member first (the Member Performance page reads one member
-- across projects). Filled only by the materialized view below: every insert
-- into member_hour lands here too, in the same INSERT.
CREATE TABLE IF NOT EXISTS member_hour_by_member_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/member_hour_by_member', '{replica}', version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (member, hour, project);

CREATE TABLE IF NOT EXISTS member_hour_by_member ON CLUSTER '{cluster}'
AS member_hour_by_member_local
ENGINE = Distributed('{cluster}', currentDatabase(), member_hour_by_member_local, sipHash64(project));

CREATE MATERIALIZED VIEW IF NOT EXISTS member_hour_by_member_mv ON CLUSTER '{cluster}'
TO member_hour_by_member_local
AS SELECT
    member, hour, project, version,
    submitted, skipped, updated, regions,
    lead_time_ms, lead_time_count, lead_time_zeros, lead_time_buckets, lead_time_counts,
    accepted, fixed_and_accepted, rejected, performance_sum, performance_count,
    reviews_accepted, reviews_fixed_and_accepted, reviews_rejected,
    review_time_ms, review_time_count, review_time_zeros, review_time_buckets, review_time_counts,
    tasks_done, active_ms
FROM member_hour_local;

-- Snapshot counts of a project: tasks by state, current annotations.
CREATE TABLE IF NOT EXISTS project_totals_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/project_totals', '{replica}', version)
ORDER BY project;

CREATE TABLE IF NOT EXISTS project_totals ON CLUSTER '{cluster}'
AS project_totals_local
ENGINE = Distributed('{cluster}', currentDatabase(), project_totals_local, sipHash64(project));

-- A member's latest activity in a project (epoch ms).
CREATE TABLE IF NOT EXISTS member_activity_local ON CLUSTER '{cluster}'
(
    project String,
    member String,
    version UInt64,
    last_active_ms Int64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/member_activity', '{replica}', version)
ORDER BY (project, member);

CREATE TABLE IF NOT EXISTS member_activity ON CLUSTER '{cluster}'
AS member_activity_local
ENGINE = Distributed('{cluster}', currentDatabase(), member_activity_local, sipHash64(project));

-- project x dimension (control tag) x label: occurrences by source.
CREATE TABLE IF NOT EXISTS labels_local ON CLUSTER '{cluster}'
(
    project String,
    dimension String,
    label String,
    version UInt64,
    annotations Int64,
    predictions Int64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/labels', '{replica}', version)
ORDER BY (project, dimension, label);

CREATE TABLE IF NOT EXISTS labels ON CLUSTER '{cluster}'
AS labels_local
ENGINE = Distributed('{cluster}', currentDatabase(), labels_local, sipHash64(project));

-- project x dimension x participant pair (a < b; '' is the overall dimension).
CREATE TABLE IF NOT EXISTS pairs_local ON CLUSTER '{cluster}'
(
    project String,
    dimension String,
    a String,
    b String,
    version UInt64,
    score_sum Int64,
    tasks Int64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/pairs', '{replica}', version)
ORDER BY (project, dimension, a, b);

CREATE TABLE IF NOT EXISTS pairs ON CLUSTER '{cluster}'
AS pairs_local
ENGINE = Distributed('{cluster}', currentDatabase(), pairs_local, sipHash64(project));

-- project x dimension x hour: task-agreement statistics; `histogram` has 10
-- deciles [0,0.1) .. [0.9,1]; scores are fixed point.
CREATE TABLE IF NOT EXISTS agreement_hour_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/agreement_hour', '{replica}', version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, dimension, hour);

CREATE TABLE IF NOT EXISTS agreement_hour ON CLUSTER '{cluster}'
AS agreement_hour_local
ENGINE = Distributed('{cluster}', currentDatabase(), agreement_hour_local, sipHash64(project));
