"""One browser, two pending logins: once the login is done in one tab, the other tab's
pages answer its app with a code of its own instead of losing the request."""

from __future__ import annotations

import pytest

from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import interaction_url


def _two_tabs(directory):
    """Two authorization requests of one browser; return both tabs' RPs, the user, the
    first tab's step-up page and the second tab's authenticator-app form."""
    client = directory.add_client()
    user = directory.add_user(totp=True)
    browser = Agent(directory.live.url)
    first, second = StrictRP(directory, client, browser), StrictRP(directory, client, browser)
    first_login = first.start()
    second_login = Page(second.start())
    assert second_login.title == "Log in", second_login.text[:300]
    step_up = first.log_in(first_login, user)
    second_step_up = Page(browser.get(interaction_url(second_login)))
    assert second_step_up.title == "Choose how to verify", second_step_up.text[:300]
    second_form = Page(browser.get(second_step_up.link("Continue with authenticator app")))
    assert second_form.title == "Enter the code from your authenticator app", \
        second_form.text[:300]
    return first, second, user, step_up, second_form


@pytest.mark.parametrize("how", ["interaction page", "method page", "method form"])
def test_the_second_tab_gets_its_own_code_once_the_first_tab_finished_the_login(directory,
                                                                                 how):
    first, second, user, step_up, second_form = _two_tabs(directory)
    first_code = first.response_params(first.verify_totp(step_up, user))["code"]

    if how == "interaction page":
        response = second.agent.get(interaction_url(second_form))
    elif how == "method page":
        response = second.agent.get(second_form.url)
    else:
        response = second.agent.submit(second_form, "Verify", by_label={"Code": user.totp()})

    second_code = second.response_params(response)["code"]
    assert second_code != first_code
    tokens = second.exchange(second_code)
    assert tokens["claims"]["sub"] == user.subject
    assert tokens["claims"]["acr"] == "30"
    assert first.exchange(first_code)["claims"]["sub"] == user.subject


@pytest.mark.parametrize("how", ["login form", "code form", "page"])
def test_the_same_login_open_in_two_tabs_reaches_the_app_from_the_second_tab(directory, how):
    """One login page duplicated in a second tab: the first tab finishes the login, then the
    second tab (its form or its page) reaches the app with a code of its own."""
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user(totp=True)
    first_tab = Page(rp.start())
    assert first_tab.title == "Log in", first_tab.text[:300]
    second_tab = Page(rp.agent.get(interaction_url(first_tab)))  # the same page, again
    if how == "code form":
        # Both tabs reached the authenticator-app form; the first one sends the code.
        step_up = Page(rp.log_in(first_tab.response, user))
        code_form = Page(rp.agent.get(step_up.link("Continue with authenticator app")))
        first_code = rp.response_params(rp.agent.submit(
            code_form, "Verify", by_label={"Code": user.totp()}))["code"]
        response = rp.agent.submit(code_form, "Verify", by_label={"Code": user.totp()})
    else:
        first_code = rp.response_params(rp.verify_totp(rp.log_in(first_tab.response, user),
                                                       user))["code"]
        if how == "login form":
            response = rp.agent.submit(second_tab, "Log in", by_label={
                "Username or email": user.username, "Password": user.password})
        else:
            response = rp.agent.get(second_tab.url)

    second_code = rp.response_params(response)["code"]
    assert second_code != first_code
    assert rp.exchange(first_code)["claims"]["sub"] == user.subject
    assert rp.exchange(second_code)["claims"]["sub"] == user.subject
