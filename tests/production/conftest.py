"""Fixtures of the production tests: the provider as deployed, worker processes.

What only shows in production mode or between processes (production-only headers and
checks, outages of the database or Redis, the logs) is tested here against real
processes of the README's production command, `idp run` (tests/support/served.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.live import TestDirectory, new_directory
from tests.support.served import PRODUCTION, ServedProvider
from tests.support.tcp_proxy import TcpProxy, through

REDIS = urlsplit(os.environ.get("IDP_TEST_REDIS", "redis://127.0.0.1:6379/0"))


@pytest.fixture(scope="module")
def https_provider(database_url_factory):
    """A production instance over TLS (https://localhost:PORT), 2 workers, on SQLite."""
    provider = ServedProvider({**PRODUCTION, "IDP_DATABASE_URL": database_url_factory("sqlite")},
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

    provider: ServedProvider
    database: TcpProxy
    redis: TcpProxy


@contextmanager
def rig(database_url: str, **options: Any) -> Iterator[OutageRig]:
    """A production instance (2 workers, TLS) on PostgreSQL and Redis behind TcpProxy each;
    `options` of ``ServedProvider`` (the server, say)."""
    with TcpProxy.to(database_url) as database, TcpProxy.to(REDIS.geturl(), 6379) as redis:
        provider = ServedProvider(
            {**PRODUCTION, "IDP_DATABASE_URL": through(database_url, database.port),
             "IDP_REDIS_URL": through(REDIS.geturl(), redis.port)},
            workers=2, tls=True, **options)
        with provider:
            yield OutageRig(provider, database, redis)


@pytest.fixture(scope="module")
def outage_rig(database_url_factory):
    """The production command's instance, its database and Redis cuttable."""
    with rig(database_url_factory("postgresql")) as outages:
        yield outages


@pytest.fixture(scope="module")
def gunicorn_outage_rig(database_url_factory):
    """The same under gunicorn, its error log a file of its own apart from stdout and stderr."""
    with rig(database_url_factory("postgresql"), server="gunicorn",
             error_logfile=True) as outages:
        yield outages
