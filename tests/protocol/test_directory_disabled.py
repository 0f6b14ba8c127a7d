"""A directory its operator disabled answers nothing but its refusal; enabled, it serves again.

Disabling ends the directory's browser sessions and revokes its token grants; while it is
disabled every page is a 403 page (English and Dutch) and every machine endpoint a 403
``access_denied`` JSON error. The authorization endpoint never redirects to the app. Enabling
serves it again, but what disabling ended stays ended. Other directories are untouched.
"""

from __future__ import annotations

import pytest
import requests

from idp.admin.directories import disable_directory, enable_directory
from idp.clock import now
from idp.storage import db
from idp.tenants.directories import get_directory
from tests.protocol._helpers import error_page, signed_in, title
from tests.support.agent import Page
from tests.support.live import new_directory
from tests.support.rp import StrictRP

DISABLED_EN = "This directory is disabled"
DISABLED_NL = "Deze directory is uitgeschakeld"


def set_disabled(directory, disabled: bool) -> None:
    """Disable or enable the directory as `idp directory disable|enable` does."""
    with directory.live.app.app_context():
        row = get_directory(directory.slug)
        if disabled:
            disable_directory(row, now())
        else:
            enable_directory(row, now())
        db.session.commit()


def assert_refused_json(response: requests.Response) -> None:
    assert response.status_code == 403, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == "access_denied", body
    assert DISABLED_EN in body["error_description"], body


@pytest.fixture
def tokens(rp, user) -> dict:
    """Tokens the app got before the directory was disabled."""
    return signed_in(rp, user)


def test_the_authorization_request_of_a_disabled_directory_is_a_page_not_a_redirect(rp):
    set_disabled(rp.directory, True)

    response = rp.start()

    assert error_page(response, 403) == "access_denied"
    assert DISABLED_EN in Page(response).text


def test_the_login_page_of_a_disabled_directory_says_so_in_dutch(rp):
    set_disabled(rp.directory, True)

    response = rp.agent.get(rp.authorization_url(), headers={"Accept-Language": "nl"})

    assert error_page(response, 403) == "access_denied"
    assert DISABLED_NL in Page(response).text


@pytest.mark.parametrize("path", ["/account/", "/invitation/some-token", "/logout",
                                  "/app/activate"])
def test_the_pages_of_a_disabled_directory_are_refused(directory, path):
    set_disabled(directory, True)

    response = requests.get(f"{directory.issuer}{path}", timeout=30, allow_redirects=False)

    assert error_page(response, 403) == "access_denied"


def test_the_authenticator_apps_api_of_a_disabled_directory_is_refused(directory):
    set_disabled(directory, True)

    assert_refused_json(requests.post(f"{directory.issuer}/app/nonce", json={}, timeout=30))
    assert_refused_json(requests.get(f"{directory.issuer}/app/approvals", timeout=30))


def test_a_refresh_token_issued_before_is_refused_while_disabled(rp, tokens):
    set_disabled(rp.directory, True)

    assert_refused_json(rp.token_request({"grant_type": "refresh_token",
                                          "refresh_token": tokens["refresh_token"]}))


def test_an_access_token_issued_before_is_refused_by_userinfo_while_disabled(rp, tokens):
    set_disabled(rp.directory, True)

    assert_refused_json(rp.userinfo(tokens["access_token"]))


def test_introspection_and_revocation_of_a_disabled_directory_are_refused(rp, tokens):
    set_disabled(rp.directory, True)
    auth = (rp.client.client_id, rp.client.secret)

    for endpoint in ("introspection_endpoint", "revocation_endpoint"):
        assert_refused_json(requests.post(rp.metadata[endpoint],
                                          data={"token": tokens["access_token"]},
                                          auth=auth, timeout=30))


def test_discovery_and_jwks_of_a_disabled_directory_are_refused(directory):
    set_disabled(directory, True)

    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server",
                 "/jwks"):
        assert_refused_json(requests.get(f"{directory.issuer}{path}", timeout=30))


def test_enabling_serves_again_but_ended_sessions_and_tokens_stay_ended(rp, user, tokens):
    set_disabled(rp.directory, True)
    set_disabled(rp.directory, False)

    assert requests.get(rp.metadata["jwks_uri"], timeout=30).status_code == 200
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    answer = rp.token_request({"grant_type": "refresh_token",
                               "refresh_token": tokens["refresh_token"]})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    # The browser's session ended: the same browser must log in again, and then can.
    assert title(rp.start()).startswith("Log in")


def test_a_user_can_log_in_again_once_enabled(rp, user, tokens, provider_clock):
    set_disabled(rp.directory, True)
    set_disabled(rp.directory, False)
    provider_clock(30)  # the next authenticator code: a used one is refused

    again = signed_in(rp, user)

    assert rp.userinfo(again["access_token"]).status_code == 200


def test_another_directory_is_untouched_by_disabling_one(rp, user, tokens, live):
    other = new_directory(live)
    other_client = other.add_client()
    other_user = other.add_user(totp=True)
    other_rp = StrictRP(other, other_client)
    other_tokens = signed_in(other_rp, other_user)

    set_disabled(rp.directory, True)

    assert other_rp.userinfo(other_tokens["access_token"]).status_code == 200
    answer = other_rp.token_request({"grant_type": "refresh_token",
                                     "refresh_token": other_tokens["refresh_token"]})
    assert answer.status_code == 200, answer.text
    assert requests.get(other_rp.metadata["jwks_uri"], timeout=30).status_code == 200


def test_a_user_of_one_directory_is_never_accepted_by_another(rp, user, live):
    other = new_directory(live)
    other_rp = StrictRP(other, other.add_client())
    set_disabled(rp.directory, True)
    set_disabled(rp.directory, False)

    response = other_rp.log_in(other_rp.start(), user)

    assert not response.is_redirect
    assert title(response).startswith("Log in"), "refused, still at the login form"
