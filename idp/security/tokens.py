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


def secret_matches(value: str, stored_hash: str | None) -> bool:
    """Compare a presented secret with its stored hash in constant time."""
    if not stored_hash:
        return False
    return hmac.compare_digest(hash_secret(value), stored_hash)
