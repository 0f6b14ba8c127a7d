"""Consents: which apps (clients that are not first-party) a user allowed to see what.

A consent is asked once per app and scope (OIDC Core 3.1.2.4) and remembered; the user
sees the apps on their profile and may withdraw any of them (OWASP ASVS 5.0 V10.7.3):
the consent goes, and so do the tokens and unused codes that app holds for the user, so
its next login asks again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from ..storage import db
from ..storage.models import Client, Consent, User
from ..tenants.clients import revoke_grants


@dataclass(frozen=True)
class AppAccess:
    """An app the user allowed: its registration, the scopes granted and since when."""

    client: Client
    scopes: tuple[str, ...]
    granted_at: float


@dataclass(frozen=True)
class Withdrawal:
    """What withdrawing a consent ended: the scopes it granted and the tokens revoked."""

    scopes: tuple[str, ...]
    grants_revoked: int


def has_consent(user: User, client: Client, scope: str) -> bool:
    """Return whether the user already granted the client every requested scope."""
    granted = db.session.scalars(select(Consent.scope).where(
        Consent.user_id == user.id, Consent.client_pk == client.id)).first()
    return granted is not None and set(scope.split()) <= set(granted.split())


def grant_consent(user: User, client: Client, scope: str, now: float) -> None:
    """Remember that the user granted the client these scopes."""
    row = db.session.scalars(select(Consent).where(
        Consent.user_id == user.id, Consent.client_pk == client.id)).first()
    if row is None:
        db.session.add(Consent(user_id=user.id, client_pk=client.id, scope=scope,
                               created_at=now))
    else:
        row.scope = " ".join(sorted(set(row.scope.split()) | set(scope.split())))


def list_app_access(user: User) -> list[AppAccess]:
    """Return the apps of the user's directory that the user allowed, by name."""
    rows = db.session.execute(select(Consent, Client).join(
        Client, Client.id == Consent.client_pk).where(
        Consent.user_id == user.id, Client.directory_id == user.directory_id)
        .order_by(Client.name, Client.client_id)).all()
    return [AppAccess(client, tuple(consent.scope.split()), consent.created_at)
            for consent, client in rows]


def find_app_access(user: User, client_id: str) -> AppAccess | None:
    """Return the user's consent to the app with this client id, if there is one."""
    return next((access for access in list_app_access(user)
                 if access.client.client_id == client_id), None)


def withdraw_consent(user: User, client: Client, now: float) -> Withdrawal | None:
    """Forget the user's consent to the app and revoke what the app holds for the user;
    return what ended, or None when there was no consent (withdrawn meanwhile)."""
    mine = (Consent.user_id == user.id, Consent.client_pk == client.id)
    scope = db.session.scalars(select(Consent.scope).where(*mine)).first()
    # Of two withdrawals at once, one deletes the row; the other finds nothing to do.
    if scope is None or not db.session.execute(
            delete(Consent).where(*mine).execution_options(synchronize_session=False)).rowcount:
        return None
    return Withdrawal(tuple(scope.split()), revoke_grants(client, user.id, now))
