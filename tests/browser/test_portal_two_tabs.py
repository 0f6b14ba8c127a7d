"""The sample portal with two pages at different levels opened in two tabs of one browser:
each login returns to its own page with its own level."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import give_app_code, give_password
from tests.support.live import new_mobile

pytestmark = pytest.mark.browser


def open_at_provider(tab, portal, link: str) -> None:
    tab.goto(portal.url + "/")
    tab.get_by_role("link", name=link).first.click()
    expect(tab.get_by_role("heading", level=1)).to_have_text("Log in")


def test_billing_and_security_opened_in_two_tabs_each_reach_their_own_page(page, portal,
                                                                            gateway):
    user = portal.directory.add_user(totp=True, phone=new_mobile())
    billing, security = page, page.context.new_page()
    open_at_provider(billing, portal, "Billing (30)")
    open_at_provider(security, portal, "Security (40)")

    # Billing's login finishes first: 30 points are what it asked for, not Security's 40.
    give_password(billing, user)
    give_app_code(billing, user)
    expect(billing).to_have_url(portal.url + "/billing")
    expect(billing.get_by_role("heading", level=1)).to_have_text("Billing")
    expect(billing.locator("#acr")).to_have_text("30")

    # Security's tab goes on from the same provider session and asks only for the rest.
    security.reload()
    expect(security.get_by_role("heading", level=1)).to_have_text("Choose how to verify")
    expect(security.locator("#level")).to_contain_text("30 of the 40 points")
    security.get_by_role("button", name=f"Text a code to +31 6 \u2022\u2022\u2022\u2022 "
                                        f"{user.phone[-4:]}", exact=True).click()
    gateway.wait_for(user.phone)
    security.get_by_label("Code", exact=True).fill(gateway.last_code(user.phone))
    security.get_by_role("button", name="Verify", exact=True).click()
    expect(security).to_have_url(portal.url + "/security")
    expect(security.get_by_role("heading", level=1)).to_have_text("Security")
    expect(security.locator("#acr")).to_have_text("40")
