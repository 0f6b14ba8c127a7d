"""A lean browser for the benchmark's login flows: HTTP/1.1 on a keep-alive socket, cookies by
name, no redirects followed.

The load generator shares the machine's cores with the provider it measures, so what it
spends on each request is taken from the provider. ``requests`` spends about a millisecond
of CPU on each; this spends a fraction of that, reading answers as ``loadgen`` does. It
takes the part of ``requests.Session``'s interface the flows use (``get``, ``post``,
``cookies``), so the flows run with either; ``allow_redirects`` is taken so, and changes
nothing: every answer is returned as it came, a redirect included.
"""

from __future__ import annotations

import base64
import datetime
import json
import select
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from loadgen import Reader, http_request


class Headers(dict):
    """Header fields by name, looked up in any case (the last of a repeated field)."""

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:
        return super().get(name.lower(), default)


@dataclass
class Request:
    method: str


@dataclass
class Answer:
    """One answer, with what ``requests.Response`` offers that the flows read."""

    request: Request
    url: str
    status_code: int
    headers: Headers
    content: bytes
    elapsed: datetime.timedelta  # from sending the request until the whole answer was read

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


@dataclass
class Browser:
    """One person's browser: one connection per host, and the cookies it was given."""

    cookies: dict[str, str] = field(default_factory=dict)
    _connections: dict[tuple[str, int], tuple[socket.socket, Reader]] = field(
        default_factory=dict, repr=False)

    def get(self, url: str, params: dict[str, str] | None = None,
            headers: dict[str, str] | None = None, timeout: float = 60,
            allow_redirects: bool = False) -> Answer:
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        return self._send("GET", url, headers or {}, b"", timeout)

    def post(self, url: str, data: dict[str, str] | None = None,
             auth: tuple[str, str] | None = None, headers: dict[str, str] | None = None,
             timeout: float = 60, allow_redirects: bool = False) -> Answer:
        fields = dict(headers or {})
        body = urlencode(data or {}).encode()
        fields["Content-Type"] = "application/x-www-form-urlencoded"
        if auth is not None:
            pair = f"{auth[0]}:{auth[1]}".encode("latin-1")
            fields["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return self._send("POST", url, fields, body, timeout)

    def close(self) -> None:
        for sock, _reader in self._connections.values():
            sock.close()
        self._connections.clear()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the wire ------------------------------------------------------------------------

    def _send(self, method: str, url: str, headers: dict[str, str], body: bytes,
              timeout: float) -> Answer:
        parts = urlsplit(url)
        host = (parts.hostname or "127.0.0.1", parts.port or 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if self.cookies:
            headers = {**headers, "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        message = http_request(method, host[1], target, headers, body, host=host[0])
        started = time.perf_counter()
        status, fields, content, close = self._exchange(host, message, timeout)
        elapsed = datetime.timedelta(seconds=time.perf_counter() - started)
        if close:
            self._drop(host)
        answer_headers = Headers()
        for name, value in fields:
            answer_headers[name] = value
            if name == "set-cookie":
                self._keep_cookie(value)
        return Answer(Request(method), url, status, answer_headers, content, elapsed)

    def _exchange(self, host: tuple[str, int], message: bytes,
                  timeout: float) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        kept = self._connections.get(host)
        if kept is not None and select.select([kept[0]], [], [], 0)[0]:
            # An idle connection with something to read was closed by the server: the
            # request goes on a new one. Nothing is sent twice: a request that fails once
            # sent is an error of the run.
            self._drop(host)
        if host not in self._connections:
            sock = socket.create_connection(host, timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._connections[host] = sock, Reader(sock)
        sock, reader = self._connections[host]
        try:
            sock.sendall(message)
            return reader.answer()
        except (OSError, ValueError):
            self._drop(host)
            raise

    def _drop(self, host: tuple[str, int]) -> None:
        sock, _reader = self._connections.pop(host, (None, None))
        if sock is not None:
            sock.close()

    def _keep_cookie(self, header: str) -> None:
        pair, *attributes = header.split(";")
        name, _, value = pair.strip().partition("=")
        for attribute in attributes:
            key, _, setting = attribute.strip().partition("=")
            if key.lower() == "max-age" and setting.strip().lstrip("-").isdigit() \
                    and int(setting) <= 0:
                self.cookies.pop(name, None)  # the server removed it
                return
        self.cookies[name] = value
