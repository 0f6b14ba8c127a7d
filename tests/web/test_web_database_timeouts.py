"""A stalled database cannot hold a worker: every connection carries bounded waits."""

from __future__ import annotations

import time

import psycopg
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


def _backend_pid(app) -> int:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()


@pytest.fixture
def dropped(app_with, backend):
    """Build an app pinging after the given rest, use a connection, then end it from the
    server's side (as a restart or an idle timeout does); return the app and its pid."""
    if backend != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")

    def build(ping_after: float):
        app = app_with(IDP_DATABASE_PING_AFTER_SECONDS=ping_after)
        first = _backend_pid(app)
        url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        return app, first
    return build


def test_a_connection_dropped_while_it_rested_in_the_pool_is_replaced_unseen(dropped):
    app, first = dropped(0.05)
    time.sleep(0.1)  # longer than the rest that earns a ping (a monotonic clock, not ours)
    assert _backend_pid(app) != first  # pinged, found dropped, replaced: no error


def test_a_connection_used_a_moment_ago_is_not_pinged_and_a_drop_is_one_outage(dropped):
    app, first = dropped(3600)
    with pytest.raises(OperationalError) as raised:
        _backend_pid(app)
    assert outage_of(raised.value)[0] == "database"  # answered 503 by the web layer
    assert _backend_pid(app) != first  # the pool replaced what was made before the drop
