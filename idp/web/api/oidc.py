"""The machine-facing endpoints of a directory: discovery, JWKS, token, pushed authorization
requests, device authorization, userinfo, revocation, introspection. Authlib does the
protocol; these handlers only hand it the request."""

from __future__ import annotations

import math

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, g, jsonify, request
from werkzeug.wrappers import Response

from ...clock import now
from ...errors import IdpError
from ...oidc.client_auth import CONFIDENTIAL_AUTH
from ...oidc.metadata import provider_metadata
from ...oidc.request_objects import push_request
from ...oidc.server import current_issuer, dpop_nonce, token_request_proof
from ...services import services
from ...tenants.keys import published_keys
from ..context import load_directory
from ..login.authorize import pushed_params
from ..published import PUBLISH_UNTIL

api = Blueprint("api", __name__, url_prefix="/d/<slug>")

api.url_value_preprocessor(load_directory)

FORM = "application/x-www-form-urlencoded"


def _cacheable(response, seconds: int):
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _require_form() -> None:
    """Token-style endpoints take form bodies only (RFC 6749 3.2, RFC 7009 2.1, RFC 7662 2.1)."""
    if request.mimetype != FORM:
        raise IdpError(f"The request body must be {FORM}.")


@api.get("/.well-known/openid-configuration")
def discovery():
    """Serve the provider metadata (OpenID Connect Discovery 1.0 section 4)."""
    request.environ[PUBLISH_UNTIL] = math.inf  # changes only with the directory
    return _cacheable(jsonify(provider_metadata(current_issuer(), ["en", "nl"])), 300)


@api.get("/.well-known/oauth-authorization-server")
def oauth_metadata():
    """Serve the same metadata for OAuth clients (RFC 8414)."""
    return discovery()


@api.get("/jwks")
def jwks():
    """Serve the directory's public signing keys, including recently retired ones."""
    keys, changes_at = published_keys(g.directory.id, now())
    request.environ[PUBLISH_UNTIL] = changes_at
    return _cacheable(jsonify(keys), services().jwks_cache_seconds)


@api.post("/token")
def token():
    """Exchange a code or refresh token (RFC 6749 section 3.2)."""
    _require_form()
    proof = token_request_proof()
    response = services().server.create_token_response()
    if proof is not None:
        response.headers["DPoP-Nonce"] = dpop_nonce()
    return response


@api.post("/par")
def pushed_authorization_request():
    """Keep an app's authorization request for the authorization endpoint (RFC 9126 2)."""
    _require_form()
    server = services().server
    oauth_request = server.create_oauth2_request(None)
    try:
        client = server.authenticate_client(oauth_request, [*CONFIDENTIAL_AUTH, "none"],
                                            endpoint="par")
    except OAuth2Error as error:
        return server.handle_error_response(oauth_request, error)
    params = pushed_params(request.form.to_dict(flat=False), client.row)
    request_uri, seconds = push_request(client.row, params)
    response = jsonify(request_uri=request_uri, expires_in=seconds)
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@api.post("/device_authorization")
def device_authorization():
    """Give a device its device code and the user code for the person (RFC 8628 3.1, 3.2)."""
    _require_form()
    return services().server.create_endpoint_response("device_authorization")


@api.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    """Return claims about the token's user (OIDC Core 5.3)."""
    return open_to_apps(services().server.create_endpoint_response("userinfo"))


#: Lets a web app's script read userinfo's answer from any origin (CORS): the bearer
#: token, not a cookie, is what it is answered for.
OPEN_TO_APPS = ("Access-Control-Allow-Origin", "*")


def open_to_apps(response: Response) -> Response:
    """Give userinfo's answer the header ``OPEN_TO_APPS``."""
    name, value = OPEN_TO_APPS
    response.headers[name] = value
    return response


@api.post("/revoke")
def revoke():
    """Revoke a token (RFC 7009)."""
    _require_form()
    return services().server.create_endpoint_response("revocation")


@api.post("/introspect")
def introspect():
    """Describe a token to a client of the directory (RFC 7662)."""
    _require_form()
    return services().server.create_endpoint_response("introspection")
