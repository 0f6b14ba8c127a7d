"""JWT client authentication (RFC 7523 2.2, OIDC Core 9 ``private_key_jwt``).

Authlib checks the assertion: its signature by one of the app's registered keys, ``iss``
and ``sub`` both the client id, ``aud`` one of ours, ``exp``. On top of that:

- the audience may be the issuer or the endpoint the assertion is sent to (the token,
  pushed authorization, revocation, introspection or device authorization endpoint);
- an assertion lives at most ``MAX_ASSERTION_SECONDS``, and its ``jti`` is spent on first
  use (``idp.security.once.spend_now``), in the database every instance shares, until it
  expires: a replay is refused whatever became of the request it first authenticated;
- only the asymmetric algorithms of ``ASSERTION_ALGS`` are accepted.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import request as flask_request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..clock import now
from ..security.once import spend_now
from ..tenants.client_keys import client_keyset
from .models import OAuthClient

METHOD = "private_key_jwt"
#: How a confidential app may authenticate (each app by one kind: its secret, or its key).
CONFIDENTIAL_AUTH = ["client_secret_basic", "client_secret_post", METHOD]
ASSERTION_ALGS = ("RS256", "PS256", "ES256")
MAX_ASSERTION_SECONDS = 3600
MAX_ASSERTION_LENGTH = 8192
ENDPOINTS = ("token", "par", "revoke", "introspect", "device_authorization")


class PrivateKeyJwt(JWTBearerClientAssertion):
    """Authlib's JWT bearer client assertion, as ``private_key_jwt`` of our apps."""

    CLIENT_AUTH_METHOD = METHOD

    def __init__(self, issuer) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self._issuer = issuer  # a function: the issuer of the directory being served

    def __call__(self, query_client, request):
        """Authenticate the app by its assertion; refused as a wrong secret is (401)."""
        try:
            if len(request.form.get("client_assertion") or "") > MAX_ASSERTION_LENGTH:
                raise InvalidClientError(description="The client assertion is too long.")
            return super().__call__(query_client, request)
        except InvalidClientError as exc:
            exc.status_code = 401
            raise

    def get_audiences(self) -> list[str]:
        issuer = self._issuer()
        return [issuer, *(f"{issuer}/{endpoint}" for endpoint in ENDPOINTS)]

    def resolve_client_public_key(self, client: OAuthClient) -> KeySet:
        keys = client_keyset(client.row, flask_request.form.get("client_assertion", ""))
        if keys is None:
            raise InvalidClientError(description="The client has no keys to check its "
                                                 "assertion with.")
        return keys

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(ASSERTION_ALGS))
        except (JoseError, ValueError) as exc:
            raise InvalidClientError(description="The client assertion is not signed by "
                                                 "one of the client's keys.") from exc
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims: jwt.Claims) -> None:
        """Authlib's checks of the claims (RFC 7523 3), against the provider's clock."""
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(now()), leeway=self.leeway, iss={"essential": True},
            sub={"essential": True}, aud={"essential": True, "values": self.get_audiences()},
            exp={"essential": True})
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidClientError(description=exc.description) from exc
        if claims["sub"] != claims["iss"]:
            raise InvalidClientError(description="The assertion's iss and sub must both be "
                                                 "the client_id.")
        if not self.validate_jti(claims, claims.get("jti")):
            raise InvalidClientError(description="The assertion was used before.")

    def validate_jti(self, claims, jti) -> bool:
        expires = claims.get("exp")
        if not isinstance(jti, str) or not 0 < len(jti) <= 200 \
                or not isinstance(expires, int | float) \
                or expires > now() + MAX_ASSERTION_SECONDS:
            raise InvalidClientError(description=f"A client assertion needs a jti and "
                                                 f"expires within {MAX_ASSERTION_SECONDS} s.")
        return spend_now(f"client-assertion:{self._issuer()}:{claims['iss']}:{jti}",
                         float(expires) + self.leeway)
