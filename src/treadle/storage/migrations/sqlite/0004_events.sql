-- Treadle's SQLite schema, version 4: the per-run event log. A streamed run's events (stream
-- events such as `workflow-step-result`, and `log` records) are appended here in batches, each
-- with its sequence number `seq` (unique within the run, given by the writer; an entry whose
-- `seq` is stored already is skipped, never overwritten). A consumer re-attaches by reading
-- the entries after the last `seq` it saw. `type` is the event's `type` (NULL if it has none
-- that is a string), so reads can filter without decoding `event` (the JSON object).
--
-- A rowid table, unlike `steps` and `journal`: events are often larger than a step-journal row
-- (a step's output travels in its `workflow-step-result`), and a WITHOUT ROWID table keeps whole
-- rows in its b-tree, so above a few hundred bytes a row it writes and reads markedly slower
-- than a rowid table plus the primary key's index. The log is deleted with its run (cascade).

CREATE TABLE events (
    workflow_name TEXT    NOT NULL,
    run_id        TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    type          TEXT,
    event         TEXT    NOT NULL,
    PRIMARY KEY (workflow_name, run_id, seq),
    FOREIGN KEY (workflow_name, run_id) REFERENCES runs (workflow_name, run_id) ON DELETE CASCADE
);
