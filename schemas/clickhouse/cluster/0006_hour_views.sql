-- Views in place of the 0001 hour tables, cluster layout (see
-- ../0006_hour_views.sql): the old Distributed and local tables and the
-- materialized view are dropped on every node, and views with the old names
-- and columns read the `*_v2` Distributed tables (FINAL is exact per shard:
-- every copy of a key lives on the shard of its project).

DROP TABLE IF EXISTS member_hour_by_member_mv ON CLUSTER '{cluster}';
DROP TABLE IF EXISTS member_hour_by_member ON CLUSTER '{cluster}';
DROP TABLE IF EXISTS member_hour_by_member_local ON CLUSTER '{cluster}';
DROP TABLE IF EXISTS member_hour ON CLUSTER '{cluster}';
DROP TABLE IF EXISTS member_hour_local ON CLUSTER '{cluster}';
DROP TABLE IF EXISTS project_hour ON CLUSTER '{cluster}';
DROP TABLE IF EXISTS project_hour_local ON CLUSTER '{cluster}';

CREATE VIEW IF NOT EXISTS project_hour ON CLUSTER '{cluster}' AS
SELECT
    project, hour, version,
    counters[1] AS submitted,
    counters[2] AS skipped,
    counters[3] AS updated,
    counters[4] AS regions,
    counters[5] AS lead_time_ms,
    counters[6] AS lead_time_count,
    counters[7] AS lead_time_zeros,
    counters[8] AS accepted,
    counters[9] AS fixed_and_accepted,
    counters[10] AS rejected,
    counters[11] AS performance_sum,
    counters[12] AS performance_count,
    counters[13] AS reviews_accepted,
    counters[14] AS reviews_fixed_and_accepted,
    counters[15] AS reviews_rejected,
    counters[16] AS review_time_ms,
    counters[17] AS review_time_count,
    counters[18] AS review_time_zeros,
    counters[19] AS tasks_done,
    counters[20] AS active_ms,
    lead_time_buckets, lead_time_counts, review_time_buckets, review_time_counts,
    toDateTime(hour * 3600) AS hour_start
FROM project_hour_v2 FINAL;

CREATE VIEW IF NOT EXISTS member_hour ON CLUSTER '{cluster}' AS
SELECT
    project, hour, member, version,
    counters[1] AS submitted,
    counters[2] AS skipped,
    counters[3] AS updated,
    counters[4] AS regions,
    counters[5] AS lead_time_ms,
    counters[6] AS lead_time_count,
    counters[7] AS lead_time_zeros,
    counters[8] AS accepted,
    counters[9] AS fixed_and_accepted,
    counters[10] AS rejected,
    counters[11] AS performance_sum,
    counters[12] AS performance_count,
    counters[13] AS reviews_accepted,
    counters[14] AS reviews_fixed_and_accepted,
    counters[15] AS reviews_rejected,
    counters[16] AS review_time_ms,
    counters[17] AS review_time_count,
    counters[18] AS review_time_zeros,
    counters[19] AS tasks_done,
    counters[20] AS active_ms,
    lead_time_buckets, lead_time_counts, review_time_buckets, review_time_counts,
    toDateTime(hour * 3600) AS hour_start
FROM member_hour_v2 FINAL;

CREATE VIEW IF NOT EXISTS member_hour_by_member ON CLUSTER '{cluster}' AS
SELECT
    member, hour, project, version,
    counters[1] AS submitted,
    counters[2] AS skipped,
    counters[3] AS updated,
    counters[4] AS regions,
    counters[5] AS lead_time_ms,
    counters[6] AS lead_time_count,
    counters[7] AS lead_time_zeros,
    counters[8] AS accepted,
    counters[9] AS fixed_and_accepted,
    counters[10] AS rejected,
    counters[11] AS performance_sum,
    counters[12] AS performance_count,
    counters[13] AS reviews_accepted,
    counters[14] AS reviews_fixed_and_accepted,
    counters[15] AS reviews_rejected,
    counters[16] AS review_time_ms,
    counters[17] AS review_time_count,
    counters[18] AS review_time_zeros,
    counters[19] AS tasks_done,
    counters[20] AS active_ms,
    lead_time_buckets, lead_time_counts, review_time_buckets, review_time_counts,
    toDateTime(hour * 3600) AS hour_start
FROM member_hour_by_member_v2 FINAL;
