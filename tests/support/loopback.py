"""A real HTTP server on 127.0.0.1 (a free port) in a background thread, for fake providers."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackServer:
    """Subclasses implement ``_handle(request)``; ``METHOD`` names the HTTP verb they answer."""

    METHOD = "GET"
    _httpd: ThreadingHTTPServer | None = None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        raise TypeError(f"{type(self).__name__} must define _handle")

    def __enter__(self) -> Self:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

        setattr(Handler, f"do_{self.METHOD}", lambda handler: server._handle(handler))
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def root(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"
