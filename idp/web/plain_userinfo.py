"""Userinfo's common case answered before the framework does its work.

Relying apps and APIs call userinfo with a bearer token on nearly every request of
theirs, and nearly always the token is good. This WSGI middleware takes such a request,
a GET with ``Authorization: Bearer ...`` and nothing else (no query, no DPoP proof), and
answers it with the endpoint's own steps (``idp.oidc.server.plain_userinfo``: Authlib
checks the token with the endpoint's validators, the claims come from the same function)
in an application context of its own: no routing, no request context, no hooks.

It answers only what it can answer as the endpoint would, a 200 with the claims as JSON.
Everything else goes to the app as before, which answers it as ever: an unknown or
disabled directory, a token refused (with its ``WWW-Authenticate`` challenge), one bound
to a DPoP key, a form body, a database outage (503). The response carries the endpoint's
headers (``open_to_apps``, ``protective_headers``) and names the request as the app would
for its metrics and log line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from typing import Any

from authlib.consts import default_json_headers
from flask import Flask, g
from werkzeug.wrappers import Response

from ..observability.requests import note_request
from ..oidc.server import plain_userinfo
from ..services import services
from ..tenants.directories import serves, serving_directory
from .api.oidc import open_to_apps
from .api.oidc import userinfo as userinfo_view
from .responses import protective_headers

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

PATH = re.compile(r"/d/([a-z0-9-]{1,64})/userinfo")
SCHEME = "Bearer "

log = logging.getLogger(__name__)


class PlainUserinfo:
    """WSGI middleware: userinfo's 200 for a good bearer token (see the module's docstring)."""

    def __init__(self, app: WsgiApp, flask_app: Flask):
        self.app = app
        self.flask_app = flask_app
        self.enabled = True
        self._rule: tuple[str, str] | None = None  # the endpoint's name and route

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        found = self.enabled and environ.get("REQUEST_METHOD") == "GET" and \
            PATH.fullmatch(environ.get("PATH_INFO", ""))
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if not found or not authorization.startswith(SCHEME) or "HTTP_DPOP" in environ \
                or environ.get("QUERY_STRING") or environ.get("CONTENT_LENGTH") not in (
                    None, "", "0"):
            return self.app(environ, start_response)
        slug = found.group(1)
        response = self._answer(slug, authorization)
        if response is None:
            return self.app(environ, start_response)
        endpoint, rule = self._named()
        note_request(environ, endpoint, rule, {"slug": slug})
        return response(environ, start_response)

    def _answer(self, slug: str, authorization: str) -> Response | None:
        """Return the endpoint's 200, or None to leave the request to the app."""
        try:
            with self.flask_app.app_context():
                directory = serving_directory(slug)
                if not serves(directory):
                    return None
                g.directory = directory
                found = services()
                claims = plain_userinfo(found.protector, authorization)
                if claims is None:
                    return None
                # Authlib's own JSON answer, as the endpoint gives it.
                response = found.server.handle_response(200, claims, default_json_headers)
                return protective_headers(open_to_apps(response))
        except Exception:  # an outage or a fault: the app answers it (503, 500) and logs it
            log.debug("userinfo left to the app", exc_info=True)
            return None

    def _named(self) -> tuple[str, str]:
        """Return the endpoint's name and route as the app's URL map has them."""
        if self._rule is None:
            rule = next(rule for rule in self.flask_app.url_map.iter_rules()
                        if self.flask_app.view_functions[rule.endpoint] is userinfo_view)
            self._rule = (rule.endpoint, rule.rule)
        return self._rule
