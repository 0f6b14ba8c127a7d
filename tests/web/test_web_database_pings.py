"""A pooled PostgreSQL connection is pinged before a request uses it only after it was idle.

The provider talks to PostgreSQL through a TCP proxy that counts the pings its connections
send, and that can close every connection under the pool.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.conftest import BACKENDS
from tests.support.live import LiveServer, build_live, new_directory
from tests.support.rp import StrictRP
from tests.support.tcp_proxy import TcpProxy, through

pytestmark = pytest.mark.storage

#: SQLAlchemy's ping on psycopg: the empty statement ";" as a simple Query message (type Q,
#: length 6, the statement ended by NUL).
PING = b"Q\x00\x00\x00\x06;\x00"


@pytest.fixture
def postgres_url(database_url_factory) -> str:
    if "postgresql" not in BACKENDS:
        pytest.skip("SQLite runs in the process: there is no connection to lose")
    return database_url_factory("postgresql")


@contextmanager
def through_proxy(url: str, **settings) -> Iterator[tuple[LiveServer, TcpProxy]]:
    """A live provider whose PostgreSQL connections pass through a proxy."""
    with TcpProxy.to(url) as proxy:
        server = build_live(through(url, proxy.port), **settings)
        try:
            yield server, proxy
        finally:
            server.stop()


def access_token(server: LiveServer) -> tuple[StrictRP, str]:
    """Sign a user in at a new app and return the app and its access token."""
    directory = new_directory(server)
    rp = StrictRP(directory, directory.add_client())
    rp.sign_in(directory.add_user(totp=True))
    tokens = rp.exchange(rp.response_params(rp.start())["code"])
    return rp, tokens["access_token"]


def test_a_connection_used_moments_ago_is_not_pinged_again(postgres_url):
    with through_proxy(postgres_url, IDP_DATABASE_PING_IDLE_SECONDS=60) as (server, proxy):
        rp, token = access_token(server)
        assert rp.userinfo(token).status_code == 200
        proxy.count(PING)

        answers = [rp.userinfo(token).status_code for _ in range(5)]

        assert answers == [200] * 5
        assert proxy.sent == 0


def test_a_connection_idle_for_longer_than_the_bound_is_pinged_first(postgres_url):
    with through_proxy(postgres_url, IDP_DATABASE_PING_IDLE_SECONDS=0.2) as (server, proxy):
        rp, token = access_token(server)
        assert rp.userinfo(token).status_code == 200
        proxy.count(PING)
        time.sleep(0.3)  # the pool's own idle time, measured on the monotonic clock

        assert rp.userinfo(token).status_code == 200
        assert proxy.sent >= 1


def test_a_connection_lost_while_idle_is_replaced_before_a_request_uses_it(postgres_url):
    with through_proxy(postgres_url, IDP_DATABASE_PING_IDLE_SECONDS=0.2) as (server, proxy):
        rp, token = access_token(server)
        assert rp.userinfo(token).status_code == 200
        proxy.cut()  # every pooled connection is closed under the provider
        proxy.restore()
        time.sleep(0.3)

        answer = rp.userinfo(token)

        assert answer.status_code == 200, answer.text
