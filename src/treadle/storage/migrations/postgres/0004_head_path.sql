-- Treadle's PostgreSQL store, schema 4: a head write touches the runs row alone.
--
-- The execution path moves into the run's row (`treadle_runs.path`, written whole by save_run;
-- NULL when the snapshot has no stepExecutionPath), replacing the `treadle_path` table and
-- `path_len`. The journal is no longer folded on every head write: `journal_seq` is the run's
-- largest journal `seq` when its head was last written. A journal row up to it contributes only
-- its step record when a run is read (the head already holds its path entry, patch and
-- updated_at); a later row contributes everything. `seq` comes from one sequence for every run
-- (0002), so rows journaled after a head write, or after a fold deleted the journal, are always
-- numbered above the watermark.

ALTER TABLE treadle_runs ADD COLUMN path TEXT[];

-- The stored path as 0003's store read it: no path where path_len is NULL; otherwise the rows at
-- positions below path_len, in order (rows at or past it were left over by a shorter path).
UPDATE treadle_runs r SET path = COALESCE(
    (SELECT array_agg(p.step_id ORDER BY p.pos) FROM treadle_path p
      WHERE p.workflow_name = r.workflow_name AND p.run_id = r.run_id AND p.pos < r.path_len),
    '{}')
 WHERE r.path_len IS NOT NULL;

DROP TABLE treadle_path;
ALTER TABLE treadle_runs DROP COLUMN path_len;
-- 0: every journal row of a run stored before this migration is newer than its head (0003's
-- save_run folded the journal on every head write).
ALTER TABLE treadle_runs ADD COLUMN journal_seq BIGINT NOT NULL DEFAULT 0;
