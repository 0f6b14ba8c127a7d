"""A stalled database cannot hold a worker: every connection carries bounded waits."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from idp import create_app
from idp.storage import db
from idp.storage.outages import outage_of
from tests.support.live import TEST_SETTINGS

pytestmark = pytest.mark.storage


@pytest.fixture
def app_with(backend, database_url_factory):
    """Build an app on an empty database of the backend with the given settings."""
    apps = []

    def build(**settings):
        app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": database_url_factory(backend),
                          **settings})
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


def test_each_connection_waits_for_locks_at_most_the_lock_timeout(app_with, backend):
    app = app_with(IDP_DATABASE_LOCK_TIMEOUT_SECONDS=3, IDP_DATABASE_STATEMENT_TIMEOUT_SECONDS=7)
    with app.app_context(), db.engine.connect() as connection:
        if backend == "sqlite":
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 3000
        else:
            assert connection.execute(text("SHOW lock_timeout")).scalar() == "3s"
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "7s"
        assert db.engine.pool.timeout() == 5  # IDP_DATABASE_POOL_TIMEOUT_SECONDS


def test_a_statement_slower_than_the_timeout_is_cancelled_as_an_outage(app_with, backend):
    if backend != "postgresql":
        pytest.skip("SQLite runs in the process: there is no server to stall")
    app = app_with(IDP_DATABASE_STATEMENT_TIMEOUT_SECONDS=1)
    with app.app_context(), db.engine.connect() as connection, \
            pytest.raises(OperationalError) as raised:
        connection.execute(text("SELECT pg_sleep(5)"))
    assert outage_of(raised.value)[0] == "database"


def test_the_idp_command_runs_maintenance_without_the_statement_timeout(app_with, backend):
    from idp.cli import _app

    if backend != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's")
    url = app_with().config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg", "postgresql")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("IDP_DATABASE_URL", url)
        monkeypatch.setenv("IDP_ENV", "testing")
        app = _app()
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "0"
    with app.app_context():
        db.engine.dispose()
