"""Infrastructure outages: recognise them among library errors, and probe for them.

The database or Redis being unreachable, slow, or out of pooled connections is no bug
of the provider: it is answered with 503 ``temporarily_unavailable`` and ``Retry-After``
(``idp.errors.Unavailable``, by the web layer's one error handler) and logged as one
warning line, without a traceback. The same two dependencies are probed by ``/readyz``
for load balancers.
"""

from __future__ import annotations

import logging
from time import monotonic
from typing import Any

from redis import exceptions as redis_errors
from sqlalchemy import Engine, event, text
from sqlalchemy import exc as sql_errors

from . import db

# What SQLAlchemy raises when the database is down, too slow or out of connections:
# refused or dropped connections and statement or lock timeouts are OperationalError;
# a connection closed under the driver is InterfaceError; a pool checkout that waited
# too long is TimeoutError.
DATABASE_OUTAGES: tuple[type[BaseException], ...] = (
    sql_errors.OperationalError, sql_errors.InterfaceError, sql_errors.TimeoutError,
    sql_errors.DisconnectionError)
REDIS_OUTAGES: tuple[type[BaseException], ...] = (
    redis_errors.ConnectionError, redis_errors.TimeoutError)


def outage_of(exc: BaseException) -> tuple[str, BaseException] | None:
    """Return which dependency an error says is unavailable, and the error that says so.

    Follows the errors a library raised on top of the outage (``raise ... from``, and
    Werkzeug's InternalServerError around an error raised outside a view).
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DATABASE_OUTAGES) or (
                isinstance(current, sql_errors.DBAPIError) and current.connection_invalidated):
            return "database", current
        if isinstance(current, REDIS_OUTAGES):
            return "redis", current
        current = getattr(current, "original_exception", None) or current.__cause__
    return None


def describe_outage(exc: BaseException) -> str:
    """Return the first line of the driver's message: no SQL, no parameters, no traceback."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return f"{type(original).__name__}: {lines[0][:200] if lines else ''}"


#: Where a pooled connection keeps when it was last given back to the pool (monotonic).
_RETURNED = "idp_returned_at"


def ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection of `engine` before use only when it has been idle for more
    than `idle_seconds`, and replace it when the ping finds it gone.

    SQLAlchemy's ``pool_pre_ping`` pings before every use: a round trip and about 0.1 ms of
    CPU on each request. A connection given back moments ago has just answered its
    request's statements. What drops a connection is a link or server that times idle ones
    out (this finds them), or a server restart or failover. After a restart, a request whose
    connection was used within `idle_seconds` fails on its first statement and is answered
    503, as any request during the outage is; SQLAlchemy then renews every connection of
    that pool, so the next request connects afresh. A new connection is not pinged.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or monotonic() - returned <= idle_seconds:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):  # type: ignore[arg-type]
                # The pool drops this connection and checks out a new one instead.
                raise sql_errors.DisconnectionError(describe_outage(exc)) from exc
            raise


class OneLineOutages(logging.Filter):
    """Log an outage as one line: the error's first line instead of its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        found = outage_of(error) if error is not None else None
        if found is not None:
            record.msg = f"{record.getMessage()} ({found[0]} unavailable: " \
                         f"{describe_outage(found[1])})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def database_ready() -> bool:
    """Return whether the database answers a trivial query (inside an app context)."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DATABASE_OUTAGES:
        return False
    return True
