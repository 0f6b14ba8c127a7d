"""oidcc-server-client-secret-post and client_secret_basic at the token endpoint.

RFC 6749 2.3.1 and 5.2; OIDC Core 9.
"""

from __future__ import annotations

import pytest
import requests

from tests.support.rp import StrictRP


def code_request(rp: StrictRP, code: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "code": code,
            "redirect_uri": rp.client.redirect_uri, "code_verifier": rp.pending.verifier}


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_confidential_client_authenticates_with_its_secret(rp, user, auth):
    tokens = rp.exchange(rp.sign_in(user)["code"], auth=auth)
    assert tokens["claims"]["sub"] == user.subject


def test_wrong_secret_with_basic_is_invalid_client_with_a_challenge(rp, user):
    code = rp.sign_in(user)["code"]
    response = requests.post(rp.metadata["token_endpoint"], data=code_request(rp, code),
                             auth=(rp.client.client_id, "wrong-secret"), timeout=30)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    # RFC 6749 5.2: 401 with WWW-Authenticate when the client used the header.
    assert response.headers["WWW-Authenticate"].lower().startswith("basic")


def test_wrong_secret_with_post_is_invalid_client(rp, user):
    code = rp.sign_in(user)["code"]
    data = {**code_request(rp, code), "client_id": rp.client.client_id,
            "client_secret": "wrong-secret"}
    response = requests.post(rp.metadata["token_endpoint"], data=data, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_confidential_client_without_a_secret_is_invalid_client(rp, user):
    code = rp.sign_in(user)["code"]
    response = rp.token_request(code_request(rp, code), auth="none")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_failed_authentication_does_not_spend_the_code(rp, user):
    code = rp.sign_in(user)["code"]
    requests.post(rp.metadata["token_endpoint"], data=code_request(rp, code),
                  auth=(rp.client.client_id, "wrong-secret"), timeout=30)
    assert rp.exchange(code)["claims"]["sub"] == user.subject


def test_secret_of_another_client_is_invalid_client(rp, directory, user):
    other = directory.add_client()
    code = rp.sign_in(user)["code"]
    response = requests.post(rp.metadata["token_endpoint"], data=code_request(rp, code),
                             auth=(rp.client.client_id, other.secret), timeout=30)
    assert response.status_code == 401


def test_token_endpoint_takes_form_bodies_only(rp, user):
    code = rp.sign_in(user)["code"]
    response = requests.post(rp.metadata["token_endpoint"], json=code_request(rp, code),
                             auth=(rp.client.client_id, rp.client.secret), timeout=30)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_token_endpoint_refuses_get(rp):
    response = requests.get(rp.metadata["token_endpoint"], timeout=30)
    assert response.status_code in (400, 405)


def test_unsupported_grant_type_is_refused(rp):
    response = rp.token_request({"grant_type": "password", "username": "x", "password": "y"})
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("unsupported_grant_type", "unauthorized_client")


def test_client_credentials_grant_is_refused(rp):
    response = rp.token_request({"grant_type": "client_credentials"})
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("unsupported_grant_type", "unauthorized_client")
