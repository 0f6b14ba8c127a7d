"""Nothing issued for one directory is accepted by another (each has its own issuer)."""

from __future__ import annotations

import pytest
import requests

from tests.protocol._helpers import authorization_error, jose_header, signed_in
from tests.support.live import new_directory
from tests.support.rp import StrictRP


@pytest.fixture
def twin(directory, client, live):
    """Another directory with a client of the same client_id and redirect URI."""
    other = new_directory(live)
    return other, other.add_client(client.client_id, redirect_uri=client.redirect_uri)


def test_code_of_one_directory_is_invalid_grant_at_another(rp, user, twin):
    other, other_client = twin
    response = rp.sign_in(user)
    other_rp = StrictRP(other, other_client)
    answer = other_rp.token_request({
        "grant_type": "authorization_code", "code": response["code"],
        "redirect_uri": other_client.redirect_uri, "code_verifier": rp.pending.verifier})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_access_token_of_one_directory_is_refused_by_anothers_userinfo(rp, user, twin):
    other, other_client = twin
    tokens = signed_in(rp, user)
    answer = StrictRP(other, other_client).userinfo(tokens["access_token"])
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_refresh_token_of_one_directory_is_invalid_grant_at_another(rp, user, twin):
    other, other_client = twin
    tokens = signed_in(rp, user)
    answer = StrictRP(other, other_client).token_request(
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_id_token_of_one_directory_is_not_a_hint_at_another(rp, user, twin):
    other, other_client = twin
    tokens = signed_in(rp, user)
    other_rp = StrictRP(other, other_client)
    params = authorization_error(other_rp, other_rp.start(
        prompt="none", id_token_hint=tokens["id_token"]))
    # Nobody is signed in there, so login_required (OIDC Core 3.1.2.6) is as right as
    # invalid_request for a hint this issuer did not sign; never a code.
    assert params["error"] in ("invalid_request", "login_required")


def test_id_token_is_not_valid_against_another_directorys_keys(rp, user, twin):
    other, _ = twin
    tokens = signed_in(rp, user)
    other_kids = {key["kid"] for key in requests.get(
        f"{other.issuer}/jwks", timeout=30).json()["keys"]}
    assert tokens["claims"]["iss"] != other.issuer
    assert jose_header(tokens["id_token"])["kid"] not in other_kids


def test_session_of_one_directory_does_not_sign_in_to_another(rp, user, twin):
    other, other_client = twin
    signed_in(rp, user)
    other_rp = StrictRP(other, other_client, rp.agent)  # the same browser
    params = authorization_error(other_rp, other_rp.start(prompt="none"))
    assert params["error"] == "login_required"
