-- Treadle's PostgreSQL store, schema 3: the per-run event log. A streamed run's events (stream
-- events such as `workflow-step-result`, and `log` records) are appended here in batches, each
-- with its sequence number `seq` (unique within the run, given by the writer; an entry whose
-- `seq` is stored already is skipped, never overwritten: ON CONFLICT DO NOTHING). A consumer
-- re-attaches by reading the entries after the last `seq` it saw. `type` is the event's `type`
-- (NULL if it has none that is a string), so reads filter without decoding `event`.
--
-- `event` is `json` like every other document here (the text as written; see 0001). The foreign
-- key is how an append learns that the run does not exist, and it deletes the log with its run.
-- The cascade runs once the run's row is deleted, with a fresh snapshot, so it also takes the
-- entries of an append that committed while delete_run waited for that row (the append's key
-- check locks it): a DELETE of the log in delete_run's own statement would see only the entries
-- committed before that statement began, and a run re-created under the same id would find the
-- others.

CREATE TABLE treadle_events (
    workflow_name TEXT COLLATE "C" NOT NULL,
    run_id        TEXT COLLATE "C" NOT NULL,
    seq           BIGINT NOT NULL,
    type          TEXT COLLATE "C",
    event         JSON NOT NULL,
    PRIMARY KEY (workflow_name, run_id, seq),
    FOREIGN KEY (workflow_name, run_id) REFERENCES treadle_runs (workflow_name, run_id)
        ON DELETE CASCADE
);
