"""Reading the spans a test produced as a tree (parents matched by span id), and open-span tracking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class OpenSpans(SpanProcessor):
    """Tracks the spans started and not yet ended: none may be left open after a test."""

    def __init__(self) -> None:
        self.open: dict[int, str] = {}

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self.open[span.context.span_id] = span.name

    def on_end(self, span: ReadableSpan) -> None:
        assert span.context is not None
        self.open.pop(span.context.span_id, None)


class Spans:
    """The finished spans of a test, with tree helpers (parents are matched by span id)."""

    def __init__(self, exporter: InMemorySpanExporter, tracker: OpenSpans) -> None:
        self.exporter = exporter
        self.tracker = tracker

    @property
    def all(self) -> Sequence[ReadableSpan]:
        return self.exporter.get_finished_spans()

    def named(self, name: str, **attrs: Any) -> list[ReadableSpan]:
        """Spans called `name` whose attributes include `attrs` (dots spelled `__`)."""
        want = {k.replace("__", "."): v for k, v in attrs.items()}
        found: list[ReadableSpan] = []
        for span in self.all:
            got = span.attributes or {}
            if span.name == name and all(got.get(k) == v for k, v in want.items()):
                found.append(span)
        return found

    def one(self, name: str, **attrs: Any) -> ReadableSpan:
        found = self.named(name, **attrs)
        assert len(found) == 1, f"{len(found)} spans {name} {attrs}: {self.outline()}"
        return found[0]

    def step(self, step_id: str, **attrs: Any) -> ReadableSpan:
        return self.one("workflow_step", treadle__step__id=step_id, **attrs)

    def children(self, parent: ReadableSpan) -> list[ReadableSpan]:
        assert parent.context is not None
        sid = parent.context.span_id
        kids = [s for s in self.all if s.parent is not None and s.parent.span_id == sid]
        return sorted(kids, key=lambda s: s.start_time or 0)

    def child_names(self, parent: ReadableSpan) -> list[str]:
        return [_label(s) for s in self.children(parent)]

    def is_child(self, child: ReadableSpan, parent: ReadableSpan) -> bool:
        assert parent.context is not None
        return child.parent is not None and child.parent.span_id == parent.context.span_id

    def outline(self) -> str:
        return "\n".join(f"{_label(s)} parent={s.parent and s.parent.span_id}" for s in self.all)

    def clear(self) -> None:
        self.exporter.clear()


def _label(span: ReadableSpan) -> str:
    step = (span.attributes or {}).get("treadle.step.id")
    return f"{span.name}:{step}" if step is not None else span.name
