"""Guarding the API (pure ASGI, so streams pass through untouched): a bearer token on `/api` and
the OpenAPI document, and a cap on request body size."""

from __future__ import annotations

import hmac
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .framing import dumps

__all__ = ["ApiGuard", "is_protected"]


def is_protected(path: str, root_path: str = "") -> bool:
    """The API and its description need the token; the Studio's pages and assets hold no data
    (the Studio reads everything through the API)."""
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :] or "/"
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


async def _send_json(send: Send, status: int, body: dict[str, object], extra: Collection[
        tuple[bytes, bytes]] = ()) -> None:  # fmt: skip
    payload = dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class ApiGuard:
    """`token`: every protected path needs `Authorization: Bearer <token>` (401 otherwise,
    compared in constant time). `max_body_bytes`: larger request bodies get 413, whether the
    client announced the size (Content-Length) or not (chunked)."""

    def __init__(self, app: ASGIApp, *, token: str | None, max_body_bytes: int) -> None:
        self.app = app
        self._token = token.encode() if token else None
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (
            self._token is not None
            and scope.get("method") != "OPTIONS"  # CORS preflights carry no credentials
            and is_protected(scope.get("path", ""), scope.get("root_path", ""))
            and not self._authorized(scope)
        ):
            await _send_json(
                send, 401,
                {"error": "Unauthorized: send the header 'Authorization: Bearer <token>'",
                 "code": "UNAUTHORIZED"},
                [(b"www-authenticate", b'Bearer realm="treadle"')],
            )  # fmt: skip
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await self._too_large(send)
            return
        if declared is None and _may_have_body(scope):
            body = await self._read_capped(receive)
            if body is None:
                await self._too_large(send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        assert self._token is not None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, given = value.partition(b" ")
                if scheme.lower() == b"bearer":
                    return hmac.compare_digest(given.strip(), self._token)
        return False

    async def _too_large(self, send: Send) -> None:
        await _send_json(
            send, 413,
            {"error": f"Request body too large (limit: {self.max_body_bytes} bytes)",
             "code": "BODY_TOO_LARGE"},
        )  # fmt: skip

    async def _read_capped(self, receive: Receive) -> bytes | None:
        """The whole body of a request that did not say its size, or None past the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)  # the client went away: the app sees a short body
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _may_have_body(scope: Scope) -> bool:
    return scope.get("method") in ("POST", "PUT", "PATCH", "DELETE")


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the already-read body once, then the client's later messages
    (a disconnect, which streaming responses listen for)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
