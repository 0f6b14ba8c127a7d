"""Fixtures of the production tests: the provider as deployed, gunicorn worker processes.

What only shows in production mode or between processes (production-only headers and
checks, outages of the database or Redis, the error log) is tested here against real
`gunicorn 'idp:create_app()'` processes (tests/support/gunicorn.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.support.gunicorn import PRODUCTION, GunicornProvider
from tests.support.live import TestDirectory, new_directory
from tests.support.tcp_proxy import TcpProxy

REDIS = urlsplit(os.environ.get("IDP_TEST_REDIS", "redis://127.0.0.1:6379/0"))


@pytest.fixture(scope="module")
def https_provider(database_url_factory):
    """A production instance over TLS (https://localhost:PORT), 2 workers, on SQLite."""
    provider = GunicornProvider({**PRODUCTION, "IDP_DATABASE_URL": database_url_factory("sqlite")},
                                workers=2, tls=True)
    with provider:
        yield provider


@pytest.fixture(scope="module")
def https_directory(https_provider) -> TestDirectory:
    """A directory of the production instance, with one confidential client."""
    directory = new_directory(https_provider)
    directory.add_client()
    return directory


@dataclass
class OutageRig:
    """A production instance whose PostgreSQL and Redis are reached through cuttable proxies."""

    provider: GunicornProvider
    database: TcpProxy
    redis: TcpProxy


def through(url: str, port: int) -> str:
    """Return a database URL with its host and port replaced by 127.0.0.1:port."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture(scope="module")
def outage_rig(database_url_factory):
    """A production instance (2 workers, TLS) on PostgreSQL and Redis behind TcpProxy each.

    Its error log is a file of its own, apart from stdout and stderr.
    """
    database_url = database_url_factory("postgresql")
    target = urlsplit(database_url)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 5432) as database, \
            TcpProxy(REDIS.hostname or "127.0.0.1", REDIS.port or 6379) as redis:
        provider = GunicornProvider(
            {**PRODUCTION, "IDP_DATABASE_URL": through(database_url, database.port),
             "IDP_REDIS_URL": through(REDIS.geturl(), redis.port)},
            workers=2, tls=True, error_logfile=True)
        with provider:
            yield OutageRig(provider, database, redis)
