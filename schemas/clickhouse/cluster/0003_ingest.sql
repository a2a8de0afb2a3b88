-- LabelPulse ingest bookkeeping, cluster layout (see README.md and ../0003_ingest.sql).

CREATE TABLE IF NOT EXISTS ingest_progress_local ON CLUSTER '{cluster}'
(
    partition UInt32,
    position UInt64,
    updated_at DateTime DEFAULT now()
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/ingest_progress', '{replica}', position)
ORDER BY partition;

CREATE TABLE IF NOT EXISTS ingest_progress ON CLUSTER '{cluster}'
AS ingest_progress_local
ENGINE = Distributed('{cluster}', currentDatabase(), ingest_progress_local, partition);

-- The raw event archive, for the timeline export, audits and rebuilds.
-- `partition` is 4294967295 when the flush that wrote the event covered more
-- than one partition (the engine's flush does not say which). Replays
-- rewrite the same (partition, sequence): merges drop the copies within a
-- month, read with LIMIT 1 BY partition, sequence. Retention: ALTER TABLE
-- event_archive DROP PARTITION 202601.
CREATE TABLE IF NOT EXISTS event_archive_local ON CLUSTER '{cluster}'
(
    partition UInt32,
    sequence UInt64,
    event String,
    received_at DateTime DEFAULT now(),
    kafka_offset UInt64 ALIAS sequence - 1
)
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/event_archive', '{replica}')
PARTITION BY toYYYYMM(received_at)
ORDER BY (partition, sequence);

CREATE TABLE IF NOT EXISTS event_archive ON CLUSTER '{cluster}'
AS event_archive_local
ENGINE = Distributed('{cluster}', currentDatabase(), event_archive_local, partition);
