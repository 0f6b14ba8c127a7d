"""What a process keeps in memory of rows that rarely change, and how it learns of changes.

Directories and their signing keys change a few times a year but are read by every
request. A process keeps what it read of them (``Kept``) and trusts it:

- until a transaction of this process that wrote such a row commits: the ORM's flushes
  and bulk statements are watched (``WATCHED``), and the commit moves the process's
  generation on, which makes everything kept before it stale at once;
- at most ``IDP_CACHE_SECONDS`` (default 5) in any case, which bounds how long a change
  made by another process (the ``idp`` command, another worker or instance) goes unseen;
- never what a transaction read after writing such a row itself (``changed_here``): it
  may still roll back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from .models import Directory, SigningKey

WATCHED = (Directory, SigningKey)
_FLAG = "kept_rows_changed"

_generation = 0
_lock = threading.Lock()

T = TypeVar("T")


def generation() -> int:
    """Return this process's generation: it moves on when a watched row's change commits."""
    return _generation


def note_change() -> None:
    """Make everything kept so far stale (a watched row changed)."""
    global _generation
    with _lock:
        _generation += 1


def changed_here(session: Session) -> bool:
    """Return whether the session's transaction has written a watched row."""
    return bool(session.info.get(_FLAG))


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    until: float
    generation: int


class Kept(Generic[T]):
    """Values by key, each trusted until its time or the next watched change."""

    def __init__(self) -> None:
        self._entries: dict[Any, _Entry[T]] = {}

    def get(self, key: Any, moment: float) -> T | None:
        """Return the value kept for `key`, while it is fresh at `moment`."""
        entry = self._entries.get(key)
        if entry is None or entry.generation != _generation or moment >= entry.until:
            return None
        return entry.value

    def put(self, key: Any, value: T, until: float, since: int) -> None:
        """Keep `value` until `until`, unless a change committed after generation `since`."""
        self._entries[key] = _Entry(value, until, since)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    if any(isinstance(row, WATCHED)
           for rows in (session.new, session.dirty, session.deleted) for row in rows):
        session.info[_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _bulk(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ in WATCHED:
        state.session.info[_FLAG] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_FLAG, False):
        note_change()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_FLAG, None)
