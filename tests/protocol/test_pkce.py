"""PKCE (RFC 7636) with S256 only, required for public clients (RFC 9700 2.1.1)."""

from __future__ import annotations

import secrets

import pytest

from tests.protocol._helpers import authorization_error
from tests.support.rp import StrictRP


@pytest.fixture
def public_rp(directory):
    return StrictRP(directory, directory.add_client(public=True))


def test_public_client_with_s256_gets_tokens_without_a_secret(public_rp, user):
    tokens = public_rp.exchange(public_rp.sign_in(user)["code"], auth="none")
    assert tokens["claims"]["sub"] == user.subject


def test_public_client_without_code_challenge_is_invalid_request(public_rp):
    params = authorization_error(public_rp, public_rp.start(
        code_challenge=None, code_challenge_method=None))
    assert params["error"] == "invalid_request"


@pytest.mark.parametrize("auth", ["basic", "none"])
def test_wrong_code_verifier_is_invalid_grant(rp, public_rp, user, auth):
    client_rp = rp if auth == "basic" else public_rp
    code = client_rp.sign_in(user)["code"]
    response = client_rp.token_request({
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": client_rp.client.redirect_uri,
        "code_verifier": secrets.token_urlsafe(48)}, auth)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_missing_code_verifier_is_refused(public_rp, user):
    code = public_rp.sign_in(user)["code"]
    response = public_rp.token_request({
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": public_rp.client.redirect_uri}, auth="none")
    assert response.status_code == 400
    assert response.json()["error"] in ("invalid_grant", "invalid_request")


def test_plain_method_is_refused(rp):
    verifier = secrets.token_urlsafe(48)
    params = authorization_error(rp, rp.start(code_challenge=verifier,
                                              code_challenge_method="plain"))
    assert params["error"] == "invalid_request"


def test_code_challenge_without_a_method_is_refused(rp):
    # RFC 7636 4.3 defaults to plain, which this provider does not support.
    params = authorization_error(rp, rp.start(code_challenge_method=None))
    assert params["error"] == "invalid_request"


def test_malformed_code_challenge_is_refused(rp):
    params = authorization_error(rp, rp.start(code_challenge="short"))
    assert params["error"] == "invalid_request"


def test_confidential_client_may_leave_out_pkce(rp, user):
    # The Basic OP plan's clients authenticate with a secret and send no PKCE.
    response = rp.sign_in(user, code_challenge=None, code_challenge_method=None)
    answer = rp.token_request({"grant_type": "authorization_code", "code": response["code"],
                               "redirect_uri": rp.client.redirect_uri})
    assert answer.status_code == 200, answer.text
    rp.check_id_token(answer.json()["id_token"], answer.json()["access_token"])


def test_code_verifier_for_a_code_issued_without_pkce_is_refused(rp, user):
    # RFC 9700 4.8.2: a downgrade attempt.
    response = rp.sign_in(user, code_challenge=None, code_challenge_method=None)
    answer = rp.token_request({"grant_type": "authorization_code", "code": response["code"],
                               "redirect_uri": rp.client.redirect_uri,
                               "code_verifier": rp.pending.verifier})
    assert answer.status_code == 400


def test_public_client_cannot_authenticate_with_a_secret(public_rp, user):
    code = public_rp.sign_in(user)["code"]
    response = public_rp.token_request({
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": public_rp.client.redirect_uri,
        "code_verifier": public_rp.pending.verifier, "client_secret": "anything"}, auth="none")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"

