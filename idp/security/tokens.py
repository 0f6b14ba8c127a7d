"""Random secrets and their stored form."""

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 32) -> str:
    """Return a URL-safe random string carrying `nbytes` of entropy."""
    return secrets.token_urlsafe(nbytes)


def hash_secret(value: str) -> str:
    """Return the stored form of a high-entropy secret (SHA-256, hex).

    A fast hash is enough for values with 128 bits or more of entropy: they
    cannot be guessed offline, unlike passwords.
    """
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def presented_digest(value: object, longest: int) -> str | None:
    """Return the stored form of a secret presented in a request (a token, a link's code),
    or None when the value cannot be one: not a string, empty, longer than `longest` or
    not printable. Nothing longer is hashed."""
    if not isinstance(value, str) or not value or len(value) > longest \
            or not value.isprintable():
        return None
    return hash_secret(value)


def secret_matches(value: str, stored_hash: str | None) -> bool:
    """Compare a presented secret with its stored hash in constant time."""
    if not stored_hash:
        return False
    return hmac.compare_digest(hash_secret(value), stored_hash)
