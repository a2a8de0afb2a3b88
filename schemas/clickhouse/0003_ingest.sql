-- LabelPulse ingest bookkeeping, single-node layout.

-- Per partition, the sequence (offset + 1) of the last event a durable flush
-- covers: where the ingestor resumes, and (with updated_at) lag and freshness.
CREATE TABLE IF NOT EXISTS ingest_progress
(
    partition UInt32,
    position UInt64,
    updated_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(position)
ORDER BY partition;

-- The raw event archive, for the timeline export, audits and rebuilds.
-- `partition` is 4294967295 when the flush that wrote the event covered more
-- than one partition (the engine's flush does not say which). Replays
-- rewrite the same (partition, sequence): merges drop the copies within a
-- month, read with LIMIT 1 BY partition, sequence. Retention: ALTER TABLE
-- event_archive DROP PARTITION 202601.
CREATE TABLE IF NOT EXISTS event_archive
(
    partition UInt32,
    sequence UInt64,
    event String,
    received_at DateTime DEFAULT now(),
    kafka_offset UInt64 ALIAS sequence - 1
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (partition, sequence);
