"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.protocol._helpers import authorization_error, error_page, query, signed_in, title
from tests.support.agent import Page
from tests.support.rp import StrictRP


def logout(rp: StrictRP, **params: str):
    url = rp.metadata["end_session_endpoint"] + "?" + urlencode(params)
    return rp.agent.get(url)


def still_signed_in(rp: StrictRP) -> bool:
    check = StrictRP(rp.directory, rp.client, rp.agent)
    params = check.response_params(check.start(prompt="none"))
    return "code" in params


def test_logout_with_the_users_id_token_returns_to_the_registered_uri_with_state(rp, user):
    tokens = signed_in(rp, user)
    response = logout(rp, id_token_hint=tokens["id_token"],
                      post_logout_redirect_uri=rp.client.post_logout_redirect_uri,
                      state="bye-123")
    assert response.is_redirect
    location = response.headers["Location"]
    assert location.startswith(rp.client.post_logout_redirect_uri)
    assert query(location)["state"] == "bye-123"  # section 3


def test_after_logout_prompt_none_is_login_required(rp, user):
    tokens = signed_in(rp, user)
    logout(rp, id_token_hint=tokens["id_token"],
           post_logout_redirect_uri=rp.client.post_logout_redirect_uri)
    check = StrictRP(rp.directory, rp.client, rp.agent)
    assert authorization_error(check, check.start(prompt="none"))["error"] == "login_required"


def test_logout_with_client_id_and_hint_works(rp, user):
    tokens = signed_in(rp, user)
    response = logout(rp, id_token_hint=tokens["id_token"], client_id=rp.client.client_id,
                      post_logout_redirect_uri=rp.client.post_logout_redirect_uri)
    assert response.headers["Location"].startswith(rp.client.post_logout_redirect_uri)


@pytest.mark.parametrize("uri", [
    "https://attacker.example.com/logged-out",
    "https://rp.example.org/logged-out/extra",
    "https://rp.example.org/callback",  # a login redirect URI is not a logout one
])
def test_unregistered_post_logout_uri_is_never_redirected_to(rp, user, uri):
    tokens = signed_in(rp, user)
    response = logout(rp, id_token_hint=tokens["id_token"], post_logout_redirect_uri=uri,
                      state="s")
    assert not response.is_redirect
    assert "attacker.example.com" not in response.headers.get("Location", "")
    assert response.status_code in (200, 400)


def test_logout_without_a_hint_asks_for_confirmation_first(rp, user):
    signed_in(rp, user)
    response = logout(rp, client_id=rp.client.client_id,
                      post_logout_redirect_uri=rp.client.post_logout_redirect_uri)
    assert title(response) == "Log out?"
    assert still_signed_in(rp), "a link alone does not log anyone out"
    stay = rp.agent.get(Page(response).link("Stay logged in"))
    assert stay.status_code == 200 and Page(stay).title == "Your account", Page(stay).title
    assert still_signed_in(rp)
    done = rp.agent.submit(Page(response), "Log out")
    # Section 3: without id_token_hint the OP must not redirect unless it can tell the
    # URI is legitimate; either way the session has ended.
    assert not done.is_redirect or done.headers["Location"].startswith(
        rp.client.post_logout_redirect_uri)
    check = StrictRP(rp.directory, rp.client, rp.agent)
    assert authorization_error(check, check.start(prompt="none"))["error"] == "login_required"


def test_logout_with_another_users_hint_asks_for_confirmation(directory, client):
    alice, bob = directory.add_user(totp=True), directory.add_user(totp=True)
    bobs_id_token = signed_in(StrictRP(directory, client), bob)["id_token"]
    rp = StrictRP(directory, client)
    signed_in(rp, alice)
    response = logout(rp, id_token_hint=bobs_id_token,
                      post_logout_redirect_uri=client.post_logout_redirect_uri)
    assert title(response) == "Log out?"
    assert still_signed_in(rp)


def test_logout_with_a_garbage_hint_is_an_error_page(rp, user):
    signed_in(rp, user)
    response = logout(rp, id_token_hint="garbage",
                      post_logout_redirect_uri=rp.client.post_logout_redirect_uri)
    assert error_page(response) == "invalid_request"
    assert still_signed_in(rp)


def test_logout_with_a_hint_for_another_client_id_is_an_error(rp, directory, user):
    tokens = signed_in(rp, user)
    other = directory.add_client()
    response = logout(rp, id_token_hint=tokens["id_token"], client_id=other.client_id,
                      post_logout_redirect_uri=other.post_logout_redirect_uri)
    # Section 2: client_id must match the ID token's aud.
    assert error_page(response) == "invalid_request"


def test_logout_without_a_session_still_answers(rp, user):
    tokens = signed_in(rp, user)
    logout(rp, id_token_hint=tokens["id_token"])
    response = logout(rp, id_token_hint=tokens["id_token"],
                      post_logout_redirect_uri=rp.client.post_logout_redirect_uri, state="x")
    assert response.is_redirect
    assert response.headers["Location"].startswith(rp.client.post_logout_redirect_uri)


def test_logout_does_not_end_other_browsers_sessions(rp, directory, client, user,
                                                     provider_clock):
    tokens = signed_in(rp, user)
    provider_clock(30)  # the other browser needs the next authenticator code
    other = StrictRP(directory, client)
    signed_in(other, user)
    logout(rp, id_token_hint=tokens["id_token"],
           post_logout_redirect_uri=client.post_logout_redirect_uri)
    assert still_signed_in(other)
