"""An app's public keys: registered by value (a JWK Set) or published at its ``jwks_uri``.

They verify what the app signs: its JWT client authentication (RFC 7523 ``private_key_jwt``)
and its request objects (RFC 9101). Only public RSA and EC keys are taken: a registered
set holding a private or symmetric key is refused, so an admin pasting the wrong half of
a key pair learns it at once.

A ``jwks_uri`` is fetched when first needed and kept ``FETCHED_SECONDS``; a signature by a
key the kept set does not hold fetches it again (the app rolled its keys), at most once per
``REFETCH_SECONDS``. The fetch follows no redirect, reads at most ``MAX_JWKS_BYTES`` and
gives up after a few seconds: an app whose keys cannot be fetched cannot authenticate,
and nothing else waits on it.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import requests
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..clock import now
from ..storage.models import Client

MAX_KEYS = 20
MAX_JWKS_BYTES = 64 * 1024
FETCHED_SECONDS = 300.0
REFETCH_SECONDS = 30.0
FETCH_TIMEOUT = (3.0, 5.0)
ACCEPTED_TYPES = frozenset({"RSA", "EC"})
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


class ClientKeyError(ValueError):
    """An app's keys are not a usable JWK Set of public keys."""


def check_jwks(value: Any) -> dict[str, Any]:
    """Return `value` (a JWK Set, as JSON text or decoded) when it holds 1 to ``MAX_KEYS``
    public RSA or EC keys that joserfc can use; raise ClientKeyError otherwise."""
    if isinstance(value, str):
        if len(value) > MAX_JWKS_BYTES:
            raise ClientKeyError("the key set is too long")
        try:
            value = json.loads(value)
        except (ValueError, RecursionError) as exc:
            raise ClientKeyError("the key set is not JSON") from exc
    keys = value.get("keys") if isinstance(value, dict) else None
    if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_KEYS:
        raise ClientKeyError(f'a key set is a JSON object {{"keys": [...]}} with 1 to '
                             f'{MAX_KEYS} keys')
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in ACCEPTED_TYPES:
            raise ClientKeyError("each key is an RSA or EC public key (kty RSA or EC)")
        if PRIVATE_MEMBERS & key.keys():
            raise ClientKeyError("the key set holds a private key: register only the "
                                 "public keys")
    try:
        KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ClientKeyError(f"a key cannot be read: {exc}") from exc
    return {"keys": keys}


def has_keys(client: Client) -> bool:
    """Return whether the app registered keys (by value or by URI)."""
    return bool(client.jwks or client.jwks_uri)


class _Fetched:
    """Key sets fetched from apps' ``jwks_uri``, by app and URI."""

    def __init__(self) -> None:
        self._sets: dict[tuple[int, str], tuple[KeySet, float]] = {}
        self._lock = threading.Lock()

    def get(self, client: Client, kid: str | None) -> KeySet | None:
        key = (client.id, client.jwks_uri or "")
        moment = now()
        kept = self._sets.get(key)
        if kept is not None:
            keyset, fetched_at = kept
            fresh = moment - fetched_at < FETCHED_SECONDS
            known = kid is None or any(k.kid == kid for k in keyset.keys)
            if fresh and (known or moment - fetched_at < REFETCH_SECONDS):
                return keyset
        keyset = _fetch(client.jwks_uri or "")
        if keyset is None:
            return kept[0] if kept is not None and moment - kept[1] < FETCHED_SECONDS \
                else None
        with self._lock:
            self._sets[key] = (keyset, moment)
        return keyset

    def clear(self) -> None:
        self._sets.clear()


_fetched = _Fetched()


def _fetch(uri: str) -> KeySet | None:
    """Fetch a key set; None when it cannot be fetched or is not a set of public keys."""
    try:
        with requests.get(uri, timeout=FETCH_TIMEOUT, allow_redirects=False, stream=True,
                          headers={"Accept": "application/jwk-set+json, application/json"}
                          ) as response:
            if response.status_code != 200:
                return None
            body = bytearray()
            for chunk in response.iter_content(chunk_size=8192):
                body.extend(chunk)
                if len(body) > MAX_JWKS_BYTES:
                    return None
        return KeySet.import_key_set(check_jwks(body.decode("utf-8")))
    except (requests.RequestException, UnicodeError, ClientKeyError):
        return None


def client_keyset(client: Client, signed: str | None = None) -> KeySet | None:
    """Return the app's public keys, or None when it has none (or they cannot be fetched).

    `signed`: what the keys are to check (a compact JWS or JWT); the key its header names
    fetches a published set again when the kept one does not hold it."""
    if client.jwks:
        return KeySet.import_key_set(client.jwks)
    if client.jwks_uri:
        return _fetched.get(client, _named_kid(signed) if signed else None)
    return None


def _named_kid(signed: str) -> str | None:
    """Return the ``kid`` a compact JWS's header names, if it names one."""
    try:
        kid = jws.extract_compact(signed.encode()).headers().get("kid")
    except (JoseError, ValueError, UnicodeError):
        return None
    return kid if isinstance(kid, str) else None


def forget_fetched_keys() -> None:
    """Forget every fetched key set (an app's URI changed, or tests start afresh)."""
    _fetched.clear()
