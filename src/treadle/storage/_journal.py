"""What a store knows of each run's step journal, to decide when folding it pays."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

__all__ = ["ENDED", "TRACKED_MAX", "Journal", "after_head_write", "remember"]

ENDED = frozenset(("success", "failed", "canceled"))
"""The statuses after which a run's journal is only read: the time to fold it."""

TRACKED_MAX = 4096
"""Runs a store keeps track of at most; the least recently written are forgotten."""

K = TypeVar("K")
V = TypeVar("V")


def remember(tracked: dict[K, V], key: K, value: V) -> None:
    """Put `value` in `tracked`, newest last; forget the oldest past TRACKED_MAX."""
    tracked.pop(key, None)
    tracked[key] = value
    if len(tracked) > TRACKED_MAX:
        del tracked[next(iter(tracked))]


class Journal:
    """What one store knows of a run's journal: its rows and keys since the last fold (or the
    run's creation), to decide at the run's end whether to fold it without querying it.

    The rule: a store tracks a run from a write that tells it the journal's state (the run's
    creation: empty; a fold or `replace_steps`: the records it appended), then counts every
    row it appends (save_step, save_run's records). It stays valid while each head write
    returns the version after the one it last wrote (`version`); a head write by another
    process breaks the chain and the store forgets the run, and at the run's end asks the
    database instead (one query, or a condition in the head write's statement). Rows another
    process journals without a head write go unseen; that only misjudges whether a fold is
    worth it (a fold never changes what a load returns), never what is stored."""

    __slots__ = ("keys", "rows", "version")

    def __init__(self, version: int) -> None:
        self.version = version
        self.rows = 0
        self.keys: set[str] = set()

    def append(self, key: str) -> None:
        self.rows += 1
        self.keys.add(key)

    def repeats(self) -> bool:
        """Whether some key has more than one row (a fold would shrink the journal)."""
        return self.rows > len(self.keys)


def after_head_write(
    tracked: Journal | None, version: int, emptied: bool, journaled: Iterable[str]
) -> Journal | None:
    """What a store knows of a run's journal after its head write returned `version`: a new
    journal if the write left it known (`emptied`: it folded or replaced it; or the run is new),
    the tracked one if this store wrote the version before, else None (another process wrote
    the run since). `journaled`: the keys of the rows the write appended to the journal."""
    if emptied or version == 1:
        tracked = Journal(version)
    elif tracked is not None and tracked.version == version - 1:
        tracked.version = version
    else:
        return None
    for key in journaled:
        tracked.append(key)
    return tracked
