"""When a pooled database connection is checked before use.

SQLAlchemy's ``pool_pre_ping`` pings a connection every time it leaves the pool: on
PostgreSQL a round trip, and work for the server, before each request's first statement.
A connection that was in use a moment ago is as good as proven, so it is pinged only
after it has rested in the pool for a while (``IDP_DATABASE_PING_AFTER_SECONDS``, as
HikariCP's "alive bypass window"). A server that restarts while connections rest finds
them pinged and replaced, as before; within the window, the first statement on a broken
connection fails as an outage (a 503), and SQLAlchemy then replaces every connection of
the pool made before the failure.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

_RETURNED = "idp_returned_at"


def ping_after_rest(engine: Engine, seconds: float) -> None:
    """Ping `engine`'s connections when they leave the pool after resting over `seconds`."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or (seconds > 0 and time.monotonic() - returned < seconds):
            return  # new, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # Replace it and every connection made before it (the server restarted).
                raise exc.InvalidatePoolError() from error
            raise

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_RETURNED] = time.monotonic()
