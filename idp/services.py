"""The process-wide services the app is built with, found from the current app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from .config import current_settings
from .delivery import Delivery
from .methods import SignInMethod
from .methods.password import PasswordMethod
from .security.passwords import PasswordService
from .security.sealing import Sealer
from .tenants.keys import RotationPolicy, rotation_policy
from .users.sessions import CookiePolicy

# One year, the provider's own host only, no preload: see README ("Security choices").
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


@dataclass
class Services:
    """Long-lived objects shared by all requests of one process."""

    sealer: Sealer
    passwords: PasswordService
    password_method: PasswordMethod
    methods: dict[str, SignInMethod]
    cookies: CookiePolicy
    delivery: Delivery | None = None
    server: Any = None
    protector: Any = None

    @property
    def base_url(self) -> str:
        return current_settings().base_url

    @property
    def strict_transport_security(self) -> str | None:
        """Return the HSTS header value: production over https only (RFC 6797)."""
        if current_settings().env == "production" and self.base_url.startswith("https://"):
            return STRICT_TRANSPORT_SECURITY
        return None

    @property
    def jwks_cache_seconds(self) -> int:
        """Return how long relying apps may cache the JWKS (and keys are published early)."""
        return int(current_settings().jwks_cache_seconds)

    def key_rotation(self, session_seconds: float) -> RotationPolicy:
        """Return when rotated keys sign and how long retired ones stay published, for a
        directory whose sessions last `session_seconds` at most."""
        return rotation_policy(self.jwks_cache_seconds,
                               int(current_settings().id_token_ttl_seconds), session_seconds)


def services() -> Services:
    """Return the services of the current app."""
    return current_app.extensions["idp"]
