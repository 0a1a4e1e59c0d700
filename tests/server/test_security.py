"""The guard: bearer token on /api and /openapi.json (401 JSON otherwise), request body limit
(413 JSON, announced or chunked), CORS off unless asked for, and unknown paths as JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from server.flows import asgi_client
from treadle import Treadle
from treadle.server import create_app

TOKEN = "s3cret-token"


async def test_token_guards_the_api_and_its_description(treadle_app: Treadle) -> None:
    api = create_app(treadle_app, token=TOKEN, studio=False)
    async with asgi_client(api) as anonymous:
        for path in ("/api/workflows", "/api/workflows/greet/runs", "/openapi.json"):
            response = await anonymous.get(path)
            assert response.status_code == 401, path
            assert response.json()["code"] == "UNAUTHORIZED"
            assert response.headers["www-authenticate"].startswith("Bearer")
        for header in (f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer"):
            wrong = await anonymous.get("/api/workflows", headers={"Authorization": header})
            assert wrong.status_code == 401, header
        stream = await anonymous.post("/api/workflows/greet/stream", params={"runId": "r"})
        assert stream.status_code == 401
        assert (await anonymous.get("/docs")).status_code == 200  # a page shell, no data
    async with asgi_client(api, authorization=f"Bearer {TOKEN}") as allowed:
        assert (await allowed.get("/api/workflows")).status_code == 200
        doc = (await allowed.get("/openapi.json")).json()
        assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
        assert "401" in doc["paths"]["/api/workflows"]["get"]["responses"]


async def test_token_comes_from_the_environment(
    treadle_app: Treadle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TREADLE_API_TOKEN", TOKEN)
    async with asgi_client(create_app(treadle_app, studio=False)) as anonymous:
        assert (await anonymous.get("/api/workflows")).status_code == 401
    monkeypatch.delenv("TREADLE_API_TOKEN")
    async with asgi_client(create_app(treadle_app, studio=False)) as anonymous:
        assert (await anonymous.get("/api/workflows")).status_code == 200


async def test_studio_pages_stay_public_with_a_token(treadle_app: Treadle) -> None:
    async with asgi_client(create_app(treadle_app, token=TOKEN, studio=True)) as anonymous:
        page = await anonymous.get("/")
        assert page.status_code != 401
        assert (await anonymous.get("/api/workflows")).status_code == 401


async def test_body_over_the_limit_is_413(treadle_app: Treadle) -> None:
    api = create_app(treadle_app, studio=False, max_body_bytes=64)
    async with asgi_client(api) as client:
        small = await client.post("/api/workflows/greet/create-run", json={"resourceId": "u"})
        assert small.status_code == 200
        big = await client.post("/api/workflows/greet/create-run", json={"resourceId": "u" * 100})
        assert big.status_code == 413
        assert "64 bytes" in big.json()["error"]

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
            yield b'{"resourceId": "'
            yield b"u" * 100
            yield b'"}'

        chunked = await client.post("/api/workflows/greet/create-run", content=chunks())
        assert chunked.status_code == 413

        async def small_chunks() -> AsyncIterator[bytes]:
            yield b'{"resourceId":'
            yield b' "u"}'

        ok = await client.post("/api/workflows/greet/create-run", content=small_chunks())
        assert ok.status_code == 200, ok.text


async def test_cors_is_off_unless_origins_are_given(treadle_app: Treadle) -> None:
    preflight = {
        "Origin": "http://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    async with asgi_client(create_app(treadle_app, studio=False)) as client:
        response = await client.options("/api/workflows/greet/create-run", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
    api = create_app(treadle_app, studio=False, token=TOKEN, cors_origins=["http://app.example"])
    async with asgi_client(api) as client:
        response = await client.options("/api/workflows/greet/create-run", headers=preflight)
        assert response.status_code == 200  # a preflight needs no token
        assert response.headers["access-control-allow-origin"] == "http://app.example"
        listed = await client.get(
            "/api/workflows",
            headers={"Origin": "http://app.example", "Authorization": f"Bearer {TOKEN}"},
        )
        assert listed.headers["access-control-allow-origin"] == "http://app.example"


async def test_unknown_paths_and_methods_answer_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"error": "Not Found"}
    wrong_method = await client.put("/api/workflows")
    assert wrong_method.status_code == 405
    assert "error" in wrong_method.json()
    # Allow lists every method of the path, though they are separate routes.
    run = await client.post("/api/workflows/greet/runs/some-run")
    assert run.status_code == 405
    assert run.headers["allow"] == "DELETE, GET"


async def test_token_guard_behind_a_path_prefix(treadle_app: Treadle) -> None:
    """Behind a proxy serving under /flows (uvicorn --root-path), /flows/api/* is the API."""
    api = create_app(treadle_app, token=TOKEN, studio=False)
    async with api.router.lifespan_context(api):
        transport = httpx.ASGITransport(app=api, root_path="/flows")
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/flows/api/workflows")).status_code == 401
            allowed = await client.get(
                "/flows/api/workflows", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            assert allowed.status_code == 200
            doc = await client.get(
                "/flows/openapi.json", headers={"Authorization": f"Bearer {TOKEN}"}
            )
            assert doc.json()["servers"] == [{"url": "/flows"}]
