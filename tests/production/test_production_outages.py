"""Outages of PostgreSQL and Redis under `idp run`: 503 with Retry-After, or a normal answer.

Never a 500, never a bare server error page, never a traceback; `/readyz` tells a load
balancer while the database or Redis is gone. The faults are real: a TCP proxy between
the provider and PostgreSQL or Redis that is cut (a closed port) or stalled (a hung
server), and a Redis URL on a port where nothing listens.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from idp.storage import db
from tests.support import live
from tests.support.agent import Page
from tests.support.live import free_port, new_directory
from tests.support.rp import StrictRP
from tests.support.served import PRODUCTION, ServedProvider

pytestmark = pytest.mark.storage

ROUNDS = 3


@dataclass
class Answer:
    """One answer during an outage, and whether a machine (JSON) or a person (page) asked."""

    what: str
    api: bool
    response: requests.Response


@dataclass
class Scene:
    """A directory with a user and a client, and browsers stopped in front of forms."""

    directory: live.TestDirectory
    client: live.TestClient
    user: live.TestUser
    login_rp: StrictRP
    login_form: Page
    code_rp: StrictRP
    code_form: Page

    def post_login(self) -> requests.Response:
        return self.login_rp.agent.submit(self.login_form, "Log in", by_label={
            "Username or email": self.user.username, "Password": "not the password"})

    def post_code(self) -> requests.Response:
        return self.code_rp.agent.submit(self.code_form, "Verify", by_label={"Code": "000000"})

    def post_token(self) -> requests.Response:
        return self.login_rp.token_request({
            "grant_type": "authorization_code", "code": "no-such-code",
            "redirect_uri": self.client.redirect_uri, "code_verifier": "v" * 43})

    def get_discovery(self) -> requests.Response:
        return requests.get(f"{self.directory.issuer}/.well-known/openid-configuration",
                            timeout=30)

    def requests(self) -> dict[str, tuple[Callable[[], requests.Response], bool]]:
        """Return the requests to make: name -> (call, whether it is an API call)."""
        return {"login form": (self.post_login, False), "code form": (self.post_code, False),
                "token": (self.post_token, True), "discovery": (self.get_discovery, True)}


@pytest.fixture
def trusted(outage_rig, monkeypatch):
    """Let requests trust the instance's certificate (the RP and the browsers use it), and
    give this test fresh connections of its own to the database.

    The test sets its scene up through the provider's app in this process, whose pool
    reaches PostgreSQL through the same proxy. An earlier test's cut closed the connections
    it holds, and one given back less than ``IDP_DATABASE_PING_IDLE_SECONDS`` before the
    cut is not pinged before its next use (``idp.storage.outages.ping_when_idle``): that
    first use would fail, in the setup, and not in what the test checks.
    """
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(outage_rig.provider.cert))
    with outage_rig.provider.app.app_context():
        db.engine.dispose()
    return outage_rig


@pytest.fixture
def scene(trusted) -> Scene:
    """Set up while everything is reachable: a login form and a code form, ready to post."""
    directory = new_directory(trusted.provider)
    client = directory.add_client()
    user = directory.add_user(totp=True)
    login_rp = StrictRP(directory, client)
    login_form = Page(login_rp.start())
    assert login_form.title.startswith("Log in"), login_form.text[:300]
    code_rp = StrictRP(directory, client)
    step = Page(code_rp.log_in(code_rp.start(), user))
    assert step.title == "Choose how to verify", step.text[:300]
    code_form = Page(code_rp.agent.get(step.link("Continue with authenticator app")))
    return Scene(directory, client, user, login_rp, login_form, code_rp, code_form)


def ask_everything(scene: Scene) -> list[Answer]:
    """Make every request ROUNDS times, the four kinds at once (one thread each)."""
    def loop(name: str) -> list[Answer]:
        call, api = scene.requests()[name]
        answers = []
        for _ in range(ROUNDS):
            answers.append(Answer(name, api, call()))
        return answers

    with ThreadPoolExecutor(4) as pool:
        return [answer for answers in pool.map(loop, scene.requests()) for answer in answers]


def readiness(provider: ServedProvider) -> requests.Response:
    return provider.http().get(provider.url + "/readyz", timeout=30)


def assert_unavailable_or_normal(answer: Answer) -> None:
    """503 temporarily_unavailable with Retry-After, as JSON or a page; or a normal answer."""
    response = answer.response
    where = f"{answer.what}: {response.status_code} {response.text[:300]}"
    assert response.status_code != 500, where
    assert "Traceback" not in response.text, where
    assert "Internal Server Error" not in response.text, where
    if response.status_code != 503:
        assert response.status_code < 500, where
        return
    assert response.headers.get("Retry-After", "").isdigit(), where
    content_type = response.headers["Content-Type"]
    if answer.api:
        assert content_type.startswith("application/json"), where
        assert response.json()["error"] == "temporarily_unavailable", where
    else:
        assert content_type.startswith("text/html"), where
        page = Page(response)
        assert page.title == "Temporarily unavailable", where
        assert page.soup.find(id="error-code").get_text(strip=True) == \
            "temporarily_unavailable", where


def wait_ready(provider: ServedProvider, timeout: float = 20) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = readiness(provider)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_with_the_database_cut_every_answer_is_503_with_retry_after_until_it_is_back(
        trusted, scene):
    trusted.database.cut()
    try:
        answers = ask_everything(scene)
        ready = readiness(trusted.provider)
    finally:
        trusted.database.restore()

    for answer in answers:
        assert_unavailable_or_normal(answer)
        if answer.what == "discovery" and answer.response.status_code == 200:
            # A worker that keeps the document in memory needs no database for it.
            assert answer.response.json()["issuer"] == scene.directory.issuer
            continue
        assert answer.response.status_code == 503, answer.what  # each needs the database
    assert ready.status_code == 503 and ready.headers["Retry-After"].isdigit(), ready.text
    assert ready.json()["checks"]["database"] == "unavailable"
    after = wait_ready(trusted.provider)
    assert after.status_code == 200, after.text
    assert after.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}
    for name, (call, _api) in scene.requests().items():
        assert call().status_code < 500, name
    assert "Traceback" not in trusted.provider.log()


def test_with_redis_cut_logins_are_answered_and_readyz_says_503_until_it_is_back(
        trusted, scene):
    trusted.redis.cut()
    try:
        answers = ask_everything(scene)
        ready = readiness(trusted.provider)
    finally:
        trusted.redis.restore()

    for answer in answers:
        assert_unavailable_or_normal(answer)
        # Rate limits fall back to each process's memory: every form is answered.
        assert answer.response.status_code < 500, answer.what
    wrong_password = Page(next(a.response for a in answers if a.what == "login form"))
    assert wrong_password.title.startswith("Log in"), wrong_password.text[:300]
    assert ready.status_code == 503, ready.text
    assert ready.json()["checks"] == {"database": "ok", "redis": "unavailable"}
    assert wait_ready(trusted.provider).status_code == 200


def test_with_redis_stalled_every_request_is_answered_before_redis_comes_back(trusted, scene):
    # The stall lasts until restore(), which comes only after every answer is in: an
    # answer at all shows that nothing waits for Redis to return (a request that did
    # would end in the client's timeout and fail here). How fast they come is for bench/.
    trusted.redis.stall()
    try:
        answers = ask_everything(scene)
        ready = readiness(trusted.provider)
    finally:
        trusted.redis.restore()

    for answer in answers:
        assert_unavailable_or_normal(answer)
        assert answer.response.status_code < 500, answer.what
    assert ready.status_code == 503 and ready.headers["Retry-After"].isdigit()
    assert wait_ready(trusted.provider).status_code == 200


def test_with_redis_on_a_closed_port_logins_are_answered_and_readyz_says_503(
        database_url_factory, monkeypatch):
    provider = ServedProvider(
        {**PRODUCTION, "IDP_DATABASE_URL": database_url_factory("postgresql"),
         "IDP_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, workers=2, tls=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(provider.cert))
    with provider:
        directory = new_directory(provider)
        client = directory.add_client()
        user = directory.add_user(totp=True)
        rp = StrictRP(directory, client)
        form = Page(rp.start())
        for _ in range(ROUNDS):
            response = rp.agent.submit(form, "Log in", by_label={
                "Username or email": user.username, "Password": "not the password"})
            assert response.status_code < 500, response.text[:300]
            assert Page(response).title.startswith("Log in")
        assert Page(rp.log_in(rp.start(), user)).title == "Choose how to verify"
        ready = readiness(provider)
        assert ready.status_code == 503 and ready.headers["Retry-After"].isdigit()
        assert ready.json()["checks"] == {"database": "ok", "redis": "unavailable"}
        assert provider.http().get(provider.url + "/healthz", timeout=30).status_code == 200
        assert "Traceback" not in provider.log()
