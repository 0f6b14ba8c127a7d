"""The installation's health as its operators see it: the signing keys each directory
publishes, with their ages (the directories in figures: ``idp.admin.directories``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..storage import db
from ..storage.models import Directory, SigningKey


@dataclass(frozen=True)
class KeyAge:
    """One signing key a directory publishes: its algorithm, when it was made, whether it
    signs now."""

    slug: str
    kid: str
    alg: str
    created_at: float
    signing: bool


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


__all__ = ["KeyAge", "key_ages"]
