"""Treadle's HTTP server: Mastra's workflow API (FastAPI on uvicorn) and the Studio.

`create_app(app)` builds the ASGI app; `serve(app)` runs it. Needs the `server` extra
(`pip install treadle[server]`). See docs/server.md.
"""

from __future__ import annotations

from .app_factory import API_PREFIX, create_app, serve

__all__ = ["API_PREFIX", "create_app", "serve"]
