"""How errors are answered: JSON for APIs, a page for people, a redirect only to a checked URI.

Machines get the English description (protocol text); people get the page in their language.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from authlib.common.urls import add_params_to_uri
from flask import Response, jsonify, redirect, render_template, request
from flask_babel import force_locale

from ..oidc.server import current_issuer

log = logging.getLogger(__name__)

# Endpoints that machines call: their errors are JSON (RFC 6749 5.2, RFC 6750 3).
API_PATH = re.compile(r"^/d/[^/]+/((token|userinfo|revoke|introspect|jwks|"
                      r"\.well-known/openid-configuration|\.well-known/oauth-authorization-server)$"
                      r"|app/(nonce|approvals|device)(/|$)|api/admin/v1(/|$))")

APP_ACTIVATION = re.compile(r"^/d/[^/]+/app/activate$")
PROBES = frozenset({"/healthz", "/readyz"})


def wants_json() -> bool:
    """Return whether the request is a machine's API call, by path (also on 404 and 405)."""
    if request.method != "GET" and APP_ACTIVATION.match(request.path):
        return True  # the app posts here; people only open the link (GET)
    return request.path in PROBES or API_PATH.match(request.path) is not None


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
        body = render_template("error.html", error=error, description=text,
                               detail=detail if detail and detail != text else None)
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
