"""oidcc-userinfo-get, -post-header, -post-body and oidcc-scope-*: the userinfo endpoint.

OIDC Core 5.3 (userinfo), 5.4 (scope claims), 5.5 (claims parameter); RFC 6750 2 and 3.
"""

from __future__ import annotations

import pytest
import requests

from tests.protocol._helpers import signed_in

PROFILE = {"name", "preferred_username", "updated_at"}
EMAIL = {"email", "email_verified"}


@pytest.mark.parametrize("how", ["header", "post-header", "body"])
def test_userinfo_answers_with_the_id_tokens_subject(rp, user, how):
    tokens = signed_in(rp, user)
    response = rp.userinfo(tokens["access_token"], how=how)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    # 5.3.2: the sub in the userinfo response MUST match the ID token's sub.
    assert response.json()["sub"] == tokens["claims"]["sub"] == user.subject


def test_openid_scope_alone_gives_only_sub(rp, user):
    tokens = signed_in(rp, user, scope="openid")
    assert set(rp.userinfo(tokens["access_token"]).json()) == {"sub"}


def test_profile_scope_adds_profile_claims(rp, user):
    tokens = signed_in(rp, user, scope="openid profile")
    info = rp.userinfo(tokens["access_token"]).json()
    assert set(info) >= PROFILE
    assert not EMAIL & set(info)
    assert info["preferred_username"] == user.username


def test_email_scope_adds_email_claims(rp, user):
    tokens = signed_in(rp, user, scope="openid email")
    info = rp.userinfo(tokens["access_token"]).json()
    assert info["email"] == f"{user.username}@example.org"
    assert isinstance(info["email_verified"], bool)
    assert not PROFILE & set(info)


def test_scope_order_does_not_matter(rp, user):
    # oidcc-ensure-other-scope-order-succeeds.
    tokens = signed_in(rp, user, scope="email openid profile")
    assert set(rp.userinfo(tokens["access_token"]).json()) >= (PROFILE | EMAIL)


def test_unknown_scope_is_ignored(rp, user):
    tokens = signed_in(rp, user, scope="openid unknown-scope")
    assert set(rp.userinfo(tokens["access_token"]).json()) == {"sub"}


def test_claims_parameter_adds_an_individual_userinfo_claim(rp, user):
    tokens = signed_in(rp, user, scope="openid", claims='{"userinfo": {"email": null}}')
    info = rp.userinfo(tokens["access_token"]).json()
    assert info["email"] == f"{user.username}@example.org"
    assert "name" not in info


@pytest.mark.parametrize("how", ["header", "post-header", "body"])
def test_invalid_token_is_401_with_a_bearer_challenge(rp, how):
    response = rp.userinfo("not-a-token-we-issued", how=how)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer")
    # RFC 6750 3.1: a token that is not valid is invalid_token.
    assert 'error="invalid_token"' in challenge


def test_missing_token_is_401_with_a_bearer_challenge(rp):
    response = requests.get(rp.metadata["userinfo_endpoint"], timeout=30)
    assert response.status_code == 401
    # RFC 6750 3.1: without any authentication information the challenge SHOULD NOT
    # carry an error code (and only registered codes may appear at all).
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_refresh_token_is_not_an_access_token(rp, user):
    tokens = signed_in(rp, user)
    assert rp.userinfo(tokens["refresh_token"]).status_code == 401


def test_id_token_is_not_an_access_token(rp, user):
    tokens = signed_in(rp, user)
    assert rp.userinfo(tokens["id_token"]).status_code == 401


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer"])
def test_other_authentication_schemes_get_a_bearer_challenge(rp, authorization):
    response = requests.get(rp.metadata["userinfo_endpoint"],
                            headers={"Authorization": authorization}, timeout=30)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_phone_scope_succeeds_without_a_phone_number(rp, user):
    # oidcc-scope-phone: claims the user does not have are left out, not invented.
    tokens = signed_in(rp, user, scope="openid phone")
    info = rp.userinfo(tokens["access_token"]).json()
    assert info["sub"] == user.subject
    assert "phone_number" not in info


def test_all_scopes_at_once_succeed(rp, user):
    # oidcc-scope-all (address is not supported and is ignored).
    tokens = signed_in(rp, user, scope="openid profile email address phone")
    assert set(rp.userinfo(tokens["access_token"]).json()) >= (PROFILE | EMAIL)
