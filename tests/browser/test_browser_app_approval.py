"""A person signs in to the sample portal by approving in the provider's app (the simulator)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clients.authenticator import AuthenticatorApp
from tests.browser.steps import log_in_to_billing
from tests.support.agent import Page
from tests.support.rp import StrictRP
from tests.web.helpers import set_up_page

pytestmark = pytest.mark.browser

PIN = "58213"
# The waiting page looks again every 2 seconds; allow a few looks and some slack.
REFRESH_MS = 8_000


def log_in_to_step_up(page, portal, user, title: str = "Choose how to verify") -> None:
    """Log in to Billing with the password; expect the step-up page at 20 of 30 points."""
    log_in_to_billing(page, portal, user)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#level")).to_contain_text("20 of the 30 points")


def shown_number(page) -> int:
    """Return the number the page asks to pick in the app."""
    number = page.locator(".match-number")
    expect(number).to_have_text(re.compile(r"^\s*[1-9][0-9]\s*$"))
    return int(number.inner_text())


def answer_status(page):
    """The line that says what the app answered (it updates with the page)."""
    return page.locator("p[role=status]")


def phone_with_app(directory, user) -> AuthenticatorApp:
    """Activate the simulator for `user` and approve once, in a login of another client."""
    rp = StrictRP(directory, directory.add_client())
    setup = Page(rp.agent.get(set_up_page(rp, user).link("Set up app approval")))
    setup = Page(rp.agent.submit(setup, "Get an activation code"))
    app = AuthenticatorApp()
    app.activate(directory.issuer, setup.soup.find(id="activation-code").get_text(), "Phone",
                 PIN)
    waiting = Page(rp.agent.submit(setup, "I activated the app"))
    [pending] = app.pending()
    app.approve(pending["id"], int(waiting.soup.select_one(".match-number").get_text()), PIN)
    codes = Page(rp.agent.submit(waiting, "Continue"))
    assert rp.response_params(rp.agent.submit(codes, "Continue"))["code"]
    return app


def test_setting_up_the_app_during_login_and_approving_reaches_billing(page, portal):
    directory = portal.directory
    frank = directory.add_user("frank")  # a password only; the directory requires 30

    log_in_to_step_up(page, portal, frank, "Set up a way to verify")
    page.get_by_role("link", name="Set up app approval").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up the app")
    page.get_by_role("button", name="Get an activation code").click()
    expect(page.get_by_role("img", name="QR code to activate the app")).to_be_visible()
    code = page.locator("#activation-code").inner_text()
    page.reload()  # showing the page again keeps the code (it voids nothing)
    expect(page.locator("#activation-code")).to_have_text(code)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", code), code

    app = AuthenticatorApp()
    app.activate(directory.issuer, code, "Frank's phone", PIN)
    assert app.state.username == "frank"
    page.get_by_role("button", name="I activated the app").click()

    # The page shows the number to pick and waits for the app.
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up the app")
    number = shown_number(page)
    expect(answer_status(page)).to_contain_text("Waiting for the app")
    [pending] = app.pending()
    assert number in pending["choices"], (number, pending)
    assert pending["client"] == "Sample portal"

    app.approve(pending["id"], number, PIN)

    # Without a click, the page sees the approval and goes on with the login.
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes",
                                                               timeout=REFRESH_MS)
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_role("button", name=re.compile(r"^Continue")).click()

    expect(page).to_have_url(portal.url + "/billing")
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing")
    expect(page.locator("#acr")).to_have_text("30")
    amr = page.locator("#amr").inner_text().split(", ")
    assert {"pwd", "pop", "pin"} <= set(amr), amr
    assert page.locator("#sub").inner_text() == frank.subject


def test_this_wasnt_me_in_the_app_ends_the_login_at_the_portal(page, portal):
    directory = portal.directory
    grace = directory.add_user("grace")
    app = phone_with_app(directory, grace)

    log_in_to_step_up(page, portal, grace)
    page.get_by_role("button", name="Approve in the app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Approve in the app")
    shown_number(page)
    [pending] = app.pending()

    app.deny(pending["id"])

    expect(page.get_by_text("The app said this login was not you, so it is stopped.")
           ).to_be_visible(timeout=REFRESH_MS)
    expect(page.get_by_role("link", name="Choose another way")).to_have_count(0)
    page.get_by_role("button", name="Back to the app", exact=True).click()

    # The provider sends the browser back with access_denied; the portal says it in words.
    expect(page).to_have_url(re.compile(re.escape(portal.url) + r"/callback\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Login cancelled")
    expect(page.locator("#error")).to_have_text("access_denied")
    page.get_by_role("link", name="Back to the home page").click()
    expect(page.locator("#signed-in")).to_have_text("You are not signed in.")
