"""Ids: random UUID4 strings, made without the `uuid` module's per-call overhead."""

from __future__ import annotations

import os
from itertools import count
from random import getrandbits

__all__ = ["new_call_id", "new_id"]


def new_id() -> str:
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
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


_seed_call_ids()
# A forked child would otherwise repeat its parent's ids (`random` reseeds itself first).
os.register_at_fork(after_in_child=_seed_call_ids)


def new_call_id() -> str:
    """A UUID4-shaped id for one step execution (`stepCallId`): unique, not secret, so made as
    cheaply as possible (streamed runs make one per step)."""
    return _call_prefix + hex(next(_call_counter))[3:]
