"""The sample API (``clients.api``) checks the provider's JWT access tokens itself and
answers a login that falls short as RFC 9470 says, with what to ask the provider for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from clients.api import CHANGE_LEVEL, CHANGE_MAX_AGE, create_api
from clients.api.stepup import challenge_of
from idp.clock import now
from tests.protocol._helpers import issue_recovery_codes, signed_in, use_recovery_code
from tests.protocol.test_dpop import bound_tokens
from tests.support.live import loopback_listener, port_of, served
from tests.support.rp import StrictRP

IBAN = "NL91ABNA0417164300"


@pytest.fixture
def jwt_rp(directory) -> StrictRP:
    return StrictRP(directory, directory.add_client(jwt_access_tokens=True))


@pytest.fixture
def api(directory, jwt_rp) -> Iterator[str]:
    """The sample API in a thread, accepting the tokens of `jwt_rp`'s app; its clock is the
    provider's, which the tests move."""
    with loopback_listener() as listener:
        url = f"http://127.0.0.1:{port_of(listener)}"
        app = create_api({"API_ISSUER": directory.issuer,
                          "API_AUDIENCE": jwt_rp.client.client_id}, clock=now)
        with served(app, listener):
            yield url


def call(api: str, token: str | None, method: str = "GET", path: str = "/invoices",
         **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, api + path, headers=headers, timeout=30, **kwargs)


def change(api: str, token: str, iban: str = IBAN) -> requests.Response:
    return call(api, token, "PUT", "/bank-account", json={"iban": iban})


def challenge(response: requests.Response) -> str:
    assert response.status_code == 401, response.text
    return response.headers["WWW-Authenticate"]


def stepped_up(directory, jwt_rp, user) -> dict:
    codes = issue_recovery_codes(directory, user)
    signed_in(jwt_rp, user)
    up = StrictRP(directory, jwt_rp.client, jwt_rp.agent)
    return up.exchange(up.response_params(
        use_recovery_code(up, up.start(acr_values="40"), codes[0]))["code"])


def test_a_login_of_level_30_reads_the_invoices(api, jwt_rp, user):
    token = signed_in(jwt_rp, user)["access_token"]
    response = call(api, token)
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == user.subject and response.json()["invoices"]


def test_changing_the_bank_account_asks_for_level_40_and_a_fresh_login(api, jwt_rp, user):
    token = signed_in(jwt_rp, user)["access_token"]
    response = change(api, token)
    header = challenge(response)
    assert header.startswith("Bearer ")
    assert 'error="insufficient_user_authentication"' in header
    assert challenge_of(response) == {"acr_values": str(CHANGE_LEVEL),
                                      "max_age": str(CHANGE_MAX_AGE)}
    assert response.json()["error"] == "insufficient_user_authentication"


def test_a_stepped_up_login_changes_it_until_it_is_older_than_the_max_age(
        api, directory, jwt_rp, user, provider_clock):
    token = stepped_up(directory, jwt_rp, user)["access_token"]
    response = change(api, token)
    assert response.status_code == 200, response.text
    assert call(api, token, path="/bank-account").json() == {"iban": IBAN}

    provider_clock(CHANGE_MAX_AGE + 1)
    response = change(api, token)
    assert challenge_of(response) == {"acr_values": str(CHANGE_LEVEL),
                                      "max_age": str(CHANGE_MAX_AGE)}
    assert "last 300 seconds" in response.json()["error_description"]
    assert call(api, token).status_code == 200  # reading allows 12 hours


def test_no_token_is_challenged_without_an_error(api):
    response = call(api, None)
    assert challenge(response) == "Bearer"
    assert challenge_of(response) is None


@pytest.mark.parametrize("kind", ["opaque", "id_token", "another_app", "altered"])
def test_a_token_that_is_not_this_apps_jwt_access_token_is_invalid(api, directory, jwt_rp,
                                                                   user, kind):
    if kind == "opaque":
        token = signed_in(StrictRP(directory, directory.add_client()), user)["access_token"]
    elif kind == "another_app":
        other = StrictRP(directory, directory.add_client(jwt_access_tokens=True))
        token = signed_in(other, user)["access_token"]
    else:
        tokens = signed_in(jwt_rp, user)
        token = tokens["id_token"] if kind == "id_token" else \
            tokens["access_token"][:-4] + ("AAAA" if not tokens["access_token"].endswith(
                "AAAA") else "BBBB")
    response = call(api, token)
    assert 'error="invalid_token"' in challenge(response)
    assert challenge_of(response) is None


def test_a_bank_account_that_is_no_iban_is_a_400(api, directory, jwt_rp, user):
    token = stepped_up(directory, jwt_rp, user)["access_token"]
    response = change(api, token, "not an iban")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_dpop_bound_token_is_taken_with_a_proof_by_its_key_once(api, jwt_rp, user,
                                                                  ec_key, rsa_key):
    token = bound_tokens(jwt_rp, user, ec_key)["access_token"]
    url = api + "/invoices"

    def with_proof(proof: str) -> requests.Response:
        return requests.get(url, timeout=30, headers={"Authorization": f"DPoP {token}",
                                                      "DPoP": proof})

    proof = jwt_rp.dpop_proof(ec_key, "GET", url, access_token=token)
    assert with_proof(proof).status_code == 200
    replayed = with_proof(proof)
    assert replayed.status_code == 401
    assert replayed.headers["WWW-Authenticate"].startswith('DPoP error="invalid_dpop_proof"')
    assert with_proof(jwt_rp.dpop_proof(rsa_key, "GET", url, access_token=token)
                      ).status_code == 401
    assert with_proof(jwt_rp.dpop_proof(ec_key, "PUT", url, access_token=token)
                      ).status_code == 401
    assert 'error="invalid_token"' in challenge(call(api, token))  # as a Bearer token
