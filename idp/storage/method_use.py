"""When a user's method without a row of its own was added and last used (``MethodUse``).

The password, text message codes and email codes live on the user (a hash, a proven
number or address); their times are kept here, one row per user and method. Adding
(setting a password, proving a destination) starts the row again: a new number has not
been used yet.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .db import db
from .models import MethodUse


def _upsert(user_id: int, method: str, values: dict[str, float | None]) -> None:
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(MethodUse).values(user_id=user_id, method=method, **values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["user_id", "method"], set_=values))


def record_added(user_id: int, method: str, now: float) -> None:
    """Record that the user set the method up (again) now; it has not been used since."""
    _upsert(user_id, method, {"added_at": now, "last_used_at": None})


def record_used(user_id: int, method: str, now: float) -> None:
    """Record that the user completed the method now."""
    _upsert(user_id, method, {"last_used_at": now})


def use_times(user_id: int, method: str) -> tuple[float | None, float | None]:
    """Return when the user added the method and last used it (None: not known)."""
    row = db.session.execute(select(MethodUse.added_at, MethodUse.last_used_at).where(
        MethodUse.user_id == user_id, MethodUse.method == method)).first()
    return (row[0], row[1]) if row else (None, None)
