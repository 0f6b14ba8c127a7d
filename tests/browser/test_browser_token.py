"""A person binds the hardware token they were handed out during login, then signs in with
it and brings it back in step after pressing it too often."""

from __future__ import annotations

import base64

import pyotp
import pytest
from playwright.sync_api import expect

from idp.clock import now
from idp.methods.token.inventory import import_tokens
from idp.methods.token.otp import TokenKey
from idp.methods.token.parsers import TokenRecord
from idp.services import services
from idp.storage import db
from idp.tenants.directories import get_directory
from tests.browser.steps import log_in_to_billing

pytestmark = pytest.mark.browser

SEED = b"12345678901234567890"
HOTP = pyotp.HOTP(base64.b32encode(SEED).decode())


def stock(directory, serial: str) -> None:
    with directory.live.app.app_context():
        import_tokens(get_directory(directory.slug), [TokenRecord(serial, TokenKey(SEED))],
                      services().sealer, now())
        db.session.commit()


def test_a_token_is_bound_during_login_and_then_signs_in(page, portal):
    directory = portal.directory
    directory.set_levels(token=10, recovery=0)
    stock(directory, "HW-0042")
    erin = directory.add_user()  # password 20 + token 10 = 30

    log_in_to_billing(page, portal, erin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a way to verify")
    page.get_by_role("link", name="Set up a security token").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a security token")
    page.get_by_label("Serial number", exact=True).fill("HW-0042")
    page.get_by_label("First code", exact=True).fill(HOTP.at(0))
    page.get_by_label("Next code", exact=True).fill(HOTP.at(1))
    page.get_by_role("button", name="Add this token").click()

    expect(page).to_have_url(portal.url + "/billing")
    expect(page.locator("#acr")).to_have_text("30")
    assert {"pwd", "otp"} <= set(page.locator("#amr").inner_text().split(", "))

    # Next time: the token, pressed too often in between, is brought back in step.
    page.context.clear_cookies()
    log_in_to_billing(page, portal, erin)
    page.get_by_role("link", name="Continue with security token").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your security token")
    code = page.get_by_label("Code", exact=True)
    expect(code).to_have_attribute("autocomplete", "one-time-code")
    code.fill(HOTP.at(40))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("This code is not right")
    page.get_by_text("Codes not accepted? Bring your token back in step").click()
    page.get_by_label("First code", exact=True).fill(HOTP.at(41))
    page.get_by_label("Next code", exact=True).fill(HOTP.at(42))
    page.get_by_role("button", name="Verify both codes").click()

    expect(page).to_have_url(portal.url + "/billing")
    expect(page.locator("#acr")).to_have_text("30")
