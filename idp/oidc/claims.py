"""The claims about a user that tokens and userinfo carry (OIDC Core 5.1, 5.4, 5.5)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authlib.oidc.core import UserInfo

from ..storage.models import User

SUPPORTED_CLAIMS = ("sub", "name", "preferred_username", "locale", "updated_at", "email",
                    "email_verified", "phone_number", "phone_number_verified")
SUPPORTED_SCOPES = ("openid", "profile", "email", "phone")


def all_claims(user: User) -> UserInfo:
    """Return every claim the provider knows about the user."""
    info = UserInfo(sub=user.subject, preferred_username=user.username,
                    updated_at=int(user.updated_at))
    if user.name:
        info["name"] = user.name
    if user.locale:
        info["locale"] = user.locale
    if user.email:
        info["email"] = user.email
        info["email_verified"] = bool(user.email_verified)
    if user.phone:
        info["phone_number"] = user.phone
        info["phone_number_verified"] = bool(user.phone_verified)
    return info


def requested_claims(claims_request: Mapping[str, Any] | None, target: str) -> list[str]:
    """Return the individual claims named for `target` ("id_token" or "userinfo")."""
    if not isinstance(claims_request, Mapping):
        return []
    wanted = claims_request.get(target)
    if not isinstance(wanted, Mapping):
        return []
    return [name for name in wanted if name in SUPPORTED_CLAIMS]


def user_claims(user: User, scope: str, claims_request: Mapping[str, Any] | None,
                target: str) -> dict[str, Any]:
    """Return the claims released for the scope plus those asked for individually."""
    everything = all_claims(user)
    released = dict(everything.filter(scope))
    for name in requested_claims(claims_request, target):
        if name in everything:
            released[name] = everything[name]
    released["sub"] = user.subject
    return released
