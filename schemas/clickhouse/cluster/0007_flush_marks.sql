-- LabelPulse flush marks, cluster layout (see README.md and ../0007_flush_marks.sql).

CREATE TABLE IF NOT EXISTS flush_marks_local ON CLUSTER '{cluster}'
(
    partition UInt32,
    position UInt64,
    written_at DateTime DEFAULT now()
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/flush_marks', '{replica}')
PARTITION BY toYYYYMM(written_at)
ORDER BY (partition, position);

CREATE TABLE IF NOT EXISTS flush_marks ON CLUSTER '{cluster}'
AS flush_marks_local
ENGINE = Distributed('{cluster}', currentDatabase(), flush_marks_local, partition);
