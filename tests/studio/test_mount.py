"""mount_studio: index.html with the API prefix injected at `/` and `/workflows/...`, assets at
`/studio-assets/`, and nothing else of the host app shadowed."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from treadle.studio import ASSETS_DIR, mount_studio


def host_app(api_prefix: str = "/api") -> FastAPI:
    app = FastAPI()

    @app.get(f"{api_prefix}/workflows")
    def workflows() -> dict[str, str]:
        return {"from": "api"}

    @app.get(f"{api_prefix}/workflows/{{workflow_id}}")
    def workflow(workflow_id: str) -> dict[str, str]:
        return {"id": workflow_id}

    mount_studio(app, api_prefix=api_prefix)
    return app


def client_for(app: FastAPI, root_path: str = "") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, root_path=root_path)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.mark.parametrize("path", ["/", "/workflows", "/workflows/approval", "/workflows/a/runs/r1"])
async def test_spa_pages_serve_index_with_the_api_prefix(path: str) -> None:
    async with client_for(host_app()) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<meta name="treadle-api-prefix" content="/api">' in response.text
    assert 'src="/studio-assets/js/main.js"' in response.text
    assert "%%" not in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_api_openapi_and_docs_are_not_shadowed() -> None:
    async with client_for(host_app()) as client:
        assert (await client.get("/api/workflows")).json() == {"from": "api"}
        assert (await client.get("/api/workflows/approval")).json() == {"id": "approval"}
        assert (await client.get("/openapi.json")).json()["openapi"].startswith("3.")
        assert "swagger" in (await client.get("/docs")).text.lower()
        assert (await client.get("/nothing-here")).status_code == 404


async def test_assets_are_served_from_the_package() -> None:
    async with client_for(host_app()) as client:
        for relative in ("js/main.js", "css/base.css", "favicon.svg"):
            response = await client.get(f"/studio-assets/{relative}")
            assert response.status_code == 200, relative
            assert response.content == (ASSETS_DIR / relative).read_bytes()
            assert response.headers["cache-control"] == "no-cache"
        main = await client.get("/studio-assets/js/main.js")
        assert main.headers["content-type"].startswith("text/javascript")
        assert (await client.get("/studio-assets/missing.js")).status_code == 404


async def test_a_custom_prefix_is_injected_normalized() -> None:
    async with client_for(host_app("/v2/api/")) as client:
        response = await client.get("/")
    assert '<meta name="treadle-api-prefix" content="/v2/api">' in response.text


async def test_root_path_prefixes_assets_and_api() -> None:
    async with client_for(host_app(), root_path="/tools") as client:
        text = (await client.get("/")).text
    assert '<meta name="treadle-api-prefix" content="/tools/api">' in text
    assert 'href="/tools/studio-assets/css/base.css"' in text


def test_an_empty_api_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="api_prefix"):
        mount_studio(FastAPI(), api_prefix="/")


def test_no_third_party_code_is_shipped() -> None:
    # Hand-written ES modules only: every import is relative, nothing is fetched from a CDN.
    for path in ASSETS_DIR.rglob("*"):
        if path.suffix not in {".js", ".html", ".css"}:
            continue
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", ""), path
        assert "https://" not in text, path
        for module in re.findall(r'(?:from|import)\s+"([^"]+)"', text):
            assert module.startswith(("./", "../")), (path, module)
