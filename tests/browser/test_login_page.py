"""The login page in a real browser: it cannot be framed, and it works with the keyboard only."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.steps import active, tab_to

pytestmark = pytest.mark.browser

# A page of the portal's origin that frames the provider's login page (an attacker's
# clickjacking page), next to a frame of the portal itself that shows framing works at all.
FRAMING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Framing test</title></head>
<body>
  <iframe name="login" title="login" src="{login}" width="600" height="400"></iframe>
  <iframe name="control" title="control" src="{control}" width="600" height="400"></iframe>
</body></html>
"""


def open_login_page(page, portal):
    """Open the portal's Account page and return the provider's answer that the browser shows."""
    response = page.goto(portal.url + "/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert page.url.startswith(portal.directory.issuer + "/i/"), page.url
    return response


def test_the_login_page_forbids_framing(page, portal):
    response = open_login_page(page, portal)
    login_url = page.url

    assert response is not None and response.url == login_url and response.status == 200
    headers = response.all_headers()
    assert headers["x-frame-options"].upper() == "DENY"
    directives = [part.strip() for part in headers["content-security-policy"].split(";")]
    assert "frame-ancestors 'none'" in directives, directives

    # The portal's origin (another port of the same host: same site, other origin) frames it.
    # (A page really served from there: Chromium's local-network checks would block a frame
    # of a page that Playwright fulfils itself, which would prove nothing about the headers.)
    portal.extra_pages["/framing-test"] = FRAMING_PAGE.format(login=login_url,
                                                              control=portal.url + "/")
    failures = []
    page.on("requestfailed", lambda request: failures.append((request.url, request.failure)))
    with page.expect_response(lambda r: r.url == login_url) as framed:
        page.goto(portal.url + "/framing-test")
    page.wait_for_load_state("load")
    # Chromium reports a frame refused for its X-Frame-Options / frame-ancestors this way,
    # and nothing else (a network or local-network-access failure) may explain a blank frame.
    assert failures in ([], [(login_url, "net::ERR_BLOCKED_BY_RESPONSE")]), failures
    # The provider did answer inside the frame, with the page and its headers ...
    assert framed.value.status == 200
    assert framed.value.all_headers()["x-frame-options"].upper() == "DENY"

    # ... but the browser refused to show it; the control frame of the portal does render.
    control = page.frame(name="control")
    assert control is not None
    expect(control.locator("#signed-in")).to_be_visible()
    login_frame = page.frame(name="login")
    assert login_frame is not None
    assert login_frame.locator("form").count() == 0
    assert login_frame.locator("input").count() == 0
    assert login_frame.get_by_label("Password", exact=True).count() == 0
    assert login_frame.get_by_role("button", name="Log in").count() == 0
    expect(page.frame_locator("iframe[name=login]").locator("#password")).to_have_count(0)


def test_logging_in_with_the_keyboard_only(page, portal):
    directory = portal.directory
    bob = directory.add_user("bob", totp=True)
    open_login_page(page, portal)

    # Start from the top of the page, as a keyboard user arriving on it.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    tab_to(page, lambda el: el["id"] == "username")
    page.keyboard.type(bob.username)
    assert tab_to(page, lambda el: el["tag"] == "input")["id"] == "password"
    page.keyboard.type(bob.password)
    page.keyboard.press("Enter")

    # Account needs 20 but the directory's floor is 30: step up with the app, by keyboard.
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose how to verify")
    tab_to(page, lambda el: el["text"] == "Continue with authenticator app")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Enter the code from your authenticator app")
    code_field = active(page)
    if code_field["id"] != "code":  # not focused on load: Tab to it
        tab_to(page, lambda el: el["id"] == "code")
    page.keyboard.type(pyotp.TOTP(bob.totp_secret).now())
    page.keyboard.press("Enter")

    expect(page).to_have_url(portal.url + "/account")
    # acr is the level the portal asked for (the session has 30: password and app).
    expect(page.locator("#acr")).to_have_text("20")
    assert page.locator("#sub").inner_text() == bob.subject
    assert {"pwd", "otp"} <= set(page.locator("#amr").inner_text().split(", "))
