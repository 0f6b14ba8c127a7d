"""A person with a password and a proven mobile number steps up with a texted code."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import active, log_in_to_billing, tab_to
from tests.support.live import new_mobile

pytestmark = pytest.mark.browser

BULLETS = "\u2022" * 4


def sms_button_name(phone: str) -> str:
    """Return the step-up button of a Dutch mobile number: +31 6, the middle hidden, the end."""
    assert phone.startswith("+316"), phone
    return f"Text a code to +31 6 {BULLETS} {phone[-4:]}"


def text_me_a_code(page, gateway, user) -> str:
    """On the step-up page, ask for the code by text; return the code the gateway received."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose how to verify")
    expect(page.locator("#level")).to_contain_text("20 of the 30 points")
    page.get_by_role("button", name=sms_button_name(user.phone), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code we texted you")
    body = gateway.wait_for(user.phone)
    assert body["to"] == user.phone
    return gateway.last_code(user.phone)


def expect_billing(page, portal, user, acr: str) -> list[str]:
    """Expect the portal's Billing page with this acr for the user; return the amr values."""
    expect(page).to_have_url(portal.url + "/billing")
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing")
    expect(page.locator("#acr")).to_have_text(acr)
    assert page.locator("#sub").inner_text() == user.subject
    return page.locator("#amr").inner_text().split(", ")


def test_a_texted_code_steps_up_to_billing(page, portal, gateway):
    directory = portal.directory
    carol = directory.add_user(phone=new_mobile())  # password 20 + SMS 10 = 30

    log_in_to_billing(page, portal, carol)
    code = text_me_a_code(page, gateway, carol)

    # The code page says where the code went, and its field suits one-time codes.
    expect(page.get_by_role("status")).to_contain_text(
        f"We sent a code to +31 6 {BULLETS} {carol.phone[-4:]}.")
    field = page.get_by_label("Code", exact=True)
    expect(field).to_have_attribute("autocomplete", "one-time-code")
    expect(field).to_have_attribute("inputmode", "numeric")
    expect(field).to_have_accessible_description(re.compile(
        "The 6-digit code we sent to " + re.escape(f"+31 6 {BULLETS} {carol.phone[-4:]}")))
    # The full number is never shown.
    assert carol.phone not in page.content()
    assert carol.phone[3:] not in page.locator("body").inner_text()

    field.fill(code)
    page.get_by_role("button", name="Verify", exact=True).click()

    amr = expect_billing(page, portal, carol, "30")
    assert {"pwd", "sms"} <= set(amr), amr


def test_a_remembered_device_replaces_the_texted_code_at_the_next_login(page, portal, gateway):
    directory = portal.directory
    directory.set_levels(device=10)
    dave = directory.add_user(phone=new_mobile())
    session_cookie = f"idp-{directory.slug}"
    device_cookie = f"idp-device-{directory.slug}"

    log_in_to_billing(page, portal, dave)
    code = text_me_a_code(page, gateway, dave)
    page.get_by_label("Code", exact=True).fill(code)
    remember = page.get_by_label("Remember this device", exact=True)
    expect(remember).not_to_be_checked()  # never remembered unless the person asks
    remember.check()
    page.get_by_role("button", name="Verify", exact=True).click()

    # The device did not count yet: password and SMS make the 30.
    amr = expect_billing(page, portal, dave, "30")
    assert {"pwd", "sms"} <= set(amr), amr
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert device_cookie in cookies, sorted(cookies)
    assert cookies[device_cookie]["httpOnly"] is True
    assert cookies[device_cookie]["sameSite"] == "Lax"
    assert cookies[device_cookie]["expires"] > 0  # persistent, not a session cookie
    remembered = cookies[device_cookie]["value"]

    # Logging out ends the provider's session but keeps the remembered device.
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(re.escape(portal.url) + r"/(\?.*)?$"))
    expect(page.locator("#signed-in")).to_have_text("You are not signed in.")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert session_cookie not in cookies, sorted(cookies)
    assert cookies[device_cookie]["value"] == remembered

    # The next login asks only for the password: password 20 + this device 10 = 30.
    texts_before = len(gateway.received)
    titles: list[str] = []
    page.on("load", lambda loaded: titles.append(loaded.title()))
    log_in_to_billing(page, portal, dave)
    amr = expect_billing(page, portal, dave, "30")
    assert not any(t.startswith(("Choose how to verify", "Enter the code")) for t in titles), \
        titles
    assert "sms" not in amr and "pwd" in amr, amr
    assert len(gateway.received) == texts_before  # no code was texted this time


def test_stepping_up_by_text_with_the_keyboard_only(page, portal, gateway):
    directory = portal.directory
    erin = directory.add_user(phone=new_mobile())
    log_in_to_billing(page, portal, erin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose how to verify")

    # From the top of the step-up page, Tab reaches the SMS button; Enter presses it.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    button = sms_button_name(erin.phone)
    focused = tab_to(page, lambda el: el["text"] == button)
    assert focused["tag"] == "button", focused
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code we texted you")
    gateway.wait_for(erin.phone)
    right = gateway.last_code(erin.phone)

    # The code field has the focus, or is the first field Tab reaches.
    if active(page)["id"] != "code":
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        tab_to(page, lambda el: el["id"] == "code")
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    page.keyboard.type(wrong)
    page.keyboard.press("Enter")

    # The page says so in an alert, tied to the field that is marked invalid.
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code we texted you")
    alert = page.get_by_role("alert")
    expect(alert).to_have_count(1)
    expect(alert).to_contain_text("This code is not right")
    field = page.get_by_label("Code", exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("This code is not right"))
    expect(field).to_have_value("")  # the wrong code is not kept

    # The right code, still by keyboard, finishes the step-up.
    if active(page)["id"] != "code":
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        tab_to(page, lambda el: el["id"] == "code")
    page.keyboard.type(right)
    page.keyboard.press("Enter")
    amr = expect_billing(page, portal, erin, "30")
    assert {"pwd", "sms"} <= set(amr), amr
