"""Step-up for APIs: a Flask decorator that asks for a minimum login level and a maximum
age of the login, and answers a token that falls short as RFC 9470 says.

    from clients.api.stepup import StepUp

    step_up = StepUp(issuer="https://id.example.org/d/default", audience="portal")

    @app.get("/invoices")
    @step_up.requires(acr=30, max_age=12 * 3600)
    def invoices():
        person = step_up.claims()["sub"]
        ...

A request passes with a JWT access token (RFC 9068) of the issuer, signed with one of the
keys it publishes, issued to `audience` (the app that sends it), not expired, whose
``acr`` is at least `acr` and whose ``auth_time`` is at most `max_age` seconds ago. A token
bound to a DPoP key (RFC 9449, ``cnf.jkt``) is taken as ``Authorization: DPoP`` with a
fresh proof by that key naming it (``ath``), each proof once; as a Bearer token it is
refused.
Otherwise it gets a 401 with a ``WWW-Authenticate`` challenge:

- no token: ``Bearer`` alone (RFC 6750 section 3.1);
- a token that is not such a JWT, or is expired or altered: ``Bearer error="invalid_token"``;
- a token whose login falls short: ``Bearer error="insufficient_user_authentication"``
  with ``acr_values`` and ``max_age`` (RFC 9470 section 3), which the app hands the
  provider in a new authorization request (``acr_values=30``, ``max_age=300``) before it
  calls again with the new token.

Authlib's resource protector and its RFC 9068 validator do the checks of the token; this
module adds the level and the age, and keeps the issuer's keys (fetched through its
discovery document, again when a token names a key not seen yet, for a rotation).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import requests
from authlib.integrations.flask_oauth2 import ResourceProtector, current_token
from authlib.oauth2.rfc6749 import OAuth2Error
from authlib.oauth2.rfc6749.errors import MissingAuthorizationError, UnsupportedTokenTypeError
from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from flask import request as flask_request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, KeySet
from joserfc.jws import JWSRegistry, extract_compact
from werkzeug.http import parse_dict_header

#: The algorithms of the DPoP proofs taken, and how fresh a proof must be (seconds).
PROOF_ALGS = ("ES256", "RS256", "PS256", "EdDSA")
PROOF_SECONDS = 60
#: How long the issuer's keys are trusted before they are fetched again anyway.
KEYS_SECONDS = 300
#: At most this often are the keys fetched again for a key id not seen yet.
REFETCH_SECONDS = 10


class InsufficientUserAuthentication(OAuth2Error):
    """The token's login is below the level or older than the age a route needs
    (RFC 9470 section 3)."""

    error = "insufficient_user_authentication"
    status_code = 401

    def __init__(self, description: str, acr_values: str | None, max_age: int | None):
        super().__init__(description=description)
        self.acr_values = acr_values
        self.max_age = max_age

    def get_headers(self) -> list[tuple[str, str]]:
        challenge = [f'error="{self.error}"', f'error_description="{self.description}"']
        if self.acr_values is not None:
            challenge.append(f'acr_values="{self.acr_values}"')
        if self.max_age is not None:
            challenge.append(f'max_age="{self.max_age}"')
        return [*super().get_headers(), ("WWW-Authenticate", "Bearer " + ", ".join(challenge))]


class NoToken(OAuth2Error):
    """A request without a bearer token: challenged without an error code (RFC 6750 3.1)."""

    error = "invalid_request"
    description = "A bearer access token is required."
    status_code = 401

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("WWW-Authenticate", "Bearer")]


class _ProofRegistry(JWSRegistry):
    """joserfc's checks, with room in the header for a proof's public key."""

    max_header_length = 2048


class _IssuerKeys:
    """The issuer's published keys, kept for a while and fetched again for a new key id."""

    def __init__(self, issuer: str, timeout: float = 10):
        self.issuer = issuer
        self.timeout = timeout
        self._keys: KeySet | None = None
        self._fetched = 0.0
        self._lock = threading.Lock()

    def for_token(self, token: str) -> KeySet:
        try:
            kid = extract_compact(token.encode()).headers().get("kid")
        except (JoseError, ValueError):
            kid = None
        with self._lock:
            age = time.monotonic() - self._fetched
            known = self._keys is not None and \
                any(key.kid == kid for key in self._keys.keys)
            if self._keys is None or age > KEYS_SECONDS or \
                    (kid and not known and age > REFETCH_SECONDS):
                self._keys = self._fetch()
                self._fetched = time.monotonic()
            return self._keys

    def _fetch(self) -> KeySet:
        metadata = requests.get(self.issuer + "/.well-known/openid-configuration",
                                timeout=self.timeout)
        metadata.raise_for_status()
        jwks = requests.get(metadata.json()["jwks_uri"], timeout=self.timeout)
        jwks.raise_for_status()
        return KeySet.import_key_set(jwks.json())


class _Validator(JWTBearerTokenValidator):
    """Authlib's RFC 9068 validator with the issuer's keys, requiring ``typ`` at+jwt."""

    def __init__(self, issuer: str, audience: str, keys: _IssuerKeys):
        super().__init__(issuer=issuer, resource_server=audience)
        self.keys = keys
        self._token = threading.local()

    def authenticate_token(self, token_string: str):
        self._token.value = token_string
        return super().authenticate_token(token_string)

    def get_jwks(self) -> KeySet:
        try:
            return self.keys.for_token(self._token.value)
        except (requests.RequestException, ValueError, KeyError) as exc:
            raise InvalidTokenError(description="The issuer's keys cannot be read.") from exc

    def validate_token(self, token, scopes, request, **kwargs) -> None:
        # RFC 9068 section 4: the header's typ must say it is an access token (an ID
        # token, typ JWT, is refused too).
        if str(token.header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            raise InvalidTokenError(description="Not a JWT access token.")
        super().validate_token(token, scopes, request, **kwargs)


class _BearerValidator(_Validator):
    """Bearer tokens: a token bound to a DPoP key (``cnf.jkt``) is none (RFC 9449 7.2)."""

    def validate_token(self, token, scopes, request, **kwargs) -> None:
        super().validate_token(token, scopes, request, **kwargs)
        if "cnf" in token:
            raise InvalidTokenError(description="A DPoP-bound token needs a DPoP proof.")


class _DPoPValidator(_Validator):
    """DPoP-bound tokens (``Authorization: DPoP``), each with a fresh proof by its key
    naming it (RFC 9449 7.1), each proof used once."""

    TOKEN_TYPE = "dpop"  # noqa: S105 (the scheme)

    def __init__(self, issuer: str, audience: str, keys: _IssuerKeys,
                 clock: Callable[[], float]):
        super().__init__(issuer, audience, keys)
        self.clock = clock
        self._seen: dict[str, float] = {}
        self._seen_lock = threading.Lock()

    def validate_token(self, token, scopes, request, **kwargs) -> None:
        super().validate_token(token, scopes, request, **kwargs)
        bound = (token.get("cnf") or {}).get("jkt") if isinstance(token.get("cnf"), dict) \
            else None
        if not bound:
            raise InvalidTokenError(description="The token is not bound to a DPoP key.")
        proofs = flask_request.headers.getlist("DPoP")
        if len(proofs) != 1:
            raise InvalidDPoPProof("Exactly one DPoP proof is needed.")
        jkt, jti = self._check_proof(proofs[0], self._token.value)
        if jkt != bound:
            raise InvalidDPoPProof("The proof is not made with the token's key.")
        with self._seen_lock:
            now = self.clock()
            self._seen = {key: at for key, at in self._seen.items()
                          if now - at <= 2 * PROOF_SECONDS}
            if jti in self._seen:
                raise InvalidDPoPProof("The proof was used before.")
            self._seen[jti] = now

    def _check_proof(self, proof: str, access_token: str) -> tuple[str, str]:
        """Check a proof for this request and token; return its key's thumbprint and jti."""
        try:
            header = extract_compact(proof.encode(), registry=_ProofRegistry()).headers()
            key = JWKRegistry.import_key(header["jwk"])
            claims = jwt.decode(proof, key, algorithms=[header["alg"]],
                                registry=_ProofRegistry(algorithms=[header["alg"]])).claims
        except (JoseError, ValueError, TypeError, KeyError, UnicodeError) as exc:
            raise InvalidDPoPProof("The proof is not a JWT signed by its jwk.") from exc
        if header.get("typ") != "dpop+jwt" or header.get("alg") not in PROOF_ALGS \
                or key.is_private:
            raise InvalidDPoPProof("The proof needs typ dpop+jwt and a public asymmetric key.")
        digest = hashlib.sha256(access_token.encode()).digest()
        ath = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        iat = claims.get("iat")
        if claims.get("htm") != flask_request.method \
                or claims.get("htu") != flask_request.base_url or claims.get("ath") != ath \
                or not isinstance(iat, int) or abs(self.clock() - iat) > PROOF_SECONDS \
                or not isinstance(claims.get("jti"), str):
            raise InvalidDPoPProof("The proof is not for this request and token.")
        return key.thumbprint(), claims["jti"]


class InvalidDPoPProof(OAuth2Error):
    """A DPoP proof that does not hold (RFC 9449 7.1)."""

    error = "invalid_dpop_proof"
    status_code = 401

    def get_headers(self) -> list[tuple[str, str]]:
        challenge = f'DPoP error="{self.error}", algs="{" ".join(PROOF_ALGS)}"'
        return [*super().get_headers(), ("WWW-Authenticate", challenge)]


class StepUp:
    """Protects routes of a Flask API with a minimum level and a maximum login age."""

    def __init__(self, issuer: str, audience: str,
                 clock: Callable[[], float] = time.time):
        self.clock = clock
        self.protector = ResourceProtector()
        keys = _IssuerKeys(issuer.rstrip("/"))
        self.protector.register_token_validator(
            _BearerValidator(issuer.rstrip("/"), audience, keys))
        self.protector.register_token_validator(
            _DPoPValidator(issuer.rstrip("/"), audience, keys, clock))

    def requires(self, acr: int, max_age: int | None = None, scope: str | None = None):
        """Decorate a route: its token's login must be at least `acr` points and at most
        `max_age` seconds old."""

        def decorate(view):
            @wraps(view)
            def guarded(*args: Any, **kwargs: Any):
                try:
                    try:
                        token = self.protector.acquire_token(scope)
                    except (MissingAuthorizationError, UnsupportedTokenTypeError) as exc:
                        raise NoToken() from exc
                    self.check_login(token, acr, max_age)
                except OAuth2Error as error:
                    self.protector.raise_error_response(error)
                return view(*args, **kwargs)

            return guarded

        return decorate

    def check_login(self, token, acr: int, max_age: int | None) -> None:
        """Refuse a login below `acr` or older than `max_age` (RFC 9470 section 3)."""
        reached = level_of(token.get("acr"))
        if reached < acr:
            raise InsufficientUserAuthentication(
                f"This needs a login of level {acr}; yours reached {reached}.",
                str(acr), max_age)
        auth_time = token.get("auth_time")
        if max_age is not None and (not isinstance(auth_time, int)
                                    or self.clock() - auth_time > max_age):
            raise InsufficientUserAuthentication(
                f"This needs a login of the last {max_age} seconds.", str(acr), max_age)

    @staticmethod
    def claims() -> dict[str, Any]:
        """Return the claims of the current request's token."""
        return dict(current_token)


def level_of(acr: object) -> int:
    """Return the points of an acr value, or 0 when it is not a decimal number."""
    text = str(acr)
    return int(text) if text.isascii() and text.isdecimal() and len(text) <= 6 else 0


def challenge_of(response: requests.Response) -> dict[str, str] | None:
    """Read RFC 9470's challenge from an API's answer: its ``acr_values`` and ``max_age``
    when the answer is a 401 ``insufficient_user_authentication``, else None. For apps
    that call such an API."""
    if response.status_code != 401:
        return None
    header = response.headers.get("WWW-Authenticate", "")
    if not header.lower().startswith("bearer "):
        return None
    params = _auth_params(header[len("bearer "):])
    if params.get("error") != InsufficientUserAuthentication.error:
        return None
    return {key: params[key] for key in ("acr_values", "max_age") if key in params}


def _auth_params(text: str) -> dict[str, str]:
    """Parse ``name="value", name=token`` pairs of a challenge (RFC 9110 section 11.2)."""
    return {key: value for key, value in parse_dict_header(text).items() if value is not None}
