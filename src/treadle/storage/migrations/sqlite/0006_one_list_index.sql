-- Treadle's SQLite schema, version 6: one index for listing runs, not two.
--
-- `runs_by_created_all` (created_at, run_id) served only `list_runs` without a workflow name,
-- and cost a page in the commit that creates each run. Listing every workflow's runs now
-- sorts them (rare: the engine, the server and the CLI list one workflow's runs, which
-- `runs_by_created` serves).

DROP INDEX runs_by_created_all;
