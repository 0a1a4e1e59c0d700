"""Mount the Studio on a Starlette/FastAPI app: static assets plus the single-page index.html."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["ASSETS_DIR", "ASSETS_PATH", "mount_studio"]

ASSETS_DIR = Path(__file__).parent / "assets"
ASSETS_PATH = "/studio-assets"

# The pages the single-page app routes itself; anything else is left to the host app.
_SPA_PATHS = ("/", "/workflows", "/workflows/{rest:path}")

# Scripts only from this origin; inline styles are needed by the graph SVG's own <style>.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


class _RevalidatedStaticFiles(StaticFiles):
    """Static files that browsers revalidate (ETag) on each load: assets are not fingerprinted."""

    def file_response(
        self, full_path: Any, stat_result: Any, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _normalized_prefix(api_prefix: str) -> str:
    prefix = "/" + api_prefix.strip().strip("/")
    if prefix == "/":
        raise ValueError(
            "mount_studio(api_prefix=...): the API needs its own prefix (e.g. '/api'); "
            "an empty prefix would put the API routes under the Studio's pages"
        )
    return prefix


def _render_index(template: str, *, api_prefix: str, base_path: str) -> str:
    values = {
        "%%TREADLE_API_PREFIX%%": base_path + api_prefix,
        "%%TREADLE_BASE_PATH%%": base_path,
        "%%TREADLE_ASSETS%%": base_path + ASSETS_PATH,
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, html.escape(value, quote=True))
    return template


def mount_studio(app: Any, *, api_prefix: str = "/api") -> None:
    """Serve the Studio on `app` (a Starlette or FastAPI app).

    Assets are served under `/studio-assets/`; `index.html` (with the API prefix injected) answers
    `/` and `/workflows/...` so that deep links and reloads land in the app. Nothing under the API
    prefix, `/openapi.json` or `/docs` is touched.
    """
    prefix = _normalized_prefix(api_prefix)
    template = (ASSETS_DIR / "index.html").read_text(encoding="utf-8")

    async def index(request: Request) -> Response:
        base_path = str(request.scope.get("root_path", "")).rstrip("/")
        body = _render_index(template, api_prefix=prefix, base_path=base_path)
        return HTMLResponse(
            body,
            headers={
                "Cache-Control": "no-cache",
                "Content-Security-Policy": _CSP,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    app.mount(ASSETS_PATH, _RevalidatedStaticFiles(directory=ASSETS_DIR), name="studio-assets")
    for path in _SPA_PATHS:
        app.add_route(path, index, methods=["GET", "HEAD"], include_in_schema=False)
