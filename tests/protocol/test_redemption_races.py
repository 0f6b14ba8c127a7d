"""One code or refresh token redeemed twice at the same moment: exactly one redemption wins,
and the replay revokes what the winner was given, whatever the interleaving (RFC 6749 4.1.2
and 10.5; RFC 9700 4.14.2).

Real threads against a real server: the threaded live server on each backend, and two
production instances (`idp run`, two worker processes each) sharing one PostgreSQL database, as two
replicas behind a load balancer are.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import text

from idp.storage import db
from tests.conftest import BACKENDS
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.support.served import ServedProvider
from tests.support.sql import watching

ROUNDS = 20


class Endpoint:
    """The token endpoint of one instance, reached as the shared base URL's host."""

    def __init__(self, rp: StrictRP, instance_url: str | None = None):
        self.rp = rp
        self.url = rp.metadata["token_endpoint"]
        self.headers: dict[str, str] = {}
        if instance_url is not None:  # another replica behind the same public name
            base = rp.directory.live.url
            self.headers["Host"] = base.split("://", 1)[1]
            self.url = instance_url + self.url[len(base):]
        self.http = requests.Session()

    def post(self, data: dict[str, str]) -> requests.Response:
        client = self.rp.client
        return self.http.post(self.url, data=data, auth=(client.client_id, client.secret),
                              headers=self.headers, timeout=60)


def at_once(*calls: Callable[[], requests.Response]) -> list[requests.Response]:
    """Run the calls in threads released together; return their answers in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[requests.Response | BaseException | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            answers[index] = calls[index]()
        except BaseException as exc:  # reported below, in the test's thread
            answers[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for answer in answers:
        if not isinstance(answer, requests.Response):
            raise AssertionError(f"a redemption did not answer: {answer!r}")
    return answers  # type: ignore[return-value]


def fresh_code(rp: StrictRP) -> str:
    """Ask for a code again in the signed-in browser: single sign-on, no prompt."""
    return rp.response_params(rp.start())["code"]


def one_winner(answers: list[requests.Response]) -> dict:
    """Check that exactly one redemption won and the other is invalid_grant; return the win."""
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 400], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 400)
    assert loser.json()["error"] == "invalid_grant"
    return next(a for a in answers if a.status_code == 200).json()


def assert_refused(rp: StrictRP, tokens: dict, round_: int) -> None:
    assert rp.userinfo(tokens["access_token"]).status_code == 401, \
        f"round {round_}: the winner's access token still works after the replay"
    again = rp.token_request({"grant_type": "refresh_token",
                              "refresh_token": tokens["refresh_token"]})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant", \
        f"round {round_}: the winner's refresh token still works after the replay"


def race_codes(rp: StrictRP, first: Endpoint, second: Endpoint, rounds: int) -> None:
    for round_ in range(rounds):
        code = fresh_code(rp)
        data = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": rp.client.redirect_uri, "code_verifier": rp.pending.verifier}
        won = one_winner(at_once(lambda d=data: first.post(d), lambda d=data: second.post(d)))
        assert_refused(rp, won, round_)


def race_refreshes(rp: StrictRP, first: Endpoint, second: Endpoint, rounds: int) -> None:
    for round_ in range(rounds):
        tokens = rp.exchange(fresh_code(rp))
        data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        won = one_winner(at_once(lambda d=data: first.post(d), lambda d=data: second.post(d)))
        assert_refused(rp, won, round_)
        assert rp.userinfo(tokens["access_token"]).status_code == 401


def test_a_code_redeemed_twice_at_once_leaves_no_token_of_it_valid(rp, user):
    rp.sign_in(user)
    race_codes(rp, Endpoint(rp), Endpoint(rp), ROUNDS)


def test_a_refresh_token_used_twice_at_once_leaves_no_token_of_its_grant_valid(rp, user):
    rp.sign_in(user)
    race_refreshes(rp, Endpoint(rp), Endpoint(rp), ROUNDS)


@contextmanager
def claims_held(app) -> Iterator[threading.Semaphore]:
    """Hold every claim of a code on a connection of the test's own (PostgreSQL: the code
    rows, FOR UPDATE; SQLite: its one write lock) until the block ends. Yield a semaphore
    released each time a provider thread starts to claim a code."""
    with app.app_context():
        engine = db.engine
    arrived = threading.Semaphore(0)

    def note(_cursor, statement):
        if statement.startswith("UPDATE authorization_code"):
            arrived.release()

    with watching(app, note):
        if engine.dialect.name == "sqlite":
            holder = sqlite3.connect(engine.url.database, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            try:
                yield arrived
            finally:
                holder.execute("COMMIT")
                holder.close()
        else:
            with engine.connect() as holder:
                holder.execute(text("SELECT id FROM authorization_code FOR UPDATE"))
                yield arrived
                holder.commit()


def test_two_redemptions_that_read_the_code_before_either_claims_it_leave_no_token_valid(
        app, rp, user):
    # Both have read the code and made their tokens when they reach the claim: the second
    # to claim finds it spent, answers invalid_grant and revokes what the first was given.
    rp.sign_in(user)
    code = fresh_code(rp)
    data = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": rp.client.redirect_uri, "code_verifier": rp.pending.verifier}
    first, second = Endpoint(rp), Endpoint(rp)
    answers: list[requests.Response | BaseException | None] = [None, None]

    def redeem(index: int, endpoint: Endpoint) -> None:
        try:
            answers[index] = endpoint.post(data)
        except BaseException as exc:  # reported below, in the test's thread
            answers[index] = exc

    threads = [threading.Thread(target=redeem, args=(i, e)) for i, e in enumerate((first, second))]
    with claims_held(app) as arrived:
        for thread in threads:
            thread.start()
        for _ in threads:
            assert arrived.acquire(timeout=60), "a redemption never reached its claim"
    for thread in threads:
        thread.join(60)
    assert all(isinstance(a, requests.Response) for a in answers), answers
    assert_refused(rp, one_winner(answers), 0)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def replicas(database_url_factory):
    """Two instances on one PostgreSQL database, known by the first one's URL."""
    if "postgresql" not in BACKENDS:
        pytest.skip("needs PostgreSQL")
    url = database_url_factory("postgresql")
    first = ServedProvider({"IDP_DATABASE_URL": url})
    second = ServedProvider({"IDP_DATABASE_URL": url, "IDP_BASE_URL": first.url},
                              migrate=False)
    with first, second:
        yield first, second


@pytest.fixture
def replicated_rp(replicas):
    first, second = replicas
    directory = new_directory(first)
    rp = StrictRP(directory, directory.add_client())
    rp.sign_in(directory.add_user(totp=True))
    return rp, second


def test_a_code_redeemed_at_two_instances_at_once_leaves_no_token_of_it_valid(replicated_rp):
    rp, second = replicated_rp
    race_codes(rp, Endpoint(rp), Endpoint(rp, second.url), ROUNDS)


def test_a_refresh_token_used_at_two_instances_at_once_leaves_no_token_valid(replicated_rp):
    rp, second = replicated_rp
    race_refreshes(rp, Endpoint(rp), Endpoint(rp, second.url), ROUNDS)
