-- Treadle's SQLite schema, version 7: runs are numbered, and the step journal is a rowid table
-- keyed by run number and `seq`.
--
-- The journal was a WITHOUT ROWID table keyed (workflow_name, run_id, seq): an index b-tree,
-- so the rows appended by save_step landed in the middle of it and split pages there (about
-- 1.6 WAL frames per step), and its foreign key read `runs` on every insert. Now each run has
-- a stable number `runs.num` (an alias of the rowid: VACUUM keeps it; a new run gets the
-- largest one plus 1), and a journal row's key is `id = num << 32 | seq`: a run's rows are the
-- id range (num << 32, num << 32 | 0xFFFFFFFF], in `seq` order, and a step is one append at
-- the right edge of the table's b-tree, with no other index. `seq` and the watermark
-- `runs.journal_seq` keep their meaning. With no foreign key, a trigger deletes a run's
-- journal rows with the run (a number can be given again once its run is deleted).
--
-- `runs` is rebuilt (https://www.sqlite.org/lang_altertable.html#otheralter) with `num` first,
-- keeping each run's rowid as its number, and UNIQUE (workflow_name, run_id) in place of the
-- primary key: the foreign keys of `steps`, `signals` and `events` need that index. It must
-- run with foreign keys off (the store migrates with them off): with them on, dropping the old
-- `runs` would delete every run's steps, signals and events through their cascades. The guard
-- below refuses to run otherwise.

CREATE TEMP TABLE migration_0007_guard (
    foreign_keys INTEGER CONSTRAINT "0007 needs PRAGMA foreign_keys = OFF" CHECK (foreign_keys = 0)
);
INSERT INTO migration_0007_guard SELECT foreign_keys FROM pragma_foreign_keys;
DROP TABLE migration_0007_guard;

CREATE TABLE runs_0007 (
    num            INTEGER PRIMARY KEY,
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
    -- before `head`: read without walking a large head's overflow pages
    journal_seq    INTEGER NOT NULL DEFAULT 0,
    head           TEXT    NOT NULL,
    UNIQUE (workflow_name, run_id)
);

INSERT INTO runs_0007 (num, workflow_name, run_id, resource_id, status, version, schema_version,
    created_at, updated_at, wake_at, waiting_event, lease_owner, lease_until, journal_seq, head)
SELECT rowid, workflow_name, run_id, resource_id, status, version, schema_version, created_at,
    updated_at, wake_at, waiting_event, lease_owner, lease_until, journal_seq, head
FROM runs ORDER BY rowid;

CREATE TABLE journal_0007 (
    id         INTEGER PRIMARY KEY,  -- runs.num << 32 | seq
    key        TEXT    NOT NULL,
    record     TEXT    NOT NULL,
    path_entry TEXT,
    patch      TEXT,
    updated_at INTEGER
);

INSERT INTO journal_0007 (id, key, record, path_entry, patch, updated_at)
SELECT (r.num << 32) | j.seq, j.key, j.record, j.path_entry, j.patch, j.updated_at
FROM journal AS j JOIN runs_0007 AS r ON r.workflow_name = j.workflow_name AND r.run_id = j.run_id
ORDER BY 1;

DROP TABLE journal;
DROP TABLE runs;
ALTER TABLE runs_0007 RENAME TO runs;
ALTER TABLE journal_0007 RENAME TO journal;

CREATE INDEX runs_by_created ON runs (workflow_name, created_at, run_id);
CREATE INDEX runs_due ON runs (wake_at) WHERE status = 'waiting';

CREATE TRIGGER runs_delete_journal AFTER DELETE ON runs BEGIN
    DELETE FROM journal WHERE id > (old.num << 32) AND id <= ((old.num << 32) | 4294967295);
END;
