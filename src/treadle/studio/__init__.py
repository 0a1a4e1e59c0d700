"""The browser Studio: static assets shipped in the package and their mount on the server."""

from __future__ import annotations

from .mount import ASSETS_DIR, ASSETS_PATH, mount_studio

__all__ = ["ASSETS_DIR", "ASSETS_PATH", "mount_studio"]
