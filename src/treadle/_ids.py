"""Ids: run ids (time-ordered UUIDv7) and stepCallIds (UUID4-shaped), made without the `uuid`
module's per-call overhead."""

from __future__ import annotations

import os
import time
from itertools import count
from random import getrandbits

__all__ = ["new_call_id", "new_id"]


# Run ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 12 bits of the sub-millisecond
# time (its "method 3"), then 62 random bits. Ordered by creation, a new run's rows go at the
# right edge of every index keyed by run id (SQLite's and Postgres's b-trees append instead of
# splitting pages all over the tree). The random bits come from os.urandom, read 1 KiB at a time.
_RANDOM_CHUNK = 1024
_random = b""
_random_at = _RANDOM_CHUNK


def _reset_random() -> None:
    global _random, _random_at
    _random, _random_at = b"", _RANDOM_CHUNK


def new_id() -> str:
    global _random, _random_at
    if _random_at >= _RANDOM_CHUNK:
        _random, _random_at = os.urandom(_RANDOM_CHUNK), 0
    rand = int.from_bytes(_random[_random_at : _random_at + 8])
    _random_at += 8
    ns = time.time_ns()
    ms, sub = divmod(ns, 1_000_000)
    value = (
        (ms & 0xFFFF_FFFF_FFFF) << 80
        | 0x7 << 76  # version 7
        | (sub * 4096 // 1_000_000) << 64  # the fraction of the millisecond, 12 bits
        | 0x2 << 62  # RFC 9562 variant
        | rand & 0x3FFF_FFFF_FFFF_FFFF
    )
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_V4_CLEAR = ~((0xF << 76) | (0x3 << 62))
_V4_SET = (0x4 << 76) | (0x2 << 62)
# stepCallIds: a random prefix per process (its first four groups, 74 random bits) and a
# counter (from a random start) for the last group. Unique within the process by the counter
# (it would repeat only after 2**48 ids) and across processes by the prefix. The counter runs
# from 2**48 up: `hex()` of it is "0x1" and then the twelve digits of the last group.
_call_prefix = ""
_call_counter = count()


def _seed_call_ids() -> None:
    global _call_prefix, _call_counter
    h = f"{(getrandbits(128) & _V4_CLEAR) | _V4_SET:032x}"
    _call_prefix = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"
    _call_counter = count((1 << 48) | int(h[20:], 16))


def _after_fork() -> None:
    _reset_random()
    _seed_call_ids()


_seed_call_ids()
# A forked child would otherwise repeat its parent's ids (`random` reseeds itself first).
os.register_at_fork(after_in_child=_after_fork)


def new_call_id() -> str:
    """A UUID4-shaped id for one step execution (`stepCallId`): unique, not secret, so made as
    cheaply as possible (streamed runs make one per step)."""
    return _call_prefix + hex(next(_call_counter))[3:]
