-- LabelPulse flush marks, single-node layout.

-- Per partition, the position every flush started ends at, inserted before
-- any other row of its flush. A flush that fails half-way leaves rows
-- holding every event up to its mark; the next ingestor of the partition
-- reads the marks above the durable position (ingest_progress) and cuts its
-- batches there, so that a task's events in one batch never straddle what
-- such rows hold (see ARCHITECTURE.md, "Why it is exactly once").
-- Only marks above ingest_progress matter: older months can be dropped with
-- ALTER TABLE flush_marks DROP PARTITION 202601.
CREATE TABLE IF NOT EXISTS flush_marks
(
    partition UInt32,
    position UInt64,
    written_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(written_at)
ORDER BY (partition, position);
