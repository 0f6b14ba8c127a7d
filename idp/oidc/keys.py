"""Directory signing keys: creation, rotation, the published JWKS, the active private key."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from joserfc.jwk import ECKey, Key, KeySet, RSAKey
from sqlalchemy import or_, select

from ..security.sealing import Sealer
from ..storage import db
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


def create_key(directory_id: int, alg: str, sealer: Sealer, now: float) -> SigningKey:
    """Create and add a new signing key for a directory (not yet committed)."""
    key = _generate(alg)
    kid = key.thumbprint()
    public = key.as_dict(private=False)
    public.update({"kid": kid, "alg": alg, "use": "sig"})
    row = SigningKey(directory_id=directory_id, kid=kid, alg=alg, public_jwk=public,
                     private_sealed=sealer.seal(key.as_pem(private=True)), created_at=now)
    db.session.add(row)
    return row


def ensure_keys(directory_id: int, sealer: Sealer, now: float) -> list[SigningKey]:
    """Give the directory an active key for every supported algorithm it lacks."""
    active = {k.alg for k in active_keys(directory_id)}
    return [create_key(directory_id, alg, sealer, now)
            for alg in SUPPORTED_ALGS if alg not in active]


def active_keys(directory_id: int) -> Iterable[SigningKey]:
    """Return the directory's keys that sign new tokens."""
    return db.session.scalars(select(SigningKey).where(
        SigningKey.directory_id == directory_id, SigningKey.retired_at.is_(None)))


def rotate_keys(directory_id: int, sealer: Sealer, now: float,
                publish_for: float) -> list[SigningKey]:
    """Retire the active keys (published `publish_for` more seconds) and create new ones."""
    for row in active_keys(directory_id):
        row.retired_at = now
        row.publish_until = now + publish_for
    db.session.flush()
    return [create_key(directory_id, alg, sealer, now) for alg in SUPPORTED_ALGS]


def published_jwks(directory_id: int, now: float) -> dict:
    """Return the JWKS: active keys and retired keys whose tokens may still be valid."""
    rows = db.session.scalars(select(SigningKey).where(
        SigningKey.directory_id == directory_id,
        or_(SigningKey.retired_at.is_(None), SigningKey.publish_until > now),
    ).order_by(SigningKey.created_at.desc(), SigningKey.id.desc()))
    return {"keys": [row.public_jwk for row in rows]}


def verification_keyset(directory_id: int, now: float) -> KeySet:
    """Return the published keys as a joserfc KeySet, to verify our own ID tokens."""
    return KeySet.import_key_set(published_jwks(directory_id, now))


def signing_key(directory_id: int, alg: str, sealer: Sealer) -> Key:
    """Return the active private key for `alg`, unsealed once per process."""
    row = db.session.scalars(select(SigningKey).where(
        SigningKey.directory_id == directory_id, SigningKey.alg == alg,
        SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc()).limit(1)).first()
    if row is None:
        raise LookupError(f"directory {directory_id} has no active {alg} key")
    with _cache_lock:
        key = _cache.get(row.kid)
    if key is None:
        pem = sealer.unseal(row.private_sealed)
        loader = RSAKey if alg == "RS256" else ECKey
        key = loader.import_key(pem, parameters={"kid": row.kid, "alg": alg, "use": "sig"})
        with _cache_lock:
            _cache[row.kid] = key
    return key
