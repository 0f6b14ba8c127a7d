"""One code or refresh token redeemed twice at the same moment: exactly one redemption wins,
and the replay revokes what the winner was given, whatever the interleaving (RFC 6749 4.1.2
and 10.5; RFC 9700 4.14.2).

Real threads against a real server: the threaded live server on each backend, and two
production instances (`idp run`, two worker processes each) sharing one PostgreSQL database, as two
replicas behind a load balancer are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import requests

from tests.conftest import BACKENDS
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.support.served import ServedProvider

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
