"""An app's key set published over real HTTP, as an app serves it at its ``jwks_uri``."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class KeyHost:
    """Serves one JWK Set at ``/jwks.json`` on a loopback port and counts the fetches."""

    def __init__(self, *keys: Any) -> None:
        self.keys = list(keys)
        self.fetches = 0
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the http.server name)
                host.fetches += 1
                body = json.dumps({"keys": [k.as_dict(private=False) for k in host.keys]})
                self.send_response(200)
                self.send_header("Content-Type", "application/jwk-set+json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self._server.server_address[1]}/jwks.json"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
