"""A person with only a password uses the sample portal: enrol, step up, recover, log out."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in_to_billing

pytestmark = pytest.mark.browser


def test_alice_enrols_an_app_steps_up_with_a_recovery_code_and_logs_out(page, portal):
    directory = portal.directory
    alice = directory.add_user("alice")  # a password only; the directory requires 30

    # Billing needs 30: the portal sends her to the provider, which asks for her password.
    log_in_to_billing(page, portal, alice)

    # 20 of 30 points: she has nothing else, so she may set up a second method now.
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a way to verify")
    expect(page.locator("#level")).to_contain_text("20 of the 30 points")
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up an authenticator app")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    assert secret and re.fullmatch(r"[A-Z2-7]+", secret), secret
    page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Verify and turn on").click()

    # The recovery codes are shown once, then the login goes on to the portal.
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10, codes
    assert all(re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){3}", code) for code in codes), codes
    page.get_by_role("button", name=re.compile(r"^Continue")).click()

    expect(page).to_have_url(portal.url + "/billing")
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing")
    expect(page.locator("#acr")).to_have_text("30")
    amr = page.locator("#amr").inner_text().split(", ")
    assert {"pwd", "otp"} <= set(amr), amr
    assert page.locator("#sub").inner_text() == alice.subject

    # Security needs 40: the provider steps her up without asking for the password again.
    page.get_by_role("link", name="Security (40)").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose how to verify")
    expect(page.locator("#level")).to_contain_text("30 of the 40 points")
    assert page.get_by_label("Password", exact=True).count() == 0
    # The authenticator app already counted in this session; only a recovery code can help
    # now, so setting up a method is offered first and the code second.
    assert page.get_by_role("link", name="Continue with authenticator app").count() == 0
    expect(page.get_by_role("link", name="Set up a passkey")).to_be_visible()
    page.get_by_role("link", name="Continue with recovery code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter a recovery code")
    page.get_by_label("Code", exact=True).fill(codes[3])
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You used a recovery code")
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(portal.url + "/security")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security")
    expect(page.locator("#acr")).to_have_text("40")
    assert page.locator("#sub").inner_text() == alice.subject

    # Logging out ends the portal's session and the provider's, then returns to the portal.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(re.escape(portal.url) + r"/(\?.*)?$"))
    expect(page.locator("#signed-in")).to_have_text("You are not signed in.")

    # Account needs only 20, but the provider's session is gone: the password is asked again.
    page.get_by_role("link", name="Account (20)").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    assert page.url.startswith(directory.issuer + "/i/")
