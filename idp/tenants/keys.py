"""Directory signing keys: creation, rotation, the published JWKS, the signing private key.

A rotation publishes the new keys at once but lets them sign only when every relying
app's cached copy of the JWKS has them (the JWKS cache time later); a retired key stays
published as long as anything it signed may still be checked against it.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from joserfc.jwk import ECKey, Key, KeySet, RSAKey
from sqlalchemy import func, or_, select

from ..security.sealing import Sealer
from ..storage import db
from ..storage.kept import Kept
from ..storage.models import SigningKey

SUPPORTED_ALGS = ("RS256", "ES256")

_cache: dict[str, Key] = {}
_cache_lock = threading.Lock()


def _generate(alg: str) -> Key:
    params = {"alg": alg, "use": "sig"}
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters=params, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=params, private=True)
    raise ValueError(f"unsupported signing algorithm {alg}")


@dataclass(frozen=True)
class RotationPolicy:
    """When rotated keys start signing, and how long retired keys stay published."""

    ahead: float  # a new key is published this long before it signs
    publish_for: float  # a retired key stays published this long after it stopped signing


def rotation_policy(jwks_cache_seconds: float, id_token_ttl: float,
                    session_ttl: float) -> RotationPolicy:
    """Return the rotation policy for a JWKS cache time and the lifetimes of what keys sign.

    The provider signs ID tokens only (access and refresh tokens are opaque). An ID token is
    checked until it expires, and as an ``id_token_hint`` (OIDC Core 3.1.2.1, RP-Initiated
    Logout 1.0 section 2, which accepts an expired one) while the session it came from may
    live; the JWKS cache time is added for clocks that differ.
    """
    return RotationPolicy(ahead=jwks_cache_seconds,
                          publish_for=max(id_token_ttl, session_ttl) + jwks_cache_seconds)


def create_key(directory_id: int, alg: str, sealer: Sealer, now: float,
               signs_from: float | None = None) -> SigningKey:
    """Create and add a new signing key for a directory (not yet committed).

    It is published at once and signs from `signs_from` (default: now).
    """
    key = _generate(alg)
    kid = key.thumbprint()
    public = key.as_dict(private=False)
    public.update({"kid": kid, "alg": alg, "use": "sig"})
    row = SigningKey(directory_id=directory_id, kid=kid, alg=alg, public_jwk=public,
                     private_sealed=sealer.seal(key.as_pem(private=True)), created_at=now,
                     signs_from=now if signs_from is None else signs_from)
    db.session.add(row)
    return row


def ensure_keys(directory_id: int, sealer: Sealer, now: float) -> list[SigningKey]:
    """Give the directory a current key for every supported algorithm it lacks."""
    active = {k.alg for k in active_keys(directory_id)}
    return [create_key(directory_id, alg, sealer, now)
            for alg in SUPPORTED_ALGS if alg not in active]


def active_keys(directory_id: int) -> Iterable[SigningKey]:
    """Return the directory's current keys: signing now, or about to after a rotation."""
    return db.session.scalars(select(SigningKey).where(
        SigningKey.directory_id == directory_id, SigningKey.retired_at.is_(None)))


def rotate_keys(directory_id: int, sealer: Sealer, now: float, *, ahead: float,
                publish_for: float) -> list[SigningKey]:
    """Create new keys that sign from `now + ahead`; the current ones sign until then and
    stay published `publish_for` longer. Returns the new keys."""
    starts = now + ahead
    for row in active_keys(directory_id):
        row.retired_at = starts
        row.publish_until = starts + publish_for
    db.session.flush()
    return [create_key(directory_id, alg, sealer, now, signs_from=starts)
            for alg in SUPPORTED_ALGS]


def published_jwks(directory_id: int, now: float) -> dict:
    """Return the JWKS: current and upcoming keys, and retired keys still in use."""
    return published_keys(directory_id, now)[0]


def published_keys(directory_id: int, now: float) -> tuple[dict, float]:
    """Return the JWKS and the time it next changes by itself (a retired key's publication
    ends), or infinity."""
    rows = list(db.session.scalars(select(SigningKey).where(
        SigningKey.directory_id == directory_id,
        or_(SigningKey.retired_at.is_(None), SigningKey.publish_until > now),
    ).order_by(SigningKey.created_at.desc(), SigningKey.id.desc())))
    ends = [row.publish_until for row in rows if row.publish_until is not None]
    return {"keys": [row.public_jwk for row in rows]}, min(ends, default=math.inf)


def verification_keyset(directory_id: int, now: float) -> KeySet:
    """Return the published keys as a joserfc KeySet, to verify our own ID tokens."""
    return KeySet.import_key_set(published_jwks(directory_id, now))


def signing_key(directory_id: int, alg: str, sealer: Sealer, now: float) -> Key:
    """Return the private key that signs for `alg` at `now`: the newest whose time has come.

    Unsealed once per process; which key that is, is kept in memory for at most
    IDP_CACHE_SECONDS (see ``idp.storage.kept``), and never past the moment a newer key's
    time comes.
    """
    signer = _signing.fetch(db.session, (directory_id, alg),
                            lambda: _signer_now(directory_id, alg, sealer, now),
                            ends=lambda signer: signer.until, moment=now)
    if signer is None:
        raise LookupError(f"directory {directory_id} has no {alg} key that signs now")
    return signer.key


@dataclass(frozen=True)
class _Signer:
    key: Key
    until: float  # when a newer key starts signing, or infinity


_signing: Kept[_Signer] = Kept()


def _signer_now(directory_id: int, alg: str, sealer: Sealer, now: float) -> _Signer | None:
    mine = (SigningKey.directory_id == directory_id, SigningKey.alg == alg)
    row = db.session.scalars(select(SigningKey).where(
        *mine, SigningKey.signs_from <= now).order_by(
        SigningKey.signs_from.desc(), SigningKey.id.desc()).limit(1)).first()
    if row is None:
        return None
    upcoming = db.session.scalar(select(func.min(SigningKey.signs_from)).where(
        *mine, SigningKey.signs_from > now))
    return _Signer(_unsealed(row, sealer), math.inf if upcoming is None else upcoming)


def _unsealed(row: SigningKey, sealer: Sealer) -> Key:
    """Return the row's private key, unsealed once per process."""
    alg = row.alg
    with _cache_lock:
        key = _cache.get(row.kid)
    if key is None:
        pem = sealer.unseal(row.private_sealed)
        loader = RSAKey if alg == "RS256" else ECKey
        key = loader.import_key(pem, parameters={"kid": row.kid, "alg": alg, "use": "sig"})
        with _cache_lock:
            _cache[row.kid] = key
    return key
