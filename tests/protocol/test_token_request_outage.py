"""A token request cut by a database failure loses nothing: it is one transaction.

The provider talks to PostgreSQL through a TCP proxy that is cut at the moment the new
token row is sent, after the code or refresh token was claimed in the same transaction.
The client gets 503 temporarily_unavailable; once the database is back, the same code
or refresh token works, exactly once.
"""

from __future__ import annotations

import pytest
import requests

from tests.conftest import BACKENDS
from tests.support.live import build_live, new_directory
from tests.support.rp import StrictRP
from tests.support.tcp_proxy import TcpProxy, through

TOKEN_ROW = b"INSERT INTO token ("


@pytest.fixture(scope="module")
def proxied(database_url_factory):
    """A live provider whose PostgreSQL connections pass through a proxy that can be cut."""
    if "postgresql" not in BACKENDS:
        pytest.skip("needs PostgreSQL")
    url = database_url_factory("postgresql")
    with TcpProxy.to(url) as proxy:
        server = build_live(through(url, proxy.port))
        yield server, proxy
        server.stop()


@pytest.fixture
def rp(proxied):
    server, proxy = proxied
    proxy.restore()
    directory = new_directory(server)
    rp = StrictRP(directory, directory.add_client())
    rp.sign_in(directory.add_user(totp=True))
    return rp


def cut_at_the_token_row(proxy: TcpProxy, send) -> requests.Response:
    """Send a token request with the database cut as the new token row goes out; restore."""
    proxy.cut_when(TOKEN_ROW)
    try:
        answer = send()
        assert proxy.triggered.is_set(), "the token row was never sent"
    finally:
        proxy.restore()
    return answer


def assert_unavailable(answer: requests.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == "temporarily_unavailable"


def test_a_code_exchange_cut_by_the_database_can_be_retried_once(proxied, rp):
    _server, proxy = proxied
    code = rp.response_params(rp.start())["code"]
    data = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": rp.client.redirect_uri, "code_verifier": rp.pending.verifier}
    failed = cut_at_the_token_row(proxy, lambda: rp.token_request(data))

    tokens = rp.exchange(code)
    assert rp.userinfo(tokens["access_token"]).status_code == 200
    again = rp.token_request(data)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert_unavailable(failed)


def test_a_refresh_cut_by_the_database_can_be_retried_once(proxied, rp):
    _server, proxy = proxied
    tokens = rp.exchange(rp.response_params(rp.start())["code"])
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    failed = cut_at_the_token_row(proxy, lambda: rp.token_request(data))

    fresh = rp.token_request(data)
    assert fresh.status_code == 200, fresh.text
    assert rp.userinfo(fresh.json()["access_token"]).status_code == 200
    again = rp.token_request(data)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert_unavailable(failed)
