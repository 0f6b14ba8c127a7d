"""JWT access tokens (RFC 9068) for the apps whose admin chose them: an API verifies them
with the directory's published keys and reads the login's level from them; userinfo,
introspection, refresh and revocation treat them as any token."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from joserfc import jwt

from tests.protocol._helpers import jose_header, signed_in
from tests.support.rp import StrictRP


def introspect(rp: StrictRP, token: str) -> dict:
    response = requests.post(rp.metadata["introspection_endpoint"], data={"token": token},
                             auth=(rp.client.client_id, rp.client.secret), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def verified(rp: StrictRP, token: str, alg: str = "RS256") -> tuple[dict, dict]:
    """Check the token as an API would (RFC 9068 section 4); return its header and claims."""
    decoded = jwt.decode(token, rp.jwks(), algorithms=[alg])
    return decoded.header, decoded.claims


@pytest.fixture
def jwt_rp(directory) -> StrictRP:
    return StrictRP(directory, directory.add_client(jwt_access_tokens=True))


def test_an_api_verifies_the_token_and_reads_who_which_app_and_the_level(jwt_rp, user):
    tokens = signed_in(jwt_rp, user)
    header, claims = verified(jwt_rp, tokens["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256"
    assert header["kid"] in {key.kid for key in jwt_rp.jwks().keys}
    id_token = tokens["claims"]
    assert claims["iss"] == jwt_rp.directory.issuer
    assert claims["sub"] == user.subject == id_token["sub"]
    assert claims["client_id"] == claims["aud"] == jwt_rp.client.client_id
    assert set(claims["scope"].split()) == {"openid", "profile", "email"}
    assert claims["acr"] == id_token["acr"] == "30"
    assert claims["amr"] == id_token["amr"]
    assert claims["auth_time"] == id_token["auth_time"]
    assert claims["exp"] - claims["iat"] == tokens["expires_in"]
    assert claims["jti"]


def test_an_es256_app_gets_its_tokens_signed_with_the_es256_key(directory, user):
    rp = StrictRP(directory, directory.add_client(id_token_alg="ES256",
                                                  jwt_access_tokens=True))
    header, _claims = verified(rp, signed_in(rp, user)["access_token"], "ES256")
    assert header["alg"] == "ES256"


def test_other_apps_keep_opaque_tokens(rp, user):
    token = signed_in(rp, user)["access_token"]
    assert token.count(".") == 0 and len(token) < 100


def test_userinfo_and_introspection_answer_for_it(jwt_rp, user):
    tokens = signed_in(jwt_rp, user)
    answer = jwt_rp.userinfo(tokens["access_token"])
    assert answer.status_code == 200 and answer.json()["sub"] == user.subject
    info = introspect(jwt_rp, tokens["access_token"])
    assert info["active"] is True and info["sub"] == user.subject
    _header, claims = verified(jwt_rp, tokens["access_token"])
    assert (info["acr"], info["auth_time"], info["exp"]) == \
        (claims["acr"], claims["auth_time"], claims["exp"])


def test_a_refresh_gives_a_new_token_of_the_same_login(jwt_rp, user):
    tokens = signed_in(jwt_rp, user)
    response = jwt_rp.token_request({"grant_type": "refresh_token",
                                     "refresh_token": tokens["refresh_token"]})
    assert response.status_code == 200, response.text
    _header, first = verified(jwt_rp, tokens["access_token"])
    _header, second = verified(jwt_rp, response.json()["access_token"])
    assert second["jti"] != first["jti"]
    assert (second["sub"], second["acr"], second["amr"], second["auth_time"]) == \
        (first["sub"], first["acr"], first["amr"], first["auth_time"])


def test_a_revoked_token_is_refused_by_userinfo_and_introspection(jwt_rp, user):
    token = signed_in(jwt_rp, user)["access_token"]
    requests.post(jwt_rp.metadata["revocation_endpoint"], data={"token": token},
                  auth=(jwt_rp.client.client_id, jwt_rp.client.secret), timeout=30)
    assert jwt_rp.userinfo(token).status_code == 401
    assert introspect(jwt_rp, token) == {"active": False}


def test_a_token_with_a_changed_claim_is_refused(jwt_rp, user):
    token = signed_in(jwt_rp, user)["access_token"]
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["acr"] = "100"
    forged = ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode())
                       .rstrip(b"=").decode(), signature])
    assert jwt_rp.userinfo(forged).status_code == 401
    assert introspect(jwt_rp, forged) == {"active": False}
    assert jose_header(forged)["typ"] == "at+jwt"


def test_a_bearer_token_far_longer_than_any_is_refused_without_an_error(jwt_rp):
    assert jwt_rp.userinfo("a" * 5000).status_code == 401
    assert introspect(jwt_rp, "a" * 5000) == {"active": False}
