"""Control signals raised inside steps. BaseException, so a user's `except Exception` can't eat them."""

from __future__ import annotations

from typing import Any

__all__ = ["BailSignal", "SuspendSignal"]


class SuspendSignal(BaseException):
    """`ctx.suspend(...)`: stop this step here and suspend the run."""

    def __init__(self, payload: Any, labels: list[str]) -> None:
        super().__init__("step suspended")
        self.payload = payload
        self.labels = labels


class BailSignal(BaseException):
    """`ctx.bail(value)`: end the current workflow level successfully with `value`."""

    def __init__(self, value: Any) -> None:
        super().__init__("workflow bailed")
        self.value = value
