-- Complete agreement (issue 4), cluster layout: see ../0004_agreement.sql.

CREATE TABLE IF NOT EXISTS task_agreement_hour_local ON CLUSTER '{cluster}'
(
    project String,
    participants String,
    mode String,
    dimension String,
    hour Int64,
    version UInt64,
    tasks Int64,
    score_sum Int64,
    histogram Array(Int64),
    low Int64,
    hour_start DateTime ALIAS toDateTime(hour * 3600)
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/task_agreement_hour', '{replica}', version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, participants, mode, dimension, hour);

CREATE TABLE IF NOT EXISTS task_agreement_hour ON CLUSTER '{cluster}'
AS task_agreement_hour_local
ENGINE = Distributed('{cluster}', currentDatabase(), task_agreement_hour_local, sipHash64(project));

CREATE TABLE IF NOT EXISTS agreement_cells_local ON CLUSTER '{cluster}'
(
    project String,
    dimension String,
    kind String,
    a String,
    b String,
    m UInt32,
    c String,
    k String,
    version UInt64,
    count Int64
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/agreement_cells', '{replica}', version)
ORDER BY (project, kind, dimension, a, b, m, c, k);

CREATE TABLE IF NOT EXISTS agreement_cells ON CLUSTER '{cluster}'
AS agreement_cells_local
ENGINE = Distributed('{cluster}', currentDatabase(), agreement_cells_local, sipHash64(project));
