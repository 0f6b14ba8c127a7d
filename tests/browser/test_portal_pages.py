"""The sample portal's pages speak to people: the name of who is signed in, why the login
asked for more than the page needs, and a cancelled login said in words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import give_app_code, give_password, open_billing

pytestmark = pytest.mark.browser


def test_the_account_page_names_the_person_and_explains_the_directorys_floor(page, portal):
    user = portal.directory.add_user(totp=True)  # the directory requires 30
    page.goto(portal.url + "/")
    page.get_by_role("link", name="Account (20)").first.click()
    give_password(page, user)
    give_app_code(page, user)

    expect(page).to_have_url(portal.url + "/account")
    expect(page.locator("#signed-in-as")).to_have_text(f"Signed in as {user.username.title()}.")
    expect(page.locator("#level-note")).to_contain_text("sets a minimum level (a floor) for "
                                                        "every login")
    page.get_by_role("link", name="Home").click()
    expect(page.locator("#signed-in")).to_contain_text(user.username.title())
    assert user.subject not in page.locator("#signed-in").inner_text()


def test_cancelling_the_login_says_so_in_words(page, portal):
    open_billing(page, portal)
    page.get_by_role("button", name=re.compile("^Cancel")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Login cancelled")
    expect(page.locator("#advice")).to_have_text(
        "You did not log in, so this page stays closed. Nothing was changed.")
    expect(page.get_by_role("link", name="Back to the home page")).to_be_visible()
    expect(page.locator("#error")).to_have_text("access_denied")
