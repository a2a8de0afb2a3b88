-- Complete agreement (issue 4), single-node layout.
--
-- Task agreement is now kept per scope (participants x mode), so
-- `agreement_hour` (0001, one scope) gives way to `task_agreement_hour`.
-- The old table is left in place, unused: rebuild its contents by replaying
-- the raw event archive into a fresh database (task state written before
-- this migration does not carry the geometry the new pair scores need).

-- project x participants x mode x dimension x hour: task-agreement
-- statistics; `participants` is annotators | models | all, `mode` is
-- pairwise | consensus; `histogram` has 10 deciles [0,0.1) .. [0.9,1];
-- scores are fixed point (1e-9).
CREATE TABLE IF NOT EXISTS task_agreement_hour
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
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(toDateTime(hour * 3600))
ORDER BY (project, participants, mode, dimension, hour);

-- The exact sufficient statistics of the chance-corrected agreement
-- (Krippendorff's alpha, Fleiss' and Cohen's kappa) and of the confusion
-- matrices, one integer per cell:
--   kind = 'single':      tasks whose only value is c
--   kind = 'coincidence': sum over tasks with m values of n_c*n_k - [c=k]*n_c
--   kind = 'confusion':   common tasks where participant a said c and b said k
--   kind = 'pairs_confusion': the project's symmetric confusion of the pairs of
--                         scope a ('annotators' | 'models'), once per pair, c <= k
--   kind = 'truth_confusion': the project's confusion against the ground
--                         truth of scope a, c the ground truth's category
--   kind = 'participant_score' / 'participant_tasks': per participant a, pair
--                         score sum / common tasks with participants of kind b
-- Unused key columns are '' or 0. The kind leads the key: reads select kinds.
CREATE TABLE IF NOT EXISTS agreement_cells
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
ENGINE = ReplacingMergeTree(version)
ORDER BY (project, kind, dimension, a, b, m, c, k);
