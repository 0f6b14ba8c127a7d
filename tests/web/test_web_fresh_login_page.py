"""Logging in again before a change that needs a recent login: the login form says why and
fills in the person's username, read-only; the login then returns to the page."""

from __future__ import annotations

import pytest

from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.web.helpers import assert_sane

STALE = 700  # seconds after the login: past the fresh window of 600 s
ENDED = 4 * 3600  # seconds after the login: the session itself has ended


def login_again(directory, provider_clock, path: str, admin: bool):
    """Log in, let the login grow old, open `path`; return the user, browser and login form."""
    user = directory.add_user(totp=True, admin=admin)
    agent, page = open_account_page(directory, user, "/account/")
    assert page.title == "Your account", page.text[:300]
    provider_clock(STALE)
    asked = Page(agent.get(directory.issuer + path))
    assert asked.title == "Log in again", asked.text[:300]
    response = agent.submit(asked, "Continue")
    assert_sane(response)
    return user, agent, Page(response)


@pytest.mark.parametrize(("path", "admin", "reason"), [
    ("/admin/settings", True, "Confirm it is you to change settings."),
    ("/account/password", False, "Confirm it is you to change how you sign in."),
])
def test_the_login_form_says_why_and_fills_in_the_username_read_only(directory, provider_clock,
                                                                     path, admin, reason):
    user, _agent, page = login_again(directory, provider_clock, path, admin)

    assert page.title == "Log in", page.text[:300]
    why = page.soup.find(id="login-reason")
    assert why is not None and why.get_text(" ", strip=True) == reason, page.text[:500]
    assert "to continue to your account" not in page.text
    username = page.soup.find("input", attrs={"name": "username"})
    assert username["value"] == user.username
    assert username.has_attr("readonly")
    assert "login-reason" in username["aria-describedby"]


def assert_names_nobody(page: Page) -> None:
    assert page.title == "Log in", page.text[:300]
    assert page.soup.find(id="login-reason") is None
    username = page.soup.find("input", attrs={"name": "username"})
    assert not username.get("value") and not username.has_attr("readonly")


def test_a_first_login_to_the_account_pages_names_nobody(directory):
    assert_names_nobody(Page(Agent(directory.live.url).get(directory.issuer + "/admin/settings")))


def test_a_session_that_ended_logs_in_afresh_naming_nobody(directory, provider_clock):
    user = directory.add_user(totp=True, admin=True)
    agent, _page = open_account_page(directory, user, "/account/")
    provider_clock(ENDED)
    assert_names_nobody(Page(agent.get(directory.issuer + "/admin/settings")))


def test_the_login_again_returns_to_the_settings_and_a_wrong_password_keeps_the_reason(
        directory, provider_clock):
    user, agent, page = login_again(directory, provider_clock, "/admin/settings", True)

    wrong = Page(agent.submit(page, "Log in", by_label={"Password": "not the password"}))
    assert wrong.title == "Log in", wrong.text[:300]
    assert wrong.soup.find(id="login-reason") is not None
    assert wrong.soup.find("input", attrs={"name": "username"})["value"] == user.username

    step = Page(agent.submit(wrong, "Log in", by_label={"Password": user.password}))
    assert step.title == "Choose how to verify", step.text[:300]
    form = Page(agent.get(step.link("Continue with authenticator app")))
    done = Page(agent.submit(form, "Verify", by_label={"Code": user.totp()}))
    assert done.title == "Authentication settings", done.text[:300]
