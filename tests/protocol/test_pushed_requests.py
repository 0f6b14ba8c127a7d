"""Pushed authorization requests (RFC 9126): an app pushes its request with its client
authentication and gets a request_uri that stands for it at the authorization endpoint,
once, for a short time, for that app only; an app whose admin requires it must push."""

from __future__ import annotations

import pytest
import requests

from tests.protocol._helpers import authorization_error, error_page
from tests.protocol.test_redemption_races import at_once, replicas  # noqa: F401 (fixture)
from tests.support.live import new_directory
from tests.support.rp import StrictRP


def pushed(rp: StrictRP, **params) -> str:
    response = rp.push(**params)
    assert response.status_code == 201, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:")
    assert 10 <= body["expires_in"] <= 600
    return body["request_uri"]


def test_a_pushed_request_is_answered_like_the_request_itself(rp, user):
    request_uri = pushed(rp)
    params = rp.finish(rp.start_with(request_uri=request_uri), user)
    tokens = rp.exchange(params["code"])
    assert tokens["claims"]["nonce"] == rp.pending.nonce


def test_a_public_app_pushes_with_its_client_id(directory, user):
    rp = StrictRP(directory, directory.add_client(public=True))
    params = rp.finish(rp.start_with(request_uri=pushed(rp, auth="none")), user)
    assert rp.exchange(params["code"], auth="none")["claims"]["sub"] == user.subject


def test_a_request_uri_used_twice_is_refused(rp, user):
    request_uri = pushed(rp)
    rp.finish(rp.start_with(request_uri=request_uri), user)
    again = rp.start_with(request_uri=request_uri)
    assert error_page(again) == "invalid_request_uri"


def test_an_expired_request_uri_is_refused(rp, provider_clock):
    request_uri = pushed(rp)
    provider_clock(91)
    assert error_page(rp.start_with(request_uri=request_uri)) == "invalid_request_uri"


def test_another_apps_request_uri_is_refused(rp, directory):
    request_uri = pushed(rp)
    other = StrictRP(directory, directory.add_client(), rp.agent)
    assert error_page(other.start_with(request_uri=request_uri)) == "invalid_request_uri"


def test_an_outside_request_uri_is_not_fetched(rp):
    rp.authorization_url()
    response = rp.start_with(request_uri="https://rp.example.org/request.jwt",
                             response_type="code", scope="openid", state=rp.pending.state,
                             redirect_uri=rp.client.redirect_uri)
    assert authorization_error(rp, response)["error"] == "request_uri_not_supported"


def test_pushing_needs_the_apps_authentication(rp):
    rp.client.secret = "wrong-secret"  # noqa: S105
    response = rp.push()
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize(("params", "error"), [
    ({"redirect_uri": "https://elsewhere.example/cb"}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"prompt": "sometimes"}, "invalid_request"),
    ({"max_age": "soon"}, "invalid_request"),
    ({"request_uri": "urn:ietf:params:oauth:request_uri:abc"}, "invalid_request"),
], ids=["unregistered-redirect-uri", "response-type", "prompt", "max-age", "request-uri"])
def test_a_bad_pushed_request_is_refused_at_once(rp, params, error):
    response = rp.push(**params)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == error


def test_a_pushed_request_for_another_client_id_is_refused(rp, directory):
    response = rp.push(client_id=directory.add_client().client_id)
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_client")


def test_a_request_object_may_be_pushed(directory, user, rsa_key):
    rp = StrictRP(directory, directory.add_client(key=rsa_key, private_key_jwt=True))
    request_object = rp.request_object()
    response = requests.post(
        rp.metadata["pushed_authorization_request_endpoint"], timeout=30,
        data={"client_id": rp.client.client_id, "request": request_object,
              "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:"
                                       "jwt-bearer",
              "client_assertion": rp.client_assertion(
                  rp.metadata["pushed_authorization_request_endpoint"])})
    assert response.status_code == 201, response.text
    params = rp.finish(rp.start_with(request_uri=response.json()["request_uri"]), user)
    assert rp.exchange(params["code"], auth="private_key_jwt")["claims"]["sub"] == user.subject


def test_an_app_that_must_push_cannot_send_its_request_directly(directory, user):
    rp = StrictRP(directory, directory.add_client(require_par=True))
    assert authorization_error(rp, rp.start())["error"] == "invalid_request"
    params = rp.finish(rp.start_with(request_uri=pushed(rp)), user)
    assert rp.exchange(params["code"])["claims"]["sub"] == user.subject


def test_discovery_names_the_endpoint(rp):
    assert rp.metadata["pushed_authorization_request_endpoint"] == \
        rp.directory.issuer + "/par"
    assert rp.metadata["require_pushed_authorization_requests"] is False


def test_a_request_uri_used_at_two_instances_at_once_works_at_one(replicas):  # noqa: F811
    first, second = replicas
    directory = new_directory(first)
    rp = StrictRP(directory, directory.add_client())
    url = rp.metadata["authorization_endpoint"]
    host = {"Host": first.url.split("://", 1)[1]}

    def authorize(base: str, query: dict[str, str]):
        return lambda: requests.get(base + url[len(first.url):], params=query, headers=host,
                                    allow_redirects=False, timeout=60)

    for _ in range(5):
        query = {"client_id": rp.client.client_id, "request_uri": pushed(rp)}
        answers = at_once(authorize(first.url, query), authorize(second.url, query))
        # One goes on to the login (a redirect to the interaction), the other is refused.
        assert sorted(a.status_code for a in answers) == [302, 400], \
            [a.text[:200] for a in answers]
