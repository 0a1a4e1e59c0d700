-- Treadle's SQLite schema, version 5: only waiting runs are indexed for the scheduler.
--
-- `runs_due` indexed every run by (status, wake_at), so each status change of every run
-- (pending, running, then its end) moved an index entry: a page more in each head write.
-- The scheduler asks only for waiting runs, so the index keeps only those, as the Postgres
-- schema does. A run enters it when it starts to wait and leaves it when it wakes.

DROP INDEX runs_due;
CREATE INDEX runs_due ON runs (wake_at) WHERE status = 'waiting';
