-- Views in place of the 0001 hour tables (single-node layout).
--
-- 0005 moved the rows of project_hour, member_hour and member_hour_by_member
-- into the `*_v2` tables with one counters array; the old tables and their
-- materialized view are dropped here, and views with the old names and
-- columns read the new tables, for SQL users and dashboards built on them.
-- The views read with FINAL inside (the latest row of each key), so they
-- are not read with FINAL themselves. LabelPulse reads the `*_v2` tables.

DROP TABLE IF EXISTS member_hour_by_member_mv;
DROP TABLE IF EXISTS member_hour_by_member;
DROP TABLE IF EXISTS member_hour;
DROP TABLE IF EXISTS project_hour;

CREATE VIEW IF NOT EXISTS project_hour AS
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

CREATE VIEW IF NOT EXISTS member_hour AS
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

CREATE VIEW IF NOT EXISTS member_hour_by_member AS
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
