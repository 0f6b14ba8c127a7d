"""oidcc-codereuse: an authorization code works once (RFC 6749 4.1.2, 10.5; OIDC Core 3.1.3.2).

A replayed code is invalid_grant and the tokens issued from it are revoked.
"""

from __future__ import annotations

from tests.protocol._helpers import signed_in
from tests.support.rp import StrictRP


def redeem(rp: StrictRP, code: str, **overrides: str):
    data = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": rp.client.redirect_uri, "code_verifier": rp.pending.verifier}
    data.update(overrides)
    return rp.token_request({k: v for k, v in data.items() if v is not None})


def test_code_used_twice_is_invalid_grant(rp, user):
    code = rp.sign_in(user)["code"]
    rp.exchange(code)
    again = redeem(rp, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_replayed_code_revokes_the_tokens_it_issued(rp, user):
    code = rp.sign_in(user)["code"]
    tokens = rp.exchange(code)
    assert rp.userinfo(tokens["access_token"]).status_code == 200
    assert redeem(rp, code).status_code == 400
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    refresh = rp.token_request({"grant_type": "refresh_token",
                                "refresh_token": tokens["refresh_token"]})
    assert refresh.json()["error"] == "invalid_grant"


def test_code_of_another_client_is_invalid_grant(rp, directory, user):
    code = rp.sign_in(user)["code"]
    other = StrictRP(directory, directory.add_client())
    other.pending = rp.pending
    answer = redeem(other, code)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_code_with_another_redirect_uri_is_invalid_grant(rp, user):
    # RFC 6749 4.1.3: redirect_uri must be identical to the authorization request's.
    code = rp.sign_in(user)["code"]
    answer = redeem(rp, code, redirect_uri="https://rp.example.org/other")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_code_without_the_redirect_uri_is_refused(rp, user):
    code = rp.sign_in(user)["code"]
    answer = redeem(rp, code, redirect_uri=None)
    assert answer.status_code == 400
    assert answer.json()["error"] in ("invalid_grant", "invalid_request")


def test_unknown_code_is_invalid_grant(rp):
    rp.authorization_url()
    answer = redeem(rp, "not-a-code-we-issued")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_code_refused_for_a_wrong_client_cannot_be_used_afterwards(rp, directory, user):
    code = rp.sign_in(user)["code"]
    other = StrictRP(directory, directory.add_client())
    other.pending = rp.pending
    redeem(other, code)
    # The code was presented once: it is spent, whoever presented it.
    assert redeem(rp, code).status_code == 400


def test_tokens_from_a_fresh_code_are_not_affected_by_another_codes_replay(rp, directory,
                                                                           client, user):
    first_code = rp.sign_in(user)["code"]
    rp.exchange(first_code)
    second = StrictRP(directory, client, rp.agent)
    tokens = signed_in(second, user)
    redeem(rp, first_code)
    assert second.userinfo(tokens["access_token"]).status_code == 200
