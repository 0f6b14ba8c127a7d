"""What a process keeps in memory of rows that rarely change, and how it learns of changes.

Directories, their logos, signing keys and apps (clients) change a few times a year
but are read by every request. A process keeps what it read of them (``Kept``) and trusts it:

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import JSON, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from ..clock import now
from ..config import current_settings
from .db import current_session
from .models import Client, Directory, DirectoryLogo, SigningKey
from .plain import as_loaded

WATCHED = (Directory, DirectoryLogo, SigningKey, Client)
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

    def fetch(self, session: Session | None, key: Any, load: Callable[[], T | None],
              ends: Callable[[T], float] | None = None, moment: float | None = None,
              also: Callable[[T], Iterable[Any]] | None = None) -> T | None:
        """Return the value of `key`: kept while fresh, otherwise from `load` and then kept
        for ``IDP_CACHE_SECONDS``, or until `ends(value)` when a value ends sooner by itself
        (a None is not kept; nor is what the session's transaction read after writing a
        watched row, since it may still roll back). `moment` is now unless the value is
        of another time (the key that signs at that moment). A value loaded is kept under
        the keys `also(value)` gives as well, the same entry under each. With no `session`,
        the context's, if `load` used one, is the one whose writes count."""
        seconds = current_settings().cache_seconds
        moment = now() if moment is None else moment
        if seconds > 0:
            value = self.get(key, moment)
            if value is not None:
                return value
        since = generation()
        value = load()
        written = session if session is not None else current_session()
        if value is not None and seconds > 0 and not (
                written is not None and changed_here(written)):
            until = moment + seconds
            entry = _Entry(value, until if ends is None else min(until, ends(value)), since)
            for each in (key, *(also(value) if also is not None else ())):
                self._entries[each] = entry
        return value

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()


class KeptRows(Generic[T]):
    """Rows of one watched model by a key of the caller's (a slug, a client id).

    What is kept is a row's column values: each request gets its own instance of them in
    its session, as if loaded, without a query. Only rows found are kept, so asking for
    names that do not exist fills no memory. A row that is asked for by more than one key
    (an app by its client id and by its primary key) is kept once, under every key
    `keys(values)` gives for it, whichever key loaded it.
    """

    def __init__(self, model: type[T],
                 keys: Callable[[dict[str, Any]], Iterable[Any]] | None = None) -> None:
        self.model = model
        self._keys = keys
        mapper = inspect(model)
        self._columns = tuple(attribute.key for attribute in mapper.column_attrs)
        # Only JSON columns hold mutable values (lists, dicts); the rest is shared as is.
        self._mutable = tuple(attribute.key for attribute in mapper.column_attrs
                              if isinstance(attribute.columns[0].type, JSON))
        self._primary_key = tuple(mapper.get_property_by_column(column).key
                                  for column in mapper.primary_key)
        self._kept: Kept[dict[str, Any]] = Kept()

    def get(self, session: Session | None, key: Any, load: Callable[[], T | None]) -> T | None:
        """Return the row of `key`: from memory while it is fresh, otherwise from `load`,
        then kept (as ``Kept.fetch``). A kept row comes into `session`; with no session, as
        an instance in none (for a request that reads its columns only): reading a
        relationship of it raises, unless the caller set it."""
        loaded: list[T] = []

        def values() -> dict[str, Any] | None:
            row = load()
            if row is None:
                return None
            loaded.append(row)
            return self._copied({name: getattr(row, name) for name in self._columns})
        kept = self._kept.fetch(session, key, values, also=self._keys)
        if loaded or kept is None:
            return loaded[0] if loaded else None
        if session is not None:
            identity = inspect(self.model).identity_key_from_primary_key(
                tuple(kept[name] for name in self._primary_key))
            existing = session.identity_map.get(identity)
            if existing is not None:
                return existing  # type: ignore[return-value]
        # As a query's load does: the values go straight into a new instance, with no
        # change history, so that attaching it neither copies nor flushes anything.
        row = as_loaded(self.model, self._copied(kept))
        if session is not None:
            session.add(row)
        return row

    def clear(self) -> None:
        """Forget everything."""
        self._kept.clear()

    def _copied(self, values: dict[str, Any]) -> dict[str, Any]:
        """Return a copy of a row's values that no request can change the kept ones through:
        its JSON columns' lists and dicts are copied, the rest (str, int, float, bool, None,
        bytes) is shared."""
        copy = dict(values)
        for name in self._mutable:
            copy[name] = _thawed(copy[name])
        return copy


def _thawed(value: Any) -> Any:
    """Copy a JSON value's lists and dicts, all the way down (as ``copy.deepcopy``, for the
    only types a JSON column holds, at a fraction of its cost)."""
    if isinstance(value, dict):
        return {key: _thawed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_thawed(item) for item in value]
    return value


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
