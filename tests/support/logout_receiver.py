"""An app's back-channel logout endpoint over real HTTP: it records the logout tokens the
provider posts, answers as told (a server error first, or not until released), and hands
each token out once."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from .arrivals import Arrivals


class LogoutReceiver(Arrivals):
    """Serves ``/backchannel-logout`` on a loopback port."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []
        self.statuses: list[int] = []  # answers to give first, in order; then 200
        self.held = threading.Event()
        self.held.set()  # cleared: answers wait until it is set again
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the http.server name)
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                receiver.held.wait(30)
                with receiver._changed:
                    receiver.tokens.append(form.get("logout_token", [""])[0])
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver._changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self._server.server_address[1]}/backchannel-logout"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def next_token(self, timeout: float = 20) -> str:
        """Return the next logout token posted (AssertionError when none comes in time)."""
        index = self._take(lambda: len(self.tokens), lambda _index: True, timeout,
                           lambda: f"no logout token arrived; {len(self.tokens)} before")
        return self.tokens[index]

    def close(self) -> None:
        self.held.set()
        self._server.shutdown()
        self._server.server_close()
