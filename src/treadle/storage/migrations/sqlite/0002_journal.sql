-- Treadle's SQLite schema, version 2: the step journal. `save_step` appends one row here (a
-- single b-tree insert, one page in the common case) instead of writing `steps`, `path` and
-- `runs`; `load_run` replays the run's rows over its head, steps and path, in `seq` order, and
-- `save_run` (a head write) folds them into `steps` and deletes them.
--
-- `seq` increases within a run (`max(seq) + 1`, read from the primary key as the row is
-- inserted). `path_entry` is appended to the path, `patch` (a JSON object) shallow-merged into
-- the head, `updated_at` replaces the run's `updated_at`; each may be NULL.

CREATE TABLE journal (
    workflow_name TEXT    NOT NULL,
    run_id        TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    key           TEXT    NOT NULL,
    record        TEXT    NOT NULL,
    path_entry    TEXT,
    patch         TEXT,
    updated_at    INTEGER,
    PRIMARY KEY (workflow_name, run_id, seq),
    FOREIGN KEY (workflow_name, run_id) REFERENCES runs (workflow_name, run_id) ON DELETE CASCADE
) WITHOUT ROWID;
