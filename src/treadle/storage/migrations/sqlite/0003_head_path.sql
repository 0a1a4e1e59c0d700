-- Treadle's SQLite schema, version 3: a head write is one statement.
--
-- The execution path moves into the head (`runs.head`'s `stepExecutionPath`, written whole by
-- save_run), replacing the `path` table and `runs.has_path`. The journal is no longer folded on
-- every head write: `runs.journal_seq` is the run's largest journal `seq` when the head was last
-- written. Journal rows up to it contribute only their step record when a run is loaded (the
-- head already holds their path entry, patch and updated_at); later rows contribute everything.
-- save_step numbers a run's journal rows after max(max(seq), journal_seq), so a folded (deleted)
-- journal never reuses a number at or below the watermark.

-- The stored path, in `pos` order; an empty one where `has_path` said the snapshot had one.
UPDATE runs SET head = json_set(head, '$.stepExecutionPath', json(coalesce(
    (SELECT json_group_array(step_id) FROM (
        SELECT p.step_id FROM path AS p
        WHERE p.workflow_name = runs.workflow_name AND p.run_id = runs.run_id ORDER BY p.pos
    ) HAVING count(*) > 0),
    '[]'
)))
WHERE has_path = 1 OR EXISTS (
    SELECT 1 FROM path AS p WHERE p.workflow_name = runs.workflow_name AND p.run_id = runs.run_id
);

DROP TABLE path;
ALTER TABLE runs DROP COLUMN has_path;
-- 0: every journal row of a run stored before this migration is newer than its head.
ALTER TABLE runs ADD COLUMN journal_seq INTEGER NOT NULL DEFAULT 0;
