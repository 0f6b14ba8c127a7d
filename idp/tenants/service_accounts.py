"""Service accounts: confidential clients an admin lets act for themselves, with admin scopes.

A service account gets tokens by the client_credentials grant (RFC 6749 4.4). The token
carries no user, so no login level applies to it, and it has no refresh token (RFC 6749
4.4.3) and no ID token. Its scopes are some of the admin scopes an admin granted the
client; one scope per area of the admin pages, each for reading and changing it, as an
admin who can open a page can also change what it shows (the audit log is only read).

A token works while it is not revoked or expired and its client is still an enabled
service account; what it may do is its scope less what an admin has taken back since.
"""

from __future__ import annotations

from sqlalchemy import select, update

from ..security.tokens import hash_secret, presented_digest
from ..storage import db
from ..storage.models import Client, ServiceToken

#: The admin scopes, each covering one area of the admin API (reading and changing it).
ADMIN_SCOPES = ("admin:users", "admin:apps", "admin:settings", "admin:policies", "admin:brand",
                "admin:claims", "admin:audit")
MAX_TOKEN = 200


class ServiceAccountError(ValueError):
    """A service account's scopes are not valid."""


def clean_scopes(scopes: list[str] | tuple[str, ...] | str) -> str:
    """Return admin scopes as stored (space-separated, in ``ADMIN_SCOPES`` order), or raise."""
    names = scopes.split() if isinstance(scopes, str) else list(scopes)
    unknown = [name for name in names if name not in ADMIN_SCOPES]
    if unknown:
        raise ServiceAccountError(f"unknown admin scope: {unknown[0]!r}")
    return " ".join(name for name in ADMIN_SCOPES if name in names)


def granted_scopes(client: Client) -> frozenset[str]:
    """Return the admin scopes the client may use now (none unless it is a service account)."""
    if not client.service_account or client.disabled or client.public:
        return frozenset()
    return frozenset(client.service_scopes.split())


def allowed_scope(client: Client, requested: str | None) -> str | None:
    """Return the scope to issue for a token request, or None when it asks for too much.

    Without a scope parameter the client gets every scope it was granted (RFC 6749 3.3:
    a documented default); asking for any scope it was not granted is refused.
    """
    granted = granted_scopes(client)
    asked = set(requested.split()) if requested else set(granted)
    if not asked or not asked <= granted:
        return None
    return " ".join(name for name in ADMIN_SCOPES if name in asked)


def add_service_token(client: Client, access_token: str, scope: str, now: float,
                      expires_in: int) -> ServiceToken:
    """Add a service account's new access token to the transaction."""
    row = ServiceToken(directory_id=client.directory_id, client_pk=client.id,
                       access_token_hash=hash_secret(access_token), scope=scope,
                       issued_at=now, expires_at=now + expires_in)
    db.session.add(row)
    db.session.flush()
    return row


def find_service_token(directory_id: int, token: str) -> ServiceToken | None:
    """Return the directory's service token with this value, if any (good or not)."""
    digest = presented_digest(token, MAX_TOKEN)
    if digest is None:
        return None
    return db.session.scalars(select(ServiceToken).where(
        ServiceToken.access_token_hash == digest,
        ServiceToken.directory_id == directory_id)).first()


def service_token_good(row: ServiceToken, now: float) -> bool:
    """Say whether a service token still works."""
    return row.revoked_at is None and row.expires_at > now and bool(granted_scopes(row.client))


def effective_scope(row: ServiceToken) -> str:
    """Return the token's scope less what an admin has taken back from its client since."""
    granted = granted_scopes(row.client)
    return " ".join(name for name in row.scope.split() if name in granted)


def revoke_service_tokens(client: Client, now: float) -> int:
    """Revoke every live token of the client; return how many."""
    return db.session.execute(update(ServiceToken).where(
        ServiceToken.client_pk == client.id, ServiceToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount or 0
