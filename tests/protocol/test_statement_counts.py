"""The machine endpoints' and the login page's SQL, counted so that it cannot creep back.

A request names its directory and its app, which each process keeps in memory
(``idp.storage.kept``): once they have been served, no request reads their rows again
until they change.
The ceilings are what the endpoints run today; lower them as statements go.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from contextlib import contextmanager
from typing import NamedTuple
from urllib.parse import urljoin

import pytest
import requests
from psycopg.pq import TransactionStatus

from idp.storage.db import needs_transaction
from idp.storage.kept import note_change
from tests.protocol._helpers import signed_in
from tests.support.agent import Page
from tests.support.rp import StrictRP
from tests.support.sql import listening, watching

# Statements of one request, on either backend (SQLite and PostgreSQL differ by a few).
CEILINGS = {"userinfo": 1, "introspection": 2, "exchange": 5, "refresh": 3, "login_page": 2,
            # The steps of a login with a password and an authenticator app.
            "authorize": 2, "password": 13, "step_up_page": 3, "totp_page": 3, "totp": 14,
            "back_to_app": 7}
# Transactions of each step of that login on PostgreSQL: the pages that only read run none.
# A right answer's reservation is given back with its step; the code is issued and the
# failure budgets cleared in one.
TRANSACTIONS = {"authorize": 1, "login_page": 0, "password": 2, "step_up_page": 0,
                "totp_page": 0, "totp": 2, "back_to_app": 1, "exchange": 1}
DIRECTORY_READ = re.compile(r"\bFROM directory\b", re.IGNORECASE)
CLIENT_READ = re.compile(r"\bFROM client\b", re.IGNORECASE)


@contextmanager
def statements(app):
    """Collect the SQL the provider's own threads run meanwhile."""
    seen: list[str] = []
    with watching(app, lambda _cursor, statement: seen.append(statement)):
        yield seen


def reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


@pytest.fixture
def tokens(rp, user) -> dict:
    return signed_in(rp, user, scope="openid profile offline_access")


def test_a_served_directory_is_not_read_again(app, rp, tokens):
    rp.userinfo(tokens["access_token"])
    with statements(app) as seen:
        assert rp.userinfo(tokens["access_token"]).status_code == 200
    assert seen, "the token is looked up"
    assert not [s for s in seen if DIRECTORY_READ.search(s)], seen


def test_an_app_served_by_its_client_id_is_not_read_again_by_its_primary_key(app, rp, tokens):
    # The exchange served the app by its client id; the token names it by its key.
    with statements(app) as seen:
        assert rp.userinfo(tokens["access_token"]).status_code == 200
    assert not [s for s in seen if CLIENT_READ.search(s)], seen


def test_userinfo_stays_within_its_statements(app, rp, tokens):
    rp.userinfo(tokens["access_token"])
    with statements(app) as seen:
        assert rp.userinfo(tokens["access_token"]).status_code == 200
    assert len(seen) <= CEILINGS["userinfo"], seen


@contextmanager
def most_connections_held(app):
    """Yield a list that ends up holding the most pooled connections any one of the
    provider's threads held at once meanwhile."""
    held: Counter[int] = Counter()
    most = [0]
    lock = threading.Lock()

    def out(*_args):
        with lock:
            held[threading.get_ident()] += 1
            most[0] = max(most[0], held[threading.get_ident()])

    def back(*_args):
        with lock:
            held[threading.get_ident()] -= 1

    with listening(app, checkout=out, checkin=back):
        yield most


def test_a_refresh_that_reads_its_app_first_looks_its_token_up_on_the_same_connection(
        app, rp, tokens):
    note_change()  # nothing kept: the app is read through the request's session first
    with most_connections_held(app) as most:
        response = rp.token_request({"grant_type": "refresh_token",
                                     "refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200, response.text
    assert most == [1]


def introspect(rp, token: str) -> requests.Response:
    return requests.post(f"{rp.directory.issuer}/introspect", data={"token": token},
                         auth=(rp.client.client_id, rp.client.secret), timeout=30)


def test_introspection_stays_within_its_statements(app, rp, tokens):
    introspect(rp, tokens["access_token"])
    with statements(app) as seen:
        response = introspect(rp, tokens["access_token"])
    assert response.status_code == 200 and response.json()["active"]
    assert len(seen) <= CEILINGS["introspection"], seen


def test_a_refresh_stays_within_its_statements(app, rp, tokens):
    with statements(app) as seen:
        response = rp.token_request({"grant_type": "refresh_token",
                                     "refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200, response.text
    assert len(seen) <= CEILINGS["refresh"], seen


def test_a_code_exchange_stays_within_its_statements(app, rp, user):
    signed_in(rp, user)  # the directory, the client and the keys have been served once
    code = rp.sign_in(user)["code"]
    with statements(app) as seen:
        response = rp.token_request({
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": rp.client.redirect_uri, "code_verifier": rp.pending.verifier})
    assert response.status_code == 200, response.text
    assert len(seen) <= CEILINGS["exchange"], seen


def test_a_login_page_reads_neither_its_directory_nor_its_app_again(app, rp):
    page = rp.start()
    assert page.status_code == 200, page.text[:300]
    with statements(app) as seen:
        again = rp.agent.http.get(page.url, timeout=30)
    assert again.status_code == 200 and again.url == page.url
    assert not [s for s in seen if DIRECTORY_READ.search(s) or CLIENT_READ.search(s)], seen
    assert len(seen) <= CEILINGS["login_page"], seen


def walk_a_login(rp, user, around) -> None:
    """Log `user` in with a password and an authenticator app, each request of it (and the
    exchange of its code) inside ``around(name)``."""
    signed_in(StrictRP(rp.directory, rp.client), rp.directory.add_user(totp=True))

    def step(name: str, send) -> requests.Response:
        with around(name):
            return send()

    started = step("authorize", lambda: rp.agent.http.get(
        rp.authorization_url(), allow_redirects=False, timeout=30))
    assert started.is_redirect, started.text[:300]
    page = Page(step("login_page", lambda: rp.agent.get(
        urljoin(started.url, started.headers["Location"]))))
    response = step("password", lambda: rp.agent.submit(page, "Log in", by_label={
        "Username or email": user.username, "Password": user.password}, follow=False))
    assert response.is_redirect, response.text[:300]
    choice = step("step_up_page", lambda: rp.agent.get(urljoin(response.url,
                                                                response.headers["Location"])))
    assert Page(choice).title == "Choose how to verify", choice.text[:300]
    form = Page(step("totp_page", lambda: rp.agent.get(
        Page(choice).link("Continue with authenticator app"))))
    response = step("totp", lambda: rp.agent.submit(form, "Verify", by_label={
        "Code": user.totp()}, follow=False))
    assert response.is_redirect, response.text[:300]
    back = step("back_to_app", lambda: rp.agent.http.get(
        urljoin(response.url, response.headers["Location"]), allow_redirects=False, timeout=30))
    code = rp.response_params(back)["code"]
    exchanged = step("exchange", lambda: rp.token_request({
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": rp.client.redirect_uri, "code_verifier": rp.pending.verifier}))
    assert exchanged.status_code == 200, exchanged.text


def test_each_step_of_a_login_stays_within_its_statements(app, rp, user):
    counts: dict[str, int] = {}

    @contextmanager
    def counted(name: str):
        with statements(app) as seen:
            yield
        counts[name] = len(seen)

    walk_a_login(rp, user, counted)
    over = {name: count for name, count in counts.items() if count > CEILINGS[name]}
    assert not over, (over, counts)


class Ran(NamedTuple):
    """A statement the provider ran, and how: without a transaction (psycopg's autocommit),
    or inside one, which psycopg began (BEGIN) right before it or earlier."""

    statement: str
    alone: bool
    begins: bool


@contextmanager
def transactions(app):
    """Collect each statement the provider's threads run meanwhile, and how it ran (Ran)."""
    seen: list[Ran] = []

    def note(cursor, statement):
        connection = cursor.connection
        seen.append(Ran(statement, connection.autocommit, not connection.autocommit and
                        connection.pgconn.transaction_status == TransactionStatus.IDLE))

    with watching(app, note):
        yield seen


def test_on_postgresql_reads_run_without_a_transaction_and_writes_inside_one(
        app, rp, user, backend):
    if backend != "postgresql":
        pytest.skip("SQLite runs in the process: a transaction costs no round trip")
    only_read = {}
    page = rp.start()
    with transactions(app) as seen:
        assert rp.agent.http.get(page.url, timeout=30).status_code == 200
    only_read["login page"] = seen
    tokens = signed_in(rp, user, scope="openid profile offline_access")
    rp.userinfo(tokens["access_token"])
    with transactions(app) as seen:
        assert rp.userinfo(tokens["access_token"]).status_code == 200
    only_read["userinfo"] = seen
    with transactions(app) as seen:
        assert introspect(rp, tokens["access_token"]).json()["active"]
    only_read["introspection"] = seen
    for name, ran in only_read.items():  # no BEGIN, and no ROLLBACK after
        assert ran and all(r.alone for r in ran), (name, ran)

    with transactions(app) as seen:
        response = rp.token_request({"grant_type": "refresh_token",
                                     "refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200, response.text
    first_write = next(i for i, r in enumerate(seen) if needs_transaction(r.statement))
    assert all(r.alone for r in seen[:first_write]), seen
    assert not any(r.alone for r in seen[first_write:]), \
        "from its first write to its commit, a refresh runs in one transaction"


def test_on_postgresql_each_step_of_a_login_stays_within_its_transactions(
        app, rp, user, backend):
    if backend != "postgresql":
        pytest.skip("SQLite runs in the process: a transaction costs no round trip")
    counts: dict[str, int] = {}

    @contextmanager
    def counted(name: str):
        with transactions(app) as seen:
            yield
        counts[name] = sum(r.begins for r in seen)

    walk_a_login(rp, user, counted)
    # Each transaction costs a BEGIN and a COMMIT (or ROLLBACK): two round trips.
    over = {name: count for name, count in counts.items() if count > TRANSACTIONS[name]}
    assert not over, (over, counts)
