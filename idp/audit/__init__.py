"""The audit log: one row per thing that happened in a directory, of a declared event.

``events`` is the vocabulary: every event is declared there once, and ``record`` refuses
any other, so each event written can be filtered and read.
"""

from __future__ import annotations

from typing import Any

from ..storage import db
from ..storage.models import AuditEvent, Client, User
from . import events
from .events import Event, UndeclaredEvent, declared

__all__ = ["Event", "UndeclaredEvent", "actor_of", "events", "record"]


def actor_of(actor: User | Client | None) -> dict[str, Any]:
    """Return the detail naming who made a change: an admin (``actor``: their user id), a
    service account using the admin API (``actor_client``: its client id), or nobody of the
    directory (None: the installation's operator)."""
    if actor is None:
        return {"actor": None}
    if isinstance(actor, Client):
        return {"actor_client": actor.client_id}
    return {"actor": actor.id}


def record(directory_id: int, event: Event, now: float, *, user_id: int | None = None,
           client_id: str | None = None, ip: str | None = None,
           user_agent: str | None = None, **detail: Any) -> None:
    """Add an event declared in ``events`` to the current transaction.

    Raises UndeclaredEvent for anything else (a name, or an event declared elsewhere).
    """
    name = declared(event).name
    db.session.add(AuditEvent(directory_id=directory_id, at=now, event=name, user_id=user_id,
                              client_id=client_id, ip=ip, user_agent=(user_agent or "")[:300],
                              detail=detail))
