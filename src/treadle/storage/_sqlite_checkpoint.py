"""Checkpointer: copies an SQLite file's WAL into the database on a thread of its own, so the
event loop never waits on a checkpoint's reads, writes and fsyncs."""

# SQLite checkpoints inside the commit that crosses `wal_autocheckpoint` pages: that commit, an
# ordinary step write, then copies the WAL into the database and fsyncs both (with
# synchronous=NORMAL the only fsyncs there are), stalling the event loop for milliseconds. The
# store's connection raises that threshold to a backstop instead, and this thread runs PASSIVE
# checkpoints (they never wait for, nor block, readers and writers of any process) every
# `CHECKPOINT_EVERY` operations. `sqlite3` releases the GIL while SQLite works, so the copy
# runs on another core. The thread ends after `IDLE_S` without work, and starts again when
# needed, so a store that is rarely written to holds no thread.

from __future__ import annotations

import logging
import sqlite3
import threading

__all__ = ["BACKSTOP_PAGES", "CHECKPOINT_EVERY", "IDLE_S", "Checkpointer"]

logger = logging.getLogger("treadle.storage")

CHECKPOINT_EVERY = 256
"""Store operations between two checkpoints (a few pages each: a few MB of WAL at most)."""

BACKSTOP_PAGES = 16384
"""The connection's own `wal_autocheckpoint` (64 MB of WAL with 4 KB pages): SQLite
checkpoints in a commit only if this thread falls that far behind."""

IDLE_S = 5.0
"""The thread ends after this long without a checkpoint to run."""


class Checkpointer:
    """The checkpoint thread of one database file. `tick()` is called by the store after each
    operation (on the event-loop thread: an increment); `close()` stops the thread."""

    __slots__ = (
        "_busy_timeout_ms",
        "_closed",
        "_lock",
        "_path",
        "_thread",
        "_ticks",
        "_wake",
        "checkpointed",
    )

    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._ticks = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        # Set after each checkpoint this thread runs (for whoever waits on one: tests).
        self.checkpointed = threading.Event()

    def tick(self) -> None:
        self._ticks += 1
        if self._ticks >= CHECKPOINT_EVERY:
            self._ticks = 0
            self.request()

    def request(self) -> None:
        """Ask for a checkpoint now (starting the thread if it is not running)."""
        with self._lock:
            if self._closed:
                return
            self._wake.set()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name=f"treadle-checkpoint:{self._path}", daemon=True
                )
                self._thread.start()

    def close(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
            self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    # -- the thread -----------------------------------------------------------------------------
    def _work(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                if not self._wake.wait(IDLE_S):
                    with self._lock:  # a request arriving now sees no thread and starts one
                        if not self._wake.is_set():
                            self._thread = None
                            return
                self._wake.clear()
                if self._closed:
                    return
                try:
                    if conn is None:
                        conn = sqlite3.connect(
                            self._path,
                            timeout=self._busy_timeout_ms / 1000,
                            isolation_level=None,
                            check_same_thread=False,
                        )
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:
                    # Not the caller's error: the WAL only grows until the next checkpoint
                    # (this thread's next one, or SQLite's own past the backstop).
                    logger.debug("checkpoint of %s failed: %s", self._path, exc)
                self.checkpointed.set()
        finally:
            with self._lock:
                if self._thread is threading.current_thread():
                    self._thread = None
            if conn is not None:
                conn.close()
