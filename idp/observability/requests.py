"""Time every request at the WSGI level: its metrics, and its log line in JSON mode.

The middleware sits outside everything else of the app but the proxy fix, so it also
sees what is answered before Flask (discovery and JWKS from memory, a refused host).
Flask names the request's endpoint, loggable path and client in the WSGI environ
(``note_request``); an answer from memory names the endpoint its document came from.

A request's line holds only what cannot carry a secret: the method, the endpoint, the
path without its query string and with secret route variables (``<token>``) left out, the
directory, the client id when known, the status, the duration and the proxy's request id.
Never query strings, form bodies, cookies or headers.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.wsgi import ClosingIterator

from . import metrics
from .logs import FIELDS

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Set in the WSGI environ: the request's Flask endpoint.
ENDPOINT = "idp.endpoint"
#: Set in the WSGI environ: the path to log (secret route variables left out).
LOGGED_PATH = "idp.logged_path"
#: Set in the WSGI environ: the client id the request names, when known.
CLIENT_ID = "idp.client_id"

#: Route variables whose values are secrets (invitation and reset links).
SECRET_VARIABLES = frozenset({"token"})
#: Paths whose requests are not counted in the request metrics (the scrapes themselves).
UNCOUNTED = frozenset({"/metrics"})

_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([A-Za-z_][A-Za-z0-9_]*)>")
_DIRECTORY = re.compile(r"/d/([a-z0-9-]{1,64})(?:/|$)")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

log = logging.getLogger("idp.requests")


def path_of_rule(rule: str, values: Mapping[str, Any]) -> str:
    """Return the path a route rule matched, secret variables written as ``{name}``."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in SECRET_VARIABLES or name not in values:
            return "{" + name + "}"
        return str(values[name])
    return _VARIABLE.sub(fill, rule)


def note_request(environ: dict[str, Any], endpoint: str | None, rule: str | None,
                 values: Mapping[str, Any] | None) -> None:
    """Name the request's endpoint and loggable path for the middleware (Flask's part)."""
    environ[ENDPOINT] = endpoint
    if rule is not None:
        environ[LOGGED_PATH] = path_of_rule(rule, values or {})


def note_client(environ: dict[str, Any], client_id: str) -> None:
    """Name the client the request is for, where the app knows it (a pending login's)."""
    environ[CLIENT_ID] = client_id[:128]


def logged_path(environ: Mapping[str, Any]) -> str:
    """Return the request's path as logs may show it: secret route variables left out."""
    return environ.get(LOGGED_PATH) or environ.get("PATH_INFO", "")


def request_fields(environ: Mapping[str, Any], status: int, seconds: float) -> dict[str, Any]:
    """Return the fields of a request's log line (see the module's docstring)."""
    fields: dict[str, Any] = {
        "method": environ.get("REQUEST_METHOD", ""),
        "endpoint": environ.get(ENDPOINT),
        "path": logged_path(environ),
        "directory": None,
        "client_id": environ.get(CLIENT_ID),
        "status": status,
        "duration_ms": round(seconds * 1000, 1),
        "request_id": None,
    }
    directory = _DIRECTORY.match(environ.get("PATH_INFO", ""))
    if directory:
        fields["directory"] = directory.group(1)
    request_id = environ.get("HTTP_X_REQUEST_ID", "")
    if _REQUEST_ID.fullmatch(request_id):
        fields["request_id"] = request_id
    return fields


class ObservedRequests:
    """WSGI middleware: count and time each request; in JSON mode, log it in one line."""

    def __init__(self, app: WsgiApp, *, count: bool, log_lines: bool):
        self.app = app
        self.count = count
        self.log_lines = log_lines

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        started = time.perf_counter()
        answered: list[str] = []

        def observe(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            answered[:] = [status]
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        try:
            result = self.app(environ, observe)
        except BaseException:
            self._done(environ, "500", started)
            raise
        def done() -> None:
            self._done(environ, answered[0] if answered else "500", started)

        if isinstance(result, list):
            # Made whole (``idp.web.responses.Answer``): the server writes it at once, and
            # a list is what it writes fastest. Done now.
            done()
            return result
        return ClosingIterator(result, done)

    def _done(self, environ: dict[str, Any], status_line: str, started: float) -> None:
        seconds = time.perf_counter() - started
        try:
            status = int(status_line.split(" ", 1)[0])
        except ValueError:
            status = 500
        if self.count and environ.get("PATH_INFO") not in UNCOUNTED:
            metrics.count_request(environ.get(ENDPOINT), environ.get("REQUEST_METHOD"),
                                  status, seconds)
        if self.log_lines:
            fields = request_fields(environ, status, seconds)
            log.info("%s %s %s", fields["method"], fields["path"], status,
                     extra={FIELDS: fields})
