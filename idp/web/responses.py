"""How errors are answered: JSON for APIs, a page for people, a redirect only to a checked URI.

Machines get the English description (protocol text); people get the page in their language.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from authlib.common.urls import add_params_to_uri
from flask import Response, g, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale, lazy_gettext

from ..oidc.server import current_issuer
from ..services import services
from ..tenants.directories import serves

log = logging.getLogger(__name__)

# Endpoints that machines call: their errors are JSON (RFC 6749 5.2, RFC 6750 3).
API_PATH = re.compile(r"^/d/[^/]+/((token|par|device_authorization|userinfo|revoke|introspect|"
                      r"jwks|\.well-known/openid-configuration|\.well-known/oauth-authorization-server)$"
                      r"|app/(nonce|approvals|device)(/|$)|api/admin/v1(/|$))")

# Pages that must never be framed or cached: they ask for credentials or show secrets.
# connect-src: the app approval page looks for the app's answer (static/app_approval.js).
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
       "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")

APP_ACTIVATION = re.compile(r"^/d/[^/]+/app/activate$")
PROBES = frozenset({"/healthz", "/readyz"})


class Answer(Response):
    """The app's answers (``Flask.response_class``; Flask makes a view's other responses,
    Authlib's included, into it): a body already in memory is handed to the server as a
    list, which WSGI servers write at once. granian writes any other iterable part by part,
    taking the interpreter for each: about 20 µs of CPU more for a userinfo answer. A
    streamed body (a generator) is handed over as ever."""

    def get_app_iter(self, environ: dict[str, Any]) -> Iterable[bytes]:
        parts = super().get_app_iter(environ)
        if not self.is_sequence:
            return parts
        try:
            return list(parts)
        finally:
            close = getattr(parts, "close", None)
            if close is not None:
                close()  # what the server would call once the list is written


def protective_headers(response: Response) -> Response:
    """Give an answer the headers every answer of the provider carries (``always_headers``);
    a page's CSP and framing ban; no caching unless the view chose otherwise."""
    for name, value in always_headers():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
    # Only discovery, JWKS and static files choose to be cacheable; all else holds secrets.
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def always_headers() -> list[tuple[str, str]]:
    """Return the headers every answer of the provider carries, unless it set them itself:
    no sniffing, HSTS (when configured), no referrer."""
    hsts = services().strict_transport_security
    return [("X-Content-Type-Options", "nosniff"),
            *([("Strict-Transport-Security", hsts)] if hsts else []),
            ("Referrer-Policy", "no-referrer")]


def wants_json() -> bool:
    """Return whether the request is a machine's API call, by path (also on 404 and 405)."""
    if request.method != "GET" and APP_ACTIVATION.match(request.path):
        return True  # the app posts here; people only open the link (GET)
    return request.path in PROBES or API_PATH.match(request.path) is not None


#: The headline of an error page, in words, by the error's code (the code itself is shown
#: below, small, for whoever helps).
HEADLINES = {
    "not_found": lazy_gettext("Page not found"),
    "interaction_expired": lazy_gettext("This login has ended"),
    "slow_down": lazy_gettext("Too many attempts"),
    "access_denied": lazy_gettext("Not allowed"),
    "temporarily_unavailable": lazy_gettext("Temporarily unavailable"),
    "server_error": lazy_gettext("Something went wrong"),
    "invalid_client": lazy_gettext("Unknown app"),
    "unauthorized_client": lazy_gettext("This app may not sign you in"),
}
DEFAULT_HEADLINE = lazy_gettext("Something is not right")


def app_home(redirect_uri: object) -> str | None:
    """Return the address of the app that registered `redirect_uri` (its origin, "/")."""
    if not isinstance(redirect_uri, str):
        return None
    parts = urlsplit(redirect_uri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}/"


def way_back() -> tuple[str, str]:
    """Return where an error page leads back to, and its link text: the app of the login
    (when this browser's login names it), else the directory's account page, else the start."""
    app = g.get("login_app")
    home = app_home(app.redirect_uris[0]) if app is not None and app.redirect_uris else None
    if home is not None:
        return home, str(lazy_gettext("Back to %(app)s", app=app.name))
    directory = g.get("directory")
    if serves(directory) and not g.get("outage"):
        return (url_for("account.profile", slug=directory.slug),
                str(lazy_gettext("Go to your account")))
    return "/", str(lazy_gettext("Go to the start page"))


def error_response(status: int, error: str, description: Any,
                   detail: str | None = None) -> Response:
    """Answer an error as JSON for APIs or as a page for people.

    `description` is best a lazy translation (``lazy_gettext``): the JSON answer reads it in
    English, the page in the page's language. `detail` is the protocol's or a library's own
    English explanation: the JSON answer's ``error_description`` when given, and shown on
    the page below the description, marked as English.
    """
    if wants_json():
        with force_locale("en"):
            text = detail or str(description)
        response = jsonify(error=error, error_description=text)
        response.status_code = status
        return response
    text = str(description)
    try:
        back_url, back_text = way_back()
        body = render_template("error.html", error_code=error, description=text,
                               headline=str(HEADLINES.get(error, DEFAULT_HEADLINE)),
                               detail=detail if detail and detail != text else None,
                               back_url=back_url, back_text=back_text)
    except Exception:  # the error page itself failed: answer plainly, never with a trace
        log.exception("error page failed")
        return Response(f"{error}: {text}\n", status=status, mimetype="text/plain")
    return Response(body, status=status, mimetype="text/html")


def redirect_error(redirect_uri: str, error: str, description: str | None,
                   state: str | None) -> Response:
    """Send an authorization error to a validated redirect URI (RFC 6749 4.1.2.1, RFC 9207)."""
    params = {"error": error}
    if description:
        params["error_description"] = description
    if state:
        params["state"] = state
    params["iss"] = current_issuer()
    return redirect(add_params_to_uri(redirect_uri, params))
