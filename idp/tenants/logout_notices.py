"""Which apps to tell that a session ended (OpenID Connect Back-Channel Logout 1.0), told
only once the end is committed.

Ending sessions (``idp.users.sessions.end_sessions``) notes, before it revokes them, the
live grants of the ended sessions whose app registered a ``backchannel_logout_uri``
(``note_ended_grants``). The notes ride on the database session: a commit hands them to
the sender the application registered (``set_sender``: ``idp.oidc.backchannel`` builds
and posts the logout tokens, in the background); a rollback drops them. So an app is
told of exactly the ends that happened, after they did, and no request waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, event, select
from sqlalchemy.orm import Session

from ..storage import db
from ..storage.models import Client, TokenFamily

log = logging.getLogger(__name__)

#: The most apps told of one commit's ends (an operator disabling a large directory ends
#: every session at once); beyond, the rest is logged and not told.
MAX_NOTICES = 2000
_NOTES = "logout_notices"


@dataclass(frozen=True)
class LogoutNotice:
    """An app to tell that a person's session (``session_id``; None: a grant of no browser
    session) ended."""

    directory_id: int
    client_pk: int
    user_id: int
    session_id: int | None


Sender = Callable[[Any, Sequence[LogoutNotice]], None]
_sender: list[Sender] = []


def set_sender(sender: Sender) -> None:
    """Register what delivers committed notices: called with the Flask app and the notices."""
    _sender[:] = [sender]


def note_ended_grants(*where: ColumnElement[bool]) -> int:
    """Note the apps of the live grants matching `where` that are to be told of the end;
    return how many notices that makes. Call it before the grants are revoked."""
    rows = db.session.execute(select(
        TokenFamily.directory_id, TokenFamily.client_pk, TokenFamily.user_id,
        TokenFamily.session_id).join(Client, Client.id == TokenFamily.client_pk).where(
        *where, TokenFamily.revoked_at.is_(None), Client.backchannel_logout_uri.is_not(None),
        Client.disabled.is_(False)).distinct().limit(MAX_NOTICES + 1)).all()
    if len(rows) > MAX_NOTICES:
        log.warning("back-channel logout: more than %d apps to tell at once; the rest are "
                    "not told", MAX_NOTICES)
        rows = rows[:MAX_NOTICES]
    notices = [LogoutNotice(*row) for row in rows]
    if notices:
        db.session.info.setdefault(_NOTES, []).extend(notices)
    return len(notices)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    notices = session.info.pop(_NOTES, None)
    if not notices or not _sender:
        return
    if not has_app_context():
        log.warning("back-channel logout: %d notices committed outside the application",
                    len(notices))
        return
    _sender[0](current_app._get_current_object(), tuple(notices))  # type: ignore[attr-defined]


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_NOTES, None)
