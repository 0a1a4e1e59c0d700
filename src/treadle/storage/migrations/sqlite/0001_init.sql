-- Treadle's SQLite schema, version 1. A run is a head row in `runs` (the snapshot without its
-- step records and path), one row per step record in `steps`, and its execution path in `path`.

CREATE TABLE runs (
    workflow_name  TEXT    NOT NULL,
    run_id         TEXT    NOT NULL,
    resource_id    TEXT,
    status         TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    schema_version INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    wake_at        INTEGER,
    waiting_event  TEXT,
    lease_owner    TEXT,
    lease_until    INTEGER,
    -- 1 when the snapshot has a stepExecutionPath even if `path` holds no row for it (an empty
    -- path); a run with path rows has one whatever this says. save_step appends at
    -- max(pos) + 1 (found through the primary key) without writing this row.
    has_path       INTEGER NOT NULL,
    head           TEXT    NOT NULL,
    PRIMARY KEY (workflow_name, run_id)
);

-- list_runs: newest first within a workflow.
CREATE INDEX runs_by_created ON runs (workflow_name, created_at, run_id);
-- list_runs without a workflow name.
CREATE INDEX runs_by_created_all ON runs (created_at, run_id);
-- list_due_runs: waiting runs by wake time.
CREATE INDEX runs_due ON runs (status, wake_at);

-- WITHOUT ROWID: writing a new step record touches one b-tree page (a rowid table would also
-- write its key index). `seq` orders the records as they were first stored (the order of the
-- snapshot's `context`); an upsert keeps it.
CREATE TABLE steps (
    workflow_name TEXT    NOT NULL,
    run_id        TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    record        TEXT    NOT NULL,
    PRIMARY KEY (workflow_name, run_id, key),
    FOREIGN KEY (workflow_name, run_id) REFERENCES runs (workflow_name, run_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE path (
    workflow_name TEXT    NOT NULL,
    run_id        TEXT    NOT NULL,
    pos           INTEGER NOT NULL,
    step_id       TEXT    NOT NULL,
    PRIMARY KEY (workflow_name, run_id, pos),
    FOREIGN KEY (workflow_name, run_id) REFERENCES runs (workflow_name, run_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE signals (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow_name TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    name          TEXT NOT NULL,
    data          TEXT NOT NULL,
    FOREIGN KEY (workflow_name, run_id) REFERENCES runs (workflow_name, run_id) ON DELETE CASCADE
);

CREATE INDEX signals_by_name ON signals (workflow_name, run_id, name, id);
