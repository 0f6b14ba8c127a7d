"""Leaving a login: cancelling sends access_denied to the app; a third-party app asks for
consent, which can be refused or given, and is remembered."""

from __future__ import annotations

from tests.support.agent import Page
from tests.support.rp import StrictRP
from tests.web.helpers import assert_error_page, interaction_url, login_page, password_step


def test_cancelling_at_the_login_page_sends_access_denied(directory):
    rp = StrictRP(directory, directory.add_client())
    page = login_page(rp)

    response = rp.agent.submit(page, "Cancel")

    params = rp.response_params(response)  # iss and state are checked there
    assert params["error"] == "access_denied"
    assert "code" not in params
    assert_error_page(rp.agent.get(interaction_url(page)), 400, "interaction_expired")


def test_cancelling_at_the_step_up_page_sends_access_denied(directory):
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user(totp=True)
    page = Page(password_step(rp, user))

    response = rp.agent.submit(page, "Cancel")

    assert rp.response_params(response)["error"] == "access_denied"


def test_cancelling_without_a_state_sends_no_state(directory):
    rp = StrictRP(directory, directory.add_client())
    page = login_page(rp, state=None)
    rp.pending = None

    response = rp.agent.submit(page, "Cancel")

    params = rp.response_params(response)
    assert params["error"] == "access_denied"
    assert "state" not in params


def test_a_user_who_cannot_reach_the_level_is_told_and_the_app_learns_why(directory):
    # Only recovery codes could add points, and they cannot be set up during login.
    directory.set_levels(totp=0, sms=0, email=0, passkey=0, app=0)
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()

    page = Page(password_step(rp, user))
    response = rp.agent.submit(page, "Continue back to the app")

    assert page.title == "You cannot log in here yet"
    assert rp.response_params(response)["error"] == "unmet_authentication_requirements"


def _to_consent(rp: StrictRP, user) -> Page:
    response = rp.verify_totp(password_step(rp, user), user)
    page = Page(response)
    assert response.status_code == 200, response.headers.get("Location")
    assert page.title == f"Share your details with {rp.client.client_id}?", page.text[:300]
    return page


def test_a_third_party_app_asks_for_consent_and_deny_sends_access_denied(directory):
    client = directory.add_client(first_party=False)
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, client)

    page = _to_consent(rp, user)
    response = rp.agent.submit(page, "Deny")

    assert "see your email address" in page.text
    params = rp.response_params(response)
    assert params["error"] == "access_denied"
    assert "code" not in params
    # Refusing is not remembered: the next request asks again.
    assert Page(rp.start()).title.startswith("Share your details")


def test_consent_given_once_is_remembered(directory):
    client = directory.add_client(first_party=False)
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, client)

    page = _to_consent(rp, user)
    allowed = rp.agent.submit(page, "Continue and allow")
    tokens = rp.exchange(rp.response_params(allowed)["code"])
    again = rp.start()

    assert tokens["claims"]["sub"] == user.subject
    assert "code" in rp.response_params(again), "no second consent page"


def test_a_first_party_app_never_asks_for_consent(directory):
    client = directory.add_client()
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, client)

    response = rp.verify_totp(password_step(rp, user), user)

    assert "code" in rp.response_params(response)
