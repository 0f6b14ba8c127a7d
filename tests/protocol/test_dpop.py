"""DPoP (RFC 9449): a token request with a proof gets tokens bound to the proof's key; the
access token then works only with a fresh proof by that key naming it; proofs are used
once, carry the provider's nonce at the token endpoint, and an app whose admin requires
DPoP gets nothing without one."""

from __future__ import annotations

import pytest
import requests
from joserfc import jwt

from tests.protocol.test_client_authentication import code_request
from tests.protocol.test_redemption_races import replicas  # noqa: F401 (fixture)
from tests.support.live import new_directory
from tests.support.rp import StrictRP


def token_request(rp: StrictRP, data: dict, key, nonce: str | None = None,
                  proof: str | None = None, auth: str = "basic") -> requests.Response:
    """A token request with a DPoP proof by `key` (or exactly `proof`)."""
    url = rp.metadata["token_endpoint"]
    return rp.post_as_client(url, data, auth,
                             headers={"DPoP": proof or rp.dpop_proof(key, "POST", url, nonce)})


def with_nonce(rp: StrictRP, data: dict, key, auth: str = "basic") -> requests.Response:
    """Ask once without a nonce (RFC 9449 8: the provider answers with one), then with it."""
    first = token_request(rp, data, key, auth=auth)
    assert first.status_code == 400, first.text
    assert first.json()["error"] == "use_dpop_nonce"
    return token_request(rp, data, key, first.headers["DPoP-Nonce"], auth=auth)


def bound_tokens(rp: StrictRP, user, key, auth: str = "basic") -> dict:
    code = rp.sign_in(user)["code"]
    response = with_nonce(rp, code_request(rp, code), key, auth)
    assert response.status_code == 200, response.text
    assert response.headers["DPoP-Nonce"]
    tokens = response.json()
    assert tokens["token_type"] == "DPoP"
    rp.check_id_token(tokens["id_token"], tokens["access_token"])
    return tokens


def userinfo(rp: StrictRP, token: str, key=None, scheme: str = "DPoP",
             proof: str | None = None) -> requests.Response:
    url = rp.metadata["userinfo_endpoint"]
    headers = {"Authorization": f"{scheme} {token}"}
    if key is not None or proof is not None:
        headers["DPoP"] = proof or rp.dpop_proof(key, "GET", url, access_token=token)
    return requests.get(url, headers=headers, timeout=30)


def test_a_bound_access_token_works_with_a_proof_by_its_key(rp, user, ec_key):
    tokens = bound_tokens(rp, user, ec_key)
    response = userinfo(rp, tokens["access_token"], ec_key)
    assert response.status_code == 200, response.text
    assert response.json()["sub"] == user.subject


def test_it_is_no_bearer_token(rp, user, ec_key):
    tokens = bound_tokens(rp, user, ec_key)
    response = userinfo(rp, tokens["access_token"], scheme="Bearer")
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_a_proof_by_another_key_or_without_ath_is_refused(rp, user, ec_key, rsa_key):
    tokens = bound_tokens(rp, user, ec_key)
    assert userinfo(rp, tokens["access_token"], rsa_key).status_code == 401
    unnamed = rp.dpop_proof(ec_key, "GET", rp.metadata["userinfo_endpoint"])
    response = userinfo(rp, tokens["access_token"], proof=unnamed)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('DPoP error="invalid_dpop_proof"')


def test_a_replayed_proof_is_refused(rp, user, ec_key):
    tokens = bound_tokens(rp, user, ec_key)
    proof = rp.dpop_proof(ec_key, "GET", rp.metadata["userinfo_endpoint"],
                          access_token=tokens["access_token"])
    assert userinfo(rp, tokens["access_token"], proof=proof).status_code == 200
    replayed = userinfo(rp, tokens["access_token"], proof=proof)
    assert replayed.status_code == 401
    assert replayed.json()["error"] == "invalid_dpop_proof"


@pytest.mark.parametrize("claims", [
    {"htm": "GET"}, {"htu": "https://elsewhere.example/token"}, {"iat": 1}, {"jti": None},
], ids=["another-method", "another-url", "old", "no-jti"])
def test_a_proof_for_something_else_is_refused_at_the_token_endpoint(rp, user, ec_key,
                                                                     claims):
    code = rp.sign_in(user)["code"]
    nonce = token_request(rp, code_request(rp, code), ec_key).headers["DPoP-Nonce"]
    proof = rp.dpop_proof(ec_key, "POST", rp.metadata["token_endpoint"], nonce, **claims)
    response = token_request(rp, code_request(rp, code), ec_key, proof=proof)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"
    # The code was not spent: the same request with a good proof gets the tokens.
    assert with_nonce(rp, code_request(rp, code), ec_key).status_code == 200


def test_a_stale_nonce_is_answered_with_a_fresh_one(rp, user, ec_key, provider_clock):
    code = rp.sign_in(user)["code"]
    stale = token_request(rp, code_request(rp, code), ec_key).headers["DPoP-Nonce"]
    provider_clock(700)
    response = token_request(rp, code_request(rp, code), ec_key, stale)
    assert response.json()["error"] == "use_dpop_nonce"
    assert response.headers["DPoP-Nonce"] != stale


def test_introspection_and_jwt_access_tokens_name_the_key(directory, user, ec_key):
    rp = StrictRP(directory, directory.add_client(jwt_access_tokens=True))
    tokens = bound_tokens(rp, user, ec_key)
    jkt = ec_key.thumbprint()
    assert jwt.decode(tokens["access_token"], rp.jwks()).claims["cnf"] == {"jkt": jkt}
    info = requests.post(rp.metadata["introspection_endpoint"],
                         data={"token": tokens["access_token"]},
                         auth=(rp.client.client_id, rp.client.secret), timeout=30).json()
    assert info["cnf"] == {"jkt": jkt} and info["token_type"] == "DPoP"


def test_a_public_apps_refresh_token_is_bound_to_its_key(directory, user, ec_key, rsa_key):
    rp = StrictRP(directory, directory.add_client(public=True))
    tokens = bound_tokens(rp, user, ec_key, auth="none")
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    other = with_nonce(rp, refresh, rsa_key, auth="none")
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    plain = rp.token_request(refresh, auth="none")
    assert plain.status_code == 400 and plain.json()["error"] == "invalid_grant"


def test_a_public_app_refreshes_with_the_same_key(directory, user, ec_key):
    rp = StrictRP(directory, directory.add_client(public=True))
    tokens = bound_tokens(rp, user, ec_key, auth="none")
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    again = with_nonce(rp, refresh, ec_key, auth="none")
    assert again.status_code == 200, again.text
    assert again.json()["token_type"] == "DPoP"


def test_an_app_that_must_use_dpop_gets_no_token_without_a_proof(directory, user, ec_key):
    rp = StrictRP(directory, directory.add_client(require_dpop=True))
    code = rp.sign_in(user)["code"]
    response = rp.token_request(code_request(rp, code))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_dpop_proof"
    assert with_nonce(rp, code_request(rp, code), ec_key).json()["token_type"] == "DPoP"


def test_without_a_proof_tokens_stay_bearer_tokens(rp, user):
    tokens = rp.exchange(rp.sign_in(user)["code"])
    assert tokens["token_type"] == "Bearer"
    assert "DPoP" in rp.metadata["dpop_signing_alg_values_supported"] or \
        "ES256" in rp.metadata["dpop_signing_alg_values_supported"]


def test_a_proof_replayed_at_another_instance_is_refused(replicas, ec_key):  # noqa: F811
    first, second = replicas
    directory = new_directory(first)
    rp = StrictRP(directory, directory.add_client())
    tokens = bound_tokens(rp, directory.add_user(totp=True), ec_key)
    proof = rp.dpop_proof(ec_key, "GET", rp.metadata["userinfo_endpoint"],
                          access_token=tokens["access_token"])
    headers = {"Authorization": f"DPoP {tokens['access_token']}", "DPoP": proof}
    assert requests.get(rp.metadata["userinfo_endpoint"], headers=headers,
                        timeout=30).status_code == 200
    other = second.url + rp.metadata["userinfo_endpoint"][len(first.url):]
    replayed = requests.get(other, timeout=30, headers={
        **headers, "Host": first.url.split("://", 1)[1]})
    assert replayed.status_code == 401
    assert replayed.json()["error"] == "invalid_dpop_proof"
