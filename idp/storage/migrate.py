"""Apply the Alembic migrations to the app's database (``idp init``), one process at a time."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from .db import db

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

# pg_advisory_lock(INIT_LOCK, hashtext(current_schema())): one lock per schema.
INIT_LOCK = 0x69647020  # "idp "


def alembic_config(connection) -> Config:
    """Return an Alembic config that migrates over `connection`."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


@contextmanager
def init_lock() -> Iterator[None]:
    """Hold the database's set-up lock: one ``idp init`` at a time migrates and seeds.

    Every replica may run ``idp init`` at start; the others wait here, then find the
    schema at head and the default directory with its keys. PostgreSQL: a session-level
    advisory lock on its own connection (waits without timeouts). SQLite: an exclusive
    ``flock`` on a file beside the database (SQLite's own locks are on the database file
    and must not be disturbed).
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SET LOCAL lock_timeout = 0"))
            connection.execute(text("SET LOCAL statement_timeout = 0"))
            connection.execute(text("SELECT pg_advisory_lock(:key, hashtext(current_schema()))"),
                               {"key": INIT_LOCK})
            connection.commit()  # the lock is the session's: it outlives the transaction
            try:
                yield
            finally:
                connection.execute(text(
                    "SELECT pg_advisory_unlock(:key, hashtext(current_schema()))"),
                    {"key": INIT_LOCK})
                connection.commit()
        return
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.init-lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def upgrade_schema() -> None:
    """Create or migrate the schema to the newest revision (inside an app context)."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL statement_timeout = 0"))  # long migrations
        command.upgrade(alembic_config(connection), "head")


def make_revision(message: str) -> None:
    """Write a new migration from the difference between models and database."""
    with db.engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
