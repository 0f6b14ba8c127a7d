"""Userinfo's and introspection's common requests answered before the framework's work.

Relying apps and APIs call userinfo with a bearer token, and resource servers ask
introspection about the tokens presented to them, on nearly every request of theirs. This
WSGI middleware takes the common form of each and answers it with the endpoint's own
steps in an application context of its own: no routing, request context or hooks.

- userinfo: a GET with ``Authorization: Bearer ...`` and nothing else (no query, body or
  DPoP proof). ``idp.oidc.server.plain_userinfo`` runs the endpoint's steps: Authlib checks
  the token with the endpoint's validators, the claims come from the endpoint's function.
- introspection: a POST of a form with the app's ``Authorization: Basic ...`` that names
  the token and at most its hint, each once. ``idp.oidc.server.plain_introspection`` runs
  the app's introspection endpoint, as registered, on that form and header (client
  authentication included), without Flask's request.

Only a 200 is answered here, with the headers the app gives it (``protective_headers``,
and userinfo's ``open_to_apps``), named for metrics and the log line as the app names it.
It is made as bytes and a list of headers (the JSON as the endpoint's Authlib makes it, the
headers the endpoint gives and the same constants), without a Response object around it.
Everything else goes to the app as before, which answers it as ever: an unknown or
disabled directory, a refused token or app (with its challenge), a DPoP-bound token, any
other form of request, a fault. A form read here is handed to the app again. Neither
endpoint writes anything, so what the middleware tried first changes nothing for the app.
A database or Redis outage met here is handed over too (``OUTAGE_MET`` in the environ):
the app answers it at once, as its own (503), without waiting for the database again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl

from authlib.consts import default_json_headers
from flask import Flask
from werkzeug.wsgi import get_host

from ..errors import IdpError
from ..observability.requests import note_client, note_request
from ..oidc.server import plain_introspection, plain_userinfo
from ..services import services
from ..storage.outages import outage_of
from .api.oidc import FORM, OPEN_TO_APPS, introspect, userinfo
from .context import load_directory
from .responses import always_headers

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

PATH = re.compile(r"/d/([a-z0-9-]{1,64})/(userinfo|introspect)")
#: The largest introspection form taken here (a token, its hint); larger ones go to the app.
MAX_FORM = 8192
#: The names of an introspection form taken here; any other form goes to the app.
TOKEN_FORM = frozenset({"token", "token_type_hint"})
#: Set in the WSGI environ: the outage this middleware met, for the app to answer.
OUTAGE_MET = "idp.outage_met"

log = logging.getLogger(__name__)


class ShortPath:
    """WSGI middleware: userinfo's and introspection's 200s (see the module's docstring)."""

    def __init__(self, app: WsgiApp, flask_app: Flask):
        self.app = app
        self.flask_app = flask_app
        self.enabled = True  # off: every request goes to the app
        self._rules: dict[str, tuple[str, str]] = {}  # by path end: endpoint name, route

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        found = PATH.fullmatch(environ.get("PATH_INFO", "")) if self.enabled else None
        if found is None or environ.get("QUERY_STRING"):
            return self.app(environ, start_response)
        slug, name = found.groups()
        if name == "userinfo":
            response = self._userinfo(environ, slug)
        else:
            response = self._introspection(environ, slug)
        if response is None:
            return self.app(environ, start_response)
        endpoint, rule = self._named(name)
        note_request(environ, endpoint, rule, {"slug": slug})
        return response(environ, start_response)

    def _userinfo(self, environ: dict[str, Any], slug: str) -> WsgiApp | None:
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if environ.get("REQUEST_METHOD") != "GET" or not authorization.startswith("Bearer ") \
                or "HTTP_DPOP" in environ or environ.get("CONTENT_LENGTH") not in (None, "", "0"):
            return None

        def answer() -> WsgiApp | None:
            claims = plain_userinfo(services().protector, authorization)
            if claims is None:
                return None
            # The endpoint's answer: Authlib's JSON headers and ``open_to_apps``.
            return self._answered(claims, [*default_json_headers, OPEN_TO_APPS])
        return self._in_directory(environ, slug, answer)

    def _introspection(self, environ: dict[str, Any], slug: str) -> WsgiApp | None:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("CONTENT_TYPE") != FORM \
                or not environ.get("HTTP_AUTHORIZATION", "").startswith("Basic "):
            return None
        length = environ.get("CONTENT_LENGTH") or ""
        most = min(MAX_FORM, self.flask_app.config.get("MAX_CONTENT_LENGTH") or MAX_FORM)
        if not (length.isascii() and length.isdigit()) or not 0 < int(length) <= most:
            return None
        body = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = BytesIO(body)  # the app reads the same form, if it must
        form = _token_form(body) if len(body) == int(length) else None
        if form is None:
            return None

        def answer() -> WsgiApp | None:
            answered = plain_introspection(services().server, _url(environ),
                                           environ["HTTP_AUTHORIZATION"], form)
            if answered is None:
                return None
            payload, headers, client_id = answered
            note_client(environ, client_id)
            return self._answered(payload, headers)
        return self._in_directory(environ, slug, answer)

    def _answered(self, payload: dict[str, Any], headers: list[tuple[str, str]]) -> _Answered:
        """Return the endpoint's 200 of `payload` in the app's JSON, with the endpoint's
        `headers` and every answer's (``always_headers``), without a Response around it."""
        return _Answered(self.flask_app.json.dumps(payload).encode(),
                         [*headers, *always_headers()])

    def _in_directory(self, environ: dict[str, Any], slug: str,
                      answer: Callable[[], WsgiApp | None]) -> WsgiApp | None:
        """Run `answer` in an application context with the directory of `slug` loaded as
        for the app's routes; None when it does not serve, or `answer` leaves the request to
        the app."""
        try:
            with self.flask_app.app_context():
                try:
                    # In no session: the endpoints read its columns only.
                    load_directory(None, {"slug": slug}, attached=False)
                except IdpError:
                    return None  # unknown or disabled: the app answers it
                return answer()
        except Exception as exc:  # the app answers it: an outage (503) or a fault (500)
            if outage_of(exc) is not None:
                environ[OUTAGE_MET] = exc
            else:
                log.debug("request left to the app", exc_info=True)
            return None

    def _named(self, name: str) -> tuple[str, str]:
        """Return the endpoint's name and route as the app's URL map has them."""
        if name not in self._rules:
            view = userinfo if name == "userinfo" else introspect
            rule = next(rule for rule in self.flask_app.url_map.iter_rules()
                        if self.flask_app.view_functions[rule.endpoint] is view)
            self._rules[name] = (rule.endpoint, rule.rule)
        return self._rules[name]


def _token_form(body: bytes) -> dict[str, str] | None:
    """Return the introspection form `body` as the app reads it, when it names the token
    and at most its hint, each once (RFC 7662 2.1); None for any other form, which the app
    reads itself."""
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True,
                          errors="strict")
    except ValueError:  # UnicodeDecodeError included
        return None
    form = dict(pairs)
    if len(form) != len(pairs) or "token" not in form or not form.keys() <= TOKEN_FORM:
        return None
    return form


def _url(environ: dict[str, Any]) -> str:
    """Return the request's URL without its query, as the app's request gives it to
    Authlib (which checks its scheme)."""
    return (f"{environ['wsgi.url_scheme']}://{get_host(environ)}"
            f"{environ.get('SCRIPT_NAME', '')}{environ['PATH_INFO']}")


class _Answered:
    """A 200 with a body and headers made in full: the WSGI answer without a Response."""

    def __init__(self, body: bytes, headers: list[tuple[str, str]]):
        self.body = body
        self.headers = [*headers, ("Content-Length", str(len(body)))]

    def __call__(self, _environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", self.headers)
        return [self.body]
