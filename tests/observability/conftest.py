"""Fixtures for tracing tests: an instrumented in-memory tracer provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from observability.span_tree import OpenSpans, Spans
from treadle.otel import TreadleInstrumentor


@pytest.fixture
def spans() -> Iterator[Spans]:
    exporter = InMemorySpanExporter()
    tracker = OpenSpans()
    provider = TracerProvider()
    provider.add_span_processor(tracker)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = TreadleInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield Spans(exporter, tracker)
    finally:
        instrumentor.uninstrument()
        provider.shutdown()
    assert tracker.open == {}, f"spans left open: {tracker.open}"
