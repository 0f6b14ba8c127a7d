"""Alembic environment: run migrations on the connection the provider hands over."""

from alembic import context

from idp.storage import models  # noqa: F401  (registers the tables)
from idp.storage.db import db

target_metadata = db.metadata


def run() -> None:
    """Migrate over the connection given in the config's attributes."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
