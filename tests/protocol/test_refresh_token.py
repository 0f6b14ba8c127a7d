"""oidcc-refresh-token: the refresh grant (RFC 6749 6, OIDC Core 12) with rotation and reuse
detection (RFC 9700 4.14.2)."""

from __future__ import annotations

import requests

from tests.protocol._helpers import signed_in
from tests.support.rp import StrictRP


def refresh(rp: StrictRP, refresh_token: str, auth: str = "basic"):
    return rp.token_request({"grant_type": "refresh_token", "refresh_token": refresh_token},
                            auth)


def test_refresh_gives_new_tokens(rp, user):
    tokens = signed_in(rp, user)
    response = refresh(rp, tokens["refresh_token"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    fresh = response.json()
    assert fresh["token_type"].lower() == "bearer"
    assert fresh["access_token"] != tokens["access_token"]
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert rp.userinfo(fresh["access_token"]).json()["sub"] == user.subject


def test_id_token_from_a_refresh_keeps_the_subject_and_auth_time(rp, user):
    tokens = signed_in(rp, user)
    fresh = refresh(rp, tokens["refresh_token"]).json()
    if "id_token" in fresh:
        # OIDC Core 12.2: same iss, sub, aud; auth_time is the original authentication's.
        claims = rp.check_id_token(fresh["id_token"], fresh["access_token"],
                                   nonce=tokens["claims"].get("nonce"))
        assert claims["sub"] == tokens["claims"]["sub"]
        assert claims["auth_time"] == tokens["claims"]["auth_time"]
        assert claims["acr"] == tokens["claims"]["acr"]


def test_refresh_works_with_client_secret_post(rp, user):
    tokens = signed_in(rp, user)
    assert refresh(rp, tokens["refresh_token"], auth="post").status_code == 200


def test_rotated_refresh_token_no_longer_works(rp, user):
    tokens = signed_in(rp, user)
    assert refresh(rp, tokens["refresh_token"]).status_code == 200
    again = refresh(rp, tokens["refresh_token"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_reusing_a_rotated_refresh_token_revokes_the_whole_grant(rp, user):
    tokens = signed_in(rp, user)
    fresh = refresh(rp, tokens["refresh_token"]).json()
    assert refresh(rp, tokens["refresh_token"]).status_code == 400  # the reuse
    assert rp.userinfo(fresh["access_token"]).status_code == 401
    after = refresh(rp, fresh["refresh_token"])
    assert after.status_code == 400
    assert after.json()["error"] == "invalid_grant"


def test_refresh_token_of_another_client_is_invalid_grant(rp, directory, user):
    tokens = signed_in(rp, user)
    other = StrictRP(directory, directory.add_client())
    answer = refresh(other, tokens["refresh_token"])
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_refresh_with_a_wrong_secret_is_invalid_client(rp, user):
    tokens = signed_in(rp, user)
    rp.client.secret = "wrong"
    answer = refresh(rp, tokens["refresh_token"])
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_unknown_refresh_token_is_invalid_grant(rp):
    answer = refresh(rp, "not-a-refresh-token")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_access_token_is_not_a_refresh_token(rp, user):
    tokens = signed_in(rp, user)
    assert refresh(rp, tokens["access_token"]).json()["error"] == "invalid_grant"


def test_refresh_cannot_widen_the_scope(rp, user):
    # RFC 6749 6: the scope must not include any scope not originally granted.
    tokens = signed_in(rp, user, scope="openid")
    answer = rp.token_request({"grant_type": "refresh_token",
                               "refresh_token": tokens["refresh_token"],
                               "scope": "openid email"})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_scope"


def test_refresh_may_narrow_the_scope(rp, user):
    tokens = signed_in(rp, user)
    answer = rp.token_request({"grant_type": "refresh_token",
                               "refresh_token": tokens["refresh_token"], "scope": "openid"})
    assert answer.status_code == 200
    assert set(rp.userinfo(answer.json()["access_token"]).json()) == {"sub"}


DAY = 86400


def test_a_refresh_token_unused_for_its_idle_lifetime_is_refused(rp, user, provider_clock):
    tokens = signed_in(rp, user)
    provider_clock(30 * DAY + 1)  # IDP_REFRESH_TOKEN_TTL_SECONDS: 30 days
    answer = refresh(rp, tokens["refresh_token"])
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_rotation_never_carries_a_grant_past_its_absolute_lifetime(rp, user, provider_clock):
    tokens = signed_in(rp, user)
    started = tokens["claims"]["auth_time"]
    for _ in range(4):  # used every 20 days: never idle for 30
        provider_clock(20 * DAY)
        answer = refresh(rp, tokens["refresh_token"])
        assert answer.status_code == 200, answer.text
        tokens = answer.json()
    # Day 80: this refresh token is new, but its grant ends on day 90
    # (IDP_REFRESH_TOKEN_ABSOLUTE_TTL_SECONDS), not 30 days from now.
    info = requests.post(rp.metadata["introspection_endpoint"],
                         data={"token": tokens["refresh_token"]},
                         auth=(rp.client.client_id, rp.client.secret), timeout=30).json()
    assert info["active"] is True
    assert started + 90 * DAY - 5 <= info["exp"] <= started + 90 * DAY + 5
    provider_clock(10 * DAY)
    answer = refresh(rp, tokens["refresh_token"])
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
