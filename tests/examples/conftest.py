"""Make the repository's `examples` package importable however pytest is started."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
# `pythonpath` puts tests/ on sys.path, where tests/examples/ would pass for a namespace
# package named `examples` if the repository root were missing.
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
