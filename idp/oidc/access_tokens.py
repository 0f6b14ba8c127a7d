"""Access tokens: opaque strings, or signed JWTs (RFC 9068) for the apps whose admin chose
them, so that an API checks the login's level itself.

A JWT access token carries what RFC 9068 section 2.2 names (iss, exp, aud, sub,
client_id, iat, jti, scope) and the login it stands for: ``acr``, ``amr`` and
``auth_time`` (section 2.2.1), which an API needs to answer RFC 9470's
``insufficient_user_authentication``. It is signed with the directory's key of the
app's ID-token algorithm, ``typ`` ``at+jwt`` and the key's ``kid`` in its header, and is
stored as any token is (its hash), so userinfo, introspection and revocation treat both
kinds alike. A token bound to a DPoP key (RFC 9449) is of ``token_type`` ``DPoP`` and, as a
JWT, names the key's thumbprint in ``cnf.jkt``.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from flask import g
from joserfc.jwk import KeySet

from ..clock import now as clock_now
from ..services import services
from ..storage.models import AuthorizationCode, DeviceAuthorization, Token
from ..tenants.directories import issuer_of
from ..tenants.keys import SUPPORTED_ALGS, signing_key
from .claims import app_subject


def issue_moment() -> float:
    """Return the moment the tokens of this request are issued at, read once: a JWT's iat
    and exp and the stored token's times (what introspection says) agree to the second."""
    if "token_moment" not in g:
        g.token_moment = clock_now()
    return g.token_moment


def hand_login(source: AuthorizationCode | DeviceAuthorization | Token) -> None:
    """Say which login the tokens being made stand for: the code being exchanged, the
    device request a login approved, or the token whose refresh token is being used."""
    g.token_login = source


class JwtAccessTokens(JWTBearerTokenGenerator):
    """Authlib's RFC 9068 generator with the directory's key, issuer, clock and login."""

    def __init__(self, alg: str, opaque: BearerTokenGenerator):
        super().__init__(issuer="", alg=alg,
                         refresh_token_generator=opaque.refresh_token_generator,
                         expires_generator=opaque.expires_generator)

    def get_jwks(self) -> KeySet:
        # A key set of one: joserfc names the key's kid in the header.
        return KeySet([signing_key(g.directory.id, self.alg, services().sealer, clock_now())])

    def get_extra_claims(self, client, grant_type: str, user, scope: str) -> dict[str, Any]:
        # Applied last: our issuer and clock stand in for Authlib's.
        login: AuthorizationCode | DeviceAuthorization | Token = g.token_login
        issued = int(issue_moment())
        claims = {"iss": issuer_of(g.directory, services().base_url), "iat": issued,
                  "sub": app_subject(client.row, user),
                  "exp": issued + self.expires_generator(client, grant_type),
                  "acr": login.acr, "amr": list(login.amr or []), "auth_time": login.auth_time}
        if g.get("dpop") is not None:
            claims["cnf"] = {"jkt": g.dpop.jkt}  # RFC 9449 6.1
        return claims


class AccessTokens:
    """The token generator of the code and refresh grants: each app gets the kind its
    admin chose."""

    def __init__(self, opaque: BearerTokenGenerator):
        self.opaque = opaque
        self.jwt = {alg: JwtAccessTokens(alg, opaque) for alg in SUPPORTED_ALGS}

    def __call__(self, grant_type: str, client, user=None, scope=None, expires_in=None,
                 include_refresh_token: bool = True) -> dict[str, Any]:
        generator = self.jwt[client.row.id_token_alg] if client.row.jwt_access_tokens \
            else self.opaque
        token = generator(grant_type, client, user=user, scope=scope, expires_in=expires_in,
                          include_refresh_token=include_refresh_token)
        if g.get("dpop") is not None:
            token["token_type"] = "DPoP"  # noqa: S105 (bound to the proof's key, RFC 9449 5)
        return token
