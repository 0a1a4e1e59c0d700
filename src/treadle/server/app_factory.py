"""`create_app`: the FastAPI app serving a Treadle app's workflows under `/api` (Mastra's routes),
with the Studio at `/`; `serve`: run it with uvicorn."""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ..app import Treadle
from .context import ServerContext
from .errors import install_error_handlers
from .live_runs import LiveRuns
from .routes_queries import router as queries_router
from .routes_runs import router as runs_router
from .routes_streams import router as streams_router
from .routes_workflows import router as workflows_router
from .security import ApiGuard

__all__ = ["API_PREFIX", "create_app", "serve"]

API_PREFIX = "/api"
TOKEN_ENV = "TREADLE_API_TOKEN"
_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorBody"}  # routes declare it via errors()


def create_app(
    app: Treadle,
    *,
    token: str | None = None,
    max_body_bytes: int = 1_048_576,
    studio: bool = True,
    cors_origins: Sequence[str] | None = None,
    heartbeat_seconds: float | None = 15.0,
) -> FastAPI:
    """The HTTP server for `app`: Mastra's workflow routes under `/api`, OpenAPI at
    `/openapi.json`, and (with `studio`) the Studio at `/`.

    `token` (default: the `TREADLE_API_TOKEN` environment variable): when set, `/api/*` and
    `/openapi.json` need `Authorization: Bearer <token>`. `max_body_bytes`: larger request
    bodies get 413. `cors_origins`: origins allowed to call the API from a browser (CORS is
    off by default). `heartbeat_seconds`: a keep-alive is written to a stream this long after
    its last event (None: never). The lifespan starts and stops `app` (`app.start()`/`stop()`).
    """
    if token is None:
        token = os.environ.get(TOKEN_ENV) or None
    if max_body_bytes < 1:
        raise ValueError(f"max_body_bytes must be at least 1 (got {max_body_bytes})")
    live = LiveRuns()

    @asynccontextmanager
    async def lifespan(_api: FastAPI) -> AsyncGenerator[None]:
        await app.start()
        try:
            yield
        finally:
            await live.shutdown()  # drives stop before the store closes
            await app.stop()

    api = FastAPI(
        title="Treadle",
        summary="Workflow runs over HTTP, compatible with Mastra's server and @mastra/client-js.",
        version=_version(),
        lifespan=lifespan,
        strict_content_type=False,  # a JSON body without a Content-Type is still JSON
    )
    api.state.treadle = ServerContext(app, live, heartbeat_seconds)
    install_error_handlers(api)
    for router in (workflows_router, queries_router, runs_router, streams_router):
        api.include_router(router, prefix=API_PREFIX)
    api.openapi = lambda: _openapi(api, secured=token is not None)
    if studio:
        from ..studio import mount_studio

        mount_studio(api, api_prefix=API_PREFIX)
    # Outermost last: CORS answers preflights before the guard asks them for a token.
    api.add_middleware(ApiGuard, token=token, max_body_bytes=max_body_bytes)
    if cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        api.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["Content-Type"],
        )
    return api


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("treadle")
    except PackageNotFoundError:
        return "0"


def _openapi(api: FastAPI, *, secured: bool) -> dict[str, Any]:
    """FastAPI's document, with the errors as this server sends them: 400 (not 422) with
    ErrorBody, plus 401 on every route when a token is required."""
    if api.openapi_schema is not None:
        return api.openapi_schema
    doc = get_openapi(title=api.title, version=api.version, summary=api.summary, routes=api.routes)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", ()):
                parameter["schema"] = _not_null(parameter.get("schema", {}))
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses.setdefault("400", _error("Bad input; `issues` names each bad field."))
            responses.setdefault("413", _error("Request body too large."))
            if secured:
                responses.setdefault("401", _error("Missing or wrong bearer token."))
    if secured:
        doc["components"]["securitySchemes"] = {"bearerAuth": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearerAuth": []}]
    api.openapi_schema = doc
    return doc


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query/header parameter is absent, never null (a URL or header cannot say
    null): `anyOf: [X, null]` becomes X."""
    members = [m for m in schema.get("anyOf", ()) if m.get("type") != "null"]
    if "anyOf" not in schema or len(members) == len(schema["anyOf"]):
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**rest, **members[0]} if len(members) == 1 else {**rest, "anyOf": members}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_SCHEMA}}}


def serve(
    app: Treadle,
    *,
    host: str = "127.0.0.1",
    port: int = 4111,
    root_path: str = "",
    proxy_headers: bool = True,
    forwarded_allow_ips: str | None = None,
    log_level: str = "info",
    graceful_shutdown_s: int | None = 5,
    keep_alive_s: int = 5,
    **create_app_kwargs: Any,
) -> None:
    """Serve `app` with uvicorn until interrupted (blocking). `create_app_kwargs` go to
    `create_app` (token, max_body_bytes, studio, cors_origins...). Behind a reverse proxy: set
    `root_path` to the prefix it serves under, and `forwarded_allow_ips` to its address so
    `X-Forwarded-*` headers are trusted. `graceful_shutdown_s`: on shutdown, open streams get
    this long to end before they are cut (a stream can follow a run for hours; its client
    re-attaches with `Last-Event-ID`); then the runs still driven here stop, stored as running,
    for a restart to continue. `keep_alive_s`: how long an idle connection stays open; behind a
    proxy, make it longer than the proxy's own idle timeout, or a request the proxy sends on a
    connection the server is closing fails."""
    import uvicorn

    uvicorn.run(
        create_app(app, **create_app_kwargs),
        host=host,
        port=port,
        root_path=root_path,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level=log_level,
        timeout_graceful_shutdown=graceful_shutdown_s,
        timeout_keep_alive=keep_alive_s,
    )
