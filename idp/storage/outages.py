"""Infrastructure outages: recognise them among library errors, and probe for them.

The database or Redis being unreachable, slow, or out of pooled connections is no bug
of the provider: it is answered with 503 ``temporarily_unavailable`` and ``Retry-After``
(``idp.errors.Unavailable``, by the web layer's one error handler) and logged as one
warning line, without a traceback. The same two dependencies are probed by ``/readyz``
for load balancers.
"""

from __future__ import annotations

import logging

from redis import exceptions as redis_errors
from sqlalchemy import exc as sql_errors
from sqlalchemy import text

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
