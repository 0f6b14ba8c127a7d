"""How errors are answered: JSON for APIs, a page for people, a redirect only to a checked URI."""

from __future__ import annotations

import logging
import re

from authlib.common.urls import add_params_to_uri
from flask import Response, jsonify, redirect, render_template, request

from ..oidc.server import current_issuer

log = logging.getLogger(__name__)

# Endpoints that machines call: their errors are JSON (RFC 6749 5.2, RFC 6750 3).
API_PATH = re.compile(r"^/d/[^/]+/((token|userinfo|revoke|introspect|jwks|"
                      r"\.well-known/openid-configuration|\.well-known/oauth-authorization-server)$"
                      r"|app/(nonce|approvals|device)(/|$))")

APP_ACTIVATION = re.compile(r"^/d/[^/]+/app/activate$")


def wants_json() -> bool:
    """Return whether the request is a machine's API call, by path (also on 404 and 405)."""
    if request.method != "GET" and APP_ACTIVATION.match(request.path):
        return True  # the app posts here; people only open the link (GET)
    return API_PATH.match(request.path) is not None


def error_response(status: int, error: str, description: str) -> Response:
    """Answer an error as JSON for APIs or as a page for people."""
    if wants_json():
        response = jsonify(error=error, error_description=description)
        response.status_code = status
        return response
    try:
        body = render_template("error.html", error=error, description=description)
    except Exception:  # the error page itself failed: answer plainly, never with a trace
        log.exception("error page failed")
        return Response(f"{error}: {description}\n", status=status, mimetype="text/plain")
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
