"""JWT client authentication (RFC 7523 2.2, OIDC Core 9 ``private_key_jwt``): an app that
registered its public key, by value or at its ``jwks_uri``, proves itself with an assertion
signed by the private half, at every endpoint that authenticates apps; each assertion works
once."""

from __future__ import annotations

import pytest
import requests

from idp.clock import now as clock_now
from tests.protocol.test_client_authentication import code_request
from tests.support.key_host import KeyHost
from tests.support.rp import StrictRP


@pytest.fixture
def key_host():
    host = KeyHost()
    yield host
    host.close()


def keyed_rp(directory, key, **options) -> StrictRP:
    return StrictRP(directory, directory.add_client(key=key, private_key_jwt=True, **options))


def code_exchange(rp: StrictRP, user, assertion: str) -> requests.Response:
    code = rp.sign_in(user)["code"]
    return requests.post(rp.metadata["token_endpoint"], timeout=30, data={
        **code_request(rp, code), "client_id": rp.client.client_id,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})


@pytest.mark.parametrize("kind", ["rsa_key", "ec_key"])
def test_an_app_authenticates_with_its_registered_key(directory, user, kind, request):
    rp = keyed_rp(directory, request.getfixturevalue(kind))
    tokens = rp.exchange(rp.sign_in(user)["code"], auth="private_key_jwt")
    assert tokens["claims"]["sub"] == user.subject
    refreshed = rp.token_request({"grant_type": "refresh_token",
                                  "refresh_token": tokens["refresh_token"]}, "private_key_jwt")
    assert refreshed.status_code == 200, refreshed.text


def test_a_key_published_at_its_jwks_uri_is_fetched_and_kept(directory, user, rsa_key,
                                                              key_host):
    key_host.keys = [rsa_key]
    rp = keyed_rp(directory, rsa_key, jwks_uri=key_host.uri)
    for _ in range(2):
        assert rp.exchange(rp.sign_in(user)["code"], auth="private_key_jwt")
    assert key_host.fetches == 1


def test_a_new_key_at_the_jwks_uri_is_fetched_when_an_assertion_names_it(directory, user,
                                                                         rsa_key, ec_key,
                                                                         key_host, provider_clock):
    key_host.keys = [rsa_key]
    rp = keyed_rp(directory, rsa_key, jwks_uri=key_host.uri)
    assert rp.exchange(rp.sign_in(user)["code"], auth="private_key_jwt")
    key_host.keys = [rsa_key, ec_key]  # the app rolls to a new key
    rp.client.key = ec_key
    provider_clock(31)
    assert rp.exchange(rp.sign_in(user)["code"], auth="private_key_jwt")
    assert key_host.fetches == 2


def test_a_replayed_assertion_is_invalid_client(directory, user, rsa_key):
    rp = keyed_rp(directory, rsa_key)
    assertion = rp.client_assertion()
    assert code_exchange(rp, user, assertion).status_code == 200
    replayed = code_exchange(rp, user, assertion)
    assert replayed.status_code == 401
    assert replayed.json()["error"] == "invalid_client"


def test_an_assertion_signed_by_another_key_is_invalid_client(directory, user, rsa_key,
                                                              ec_key):
    rp = keyed_rp(directory, rsa_key)
    rp_with_wrong_key = StrictRP(directory, rp.client, rp.agent)
    rp.client.key = ec_key
    response = code_exchange(rp_with_wrong_key, user, rp.client_assertion())
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("claims", [
    {"aud": "https://elsewhere.example/token"},
    {"exp": None},
    {"jti": None},
    {"sub": "someone-else"},
], ids=["another-audience", "no-exp", "no-jti", "sub-not-the-client"])
def test_an_assertion_with_wrong_claims_is_invalid_client(directory, user, rsa_key, claims):
    rp = keyed_rp(directory, rsa_key)
    response = code_exchange(rp, user, rp.client_assertion(**claims))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_an_assertion_living_more_than_an_hour_is_invalid_client(directory, user, rsa_key):
    rp = keyed_rp(directory, rsa_key)
    response = code_exchange(rp, user, rp.client_assertion(exp=int(clock_now()) + 7200))
    assert response.status_code == 401


def test_an_expired_assertion_is_invalid_client(directory, user, rsa_key, provider_clock):
    rp = keyed_rp(directory, rsa_key)
    assertion = rp.client_assertion()
    code = rp.sign_in(user)["code"]
    provider_clock(120)
    response = requests.post(rp.metadata["token_endpoint"], timeout=30, data={
        **code_request(rp, code), "client_assertion": assertion,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})
    assert response.status_code == 401


def test_the_issuer_is_an_accepted_audience(directory, user, rsa_key):
    rp = keyed_rp(directory, rsa_key)
    response = code_exchange(rp, user, rp.client_assertion(audience=directory.issuer))
    assert response.status_code == 200, response.text


def test_an_app_with_a_key_cannot_use_its_secret(directory, user, rsa_key):
    rp = keyed_rp(directory, rsa_key)
    response = rp.token_request(code_request(rp, rp.sign_in(user)["code"]), "basic")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_an_app_with_a_secret_cannot_use_a_key(directory, user, rsa_key):
    rp = StrictRP(directory, directory.add_client(key=rsa_key))  # keys, but the secret
    response = code_exchange(rp, user, rp.client_assertion())
    assert response.status_code == 401


@pytest.mark.parametrize("endpoint", ["introspection_endpoint", "revocation_endpoint"])
def test_introspection_and_revocation_take_the_assertion(directory, user, rsa_key, endpoint):
    rp = keyed_rp(directory, rsa_key)
    tokens = rp.exchange(rp.sign_in(user)["code"], auth="private_key_jwt")
    url = rp.metadata[endpoint]
    response = requests.post(url, timeout=30, data={
        "token": tokens["access_token"], "client_assertion": rp.client_assertion(url),
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})
    assert response.status_code == 200, response.text
    if endpoint == "introspection_endpoint":
        assert response.json()["active"] is True
    assert (rp.userinfo(tokens["access_token"]).status_code == 200) == \
        (endpoint == "introspection_endpoint")


def test_discovery_offers_private_key_jwt(rp):
    assert "private_key_jwt" in rp.metadata["token_endpoint_auth_methods_supported"]
    assert {"RS256", "ES256"} <= set(
        rp.metadata["token_endpoint_auth_signing_alg_values_supported"])
