"""DPoP (RFC 9449): access tokens bound to a key the app holds, proven with each request.

An app that sends a ``DPoP`` proof to the token endpoint gets ``token_type`` ``DPoP``: its
access token is bound to the proof's key (its JWK SHA-256 thumbprint, ``jkt``), and so is
the refresh token of a public app, whose refresh then needs a proof by the same key. A
bound access token works only with a proof by that key naming it (``ath``); sent as a
Bearer token it is refused. An app whose admin requires DPoP gets no token without a proof.

A proof (section 4.3) is a JWT with ``typ`` ``dpop+jwt``, an asymmetric ``alg`` of
``PROOF_ALGS``, the public key in its ``jwk`` header, and the claims ``jti``, ``htm`` (the
request's method), ``htu`` (its URL without query), ``iat`` (within ``PROOF_SECONDS`` of
the provider's clock) and, at the token endpoint, the provider's ``nonce``. Each ``jti`` is
spent once per key in the database every instance shares (``idp.security.once``), so a
replay is refused at any instance.

Nonces (section 8) cost no storage: a nonce is a keyed hash of the current
``NONCE_SECONDS`` window with the installation's key, valid in its window and the next,
the same at every instance. The token endpoint requires one: a proof without it is
answered ``use_dpop_nonce`` with a fresh one in ``DPoP-Nonce``, and every DPoP answer of
the token endpoint carries the current one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey

from ..clock import now
from ..errors import IdpError
from ..security.once import spend_now

PROOF_ALGS = ("ES256", "RS256", "PS256", "EdDSA")
PROOF_SECONDS = 60
NONCE_SECONDS = 300
MAX_PROOF = 8192
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class _ProofRegistry(jws.JWSRegistry):
    """joserfc's checks, with room in the header for the public key (an RSA key's ``jwk``
    is longer than joserfc's default bound)."""

    max_header_length = 2048


class DPoPError(IdpError):
    """A DPoP proof that cannot be accepted (RFC 9449 7.1): ``invalid_dpop_proof``, or
    ``use_dpop_nonce`` with the nonce to use in ``DPoP-Nonce``."""

    def __init__(self, detail: str, error: str = "invalid_dpop_proof",
                 nonce: str | None = None, status: int = 400,
                 challenge: str | None = None):
        super().__init__(error=error, detail=detail, status=status)
        headers = []
        if nonce is not None:
            headers.append(("DPoP-Nonce", nonce))
        if challenge is not None:
            headers.append(("WWW-Authenticate", challenge))
        self.headers = tuple(headers)


@dataclass(frozen=True)
class Proof:
    """A checked proof: the thumbprint of its key."""

    jkt: str


def access_token_hash(token: str) -> str:
    """Return ``ath``: the base64url SHA-256 of an access token (RFC 9449 4.2)."""
    digest = hashlib.sha256(token.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def nonce_of(window: int, digest: Callable[[str], str]) -> str:
    """Return the nonce of a time window (``digest``: the installation's keyed hash)."""
    return digest(f"dpop-nonce:{window}")[:32]


def current_nonce(digest: Callable[[str], str]) -> str:
    """Return the nonce the provider hands out now."""
    return nonce_of(int(now() // NONCE_SECONDS), digest)


def _nonce_good(nonce: object, digest: Callable[[str], str]) -> bool:
    window = int(now() // NONCE_SECONDS)
    return isinstance(nonce, str) and nonce in {nonce_of(window, digest),
                                                nonce_of(window - 1, digest)}


def check_proof(header_values: list[str], method: str, url: str,
                digest: Callable[[str], str], *, access_token: str | None = None,
                need_nonce: bool = False) -> Proof:
    """Check the request's one DPoP proof for `method` and `url` (section 4.3); with
    `access_token`, that it names it (``ath``). Raise DPoPError when it fails."""
    if len(header_values) != 1:
        raise DPoPError("Exactly one DPoP header is needed.")
    proof = header_values[0]
    if len(proof) > MAX_PROOF:
        raise DPoPError("The DPoP proof is too long.")
    try:
        header = jws.extract_compact(proof.encode("ascii"), registry=_ProofRegistry()).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise DPoPError("The DPoP proof is not a JWT.") from exc
    jwk = header.get("jwk")
    if header.get("typ") != "dpop+jwt" or header.get("alg") not in PROOF_ALGS \
            or not isinstance(jwk, dict) or PRIVATE_MEMBERS & jwk.keys():
        raise DPoPError("The DPoP proof needs typ dpop+jwt, an asymmetric alg and a public "
                        "jwk.")
    try:
        key = _public_key(jwk)
        verified = jws.deserialize_compact(proof, key, registry=_ProofRegistry(
            algorithms=[header["alg"]]))
        claims = json.loads(verified.payload)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise DPoPError("The DPoP proof's signature does not verify with its jwk.") from exc
    if not isinstance(claims, dict):
        raise DPoPError("The DPoP proof's claims are not a JSON object.")
    _check_claims(claims, method, url, access_token)
    if need_nonce and not _nonce_good(claims.get("nonce"), digest):
        raise DPoPError("Use the nonce the provider gives.", "use_dpop_nonce",
                        current_nonce(digest))
    jkt = key.thumbprint()
    if not spend_now(f"dpop:{jkt}:{claims['jti']}", float(claims["iat"]) + 2 * PROOF_SECONDS):
        raise DPoPError("The DPoP proof was used before.")
    return Proof(jkt)


def _public_key(jwk: dict[str, Any]):
    kinds = {"EC": ECKey, "RSA": RSAKey, "OKP": OKPKey}
    kind = kinds.get(jwk.get("kty"))  # type: ignore[arg-type]
    if kind is None:
        raise ValueError("unsupported key type")
    return kind.import_key(jwk)


def _check_claims(claims: dict[str, Any], method: str, url: str,
                  access_token: str | None) -> None:
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not 0 < len(jti) <= 200:
        raise DPoPError("The DPoP proof needs a jti.")
    if claims.get("htm") != method:
        raise DPoPError("The DPoP proof's htm is not this request's method.")
    htu = claims.get("htu")
    if not isinstance(htu, str) or htu.split("?", 1)[0].split("#", 1)[0] != url:
        raise DPoPError("The DPoP proof's htu is not this endpoint.")
    if not isinstance(iat, int | float) or isinstance(iat, bool) \
            or abs(now() - iat) > PROOF_SECONDS:
        raise DPoPError("The DPoP proof was not made just now (iat).")
    if access_token is not None and claims.get("ath") != access_token_hash(access_token):
        raise DPoPError("The DPoP proof does not name this access token (ath).")
