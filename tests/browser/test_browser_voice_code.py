"""A person without a mobile phone sets up their landline during login and steps up with a
code read out by a call."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser.a11y import assert_accessible
from tests.browser.steps import log_in_to_billing

pytestmark = pytest.mark.browser

BULLETS = "\u2022" * 4
SPOKEN = re.compile(r"(\d(?:, \d){5})")


def test_a_landline_is_set_up_during_login_and_its_call_steps_up_to_billing(
        page, portal, voice_gateway):
    directory = portal.directory
    directory.set_levels(voice=10)  # password 20 + voice call 10 = 30
    frank = directory.add_user()
    landline = f"+3120{2000000 + secrets.randbelow(8000000)}"
    masked = f"+31 20 {BULLETS} {landline[-4:]}"

    log_in_to_billing(page, portal, frank)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up a way to verify")
    page.get_by_role("link", name="Set up voice call code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up voice call codes")
    assert_accessible(page, "voice enrolment")
    number = page.get_by_label("Phone number", exact=True)
    expect(number).to_have_attribute("type", "tel")
    expect(number).to_have_accessible_description(re.compile(re.escape("e.g. +31 20 1234567")))
    number.fill(landline)
    page.get_by_role("button", name="Call me", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text(
        f"We are calling {masked} to read out a code.")
    call = voice_gateway.wait_for(landline)
    said = SPOKEN.findall(call["message"])
    assert call["language"] == "en" and len(said) == 2 and said[0] == said[1], call
    field = page.get_by_label("Code", exact=True)
    expect(field).to_have_accessible_description(re.compile(
        "The 6-digit code read out in the call to " + re.escape(masked)))
    assert_accessible(page, "voice code sent")
    field.fill(said[0].replace(", ", ""))
    page.get_by_role("button", name="Verify and turn on", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    page.get_by_role("button", name="Continue: I saved my codes").click()
    expect(page).to_have_url(portal.url + "/billing")
    expect(page.locator("#acr")).to_have_text("30")
    amr = page.locator("#amr").inner_text().split(", ")
    assert {"pwd", "tel"} <= set(amr), amr
