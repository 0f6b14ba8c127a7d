"""Authorization requests an app signs (RFC 9101 request objects) or pushes first (RFC 9126).

Either way, what the authorization endpoint goes on with is plain parameters, resolved once
when the request arrives (``resolve_request``) and kept with the pending login like any
others:

- ``request``: a JWT the app signed with one of its registered keys (``idp.tenants.
  client_keys``). Authlib's ``JWTAuthenticationRequest`` checks the signature and that its
  ``client_id`` is the request's; on top, it must be addressed to this issuer (``aud``) and,
  when it names its issuer, come from the app (``iss``). Only its parameters count (RFC 9101
  6.3); those outside it are ignored.
- ``request_uri``: only the ``urn:ietf:params:oauth:request_uri:`` of a request the same
  app pushed (``push_request``), used once and within ``PUSHED_SECONDS``. A pushed request
  was checked when it was pushed and is marked (``PUSHED``), which an app whose admin
  requires pushed requests needs. No other ``request_uri`` is fetched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc9101 import JWTAuthenticationRequest
from authlib.oauth2.rfc9101.errors import RequestNotSupportedError
from flask import g
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import update

from ..clock import now
from ..errors import IdpError
from ..security.tokens import hash_secret, new_secret, presented_digest
from ..services import services
from ..storage import db
from ..storage.models import Client, PushedRequest
from ..tenants.client_keys import client_keyset
from .models import OAuthClient

PAR_URN = "urn:ietf:params:oauth:request_uri:"
PUSHED_SECONDS = 90
#: Marks the parameters of a pushed request; no parameter an app sends has this name.
PUSHED = "_pushed"
REQUEST_OBJECT_ALGS = ("RS256", "PS256", "ES256")
MAX_REQUEST_OBJECT = 16 * 1024
MAX_REQUEST_URI = len(PAR_URN) + 100


class RequestRefused(IdpError):
    """A request object or request_uri cannot be used: the OAuth error says why."""

    def __init__(self, error: str, detail: str):
        super().__init__(error=error, detail=detail)


class _RequestObjects(JWTAuthenticationRequest):
    """Authlib's request-object checks with the app's keys and our algorithms and clock."""

    claims_validator = jwt.JWTClaimsRegistry(now=lambda: int(now()), leeway=30,
                                             client_id={"essential": True})

    def __init__(self, signed: str) -> None:
        super().__init__(support_request=True, support_request_uri=False)
        self._signed = signed  # the request object: its key may be new at a jwks_uri

    def resolve_client_public_key(self, client: OAuthClient) -> KeySet:
        keys = client_keyset(client.row, self._signed)
        if keys is None:
            raise RequestNotSupportedError(description="The app has registered no keys to "
                                                       "check its request objects with.")
        return keys

    def get_server_metadata(self) -> dict[str, Any]:
        return {"request_object_signing_alg_values_supported": list(REQUEST_OBJECT_ALGS)}

    def get_client_require_signed_request_object(self, client: OAuthClient) -> bool:
        return False


def resolve_request(params: dict[str, str], issuer: str, kept: frozenset[str]
                    ) -> dict[str, str]:
    """Return the parameters a request stands for: its request object's or its pushed
    request's when it has one, otherwise its own. `kept`: the parameters a request may
    carry. Raise RequestRefused when the request object or request_uri cannot be used."""
    if "request" in params and "request_uri" in params:
        raise RequestRefused("invalid_request", "Give 'request' or 'request_uri', not both.")
    if "request_uri" in params:
        return _take_pushed(params)
    if "request" in params:
        return decode_request_object(params, issuer, kept)
    return params


def decode_request_object(params: Mapping[str, str], issuer: str, kept: frozenset[str]
                          ) -> dict[str, str]:
    """Return the parameters of the request object in ``params["request"]`` (RFC 9101 6)."""
    if len(params["request"]) > MAX_REQUEST_OBJECT:
        raise RequestRefused("invalid_request_object", "The request object is too long.")
    oauth_request = OAuth2Request("POST", issuer + "/authorize")
    oauth_request.payload = BasicOAuth2Payload(dict(params))
    try:
        _RequestObjects(params["request"]).parse_authorization_request(services().server,
                                                                       oauth_request)
    except OAuth2Error as exc:
        raise RequestRefused(exc.error, exc.description or "The request object cannot be "
                                                           "used.") from exc
    claims = oauth_request.payload.data
    audience = claims.get("aud")
    if issuer not in (audience if isinstance(audience, list) else [audience]):
        raise RequestRefused("invalid_request_object",
                             "The request object's 'aud' must be this issuer.")
    if "iss" in claims and claims["iss"] != claims["client_id"]:
        raise RequestRefused("invalid_request_object",
                             "The request object's 'iss' must be its client_id.")
    return {name: _as_parameter(name, value) for name, value in claims.items()
            if name in kept and name not in {"request", "request_uri"}}


def _as_parameter(name: str, value: Any) -> str:
    """A request object's value as the query parameter it stands for (OIDC Core 6.1)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if name == "claims" and isinstance(value, dict):
        return json.dumps(value)
    raise RequestRefused("invalid_request_object", f"'{name}' has a value of the wrong type.")


def push_request(client: Client, params: dict[str, str]) -> tuple[str, int]:
    """Keep checked parameters the app pushed (RFC 9126 2); return the request_uri that
    stands for them and how many seconds it may be used in."""
    secret = new_secret(32)
    moment = now()
    db.session.add(PushedRequest(
        uri_hash=hash_secret(secret), directory_id=g.directory.id, client_pk=client.id,
        params={**params, PUSHED: "1"}, expires_at=moment + PUSHED_SECONDS))
    db.session.commit()
    return PAR_URN + secret, PUSHED_SECONDS


def _take_pushed(params: Mapping[str, str]) -> dict[str, str]:
    """Claim the pushed request a request_uri stands for: once, by the app that pushed it,
    before it expires (RFC 9126 4)."""
    request_uri = params["request_uri"]
    digest = presented_digest(request_uri[len(PAR_URN):], MAX_REQUEST_URI) \
        if request_uri.startswith(PAR_URN) else None
    if digest is None:
        raise RequestRefused("request_uri_not_supported",
                             "Only the request_uri of a pushed authorization request is "
                             "accepted.")
    moment = now()
    row = db.session.get(PushedRequest, digest)
    if row is None or row.directory_id != g.directory.id \
            or row.params.get("client_id") != params.get("client_id"):
        raise RequestRefused("invalid_request_uri", "The request_uri is not known for this "
                                                    "client_id.")
    pushed = dict(row.params)
    claimed = db.session.execute(update(PushedRequest).where(
        PushedRequest.uri_hash == digest, PushedRequest.used_at.is_(None),
        PushedRequest.expires_at > moment).values(used_at=moment)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if claimed != 1:
        raise RequestRefused("invalid_request_uri", "The request_uri has expired or was "
                                                    "used before.")
    return pushed
