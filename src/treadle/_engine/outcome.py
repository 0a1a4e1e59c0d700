"""Outcome: how one step or entry ended (pure data, no behaviour)."""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["Outcome", "ResumeArgs", "Status"]

Status = Literal["success", "failed", "suspended", "canceled", "bailed", "waiting"]


class Outcome:
    __slots__ = ("exc", "output", "status")

    def __init__(self, status: Status, output: Any = None, exc: BaseException | None = None):
        self.status: Status = status
        self.output = output
        self.exc = exc

    def __repr__(self) -> str:
        return f"Outcome({self.status!r}, {self.output!r}, {self.exc!r})"


class ResumeArgs:
    """What a resume hands to the entry holding the target step: the data, the rest of the path
    below this level (nested workflows), and the for_each item (None: every suspended item)."""

    __slots__ = ("data", "foreach_index", "rest")

    def __init__(self, data: Any, rest: list[str], foreach_index: int | None = None) -> None:
        self.data = data
        self.rest = rest
        self.foreach_index = foreach_index


EMPTY: dict[str, Any] = {}
"""A typed, shared empty mapping for `.get(...) or EMPTY` reads. Never mutate it."""
