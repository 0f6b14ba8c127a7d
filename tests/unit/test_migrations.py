"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from idp import create_app
from idp.storage import db
from idp.storage.migrate import MIGRATIONS, upgrade_schema
from tests.support.live import TEST_SETTINGS


def test_the_revisions_form_one_line_without_branches():
    script = ScriptDirectory(MIGRATIONS)
    assert len(script.get_heads()) == 1, script.get_heads()
    assert all(len(revision.nextrev) <= 1 for revision in script.walk_revisions())


def test_upgrading_an_empty_database_gives_the_models_schema(backend, database_url_factory):
    app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": database_url_factory(backend)})
    with app.app_context():
        upgrade_schema()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []
