"""The Dutch login in Chromium through the sample portal: by the browser's language, by the
app's ui_locales, and by the language switch on the login page."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.conftest import TIMEOUT_MS
from tests.support.live import new_mobile

pytestmark = pytest.mark.browser

LOGIN = "Inloggen"
STEP_UP = "Kies hoe u zich wilt verifiëren"
TOTP_PAGE = "Vul de code uit uw authenticator-app in"
SMS_PAGE = "Vul de code uit de sms in"


@pytest.fixture
def dutch_page(browser):
    """A fresh browser profile whose language is Dutch (Accept-Language: nl-NL)."""
    context = browser.new_context(locale="nl-NL")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def heading(page):
    return page.get_by_role("heading", level=1)


def ask_for_dutch_in_the_request(page, portal) -> None:
    """Make the portal's authorization requests carry ui_locales=nl (the portal has no setting
    for it): its redirect to the provider is rewritten on the way to the browser."""

    def add_ui_locales(route):
        response = route.fetch(max_redirects=0)
        headers = dict(response.headers)
        location = headers.get("location", "")
        if location.startswith(portal.directory.issuer + "/authorize?"):
            headers["location"] = location + "&" + urlencode({"ui_locales": "nl"})
        route.fulfill(response=response, headers=headers)

    page.route(re.compile(re.escape(portal.url) + r"/(account|billing|security)$"),
               add_ui_locales)


def open_dutch_login(page, portal) -> None:
    """Open the portal's Billing page (needs 30); expect the provider's Dutch login page."""
    page.goto(portal.url + "/")
    page.get_by_role("link", name="Billing (30)").first.click()
    expect(heading(page)).to_have_text(LOGIN)
    assert page.url.startswith(portal.directory.issuer + "/i/"), page.url
    expect(page.locator("html")).to_have_attribute("lang", "nl")


def give_password_in_dutch(page, user) -> None:
    """Fill in the Dutch login form by its labels and press Inloggen."""
    assert page.get_by_label("Username or email", exact=True).count() == 0
    page.get_by_label("Gebruikersnaam of e-mailadres", exact=True).fill(user.username)
    page.get_by_label("Wachtwoord", exact=True).fill(user.password)
    page.get_by_role("button", name="Inloggen", exact=True).click()
    expect(heading(page)).to_have_text(STEP_UP)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#level")).to_contain_text("punten")


def verify_with_the_app_in_dutch(page, user) -> None:
    """Choose the authenticator app on the Dutch step-up page and give its code."""
    page.get_by_role("link", name="Doorgaan met authenticator-app").click()
    expect(heading(page)).to_have_text(TOTP_PAGE)
    page.get_by_label("Code", exact=True).fill(user.totp())
    page.get_by_role("button", name="Verifiëren", exact=True).click()


def expect_portal_billing(page, portal, user) -> None:
    expect(page).to_have_url(portal.url + "/billing")
    expect(page.locator("#acr")).to_have_text("30")
    assert page.locator("#sub").inner_text() == user.subject


def test_a_dutch_browser_logs_in_in_dutch(dutch_page, portal):
    page = dutch_page
    user = portal.directory.add_user(totp=True)

    open_dutch_login(page, portal)
    expect(page.get_by_role("button", name="Annuleren en terug naar de app")).to_be_visible()
    assert_accessible(page, "the Dutch login page")
    give_password_in_dutch(page, user)
    verify_with_the_app_in_dutch(page, user)

    expect_portal_billing(page, portal, user)


def test_ui_locales_nl_gives_a_dutch_login_in_an_english_browser(page, portal, gateway):
    user = portal.directory.add_user(phone=new_mobile())
    ask_for_dutch_in_the_request(page, portal)

    open_dutch_login(page, portal)
    give_password_in_dutch(page, user)
    page.get_by_role("button", name=re.compile("^Een code sms\u2019en naar")).click()
    expect(heading(page)).to_have_text(SMS_PAGE)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    message = gateway.wait_for(user.phone)["message"]
    assert " is uw code voor " in message, message
    page.get_by_label("Code", exact=True).fill(gateway.last_code(user.phone))
    page.get_by_role("button", name="Verifiëren", exact=True).click()

    expect_portal_billing(page, portal, user)


def test_the_language_switch_on_the_login_page_keeps_the_login(page, portal):
    user = portal.directory.add_user(totp=True)
    page.goto(portal.url + "/")
    page.get_by_role("link", name="Billing (30)").first.click()
    expect(heading(page)).to_have_text("Log in")
    login_path = page.url.split("?")[0]
    languages = page.get_by_role("navigation", name="Language")

    languages.get_by_role("link", name="Nederlands").click()

    expect(heading(page)).to_have_text(LOGIN)
    assert page.url.split("?")[0] == login_path
    expect(page.locator("nav.languages [aria-current]")).to_have_text("Nederlands")
    give_password_in_dutch(page, user)  # the next pages stay Dutch in this English browser
    verify_with_the_app_in_dutch(page, user)
    expect_portal_billing(page, portal, user)


def test_switching_back_to_english(dutch_page, portal):
    page = dutch_page
    open_dutch_login(page, portal)

    page.get_by_role("link", name="English").click()

    expect(heading(page)).to_have_text("Log in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Username or email", exact=True)).to_be_visible()
