"""A real uvicorn server on 127.0.0.1 and an ephemeral port, in a background thread, for tests
that need the network (streams, disconnects, other clients).

    from server.live_server import LiveServer

    with LiveServer(treadle_app, token="s3cret") as live:
        httpx.get(live.base_url + "/api/workflows", headers=live.headers)

`app` is a Treadle app (wrapped with `treadle.server.create_app(app, token=token, **kwargs)`)
or an ASGI app already built. The server runs its own event loop: talk to it over HTTP only.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn

from treadle import Treadle
from treadle.server import create_app

__all__ = ["LiveServer"]

STARTUP_DEADLINE_S = 20.0
GRACEFUL_SHUTDOWN_S = 1.0  # open streams are cut after this at exit (they may never end)


class LiveServer:
    def __init__(self, app: Any, token: str | None = None, **create_app_kwargs: Any) -> None:
        if isinstance(app, Treadle):
            create_app_kwargs.setdefault("studio", False)
            app = create_app(app, token=token, **create_app_kwargs)
        self.app = app
        self.token = token
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header when the server has a token."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def __enter__(self) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )  # fmt: skip
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        # The server is a peer in another thread: poll its flag, with a deadline.
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn exited during startup (see its log above)")
            if time.monotonic() > deadline:
                server.should_exit = True
                raise TimeoutError(f"uvicorn did not start within {STARTUP_DEADLINE_S}s")
            time.sleep(0.01)
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=STARTUP_DEADLINE_S)
            if self._thread.is_alive():
                raise RuntimeError("uvicorn did not stop")
