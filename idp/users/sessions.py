"""Server-side browser sessions: one per browser and directory, found by cookie hash.

The cookie holds a random token; the database holds only its hash. The token
changes whenever the session's level changes (a new method completed), so a
token seen before a step-up is worthless after it.

A session is live until it is ended, its directory's absolute lifetime has passed since
it started (``expires_at``), or it went unused for the directory's idle lifetime
(``last_seen_at``, written at most once a minute). A session that is not live is simply
not found. Ending a session revokes the token grants issued from it (``end_sessions``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.orm import joinedload

from .. import audit
from ..domain import Completion
from ..domain.lifetimes import ACTIVITY_INTERVAL, activity_due
from ..security.tokens import hash_secret, new_secret
from ..storage import db
from ..storage.models import BrowserSession, Directory, SessionMethod, TokenFamily, User
from ..tenants.directories import session_lifetimes
from ..tenants.grants import revoke_families
from ..tenants.logout_notices import note_ended_grants


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


def _live(directory_id: Any, now: Any, seen_after: Any) -> tuple[ColumnElement[bool], ...]:
    """Return the conditions a live session meets: of the directory, not ended, not past
    its absolute lifetime, used within its idle lifetime."""
    return (BrowserSession.directory_id == directory_id, BrowserSession.ended_at.is_(None),
            BrowserSession.expires_at > now, BrowserSession.last_seen_at > seen_after)


#: The conditions of a live session with their values as parameters (``live_values``): a
#: statement built once with them is not built again for every request (building one costs
#: about 100 µs of CPU).
LIVE = _live(bindparam("live_directory"), bindparam("live_now"),
             bindparam("live_seen_after"))


def live_values(directory: Directory, now: float) -> dict[str, Any]:
    """Return the values of ``LIVE`` for a session of `directory` at `now`."""
    return {"live_directory": directory.id, "live_now": now,
            "live_seen_after": now - session_lifetimes(directory).idle_seconds}


def live_criteria(directory: Directory, now: float) -> list[ColumnElement[bool]]:
    """Return the conditions a live session of `directory` meets at `now`."""
    values = live_values(directory, now)
    return list(_live(values["live_directory"], values["live_now"], values["live_seen_after"]))


# The session comes with the methods it completed and its user in one statement (joined,
# not the relationships' own SELECTs): every login page asks for them. The user is then
# found by its id in the session's identity map (``idp.tenants.accounts.active_user``), its
# directory not joined, as there.
_BY_TOKEN = select(BrowserSession).where(
    BrowserSession.token_hash == bindparam("token_hash"), *LIVE).options(
    joinedload(BrowserSession.methods),
    joinedload(BrowserSession.user).lazyload(User.directory))


def load_session(directory: Directory, token: str | None, now: float) -> BrowserSession | None:
    """Return the live session of this directory that the cookie token names."""
    if not token or len(token) > 100:
        return None
    # One row per completed method; the token's hash is unique, so they are all one session's.
    return db.session.scalars(_BY_TOKEN, {"token_hash": hash_secret(token),
                                          **live_values(directory, now)}).unique().one_or_none()


def start_session(directory: Directory, now: float, ip: str | None,
                  user_agent: str | None) -> tuple[BrowserSession, str]:
    """Create an anonymous session; return it with its cookie token."""
    token = new_secret(32)
    lifetime = session_lifetimes(directory).absolute_seconds
    row = BrowserSession(directory_id=directory.id, token_hash=hash_secret(token),
                         created_at=now, last_seen_at=now, expires_at=now + lifetime, ip=ip,
                         user_agent=(user_agent or "")[:300] or None)
    db.session.add(row)
    db.session.flush()
    return row, token


def record_activity(row: BrowserSession, now: float) -> bool:
    """Note that the session is being used, at most once a minute; say whether it wrote.

    The conditional update keeps concurrent requests of one browser from writing twice.
    The caller commits.
    """
    if not activity_due(row.last_seen_at, now):
        return False
    written = db.session.execute(update(BrowserSession).where(
        BrowserSession.id == row.id,
        BrowserSession.last_seen_at <= now - ACTIVITY_INTERVAL).values(last_seen_at=now)
        .execution_options(synchronize_session=False)).rowcount
    row.last_seen_at = now
    return bool(written)


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


@dataclass(frozen=True)
class Ended:
    """What ending sessions did: live sessions ended, token grants revoked."""

    sessions: int
    grants: int


def end_sessions(directory: Directory, user_id: int | None, now: float, reason: str, *,
                 only: int | None = None, keep: int | None = None,
                 ip: str | None = None, everyone: bool = False) -> Ended:
    """End browser sessions and revoke the token grants issued from them.

    `everyone`: every session and every grant of the directory (an operator disables it).
    `only`: end just this session (a logout, "End" on the profile). Otherwise every
    session of the user but `keep` ("End all other sessions", a password change), or all
    of them (an admin's "log out everywhere"), and then every grant of the user not issued
    from `keep`: also those of sessions that already expired, whose apps would otherwise
    stay signed in. The revocation is audited as ``tokens.revoked`` with `reason`.

    The apps of the live grants that registered a back-channel logout URI are told once
    this commits (``idp.tenants.logout_notices``).

    The sessions are written before the grants: a code exchange holds its session's row
    while it adds a grant (``idp.oidc.server``), so either the exchange sees the session
    ended, or this sees the grant.
    """
    if only is None and user_id is None and not everyone:
        raise ValueError("end one session, the sessions of a user, or everyone's")
    if everyone:
        sessions: list[ColumnElement[bool]] = []
        grants: list[ColumnElement[bool]] = []
    elif only is not None:
        sessions = [BrowserSession.id == only]
        grants = [TokenFamily.session_id == only]
    else:
        sessions = [BrowserSession.user_id == user_id]
        grants = [TokenFamily.user_id == user_id]
        if keep is not None:
            sessions.append(BrowserSession.id != keep)
            grants.append(or_(TokenFamily.session_id.is_(None), TokenFamily.session_id != keep))
    live = db.session.scalar(select(func.count(BrowserSession.id)).where(
        *sessions, *live_criteria(directory, now))) or 0
    db.session.execute(update(BrowserSession).where(
        *sessions, BrowserSession.directory_id == directory.id,
        BrowserSession.ended_at.is_(None)).values(ended_at=now)
        .execution_options(synchronize_session=False))
    note_ended_grants(TokenFamily.directory_id == directory.id, *grants)
    revoked = revoke_families(TokenFamily.directory_id == directory.id, *grants, now=now)
    if revoked:
        audit.record(directory.id, audit.events.TOKENS_REVOKED, now, user_id=user_id, ip=ip,
                     reason=reason, grants=revoked, sessions=live)
    return Ended(live, revoked)


def sessions_of(user: User, now: float) -> list[BrowserSession]:
    """Return the user's live sessions, newest first."""
    return list(db.session.scalars(select(BrowserSession).where(
        BrowserSession.user_id == user.id, *live_criteria(user.directory, now))
        .order_by(BrowserSession.last_seen_at.desc())))
