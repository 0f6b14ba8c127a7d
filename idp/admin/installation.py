"""The installation as its operators see it: each directory in figures, and the health of
what the provider depends on (database, Redis, delivery channels, signing keys).

Figures only: nothing here names a directory's people, so the operators' console shows no
directory's users to anyone of another directory.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..storage import db
from ..storage.models import AuditEvent, Client, Directory, SigningKey, User
from ..tenants.account_client import ACCOUNT_CLIENT_ID


@dataclass(frozen=True)
class DirectoryFigures:
    """One directory as the console lists it."""

    directory: Directory
    users: int
    apps: int
    last_activity: float | None


@dataclass(frozen=True)
class KeyAge:
    """One signing key a directory publishes: its algorithm, when it was made, whether it
    signs now."""

    slug: str
    kid: str
    alg: str
    created_at: float
    signing: bool


def directory_figures() -> list[DirectoryFigures]:
    """Return every directory with its number of users and apps and its last audited event,
    in one query (each figure is an indexed lookup per directory)."""
    users = select(func.count(User.id)).where(User.directory_id == Directory.id)
    apps = select(func.count(Client.id)).where(Client.directory_id == Directory.id,
                                               Client.client_id != ACCOUNT_CLIENT_ID)
    last = select(func.max(AuditEvent.at)).where(AuditEvent.directory_id == Directory.id)
    rows = db.session.execute(select(
        Directory, users.scalar_subquery(), apps.scalar_subquery(), last.scalar_subquery())
        .order_by(Directory.slug))
    return [DirectoryFigures(directory, n_users or 0, n_apps or 0, at)
            for directory, n_users, n_apps, at in rows]


def key_ages(now: float) -> list[KeyAge]:
    """Return the signing keys each directory publishes now, oldest first per directory; a
    key signs from `signs_from` until it is retired."""
    rows = db.session.execute(
        select(Directory.slug, SigningKey).join(Directory, Directory.id ==
                                                SigningKey.directory_id)
        .where((SigningKey.publish_until.is_(None)) | (SigningKey.publish_until > now))
        .order_by(Directory.slug, SigningKey.created_at))
    return [KeyAge(slug, key.kid, key.alg, key.created_at,
                   key.signs_from <= now and (key.retired_at is None or key.retired_at > now))
            for slug, key in rows]


__all__ = ["DirectoryFigures", "KeyAge", "directory_figures", "key_ages"]
