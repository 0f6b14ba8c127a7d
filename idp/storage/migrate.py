"""Apply the Alembic migrations to the app's database (``idp init``)."""

from __future__ import annotations

import os

from alembic import command
from alembic.config import Config

from .db import db

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


def alembic_config(connection) -> Config:
    """Return an Alembic config that migrates over `connection`."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    config.attributes["connection"] = connection
    return config


def upgrade_schema() -> None:
    """Create or migrate the schema to the newest revision (inside an app context)."""
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


def make_revision(message: str) -> None:
    """Write a new migration from the difference between models and database."""
    with db.engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
