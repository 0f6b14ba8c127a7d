"""The audit log: one row per thing that happened in a directory."""

from __future__ import annotations

from typing import Any

from ..storage import db
from ..storage.models import AuditEvent


def record(directory_id: int, event: str, now: float, *, user_id: int | None = None,
           client_id: str | None = None, ip: str | None = None,
           user_agent: str | None = None, **detail: Any) -> None:
    """Add an audit event to the current transaction."""
    db.session.add(AuditEvent(directory_id=directory_id, at=now, event=event, user_id=user_id,
                              client_id=client_id, ip=ip, user_agent=(user_agent or "")[:300],
                              detail=detail))
