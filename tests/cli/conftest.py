"""Fixtures of the command tests: empty and initialised databases, ``idp`` in-process."""

from __future__ import annotations

import pytest

from tests.cli.helpers import call_idp


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """An empty SQLite database of its own."""
    return f"sqlite:///{tmp_path / 'idp.sqlite3'}"


@pytest.fixture
def any_database(backend, database_url_factory) -> str:
    """An empty database of the current backend (SQLite file or PostgreSQL schema)."""
    return database_url_factory(backend)


@pytest.fixture
def idp(monkeypatch):
    """Call ``idp`` in this process: idp(database_url, *args, stdin=..., **environment)."""
    def call(database_url: str, *args: str, stdin: str = "", **environment: str):
        return call_idp(monkeypatch, database_url, *args, stdin=stdin, **environment)

    return call


@pytest.fixture(scope="module")
def initialized(tmp_path_factory) -> str:
    """A SQLite database after `idp init`, shared by a module's tests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'idp.sqlite3'}"
    with pytest.MonkeyPatch.context() as monkeypatch:
        call_idp(monkeypatch, url, "init").assert_ok()
    return url
