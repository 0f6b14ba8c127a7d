"""The audit log: one row per thing that happened in a directory, of a declared event.

``events`` is the vocabulary: every event is declared there once, and ``record`` refuses
any other, so each event written can be filtered and read.

Every event recorded while a request is served carries where the request came from (its
``Origin``: the address and the browser or program), also when the code that records it
knows nothing of requests (an admin's change, a service account's call through the admin
API, an operator's action): the web layer names the origin once per request
(``set_origin``) and ``record`` fills it in wherever its caller names none.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ..observability import metrics
from ..storage import db
from ..storage.models import AuditEvent, Client, User
from . import events
from .events import Event, UndeclaredEvent, declared

__all__ = ["Event", "Origin", "UndeclaredEvent", "actor_of", "events", "record", "set_origin"]


@dataclass(frozen=True)
class Origin:
    """Where a request came from: the client's address and its User-Agent."""

    ip: str | None
    user_agent: str | None


_ORIGIN: ContextVar[Origin | None] = ContextVar("idp_audit_origin", default=None)


def set_origin(origin: Origin | None) -> None:
    """Name the origin of the request being served (None: no request, as in the CLI)."""
    _ORIGIN.set(origin)


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

    `ip` and `user_agent` default to the origin of the request being served, if any.
    Raises UndeclaredEvent for anything else (a name, or an event declared elsewhere).
    """
    name = declared(event).name
    origin = _ORIGIN.get()
    if origin is not None:
        ip = ip if ip is not None else origin.ip
        user_agent = user_agent or origin.user_agent
    db.session.add(AuditEvent(directory_id=directory_id, at=now, event=name, user_id=user_id,
                              client_id=client_id, ip=ip, user_agent=(user_agent or "")[:300],
                              detail=detail))
    # Counted as recorded: a transaction rolled back later still counts (what was attempted).
    metrics.count_audit_event(name, detail.get("method"))
