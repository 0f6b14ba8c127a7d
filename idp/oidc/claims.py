"""The claims about a user that tokens and userinfo carry (OIDC Core 5.1, 5.4, 5.5).

Authlib's ``UserInfo`` names the standard claims and the claims each scope releases
(5.4); this module fills it from storage. The standard claims a user gives themselves
(``idp.users.claims``) are released only while their directory asks for them: an
admin who stops asking for one stops it reaching apps too. ``preferred_username`` is
the username unless the user gave another one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from authlib.oidc.core import UserInfo

from ..services import services
from ..storage.models import Client, User
from ..tenants.asked_claims import asked_claims
from ..tenants.clients import subject_for
from ..users.claims import stored_claims

SUPPORTED_CLAIMS = tuple(UserInfo.REGISTERED_CLAIMS)
SUPPORTED_SCOPES = tuple(UserInfo.SCOPES_CLAIMS_MAPPING)


def all_claims(user: User) -> UserInfo:
    """Return every claim the provider knows about the user and may release."""
    info = UserInfo(sub=user.subject, preferred_username=user.username,
                    updated_at=int(user.updated_at))
    if user.name:
        info["name"] = user.name
    given = stored_claims(user)
    info.update({name: given[name] for name in asked_claims(user.directory) if name in given})
    if user.email:
        info["email"] = user.email
        info["email_verified"] = bool(user.email_verified)
    if user.phone:
        info["phone_number"] = user.phone
        info["phone_number_verified"] = bool(user.phone_verified)
    return info


def requested_claims(claims_request: Mapping[str, Any] | None, target: str) -> list[str]:
    """Return the individual claims named for `target` ("id_token" or "userinfo"),
    essential or voluntary alike (OIDC Core 5.5.1: either is answered when it can be)."""
    if not isinstance(claims_request, Mapping):
        return []
    wanted = claims_request.get(target)
    if not isinstance(wanted, Mapping):
        return []
    return [name for name in wanted if name in SUPPORTED_CLAIMS]


def app_subject(client: Client | None, user: User) -> str:
    """Return the ``sub`` by which `client` knows the person: every token, userinfo and
    introspection answer names people through this (a pairwise app's is its own)."""
    return subject_for(client, user, services().sealer)


def app_session_id(session_id: int | None) -> str | None:
    """Return the ``sid`` by which apps know a browser session (Front- and Back-Channel
    Logout 1.0): derived with the installation's key, so it tells nothing of the session's
    row, and the same in the ID tokens issued in the session and in its logout tokens."""
    if session_id is None:
        return None
    return services().sealer.digest(f"session-id:{session_id}")[:32]


def user_claims(user: User, scope: str, claims_request: Mapping[str, Any] | None,
                target: str, client: Client) -> dict[str, Any]:
    """Return the claims released to `client` for the scope plus those asked for
    individually."""
    everything = all_claims(user)
    released = dict(everything.filter(scope))
    for name in requested_claims(claims_request, target):
        if name in everything:
            released[name] = everything[name]
    released["sub"] = app_subject(client, user)
    return released
