"""Single-use, expiring links emailed to a user: an invitation, an admin's password reset link.

The link carries a random token; only its hash is stored. A user has at most one open link
of a kind: a new one replaces the older ones. A link works once, only until it expires:
using it claims it with a compare-and-set on ``used_at``, so of two tabs one wins. A link
whose email could not be sent is ended at once (it was never seen). What a link lets its
user do, and who may be sent one, is its kind's own rule (``idp.users.invitations``,
``idp.users.recovery``).
"""

from __future__ import annotations

from typing import Generic, TypeVar

from sqlalchemy import delete, select, update

from ..security.tokens import hash_secret, new_secret, presented_digest
from ..storage import db
from ..storage.models import Invitation, PasswordReset, User

#: The longest token looked up: ours are 43 characters.
MAX_TOKEN = 100

Link = TypeVar("Link", Invitation, PasswordReset)


class EmailedLinks(Generic[Link]):
    """The links of one kind, kept in `model`'s table."""

    def __init__(self, model: type[Link]) -> None:
        self.model = model

    def issue(self, user: User, created_by: User | None, now: float, ttl_seconds: float) -> str:
        """Replace the user's open links with a new one; return its token (shown once)."""
        model = self.model
        db.session.execute(delete(model).where(model.user_id == user.id,
                                               model.used_at.is_(None)))
        token = new_secret(32)
        db.session.add(model(directory_id=user.directory_id, user_id=user.id,
                             token_hash=hash_secret(token),
                             created_by=created_by.id if created_by else None,
                             created_at=now, expires_at=now + ttl_seconds))
        db.session.flush()
        return token

    def find(self, directory_id: int, token: str, now: float) -> Link | None:
        """Return the open, unexpired link this token names in the directory, if any."""
        digest = presented_digest(token, MAX_TOKEN)
        if digest is None:
            return None
        model = self.model
        row = db.session.scalars(select(model).where(
            model.token_hash == digest, model.directory_id == directory_id)).first()
        if row is None or row.used_at is not None or row.expires_at <= now:
            return None
        return row

    def claim(self, row: Link, now: float) -> bool:
        """Use the link once; say whether this use won (not used or expired meanwhile)."""
        model = self.model
        return db.session.execute(update(model).where(
            model.id == row.id, model.used_at.is_(None), model.expires_at > now)
            .values(used_at=now).execution_options(synchronize_session=False)).rowcount == 1

    def end(self, token: str, now: float) -> None:
        """End the link of this token at once (its email could not be sent)."""
        model = self.model
        db.session.execute(update(model).where(model.token_hash == hash_secret(token))
                           .values(expires_at=now).execution_options(synchronize_session=False))

    def end_open(self, user_id: int, now: float) -> None:
        """End the user's open links (the address they went to changed)."""
        model = self.model
        db.session.execute(update(model).where(model.user_id == user_id,
                                               model.used_at.is_(None))
                           .values(expires_at=now).execution_options(synchronize_session=False))


invitations: EmailedLinks[Invitation] = EmailedLinks(Invitation)
reset_links: EmailedLinks[PasswordReset] = EmailedLinks(PasswordReset)
