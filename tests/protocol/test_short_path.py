"""Userinfo's and introspection's common requests answered before the framework
(``idp.web.short_path``).

A GET of userinfo with a good bearer token, and an introspection form with the app's Basic
credentials, are answered by the middleware; it must answer exactly as the endpoint does
(status, body, headers), and leave every other request to the endpoint, which answers it
as ever.
"""

from __future__ import annotations

import base64
import socket
from urllib.parse import urlsplit

import pytest
import requests
from flask import request_started

from idp.web.short_path import ShortPath
from tests.protocol._helpers import signed_in
from tests.protocol.test_directory_disabled import set_disabled
from tests.protocol.test_dpop import bound_tokens
from tests.protocol.test_pairwise_subjects import pairwise
from tests.protocol.test_token_request_outage import proxied  # noqa: F401  (a fixture)
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.support.sql import listening

# Set per answer, so not compared.
PER_ANSWER = {"date", "content-length", "connection", "keep-alive"}


@pytest.fixture
def lane(app):
    """The middleware in the live provider's WSGI stack; switched back on after the test."""
    layer = app.wsgi_app
    while not isinstance(layer, ShortPath):
        layer = layer.app
    yield layer
    layer.enabled = True


@pytest.fixture
def served_by_app(app):
    """The requests the Flask app itself handled (its request_started signal)."""
    seen: list[str] = []

    def started(sender, **_extra):
        seen.append(sender.name)

    request_started.connect(started, app)
    yield seen
    request_started.disconnect(started, app)


def both_ways(lane: ShortPath, send) -> tuple[requests.Response, requests.Response]:
    """Send the request with the middleware on, then with it off."""
    lane.enabled = True
    quick = send()
    lane.enabled = False
    full = send()
    lane.enabled = True
    return quick, full


def assert_same_answer(quick: requests.Response, full: requests.Response) -> None:
    assert quick.status_code == full.status_code, (quick.text, full.text)
    assert quick.content == full.content
    headers = [{name.lower(): value for name, value in r.headers.items()
                if name.lower() not in PER_ANSWER} for r in (quick, full)]
    assert headers[0] == headers[1]


def bearer(rp, token: str):
    return lambda: requests.get(rp.metadata["userinfo_endpoint"], timeout=30,
                                headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("params", [
    {"scope": "openid"},
    {"scope": "openid profile email phone"},
    {"scope": "openid", "claims": '{"userinfo": {"email": null, "name": null}}'},
])
def test_a_good_bearer_token_is_answered_as_the_endpoint_answers_it(
        rp, user, lane, served_by_app, params):
    token = signed_in(rp, user, **params)["access_token"]
    served_by_app.clear()
    quick, full = both_ways(lane, bearer(rp, token))
    assert quick.status_code == 200
    assert quick.json()["sub"] == user.subject
    assert_same_answer(quick, full)
    assert len(served_by_app) == 1  # the request with the middleware off


def test_a_pairwise_apps_subject_is_its_own_as_the_endpoint_gives_it(
        directory, user, lane, served_by_app):
    rp = pairwise(directory)
    token = signed_in(rp, user)["access_token"]
    served_by_app.clear()
    quick, full = both_ways(lane, bearer(rp, token))
    assert quick.status_code == 200 and quick.json()["sub"] != user.subject
    assert_same_answer(quick, full)
    assert len(served_by_app) == 1


def test_the_answer_carries_the_endpoints_headers(rp, user, lane, served_by_app):
    send = bearer(rp, signed_in(rp, user)["access_token"])
    served_by_app.clear()
    response = send()
    assert response.status_code == 200
    assert not served_by_app
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in response.headers


def refused_cases():
    """(name, set-up giving the request to send): requests the endpoint must answer."""
    def unknown_token(rp, user, directory, clock, ec_key):
        return bearer(rp, "not-a-token-we-issued")

    def refresh_token(rp, user, directory, clock, ec_key):
        return bearer(rp, signed_in(rp, user)["refresh_token"])

    def revoked(rp, user, directory, clock, ec_key):
        token = signed_in(rp, user)["access_token"]
        answer = rp.post_as_client(rp.metadata["revocation_endpoint"], {"token": token})
        assert answer.status_code == 200
        return bearer(rp, token)

    def expired(rp, user, directory, clock, ec_key):
        token = signed_in(rp, user)["access_token"]
        clock(24 * 3600)
        return bearer(rp, token)

    def bound_to_a_dpop_key(rp, user, directory, clock, ec_key):
        return bearer(rp, bound_tokens(rp, user, ec_key)["access_token"])

    def directory_disabled(rp, user, directory, clock, ec_key):
        token = signed_in(rp, user)["access_token"]
        set_disabled(directory, True)
        return bearer(rp, token)

    return [unknown_token, refresh_token, revoked, expired, bound_to_a_dpop_key,
            directory_disabled]


@pytest.mark.parametrize("case", refused_cases(), ids=lambda case: case.__name__)
def test_a_token_the_endpoint_refuses_is_left_to_it(
        rp, user, directory, provider_clock, ec_key, lane, served_by_app, case):
    send = case(rp, user, directory, provider_clock, ec_key)
    served_by_app.clear()
    quick, full = both_ways(lane, send)
    assert quick.status_code in (401, 403), quick.text
    assert_same_answer(quick, full)
    assert len(served_by_app) == 2  # the endpoint answered both


def other_requests():
    """Requests with a good token that are not the middleware's to answer."""
    def lower_case_scheme(rp, token):
        return requests.get(rp.metadata["userinfo_endpoint"], timeout=30,
                            headers={"Authorization": f"bearer {token}"})

    def post(rp, token):
        return requests.post(rp.metadata["userinfo_endpoint"], timeout=30,
                             headers={"Authorization": f"Bearer {token}"})

    def form_body(rp, token):
        return requests.post(rp.metadata["userinfo_endpoint"], timeout=30,
                             data={"access_token": token})

    def with_a_query(rp, token):
        return requests.get(rp.metadata["userinfo_endpoint"] + "?lang=nl", timeout=30,
                            headers={"Authorization": f"Bearer {token}"})

    return [lower_case_scheme, post, form_body, with_a_query]


@pytest.mark.parametrize("send", other_requests(), ids=lambda send: send.__name__)
def test_other_requests_are_left_to_the_endpoint(rp, user, lane, served_by_app, send):
    token = signed_in(rp, user)["access_token"]
    served_by_app.clear()
    response = send(rp, token)
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == user.subject
    assert served_by_app == ["idp"]


def test_an_unknown_directory_is_left_to_the_app(rp, user, lane, served_by_app):
    token = signed_in(rp, user)["access_token"]
    url = rp.metadata["userinfo_endpoint"].replace(f"/d/{rp.directory.slug}/",
                                                   "/d/no-such-directory/")
    served_by_app.clear()
    quick, full = both_ways(lane, lambda: requests.get(
        url, headers={"Authorization": f"Bearer {token}"}, timeout=30))
    assert quick.status_code == 404
    assert_same_answer(quick, full)
    assert len(served_by_app) == 2


# -- introspection -------------------------------------------------------------------------


def introspect(rp, token: str):
    return lambda: rp.post_as_client(rp.metadata["introspection_endpoint"], {"token": token})


@pytest.mark.parametrize("which", ["access_token", "refresh_token", "unknown"])
def test_an_apps_introspection_is_answered_as_the_endpoint_answers_it(
        rp, user, lane, served_by_app, which):
    tokens = signed_in(rp, user, scope="openid profile")
    token = tokens.get(which, "not-a-token-we-issued")
    served_by_app.clear()
    quick, full = both_ways(lane, introspect(rp, token))
    assert quick.status_code == 200
    assert quick.json()["active"] is (which != "unknown")
    assert_same_answer(quick, full)
    assert len(served_by_app) == 1  # the request with the middleware off


@pytest.mark.parametrize("hint", ["access_token", "refresh_token"])
def test_a_form_with_the_tokens_hint_is_answered_as_the_endpoint_answers_it(
        rp, user, lane, served_by_app, hint):
    token = signed_in(rp, user)["access_token"]
    served_by_app.clear()
    quick, full = both_ways(lane, lambda: rp.post_as_client(
        rp.metadata["introspection_endpoint"], {"token": token, "token_type_hint": hint}))
    assert quick.json()["active"] is True
    assert_same_answer(quick, full)
    assert len(served_by_app) == 1  # the request with the middleware off


def test_an_introspection_the_endpoint_refuses_is_left_to_it(rp, user, lane, served_by_app):
    token = signed_in(rp, user)["access_token"]
    url = rp.metadata["introspection_endpoint"]
    served_by_app.clear()
    quick, full = both_ways(lane, lambda: requests.post(
        url, data={"token": token}, auth=(rp.client.client_id, "not-the-secret"), timeout=30))
    assert quick.status_code == 401
    assert_same_answer(quick, full)
    assert len(served_by_app) == 2


@pytest.mark.parametrize("form", ["client_secret_post", "charset", "no token",
                                  "another name"])
def test_other_introspection_requests_are_left_to_the_endpoint(
        rp, user, lane, served_by_app, form):
    token = signed_in(rp, user)["access_token"]
    url = rp.metadata["introspection_endpoint"]
    basic = (rp.client.client_id, rp.client.secret)
    served_by_app.clear()
    if form == "client_secret_post":
        response = requests.post(url, timeout=30, data={
            "token": token, "client_id": basic[0], "client_secret": basic[1]})
    elif form == "charset":
        response = requests.post(url, auth=basic, timeout=30, data=f"token={token}", headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    elif form == "another name":
        response = requests.post(url, auth=basic, timeout=30, data={
            "token": token, "resource": "https://api.example"})
    else:
        response = requests.post(url, auth=basic, timeout=30, data={"hint": "none"})
    assert response.status_code == (400 if form == "no token" else 200), response.text
    assert served_by_app == ["idp"]


# -- an outage -----------------------------------------------------------------------------


def test_an_outage_it_meets_is_answered_by_the_app_without_asking_the_database_again(
        proxied):  # noqa: F811  (the fixture imported above)
    server, proxy = proxied
    proxy.restore()
    directory = new_directory(server)
    rp = StrictRP(directory, directory.add_client())
    token = signed_in(rp, directory.add_user(totp=True))["access_token"]
    asked: list[str] = []

    def statement(*_args):
        asked.append("statement")

    def connection(*_args):
        asked.append("connection")

    proxy.cut()
    try:
        with listening(server.app, before_cursor_execute=statement, do_connect=connection):
            response = bearer(rp, token)()
    finally:
        proxy.restore()
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.headers["Retry-After"]
    assert len(asked) == 1, asked  # the short path's statement; the app asked nothing
    assert bearer(rp, token)().status_code == 200  # and once the database is back


# -- hostile requests ----------------------------------------------------------------------


def hostile_requests():
    """Malformed requests of the forms the middleware takes: the same answer either way."""
    def userinfo_with_a_latin1_token(rp, token):
        return requests.get(rp.metadata["userinfo_endpoint"], timeout=30,
                            headers={"Authorization": "Bearer caf\xe9".encode("latin-1")})

    def userinfo_with_two_spaces(rp, token):
        return requests.get(rp.metadata["userinfo_endpoint"], timeout=30,
                            headers={"Authorization": f"Bearer  {token}"})

    def basic_not_base64(rp, token):
        return requests.post(rp.metadata["introspection_endpoint"], timeout=30,
                             data={"token": token}, headers={"Authorization": "Basic !!!"})

    def basic_not_utf8(rp, token):
        credentials = base64.b64encode(b"\xff\xfe:\xff").decode()
        return requests.post(rp.metadata["introspection_endpoint"], timeout=30,
                             data={"token": token},
                             headers={"Authorization": f"Basic {credentials}"})

    def token_not_utf8(rp, token):
        return requests.post(rp.metadata["introspection_endpoint"], timeout=30,
                             data="token=%ff%fe", auth=(rp.client.client_id, rp.client.secret),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})

    def token_twice(rp, token):
        return requests.post(rp.metadata["introspection_endpoint"], timeout=30,
                             data=[("token", token), ("token", "other")],
                             auth=(rp.client.client_id, rp.client.secret))

    def bad_hint(rp, token):
        return requests.post(rp.metadata["introspection_endpoint"], timeout=30,
                             data={"token": token, "token_type_hint": "id_token"},
                             auth=(rp.client.client_id, rp.client.secret))

    return [userinfo_with_a_latin1_token, userinfo_with_two_spaces, basic_not_base64,
            basic_not_utf8, token_not_utf8, token_twice, bad_hint]


@pytest.mark.parametrize("send", hostile_requests(), ids=lambda send: send.__name__)
def test_a_hostile_request_is_answered_as_the_endpoint_answers_it(rp, user, lane, send):
    token = signed_in(rp, user)["access_token"]
    quick, full = both_ways(lane, lambda: send(rp, token))
    assert quick.status_code < 500, quick.text
    assert_same_answer(quick, full)


def test_a_content_length_of_other_digits_is_left_to_the_app(rp, user, lane, served_by_app):
    # "²" is a digit to Python's str.isdigit(), and no number to int().
    url = urlsplit(rp.metadata["introspection_endpoint"])
    credentials = base64.b64encode(f"{rp.client.client_id}:{rp.client.secret}".encode())
    request = (f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n".encode()
               + b"Authorization: Basic " + credentials + b"\r\n"
               + b"Content-Type: application/x-www-form-urlencoded\r\n"
               + b"Content-Length: \xb2\r\nConnection: close\r\n\r\ntoken=x")
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status < 500, answer[:300]
    assert served_by_app == ["idp"]
