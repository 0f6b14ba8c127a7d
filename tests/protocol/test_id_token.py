"""oidcc-server, oidcc-idtoken-rs256, oidcc-idtoken-signature: the code flow's ID token.

OIDC Core 2 (claims), 3.1.3.3 (token response), 3.1.3.6 (at_hash), 3.1.3.7 (validation).
"""

from __future__ import annotations

import time

import pytest

from tests.protocol._helpers import jose_header, signed_in
from tests.support.rp import StrictRP, half_hash


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_id_token_is_signed_with_the_clients_algorithm_and_a_published_key(directory, user,
                                                                            alg):
    client = directory.add_client(id_token_alg=alg)
    rp = StrictRP(directory, client)
    tokens = signed_in(rp, user)
    header = jose_header(tokens["id_token"])
    assert header["alg"] == alg
    published = {key["kid"]: key for key in rp.jwks().as_dict()["keys"]}
    assert published[header["kid"]]["alg"] == alg


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_id_token_carries_the_required_claims(directory, user, alg):
    client = directory.add_client(id_token_alg=alg)
    rp = StrictRP(directory, client)
    claims = signed_in(rp, user)["claims"]
    assert claims["iss"] == directory.issuer
    assert claims["aud"] in (client.client_id, [client.client_id])
    assert claims["sub"] == user.subject
    assert claims["exp"] > claims["iat"]
    assert claims["acr"] == "30"
    assert set(claims["amr"]) == {"pwd", "otp", "mfa"}


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_at_hash_is_the_left_half_of_the_access_token_hash(directory, user, alg):
    rp = StrictRP(directory, directory.add_client(id_token_alg=alg))
    tokens = signed_in(rp, user)
    # 3.1.3.6: at_hash is OPTIONAL in the code flow; when present it MUST match.
    assert tokens["claims"]["at_hash"] == half_hash(tokens["access_token"], alg)


def test_auth_time_is_when_the_user_logged_in(rp, user):
    before = int(time.time())
    tokens = signed_in(rp, user)
    after = time.time()
    assert before <= tokens["claims"]["auth_time"] <= after


def test_nonce_is_echoed(rp, user):
    response = rp.sign_in(user, nonce="n-0S6_WzA2Mj")
    rp.pending.nonce = "n-0S6_WzA2Mj"  # what this RP remembered for the request
    tokens = rp.exchange(response["code"])
    assert tokens["claims"]["nonce"] == "n-0S6_WzA2Mj"


def test_request_without_nonce_succeeds_and_the_id_token_has_no_nonce(rp, user):
    # oidcc-ensure-request-without-nonce-succeeds-for-code-flow (OIDC Core 3.1.2.1).
    response = rp.sign_in(user, nonce=None)
    rp.pending.nonce = ""
    tokens = rp.exchange(response["code"])
    assert "nonce" not in tokens["claims"]


def test_token_response_is_a_bearer_token_that_is_not_cached(rp, user):
    tokens = signed_in(rp, user)  # exchange() checks Cache-Control: no-store
    assert isinstance(tokens["expires_in"], int) and tokens["expires_in"] > 0
    assert tokens["access_token"] and tokens["refresh_token"]


def test_sub_is_stable_across_logins_and_equals_userinfo_sub(rp, directory, client, user):
    first = signed_in(rp, user)
    second = signed_in(StrictRP(directory, client, rp.agent), user)
    assert first["claims"]["sub"] == second["claims"]["sub"] == user.subject
    assert rp.userinfo(second["access_token"]).json()["sub"] == user.subject


def test_two_users_get_different_subjects(directory, client):
    alice, bob = directory.add_user(totp=True), directory.add_user(totp=True)
    assert signed_in(StrictRP(directory, client), alice)["claims"]["sub"] != \
        signed_in(StrictRP(directory, client), bob)["claims"]["sub"]


def test_id_token_contains_no_scope_claims_unless_asked_for(rp, user):
    # OIDC Core 5.4: with a code flow, scope claims are returned from userinfo.
    claims = signed_in(rp, user)["claims"]
    assert "email" not in claims and "preferred_username" not in claims


def test_an_individual_claim_requested_for_the_id_token_is_in_it(rp, user):
    # OIDC Core 5.5: the claims parameter asks for individual claims in the ID token.
    claims = signed_in(rp, user, claims='{"id_token": {"email": null}}')["claims"]
    assert claims["email"].endswith("@example.org")


def test_id_token_iat_and_exp_follow_the_providers_clock(rp, user, provider_clock):
    before = int(time.time())
    provider_clock(45)
    claims = signed_in(rp, user)["claims"]
    assert claims["iat"] >= before + 45
    assert claims["exp"] - claims["iat"] == 3600  # IDP_ID_TOKEN_TTL_SECONDS' default
