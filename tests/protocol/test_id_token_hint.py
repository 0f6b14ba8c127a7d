"""oidcc-id-token-hint: id_token_hint names the user the RP expects (OIDC Core 3.1.2.1)."""

from __future__ import annotations

import pytest

from tests.protocol._helpers import (
    authorization_error,
    reauthenticate,
    rotate_signing_keys,
    signed_in,
    title,
)
from tests.support.rp import StrictRP


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_hint_of_the_signed_in_user_with_prompt_none_gives_a_code(directory, user, alg):
    client = directory.add_client(id_token_alg=alg)
    rp = StrictRP(directory, client)
    first = signed_in(rp, user)
    again = StrictRP(directory, client, rp.agent)
    params = again.response_params(again.start(prompt="none", id_token_hint=first["id_token"]))
    tokens = again.exchange(params["code"])
    assert tokens["claims"]["sub"] == first["claims"]["sub"] == user.subject


def test_hint_of_another_user_with_prompt_none_is_login_required(directory, client):
    alice, bob = directory.add_user(totp=True), directory.add_user(totp=True)
    bobs_id_token = signed_in(StrictRP(directory, client), bob)["id_token"]
    rp = StrictRP(directory, client)
    signed_in(rp, alice)
    again = StrictRP(directory, client, rp.agent)
    params = authorization_error(again, again.start(prompt="none", id_token_hint=bobs_id_token))
    # Never a code for Alice when the RP expects Bob (3.1.2.1 id_token_hint).
    assert params["error"] == "login_required"


def test_hint_of_another_user_without_prompt_asks_for_a_login(directory, client):
    alice, bob = directory.add_user(totp=True), directory.add_user(totp=True)
    bobs_id_token = signed_in(StrictRP(directory, client), bob)["id_token"]
    rp = StrictRP(directory, client)
    signed_in(rp, alice)
    again = StrictRP(directory, client, rp.agent)
    response = again.start(id_token_hint=bobs_id_token)
    assert title(response).startswith("Log in"), "no code for Alice when Bob is expected"
    tokens = again.exchange(reauthenticate(again, response, bob)["code"])
    assert tokens["claims"]["sub"] == bob.subject


@pytest.mark.parametrize("hint", [
    "garbage",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",  # alg none
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",  # a signature we never made
])
def test_hint_that_is_not_our_id_token_is_invalid_request(rp, directory, client, user, hint):
    signed_in(rp, user)
    again = StrictRP(directory, client, rp.agent)
    response = again.start(prompt="none", id_token_hint=hint)
    assert response.status_code < 500
    assert authorization_error(again, response)["error"] == "invalid_request"


def test_garbage_hint_without_a_session_is_an_error_not_a_page(rp):
    params = authorization_error(rp, rp.start(id_token_hint="garbage"))
    assert params["error"] == "invalid_request"


def test_hint_survives_key_rotation(rp, directory, client, user):
    first = signed_in(rp, user)
    rotate_signing_keys(directory)
    again = StrictRP(directory, client, rp.agent)
    params = again.response_params(again.start(prompt="none", id_token_hint=first["id_token"]))
    assert again.exchange(params["code"])["claims"]["sub"] == user.subject
