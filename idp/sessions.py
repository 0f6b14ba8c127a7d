"""Server-side browser sessions: one per browser and directory, found by cookie hash.

The cookie holds a random token; the database holds only its hash. The token
changes whenever the session's level changes (a new method completed), so a
token seen before a step-up is worthless after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .domain import Completion
from .security.tokens import hash_secret, new_secret
from .storage import db
from .storage.models import BrowserSession, Directory, SessionMethod, User


@dataclass(frozen=True)
class CookiePolicy:
    """How session cookies are named and flagged for a base URL."""

    secure: bool

    def name(self, directory: Directory) -> str:
        """Return the directory's session cookie name (__Host- prefixed on https)."""
        prefix = "__Host-" if self.secure else ""
        return f"{prefix}idp-{directory.slug}"

    def device_name(self, directory: Directory) -> str:
        """Return the directory's remembered-device cookie name."""
        prefix = "__Host-" if self.secure else ""
        return f"{prefix}idp-device-{directory.slug}"


def load_session(directory: Directory, token: str | None, now: float) -> BrowserSession | None:
    """Return the live session of this directory that the cookie token names."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalars(select(BrowserSession).where(
        BrowserSession.token_hash == hash_secret(token))).first()
    if row is None or row.directory_id != directory.id or row.ended_at is not None \
            or row.expires_at <= now:
        return None
    return row


def start_session(directory: Directory, now: float, ttl: float, ip: str | None,
                  user_agent: str | None) -> tuple[BrowserSession, str]:
    """Create an anonymous session; return it with its cookie token."""
    token = new_secret(32)
    row = BrowserSession(directory_id=directory.id, token_hash=hash_secret(token),
                         created_at=now, last_seen_at=now, expires_at=now + ttl, ip=ip,
                         user_agent=(user_agent or "")[:300] or None)
    db.session.add(row)
    db.session.flush()
    return row, token


def rotate_token(row: BrowserSession) -> str:
    """Give the session a new cookie token and return it."""
    token = new_secret(32)
    row.token_hash = hash_secret(token)
    return token


def complete_method(row: BrowserSession, user: User, method: str, amr: tuple[str, ...],
                    now: float) -> str:
    """Record a completed method for `user`; return the session's new cookie token.

    A different user than the one already in the session starts afresh: the
    completed methods of one person never count for another.
    """
    if row.user_id is not None and row.user_id != user.id:
        row.methods.clear()
    row.user_id = user.id
    row.methods.append(SessionMethod(method=method, completed_at=now, amr=list(amr)))
    row.last_seen_at = now
    return rotate_token(row)


def completions(row: BrowserSession | None) -> tuple[Completion, ...]:
    """Return the session's completed methods as domain completions."""
    if row is None:
        return ()
    return tuple(Completion(method=m.method, at=m.completed_at, amr=tuple(m.amr or ()))
                 for m in row.methods)


def end_session(row: BrowserSession, now: float) -> None:
    """End the session: it is no longer found by its cookie."""
    row.ended_at = now


def sessions_of(user: User, now: float | None = None) -> list[BrowserSession]:
    """Return the user's live sessions, newest first (not ended, and not expired at `now`)."""
    query = select(BrowserSession).where(
        BrowserSession.user_id == user.id, BrowserSession.ended_at.is_(None))
    if now is not None:
        query = query.where(BrowserSession.expires_at > now)
    return list(db.session.scalars(query.order_by(BrowserSession.last_seen_at.desc())))
