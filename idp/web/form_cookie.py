"""Flask's own cookie, which carries only the forms' CSRF token."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class FormCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, with its signer built once per set of keys.

    Flask builds the signer afresh for every request, a cookie or not (a tenth of a
    health check's CPU); the signer depends on nothing but the keys.
    """

    def __init__(self) -> None:
        self._signer: tuple[Any, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        signer = self._signer
        if signer is None or signer[0] != keys:
            signer = self._signer = (keys, super().get_signing_serializer(app))
        return signer[1]
