"""RequestContext: the mutable mapping shared by the steps of a run and visible to the caller."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

__all__ = ["RequestContext", "as_request_context"]


class RequestContext(MutableMapping[str, Any]):
    """Mastra's `RequestContext`: `get`, `set`, `has`, `delete`, plus the full mapping protocol."""

    __slots__ = ("_data",)

    def __init__(
        self, initial: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None
    ) -> None:
        self._data: dict[str, Any] = dict(initial) if initial is not None else {}

    def set(self, key: str, value: Any) -> None:
        self._data[key] = value

    def has(self, key: str) -> bool:
        return key in self._data

    def delete(self, key: str) -> bool:
        return self._data.pop(key, _MISSING) is not _MISSING

    def to_dict(self) -> dict[str, Any]:
        return dict(self._data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"RequestContext({self._data!r})"


_MISSING = object()


def as_request_context(value: RequestContext | Mapping[str, Any] | None) -> RequestContext:
    """The caller's RequestContext as is (shared with the run), or a new one from a mapping."""
    if value is None:
        return RequestContext()
    if isinstance(value, RequestContext):
        return value
    return RequestContext(value)
