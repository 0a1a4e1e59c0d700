"""Test helpers: the store conformance suite and a fake clock (needs no test framework)."""

from .clock import FakeClock
from .store_conformance import CHECKS, StoreCheck, run_store_conformance

__all__ = ["CHECKS", "FakeClock", "StoreCheck", "run_store_conformance"]
