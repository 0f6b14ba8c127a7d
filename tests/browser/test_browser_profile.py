"""The self-service profile in Chromium: add a passkey, end another browser's session,
remove an app's access.

Passkeys need an origin browsers accept as RP ID, so these tests use the provider known as
``http://localhost:PORT`` (``localhost_live``) and Chromium's virtual authenticator over
the DevTools protocol, as tests/browser/test_browser_passkeys.py does.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import Passkey, User
from idp.tenants.clients import get_client
from idp.tenants.directories import get_directory
from idp.users.consents import grant_consent
from tests.browser.a11y import assert_accessible, assert_focus_visible
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.steps import give_password, tab_to
from tests.support.live import new_directory

pytestmark = pytest.mark.browser


@pytest.fixture
def pk_directory(localhost_live):
    """A fresh directory of the provider known as http://localhost:PORT (RP ID localhost)."""
    return new_directory(localhost_live)


def heading(page):
    return page.get_by_role("heading", level=1)


def log_in_to_profile(page, directory, user) -> None:
    """Open the profile; log in with the password and the authenticator app as asked."""
    page.goto(directory.issuer + "/account/")
    expect(heading(page)).to_have_text("Log in")
    give_password(page, user)
    expect(heading(page)).to_have_text("Choose how to verify")
    page.get_by_role("link", name="Continue with authenticator app").click()
    page.get_by_label("Code", exact=True).fill(user.totp())
    page.get_by_role("button", name="Verify").click()
    expect(heading(page)).to_have_text("Your account")
    assert page.url == directory.issuer + "/account/"


def attach_security_key(page) -> tuple[object, str]:
    """Give the page a CTAP2 security key that verifies its user (Chromium's DevTools)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "usb", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return cdp, added["authenticatorId"]


def held_credentials(cdp, authenticator_id: str, expected: int = 1) -> list[dict]:
    """Return the credentials the virtual key holds, waiting briefly for `expected`."""
    deadline = time.monotonic() + 5
    while True:
        held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
        if len(held["credentials"]) >= expected or time.monotonic() > deadline:
            return held["credentials"]
        time.sleep(0.1)


def test_a_user_adds_a_passkey_from_the_profile(page, pk_directory, mail):
    user = pk_directory.add_user(totp=True)
    log_in_to_profile(page, pk_directory, user)
    assert_accessible(page, "the profile")
    cdp, key = attach_security_key(page)

    page.get_by_role("link", name="Add a passkey").click()
    expect(heading(page)).to_have_text("Add a passkey")
    assert_accessible(page, "the passkey page")
    field = page.get_by_label("Name of this passkey", exact=True)
    expect(field).to_have_value("Passkey")
    field.fill("Work laptop")
    page.get_by_role("button", name="Create a passkey").click()

    expect(heading(page)).to_have_text("Your account")
    expect(page.get_by_role("status")).to_contain_text("Your passkey was added.")
    row = page.locator("#methods tbody tr", has_text="Work laptop")
    expect(row.get_by_role("rowheader")).to_have_text("Passkey")
    expect(row.get_by_role("link", name="Remove Passkey Work laptop")).to_be_visible()
    [credential] = held_credentials(cdp, key)
    assert credential["rpId"] == "localhost" and credential["userName"] == user.username
    with pk_directory.live.app.app_context():
        owner = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        [stored] = db.session.scalars(select(Passkey).where(Passkey.user_id == owner.id)).all()
        assert stored.name == "Work laptop"
    assert mail.wait_for(user.email)["Subject"] == "A passkey was added to your account"
    assert_accessible(page, "the profile with a passkey")


def test_the_remove_links_are_reached_by_keyboard_and_show_their_focus(page, pk_directory):
    user = pk_directory.add_user(totp=True)
    log_in_to_profile(page, pk_directory, user)
    focused = tab_to(page, lambda el: el["tag"] == "a" and el["text"].startswith("Remove"),
                     limit=40)
    assert focused["text"].startswith("Remove")
    assert_focus_visible(page)
    page.keyboard.press("Enter")  # the removal is asked first, never done at once
    expect(heading(page)).to_have_text("Remove authenticator app?")


def test_a_user_ends_the_session_of_another_browser(browser, pk_directory, provider_clock):
    user = pk_directory.add_user(totp=True)
    contexts = []
    try:
        tabs = []
        for _ in range(2):
            context = browser.new_context(locale="en-GB")
            context.set_default_timeout(TIMEOUT_MS)
            contexts.append(context)
            tab = context.new_page()
            log_in_to_profile(tab, pk_directory, user)
            tabs.append(tab)
            provider_clock(30)  # the second login needs the next authenticator code
        first, second = tabs
        first.reload()
        rows = first.locator("#sessions tbody tr")
        expect(rows).to_have_count(2)
        other = rows.filter(has_not_text="This browser")
        other.get_by_role("button", name=re.compile(r"^End session of ")).click()

        expect(heading(first)).to_have_text("Your account")
        expect(first.get_by_role("status")).to_contain_text("The session was ended")
        expect(first.locator("#sessions tbody tr")).to_have_count(1)
        assert_accessible(first, "the profile after ending a session")

        # The other browser is logged out at its next page.
        second.reload()
        expect(heading(second)).to_have_text("Log in")
    finally:
        for context in contexts:
            context.close()


def test_a_user_removes_the_access_of_an_app_they_allowed(page, pk_directory, mail):
    user = pk_directory.add_user(totp=True)
    app = pk_directory.add_client(first_party=False)
    with pk_directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        grant_consent(row, get_client(get_directory(pk_directory.slug), app.client_id),
                      "openid email", time.time())
        db.session.commit()
    log_in_to_profile(page, pk_directory, user)
    apps = page.get_by_role("table", name="Apps you allowed to see your details")
    expect(apps.get_by_role("rowheader")).to_have_text(app.client_id)
    expect(apps).to_contain_text("see your email address")
    assert_accessible(page, "the profile with an app that has access")

    apps.get_by_role("link", name=f"Remove access of {app.client_id}").click()
    expect(heading(page)).to_have_text(f"Remove the access of {app.client_id}?")
    assert_accessible(page, "the confirmation of removing an app's access")
    page.get_by_role("button", name="Remove access").click()

    expect(heading(page)).to_have_text("Your account")
    expect(page.get_by_role("status")).to_contain_text(
        f"{app.client_id} can no longer see your details.")
    expect(page.locator("#apps")).to_have_count(0)
    assert mail.wait_for(user.email)["Subject"] == "You removed an app's access to your details"
