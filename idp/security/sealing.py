"""Seal data at rest (private keys, TOTP secrets) with a key derived from IDP_SECRET_KEY,
and seal what a page carries between a GET and its POST (a form's hidden field).

A page that needs a secret of its own (the key of a new authenticator app, a WebAuthn
challenge) makes it when shown and carries it sealed in the form, so showing the page
stores nothing (a GET is safe: RFC 9110 9.2.1). The sealed value names what it is for and
whom (the user and browser session), and it expires.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

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
        # Its own key: a value sealed at rest can never be posted back as form state.
        self._form = Fernet(base64.urlsafe_b64encode(HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None,
            info=b"idp/form/v1").derive(secret_key.encode())))

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

    def seal_form(self, purpose: str, bound_to: Sequence[Any], data: dict[str, Any],
                  now: float) -> str:
        """Return `data` sealed for a form field: for `purpose`, for `bound_to`, made at `now`.

        `bound_to` names whom it is for (a user id, a browser session id); `open_form`
        refuses it for anyone else.
        """
        payload = json.dumps({"for": purpose, "to": list(bound_to), "data": data},
                             separators=(",", ":"))
        return self._form.encrypt_at_time(payload.encode(), int(now)).decode()

    def open_form(self, sealed: str, purpose: str, bound_to: Sequence[Any], now: float,
                  ttl: float) -> dict[str, Any]:
        """Return the data of a form field sealed by `seal_form`, or raise UnsealError.

        Refused: anything tampered with, sealed with another key, for another purpose or
        another user or session, or older than `ttl` seconds.
        """
        try:
            if not sealed or len(sealed) > 4096:
                raise InvalidToken
            opened = json.loads(self._form.decrypt_at_time(sealed.encode(), int(ttl),
                                                           int(now)))
        except (InvalidToken, ValueError, UnicodeError) as exc:
            raise UnsealError("this form is expired, tampered with or from elsewhere") from exc
        if not isinstance(opened, dict) or opened.get("for") != purpose \
                or opened.get("to") != list(bound_to) or not isinstance(opened.get("data"), dict):
            raise UnsealError("this form was made for another purpose, user or browser")
        return opened["data"]
