"""PostgreSQL transactions begin at their first write: the reads before it run without one
(no BEGIN and no ROLLBACK), and every write is still kept whole or not at all."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import text

from idp import create_app
from idp.storage import db
from idp.storage.db import needs_transaction
from tests.conftest import BACKENDS
from tests.support.live import TEST_SETTINGS


@pytest.mark.parametrize("statement", [
    "SELECT token.id FROM token WHERE token.hash = %(hash)s",
    "  select 1",
    "SELECT count(*) AS n FROM user_account WHERE user_account.name LIKE %(p)s",
])
def test_a_select_that_holds_no_rows_needs_no_transaction(statement):
    assert not needs_transaction(statement)


@pytest.mark.parametrize("statement", [
    "INSERT INTO audit_event (at) VALUES (%(at)s)",
    "UPDATE token SET used_at = %(now)s WHERE token.id = %(id)s",
    "DELETE FROM interaction WHERE expires_at < %(now)s",
    "SELECT attempt_budget.key FROM attempt_budget WHERE key IN (%(k)s) FOR UPDATE",
    "SELECT browser_session.id FROM browser_session WHERE id = %(id)s FOR SHARE",
    "SELECT t.id FROM t FOR NO KEY UPDATE",
    "SELECT t.id FROM t for key share",
    "WITH gone AS (DELETE FROM t RETURNING id) SELECT count(*) FROM gone",
    "SET LOCAL statement_timeout = 0",
    "SAVEPOINT sa_savepoint_1",
])
def test_a_write_a_lock_or_anything_else_needs_the_transaction(statement):
    assert needs_transaction(statement)


def on_postgresql(test):
    """Mark a test that runs on PostgreSQL, when the suite tests it (IDP_TEST_BACKENDS)."""
    return pytest.mark.storage(pytest.mark.skipif(
        "postgresql" not in BACKENDS, reason="the tests run on SQLite only")(test))


@pytest.fixture(scope="module")
def database(database_url_factory):
    """The provider's app on a PostgreSQL schema of its own, with one table of notes."""
    url = database_url_factory("postgresql")
    app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": url})
    with app.app_context():
        db.session.execute(text("CREATE TABLE note (id integer PRIMARY KEY, body text)"))
        db.session.commit()
        db.session.remove()
    return app, url


@pytest.fixture
def session(database):
    app, _url = database
    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.execute(text("DELETE FROM note"))
        db.session.commit()
        db.session.remove()


@pytest.fixture
def other(database):
    """A connection of its own, as another worker's."""
    with psycopg.connect(database[1], autocommit=True) as connection:
        yield connection


def server_side(session) -> TransactionStatus:
    """Return whether the session's connection has a transaction open on the server."""
    return session.connection().connection.dbapi_connection.pgconn.transaction_status


def notes(connection) -> list[int]:
    return [row[0] for row in connection.execute("SELECT id FROM note ORDER BY id")]


@on_postgresql
def test_reads_open_no_transaction_on_the_server(session):
    session.execute(text("SELECT 1"))
    assert session.execute(text("SELECT count(*) FROM note")).scalar() == 0
    # Nothing open: no BEGIN went before the reads, and no ROLLBACK need follow them.
    assert server_side(session) == TransactionStatus.IDLE


@on_postgresql
def test_the_first_write_begins_a_transaction_that_keeps_all_its_writes_or_none(session, other):
    session.execute(text("SELECT count(*) FROM note"))
    session.execute(text("INSERT INTO note VALUES (1, 'one')"))
    assert server_side(session) == TransactionStatus.INTRANS
    session.execute(text("INSERT INTO note VALUES (2, 'two')"))
    assert notes(other) == []  # not committed yet
    session.rollback()
    assert notes(other) == []  # neither was kept
    session.execute(text("INSERT INTO note VALUES (1, 'one')"))
    session.execute(text("INSERT INTO note VALUES (2, 'two')"))
    session.commit()
    assert notes(other) == [1, 2]


@on_postgresql
def test_a_read_after_the_first_write_runs_in_its_transaction(session, other):
    session.execute(text("INSERT INTO note VALUES (1, 'one')"))
    other.execute("INSERT INTO note VALUES (2, 'two')")  # committed meanwhile
    # In the transaction: its own write is seen; under READ COMMITTED so is the other's.
    assert sorted(session.execute(text("SELECT id FROM note")).scalars()) == [1, 2]
    assert server_side(session) == TransactionStatus.INTRANS
    session.rollback()
    assert notes(other) == [2]


@on_postgresql
def test_a_select_for_update_holds_its_row_until_the_commit(session, other):
    other.execute("INSERT INTO note VALUES (1, 'one')")
    session.execute(text("SELECT id FROM note WHERE id = 1 FOR UPDATE"))
    with pytest.raises(psycopg.errors.LockNotAvailable):
        other.execute("SELECT id FROM note WHERE id = 1 FOR UPDATE NOWAIT")
    session.commit()
    assert other.execute("SELECT id FROM note WHERE id = 1 FOR UPDATE NOWAIT").fetchall()


@on_postgresql
def test_after_a_commit_reads_run_without_a_transaction_again(session):
    session.execute(text("INSERT INTO note VALUES (1, 'one')"))
    session.commit()
    assert session.execute(text("SELECT body FROM note WHERE id = 1")).scalar() == "one"
    assert server_side(session) == TransactionStatus.IDLE
