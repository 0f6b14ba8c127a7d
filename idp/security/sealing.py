"""Seal data at rest (private keys, TOTP secrets) with a key derived from IDP_SECRET_KEY."""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class UnsealError(Exception):
    """Sealed data cannot be opened (wrong secret key or tampered data)."""


class Sealer:
    """Encrypt and authenticate small values with Fernet (AES-128-CBC + HMAC-SHA256)."""

    def __init__(self, secret_key: str):
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                       info=b"idp/sealing/v1").derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self._digest_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                                info=b"idp/digest/v1").derive(secret_key.encode())

    def seal(self, data: bytes) -> bytes:
        """Return `data` encrypted and authenticated."""
        return self._fernet.encrypt(data)

    def digest(self, value: str) -> str:
        """Return a keyed hash (HMAC-SHA256, hex) of a low-entropy secret such as a 6-digit code.

        Unlike a plain hash, it cannot be reversed by trying every code without the key.
        """
        return hmac.new(self._digest_key, value.encode(), hashlib.sha256).hexdigest()

    def unseal(self, sealed: bytes) -> bytes:
        """Return the data sealed by `seal`, or raise UnsealError."""
        try:
            return self._fernet.decrypt(sealed)
        except InvalidToken as exc:
            raise UnsealError("sealed data cannot be opened with this IDP_SECRET_KEY") from exc
