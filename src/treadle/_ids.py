"""Ids: random UUID4 strings, made without the `uuid` module's per-call overhead."""

from __future__ import annotations

import os
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


def new_call_id() -> str:
    """A UUID4-shaped id for one step execution (`stepCallId`): unique, not secret, so it
    comes from the fast non-cryptographic generator (streamed runs make one per step)."""
    h = f"{(getrandbits(128) & _V4_CLEAR) | _V4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
