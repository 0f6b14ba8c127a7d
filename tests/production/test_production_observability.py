"""Metrics and JSON logs as production serves them: two worker processes.

One instance of the README's production command (`idp run`) counts in prometheus-client's
multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``) with a metrics token, so a scrape
answered by either worker shows the requests both served; others log in JSON
(``IDP_LOG_FORMAT=json``) without a metrics token: `idp run` on its standard error, and
gunicorn beside its own lines in its error log.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.protocol._helpers import signed_in
from tests.support.agent import Agent, Page
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.support.served import ServedProvider, worker_pids

TOKEN = "metrics-" + "0123456789abcdef" * 2
BATCH = 16
SCRAPES = 6


@pytest.fixture(scope="module")
def metered(database_url_factory, tmp_path_factory):
    """2 workers counting in one multiprocess folder; the access log names each worker."""
    folder = tmp_path_factory.mktemp("metrics")
    provider = ServedProvider(
        {"IDP_DATABASE_URL": database_url_factory("sqlite"), "IDP_METRICS_TOKEN": TOKEN},
        workers=2, environ={"PROMETHEUS_MULTIPROC_DIR": str(folder)}, access_log=True)
    with provider:
        yield provider


@pytest.fixture(scope="module")
def json_logged(database_url_factory, tmp_path_factory):
    """2 gunicorn workers logging JSON to their error log file; no metrics token."""
    access = tmp_path_factory.mktemp("json-logs") / "access.log"
    provider = ServedProvider(
        {"IDP_DATABASE_URL": database_url_factory("sqlite"), "IDP_LOG_FORMAT": "json"},
        server="gunicorn", workers=2, error_logfile=True,
        args=("--access-logfile", str(access),
              "--access-logformat", "%({x-request-id}i)s %(m)s %(s)s"))
    with provider:
        yield provider, access


def scrape(provider: ServedProvider) -> dict[tuple[str, frozenset], float]:
    """Return every sample of /metrics, asked on a new connection (either worker answers)."""
    response = requests.get(provider.url + "/metrics", timeout=30, headers={
        "Authorization": f"Bearer {TOKEN}", "Connection": "close"})
    assert response.status_code == 200, response.text
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape_once_counted(provider: ServedProvider, before: dict, grown: float, name: str,
                        **labels: str) -> dict:
    """Scrape until the sample has grown by `grown` since `before`: a worker counts a
    request once its answer is sent, a moment after the client has it."""
    deadline = time.monotonic() + 10
    while True:
        samples = scrape(provider)
        if value(samples, name, **labels) - value(before, name, **labels) >= grown or \
                time.monotonic() > deadline:
            return samples
        time.sleep(0.05)


def test_the_counts_of_both_workers_add_up_in_every_scrape(metered):
    provider = metered
    directory = new_directory(provider)
    client = directory.add_client()
    user = directory.add_user()
    before = scrape(provider)
    discovery = f"{directory.issuer}/.well-known/openid-configuration"

    def fetch(_):
        return requests.get(discovery, headers={"Connection": "close"}, timeout=30).status_code

    def workers_served() -> set[str]:
        return {served.worker for served in provider.served()
                if (served.method, served.path, served.status) == (
                    "GET", f"/d/{directory.slug}/.well-known/openid-configuration", "200")}
    fetches = 0
    with ThreadPoolExecutor(8) as pool:
        # Until both workers answered some (which one accepts a connection is the kernel's
        # choice): the sum of both is what every scrape must show.
        while fetches < 50 * BATCH and len(workers_served()) < 2:
            assert set(pool.map(fetch, range(BATCH))) == {200}
            fetches += BATCH
    assert len(workers_served()) == 2, "both worker processes answered discovery"
    rp = StrictRP(directory, client, Agent(provider.url))  # fetches discovery once more
    page = Page(rp.start())
    assert rp.agent.submit(page, "Log in", by_label={
        "Username or email": user.username, "Password": "not the password"}).status_code == 400
    assert rp.token_request({"grant_type": "authorization_code", "code": "no-such-code",
                             "redirect_uri": client.redirect_uri}).status_code == 400

    scrape_once_counted(provider, before, fetches + 1, "idp_http_requests_total",
                        endpoint="api.discovery", method="GET", status="200")
    scrape_once_counted(provider, before, 1, "idp_http_requests_total", endpoint="api.token",
                        method="POST", status="400")
    for _ in range(SCRAPES):
        after = scrape(provider)

        def grew(name: str, after=after, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)
        assert grew("idp_http_requests_total", endpoint="api.discovery", method="GET",
                    status="200") == fetches + 1
        assert grew("idp_http_request_duration_seconds_count",
                    endpoint="api.discovery") == fetches + 1
        assert grew("idp_logins_total", outcome="failed") == 1
        assert grew("idp_audit_events_total", event="login.failed") == 1
        assert grew("idp_http_requests_total", endpoint="pages.login", method="POST",
                    status="400") == 1
        assert grew("idp_http_requests_total", endpoint="api.token", method="POST",
                    status="400") == 1
        assert not any(name == "idp_http_requests_total" and dict(labels)["endpoint"]
                       == "metrics.scrape" for name, labels in after), "scrapes uncounted"


def test_an_unknown_address_is_counted_by_no_path_of_its_own(metered):
    provider = metered
    before = scrape(provider)
    for index in range(3):
        assert requests.get(f"{provider.url}/nothing-{index}", timeout=30).status_code == 404

    after = scrape_once_counted(provider, before, 3, "idp_http_requests_total",
                                endpoint="unmatched", method="GET", status="404")
    labels = {dict(labels)["endpoint"] for name, labels in after
              if name == "idp_http_requests_total"}
    assert not any("nothing" in label for label in labels)
    assert value(after, "idp_http_requests_total", endpoint="unmatched", method="GET",
                 status="404") - value(before, "idp_http_requests_total",
                                       endpoint="unmatched", method="GET", status="404") == 3


def test_requests_answered_before_the_app_are_counted_as_the_app_counts_them(metered):
    provider = metered
    directory = new_directory(provider)
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, directory.add_client(), Agent(provider.url))
    token = signed_in(rp, user)["access_token"]
    introspection = rp.metadata["introspection_endpoint"]
    before = scrape(provider)
    for _ in range(3):
        assert rp.userinfo(token).status_code == 200  # idp.web.short_path
        assert rp.post_as_client(introspection, {"token": token}).status_code == 200
    assert rp.userinfo("not-a-token-we-issued").status_code == 401  # the app

    expected = [(("api.userinfo", "GET", "200"), 3), (("api.introspect", "POST", "200"), 3),
                (("api.userinfo", "GET", "401"), 1)]
    for (endpoint, method, status), count in expected:
        scrape_once_counted(provider, before, count, "idp_http_requests_total",
                            endpoint=endpoint, method=method, status=status)
    after = scrape(provider)
    for (endpoint, method, status), count in expected:
        labels = {"endpoint": endpoint, "method": method, "status": status}
        assert value(after, "idp_http_requests_total", **labels) - value(
            before, "idp_http_requests_total", **labels) == count


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}",
                                           f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"])
def test_metrics_without_the_token_are_refused(metered, authorization):
    provider = metered
    headers = {"Authorization": authorization} if authorization else {}

    response = requests.get(provider.url + "/metrics", headers=headers, timeout=30)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "idp_" not in response.text


def test_a_worker_that_ends_leaves_its_counts_and_takes_its_live_gauges(metered):
    provider = metered
    assert provider.process is not None
    folder = Path(provider.environ["PROMETHEUS_MULTIPROC_DIR"])
    discovery = f"{new_directory(provider).issuer}/.well-known/openid-configuration"
    assert requests.get(discovery, timeout=30).status_code == 200
    before = scrape_once_counted(provider, {}, 1, "idp_http_requests_total",
                                 endpoint="api.discovery", method="GET", status="200")
    ended = worker_pids(provider.process.pid)[0]
    assert (folder / f"gauge_livesum_{ended}.db").exists()

    os.kill(ended, signal.SIGKILL)  # as a crash: the server starts another in its place
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = worker_pids(provider.process.pid)
        if ended not in workers and len(workers) == 2 and all(
                (folder / f"gauge_livesum_{pid}.db").exists() for pid in workers):
            break
        time.sleep(0.1)

    assert not (folder / f"gauge_livesum_{ended}.db").exists(), "the new worker forgot it"
    for _ in range(SCRAPES):
        after = scrape(provider)
        assert value(after, "idp_http_requests_total", endpoint="api.discovery",
                     method="GET", status="200") >= value(
            before, "idp_http_requests_total", endpoint="api.discovery", method="GET",
            status="200")
        assert value(after, "idp_password_hash_waiting") == 0


def test_metrics_are_not_found_without_a_metrics_token(json_logged):
    provider, _access = json_logged

    response = requests.get(provider.url + "/metrics", timeout=30,
                            headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 404
    assert "idp_" not in response.text


class Tagged(requests.Session):
    """A session giving each request an X-Request-ID of its own, and noting it.

    Each request goes on a connection of its own (``Connection: close``): gunicorn's gthread
    worker may close a kept-alive connection just as the next request arrives on it, which
    the client sees as the server closing without an answer (benoitc/gunicorn#1698, #2676).
    What these tests read is the log lines, not the connections.
    """

    def __init__(self) -> None:
        super().__init__()
        self.sent: set[str] = set()

    def request(self, method, url, **kwargs):  # type: ignore[override]
        headers = dict(kwargs.pop("headers", None) or {})
        headers["X-Request-ID"] = request_id = f"req-{secrets.token_hex(8)}"
        headers["Connection"] = "close"
        self.sent.add(request_id)
        return super().request(method, url, headers=headers, **kwargs)


def request_lines(log: str) -> list[dict]:
    """Return the request lines of an error log (every line of JSON must parse)."""
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    return [line for line in lines if line["logger"] == "idp.requests"]


def test_each_request_is_one_json_line_without_secrets(json_logged):
    provider, access = json_logged
    directory = new_directory(provider)
    client = directory.add_client()
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, client, Agent(provider.url))
    rp.agent.http = Tagged()
    http = rp.agent.http
    refresh = "refresh-" + secrets.token_urlsafe(24)

    code = rp.sign_in(user)["code"]  # the password is in a form, the code in a query
    assert rp.pending is not None
    basic = (client.client_id, client.secret or "")
    tokens = http.post(rp.metadata["token_endpoint"], auth=basic, timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri,
        "code_verifier": rp.pending.verifier}).json()
    assert "access_token" in tokens, tokens
    assert http.get(rp.metadata["userinfo_endpoint"], timeout=30, headers={
        "Authorization": f"Bearer {tokens['access_token']}"}).status_code == 200
    assert http.post(rp.metadata["introspection_endpoint"], auth=basic, timeout=30, data={
        "token": tokens["access_token"]}).json()["active"] is True
    assert http.post(rp.metadata["token_endpoint"], auth=basic, timeout=30, data={
        "grant_type": "refresh_token", "refresh_token": refresh}).status_code == 400
    assert http.post(rp.metadata["token_endpoint"], timeout=30, data={
        "grant_type": "refresh_token", "refresh_token": refresh, "client_id": client.client_id,
        "client_secret": client.secret}).status_code in (400, 401)

    deadline = time.monotonic() + 10
    while True:  # a worker writes a request's lines once its answer is sent
        answered = Counter(tuple(line.split()) for line in access.read_text().splitlines()
                           if line.startswith("req-"))
        lines = [line for line in request_lines(provider.error_log())
                 if (line["request_id"] or "").startswith("req-")]
        logged = Counter((line["request_id"], line["method"], str(line["status"]))
                         for line in lines)
        if {key[0] for key in answered} == http.sent == {key[0] for key in logged} \
                or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(answered) >= 8
    assert logged == answered, "one line per request"
    for line in lines:
        assert set(line) >= {"time", "level", "method", "endpoint", "path", "directory",
                             "client_id", "status", "duration_ms", "request_id"}
        assert "?" not in line["path"] and line["path"].startswith(f"/d/{directory.slug}/")
        assert line["directory"] == directory.slug
        assert line["duration_ms"] >= 0
    token_lines = [line for line in lines if line["endpoint"] == "api.token"]
    assert len(token_lines) == 3
    assert all(line["client_id"] == client.client_id for line in token_lines)
    assert {line["path"] for line in token_lines} == {f"/d/{directory.slug}/token"}
    authorize = [line for line in lines if line["endpoint"] == "pages.authorize"]
    assert authorize and authorize[0]["client_id"] == client.client_id
    logins = [line for line in lines if line["endpoint"] == "pages.login"]
    assert [line["client_id"] for line in logins] == [client.client_id], "the login's app"
    # Answered before the app (idp.web.short_path), named as the app names them.
    userinfo = [line for line in lines if line["endpoint"] == "api.userinfo"]
    assert [(line["path"], line["status"]) for line in userinfo] == [
        (f"/d/{directory.slug}/userinfo", 200)]
    introspection = [line for line in lines if line["endpoint"] == "api.introspect"]
    assert [(line["path"], line["status"], line["client_id"]) for line in introspection] == [
        (f"/d/{directory.slug}/introspect", 200, client.client_id)]

    secrets_sent = {
        "password": user.password, "code": code, "client secret": client.secret or "-",
        "basic credentials": base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode(),
        "access token": tokens["access_token"], "id token": tokens["id_token"],
        "refresh token": refresh, "state": rp.pending.state, "nonce": rp.pending.nonce,
        "code verifier": rp.pending.verifier,
        **{f"cookie {cookie.name}": cookie.value for cookie in http.cookies}}
    if "refresh_token" in tokens:
        secrets_sent["issued refresh token"] = tokens["refresh_token"]
    everything = provider.log()
    leaked = [name for name, secret in secrets_sent.items() if secret and secret in everything]
    assert leaked == []
    assert not re.search(r"[?&](code|state|nonce)=", provider.error_log())


@pytest.fixture(scope="module")
def json_on_stderr(database_url_factory):
    """`idp run` with 2 workers logging JSON; no metrics token."""
    provider = ServedProvider(
        {"IDP_DATABASE_URL": database_url_factory("sqlite"), "IDP_LOG_FORMAT": "json"},
        workers=2)
    with provider:
        yield provider


def test_under_idp_run_every_line_on_stderr_is_json_and_each_request_has_one(json_on_stderr):
    provider = json_on_stderr
    directory = new_directory(provider)
    http = Tagged()
    issuer = directory.issuer
    for _ in range(4):
        assert http.get(f"{issuer}/.well-known/openid-configuration",
                        timeout=30).status_code == 200
    assert http.get(f"{issuer}/no-such-page?code=secret-code", timeout=30).status_code == 404
    assert http.post(f"{issuer}/token", data={"grant_type": "authorization_code",
                                              "code": "secret-code"},
                     timeout=30).status_code in (400, 401)

    deadline = time.monotonic() + 10
    while True:  # a worker writes a request's line once its answer is sent
        lines = [json.loads(line) for line in provider.stderr().splitlines()]
        logged = Counter(line.get("request_id") for line in lines
                         if line["logger"] == "idp.requests")
        if set(logged) >= http.sent or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert {request_id: logged[request_id] for request_id in http.sent} == dict.fromkeys(
        http.sent, 1), "one line per request"
    assert {line["logger"] for line in lines} >= {"_granian", "idp.requests"}
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)
    assert "secret-code" not in provider.log()
    assert provider.log() == provider.stderr(), "nothing on stdout"
