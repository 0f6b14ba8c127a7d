"""Discovery and JWKS answered from memory, before the framework does any work.

A directory's discovery document and its JWKS change a few times a year (a key rotation,
a retired key's publication ending, the directory disabled), yet relying apps fetch them
all the time. This WSGI middleware keeps each one's answer, as the app last gave it, in
the process's memory with a strong ETag (``If-None-Match`` gets a 304) and serves it
without routing, sessions or SQL.

How fresh it stays:

- A view marks its answer as publishable by setting ``PUBLISH_UNTIL`` in the WSGI
  environ: the time the document may change by itself (the JWKS: when a retired key's
  publication ends), which bounds the entry.
- A change committed in this process to a directory or a signing key invalidates every
  entry at once, and no entry lives longer than ``IDP_CACHE_SECONDS`` (default 5), which
  bounds how long a change made elsewhere (the ``idp`` command, another worker or
  instance) goes unseen (``idp.storage.kept``). Keys are
  published ``IDP_JWKS_CACHE_SECONDS`` before they sign, so no relying app meets a key
  it has not been shown; a disabled directory's documents are served at most this much
  longer.

Only a 200 answer without cookies is kept, so an unknown or disabled directory, an outage
(503) or an error is never cached; other methods and paths pass straight through.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .. import clock
from ..observability.requests import ENDPOINT
from ..storage.kept import Kept, generation

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Set by a view in ``request.environ``: until when its answer may be served from memory.
PUBLISH_UNTIL = "idp.publish_until"

PATH = re.compile(r"/d/[a-z0-9-]{1,64}/(?:\.well-known/openid-configuration"
                  r"|\.well-known/oauth-authorization-server|jwks)")
# Per request, not per document: the server adds Date; the length is the body's own.
_LEFT_OUT = frozenset({"content-length", "date", "etag", "set-cookie"})


@dataclass(frozen=True)
class Entry:
    """One document's answer, as the app gave it."""

    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str
    #: The Flask endpoint that gave it, named in the environ of the requests it answers.
    endpoint: str | None = None

    def answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """Answer a GET or HEAD: the document, or 304 when the client has this version."""
        environ.setdefault(ENDPOINT, self.endpoint)
        if _matches(environ.get("HTTP_IF_NONE_MATCH", ""), self.etag):
            kept = [(name, value) for name, value in self.headers
                    if name.lower() in ("cache-control", "access-control-allow-origin", "vary")]
            start_response("304 Not Modified", [*kept, ("ETag", self.etag)])
            return []
        start_response(self.status, [*self.headers, ("ETag", self.etag),
                                     ("Content-Length", str(len(self.body)))])
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.body]


def _matches(header: str, etag: str) -> bool:
    """RFC 9110 13.1.2: If-None-Match compares weakly; "*" matches any current version."""
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


class PublishedDocuments:
    """WSGI middleware: discovery and JWKS from memory (see the module's docstring)."""

    def __init__(self, app: WsgiApp, seconds: float):
        self.app = app
        self.seconds = seconds
        self._entries: Kept[Entry] = Kept()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        path = environ.get("PATH_INFO", "")
        if (self.seconds <= 0 or environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
                or not PATH.fullmatch(path)):
            return self.app(environ, start_response)
        moment = clock.now()
        entry = self._entries.get(path, moment)
        if entry is not None:
            return entry.answer(environ, start_response)
        return self._fill(path, environ, start_response, moment)

    def _fill(self, path: str, environ: dict[str, Any], start_response: Callable[..., Any],
              moment: float):
        """Ask the app, keep its answer when it is publishable, and answer the client."""
        since = generation()  # a change committed meanwhile makes this entry stale
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], _exc_info: Any = None):
            captured.update(status=status, headers=headers)  # passed on below, once
            return _no_write

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        status, headers = captured["status"], captured["headers"]
        until = environ.get(PUBLISH_UNTIL)
        if until is None or not status.startswith("200 ") or any(
                name.lower() == "set-cookie" for name, _ in headers):
            start_response(status, headers)
            return [body]
        entry = Entry(status=status,
                      headers=tuple((n, v) for n, v in headers if n.lower() not in _LEFT_OUT),
                      body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
                      endpoint=environ.get(ENDPOINT))
        self._entries.put(path, entry, min(float(until), moment + self.seconds), since)
        return entry.answer(environ, start_response)


def _no_write(_data: bytes) -> None:
    raise RuntimeError("the app must return its body, not write it")
