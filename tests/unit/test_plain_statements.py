"""Statements on the driver's cursor (``idp.storage.plain.PlainStatement``): a write belongs
to the session's transaction, a read sees it, and a value SQLAlchemy would make itself is
never left out."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, bindparam, select, text
from sqlalchemy.exc import DBAPIError

from idp import create_app
from idp.storage import db
from idp.storage.plain import PlainStatement
from tests.conftest import BACKENDS, POSTGRES
from tests.support.live import TEST_SETTINGS
from tests.support.tcp_proxy import TcpProxy, through

pytestmark = pytest.mark.storage

NOTES = Table("plain_note", MetaData(), Column("id", Integer, primary_key=True),
              Column("body", String(40)), Column("tags", JSON), Column("seen", Integer))
DATED = Table("plain_dated", MetaData(), Column("id", Integer, primary_key=True),
              Column("body", String(40), default="made"),
              Column("changed", Integer, onupdate=lambda: 1))

ADD = PlainStatement(NOTES.insert())
SEEN = PlainStatement(NOTES.update().where(NOTES.c.id == bindparam("note"),
                                           NOTES.c.seen.is_(None)).values(seen=bindparam("at")))
READ = PlainStatement(select(NOTES.c.body, NOTES.c.tags).where(NOTES.c.id == bindparam("note")))


@pytest.fixture(scope="module")
def app(database_url_factory, backend):
    app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": database_url_factory(backend)})
    with app.app_context():
        NOTES.create(db.engine)
        DATED.create(db.engine)
    return app


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session
        db.session.rollback()
        db.session.execute(NOTES.delete())
        db.session.commit()
        db.session.remove()


def kept(app) -> list[tuple]:
    """Return the notes as another session sees them: what was committed."""
    with app.app_context():
        try:
            return [tuple(row) for row in db.session.execute(
                text("SELECT id, body, seen FROM plain_note ORDER BY id"))]
        finally:
            db.session.remove()


def test_a_write_is_kept_only_when_the_session_commits(app, session):
    assert ADD.execute(id=1, body="one", tags=["a"], seen=None) == 1
    assert READ.first(note=1) == ["one", ["a"]]  # its own transaction sees it, converted
    session.rollback()
    assert kept(app) == []
    ADD.execute(id=1, body="one", tags=[], seen=None)
    session.commit()
    assert kept(app) == [(1, "one", None)]


def test_an_update_says_how_many_rows_it_changed(app, session):
    ADD.execute(id=1, body="one", tags=None, seen=None)
    session.commit()
    assert SEEN.execute(note=1, at=5) == 1
    assert SEEN.execute(note=1, at=6) == 0  # seen already: the condition holds it
    session.commit()
    assert kept(app) == [(1, "one", 5)]


def test_a_read_without_a_session_finds_nothing_uncommitted(app, session):
    ADD.execute(id=1, body="one", tags=None, seen=None)
    with app.app_context():  # another request: no session used yet
        assert READ.first(note=1) is None
    session.commit()
    with app.app_context():
        assert READ.first(note=1) == ["one", None]


def test_a_value_sqlalchemy_would_make_must_be_given(session):
    with pytest.raises(ValueError, match="give body"):
        PlainStatement(DATED.insert()).execute(id=1)
    assert PlainStatement(DATED.insert()).execute(id=1, body="given", changed=None) == 1
    with pytest.raises(ValueError, match="give changed"):
        PlainStatement(DATED.update().values(body="other")).execute()


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="the tests run on SQLite only")
def test_a_connection_found_gone_renews_the_pools_other_connections(database_url_factory):
    with TcpProxy.to(POSTGRES) as proxy:
        app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": through(
            database_url_factory("postgresql"), proxy.port)})
        with app.app_context():
            NOTES.create(db.engine)
            first, second = db.engine.raw_connection(), db.engine.raw_connection()
            first.close()
            second.close()  # two idle connections in the pool
            proxy.cut()
            with pytest.raises(DBAPIError) as raised:
                READ.first(note=1)  # on one of them, with no session
            assert raised.value.connection_invalidated
            proxy.restore()
            # The other, lost in the same cut, is not handed out again: a new one is.
            assert [READ.first(note=1) for _ in range(2)] == [None, None]
