"""Fixtures shared by the whole suite: storage backends, a live provider, fresh directories."""

from __future__ import annotations

import os
import secrets

import psycopg
import pytest

from tests.support.live import build_live, new_directory

POSTGRES = os.environ.get("IDP_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("IDP_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def _postgres_schema_url(schema: str) -> str:
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{sep}options=-csearch_path%3D{schema}"


def _drop_schema(schema: str) -> None:
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def database_url_factory(tmp_path_factory):
    """Return a function making an empty database of a backend; cleaned up at the end."""
    schemas: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("db") / "idp.sqlite3"
            return f"sqlite:///{path}"
        schema = f"idp_test_{secrets.token_hex(6)}"
        schemas.append(schema)
        return _postgres_schema_url(schema)

    yield make
    for schema in schemas:
        _drop_schema(schema)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """The storage backend a test runs on: every storage test runs on each."""
    return request.param


@pytest.fixture(scope="session")
def live(backend, database_url_factory):
    """A provider serving over HTTP on loopback, on the current backend."""
    server = build_live(database_url_factory(backend))
    yield server
    server.stop()


@pytest.fixture
def directory(live):
    """A fresh directory of the live provider (default levels: required 30)."""
    return new_directory(live)


@pytest.fixture
def app(live):
    """The Flask app behind the live provider, for direct set-up and inspection."""
    return live.app
