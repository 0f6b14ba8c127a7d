"""Passkeys in Chromium: its virtual authenticator against the provider at http://localhost.

Browsers refuse an IP address as RP ID, so these tests use the provider known as
``http://localhost:PORT`` (``localhost_live``) and a sample portal on another localhost
port: one site, two origins, as in the other browser tests.

Chromium's virtual authenticators (DevTools ``WebAuthn`` domain) behave as follows here:
a platform authenticator ("internal") with a discoverable credential answers the login
page's conditional request (passkey autofill) as soon as the page loads, as if the person
picked the only passkey the autofill offered; a security key ("usb") is never offered to
autofill, so the login page waits until "Sign in with a passkey" is pressed.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from idp.methods.passkey import user_handle
from idp.services import services
from idp.storage import db
from idp.storage.models import Passkey, User
from tests.browser.conftest import Portal, serve_portal
from tests.browser.steps import give_password, open_billing
from tests.support.live import new_directory
from tests.support.rp import StrictRP

if TYPE_CHECKING:  # imported for annotations only: pytest would try to collect Test* classes
    from tests.support.live import TestDirectory, TestUser

pytestmark = pytest.mark.browser

FAILED = "The passkey did not work or was cancelled. Try again, or choose another way."
# A browser without passkey autofill (conditional mediation), e.g. an older one.
NO_AUTOFILL = "PublicKeyCredential.isConditionalMediationAvailable = " \
              "() => Promise.resolve(false);"
APP_CALLBACK = "/app/callback"
APP_PAGE = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>App</title>'
            "</head><body><h1>Back at the app</h1></body></html>")


@pytest.fixture
def pk_directory(localhost_live) -> TestDirectory:
    """A fresh directory of the provider known as http://localhost:PORT (RP ID localhost)."""
    return new_directory(localhost_live)


@pytest.fixture
def pk_portal(pk_directory) -> Iterator[Portal]:
    """The sample portal at http://localhost:PORT, a client of the localhost provider."""
    with serve_portal(pk_directory, "localhost") as running:
        yield running


@dataclass
class VirtualAuthenticator:
    """A CTAP2 authenticator of Chromium's DevTools WebAuthn domain, with user verification."""

    cdp: object
    id: str

    @classmethod
    def attach(cls, page, transport: str) -> VirtualAuthenticator:
        """Add an authenticator ("internal": platform, "usb": security key) to the page."""
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": transport, "hasResidentKey": True,
            "hasUserVerification": True, "isUserVerified": True,
            "automaticPresenceSimulation": True}})
        return cls(cdp, added["authenticatorId"])

    def credentials(self, expected: int = 1) -> list[dict]:
        """Return the credentials it holds, waiting briefly until there are `expected`."""
        deadline = time.monotonic() + 5
        while True:
            held = self.cdp.send("WebAuthn.getCredentials",
                                 {"authenticatorId": self.id})["credentials"]
            if len(held) >= expected or time.monotonic() > deadline:
                return held
            time.sleep(0.1)

    def user_verified(self, verified: bool) -> None:
        """Make the fingerprint, face or PIN check succeed or fail from now on."""
        self.cdp.send("WebAuthn.setUserVerified",
                      {"authenticatorId": self.id, "isUserVerified": verified})


def b64url(standard_base64: str) -> str:
    """Return the base64url form (no padding) of a DevTools base64 value."""
    return base64.urlsafe_b64encode(base64.b64decode(standard_base64)).rstrip(b"=").decode()


def heading(page):
    return page.get_by_role("heading", level=1)


def create_passkey_during_login(page, portal: Portal, user: TestUser, name: str) -> list[str]:
    """From the portal, log in with the password and create a passkey; return the codes."""
    open_billing(page, portal)
    give_password(page, user)
    expect(heading(page)).to_have_text("Set up a way to verify")
    expect(page.locator("#level")).to_contain_text("20 of the 30 points")
    expect(page.locator("#about-passkey")).to_contain_text("Enough on its own")
    page.get_by_role("link", name="Set up a passkey").click()

    expect(heading(page)).to_have_text("Create a passkey")
    field = page.get_by_label("Name of this passkey", exact=True)
    expect(field).to_have_value("Passkey")
    field.fill(name)
    page.get_by_role("button", name="Create a passkey").click()

    # A first second method brings recovery codes; then the login goes on to the portal.
    expect(heading(page)).to_have_text("Save your recovery codes")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10, codes
    page.get_by_role("button", name="Continue: I saved my codes").click()
    return codes


def expect_portal_page(page, portal: Portal, path: str, user: TestUser, acr: str) -> list[str]:
    """Expect the portal's page with this acr for the user; return the amr values."""
    expect(page).to_have_url(portal.url + path)
    expect(page.locator("#acr")).to_have_text(acr)
    assert page.locator("#sub").inner_text() == user.subject
    return page.locator("#amr").inner_text().split(", ")


def log_out(page, portal: Portal) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(re.escape(portal.url) + r"/(\?.*)?$"))
    expect(page.locator("#signed-in")).to_have_text("You are not signed in.")


def stored_passkey(directory: TestDirectory, user: TestUser) -> tuple[Passkey, bytes]:
    """Return the user's one passkey row and the user handle the provider gives them."""
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        passkeys = db.session.scalars(select(Passkey).where(Passkey.user_id == row.id)).all()
        assert len(passkeys) == 1, passkeys
        db.session.expunge(passkeys[0])
        return passkeys[0], user_handle(services().sealer, row)


def check_credential(credential: dict, directory: TestDirectory, user: TestUser,
                     name: str, transport: str) -> None:
    """The authenticator holds a discoverable credential for localhost, as the provider has it."""
    assert credential["isResidentCredential"] is True, credential
    assert credential["rpId"] == "localhost", credential
    assert credential["userName"] == user.username
    row, handle = stored_passkey(directory, user)
    assert b64url(credential["credentialId"]) == row.credential_id
    assert base64.b64decode(credential["userHandle"]) == handle  # opaque, no personal data
    assert row.name == name
    assert row.transports == [transport], row.transports
    assert row.backup_eligible is credential["backupEligibility"]


def key_kind(credential: dict) -> str:
    """Return the amr value a credential earns: swk when synced (backup eligible), else hwk."""
    return "swk" if credential["backupEligibility"] else "hwk"


@pytest.mark.parametrize("transport", ["usb", "internal"])
def test_a_passkey_made_during_login_then_logs_in_alone_without_a_username(
        page, pk_portal, transport):
    directory = pk_portal.directory
    alice = directory.add_user("alice")  # a password only; the directory requires 30
    if transport == "internal":
        # A platform passkey would be taken by the autofill request as soon as the login
        # page loads (test_passkey_autofill...): here the browser has no autofill, so the
        # person presses the button, as they do with a security key in any browser.
        page.add_init_script(NO_AUTOFILL)
    authenticator = VirtualAuthenticator.attach(page, transport)

    create_passkey_during_login(page, pk_portal, alice, "My key")

    # Billing asked for 30: password 20 + passkey 30 reach 50, and the provider answers
    # with the highest requested value met (OIDC Core 5.5.1.1), so acr is 30.
    [credential] = authenticator.credentials()
    kind = key_kind(credential)
    amr = expect_portal_page(page, pk_portal, "/billing", alice, "30")
    assert amr == ["pwd", kind, "user", "mfa"], amr
    check_credential(credential, directory, alice, "My key", transport)
    count = credential["signCount"]

    log_out(page, pk_portal)

    # Back to Billing: no username, only the passkey, which names the account itself.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(urlsplit(r.url).path) if r.method == "POST"
            else None)
    open_billing(page, pk_portal)
    expect(page.get_by_label("Username or email", exact=True)).to_have_value("")
    if transport == "internal":
        assert page.evaluate("PublicKeyCredential.isConditionalMediationAvailable()") is False
    page.get_by_role("button", name="Sign in with a passkey").click()

    amr = expect_portal_page(page, pk_portal, "/billing", alice, "30")  # passkey 30 >= 30
    assert amr == [kind, "user", "mfa"], amr  # no password this time
    assert len(posts) == 1 and re.fullmatch(rf"/d/{directory.slug}/i/[\w-]+/passkey",
                                            posts[0]), posts
    [credential] = authenticator.credentials()
    assert credential["signCount"] > count, credential  # a real signature, counted


def test_a_password_login_steps_up_to_50_with_a_security_key(page, pk_portal):
    directory = pk_portal.directory
    bob = directory.add_user("bob")
    key = VirtualAuthenticator.attach(page, "usb")
    create_passkey_during_login(page, pk_portal, bob, "YubiKey")
    expect_portal_page(page, pk_portal, "/billing", bob, "30")
    log_out(page, pk_portal)

    # The portal's pages ask for 20, 30 or 40; an app asking for 50 is the strict test RP,
    # a second client of the directory whose redirect URI is a page of the portal's origin.
    # The browser does the front channel; the RP checks the response and the ID token.
    app = directory.add_client(redirect_uri=pk_portal.url + APP_CALLBACK)
    pk_portal.extra_pages[APP_CALLBACK] = APP_PAGE
    rp = StrictRP(directory, app)
    page.goto(rp.authorization_url(acr_values="50"))
    expect(heading(page)).to_have_text("Log in")
    give_password(page, bob)

    expect(heading(page)).to_have_text("Choose how to verify")
    expect(page.locator("#level")).to_contain_text("20 of the 50 points")
    page.get_by_role("link", name="Use a passkey or security key").click()
    expect(heading(page)).to_have_text("Use your passkey")

    # A failed fingerprint or PIN says so and keeps the page; the next try works.
    key.user_verified(False)
    page.get_by_role("button", name="Verify with a passkey").click()
    expect(page.get_by_role("alert")).to_have_text(FAILED)
    expect(heading(page)).to_have_text("Use your passkey")
    key.user_verified(True)
    page.get_by_role("button", name="Verify with a passkey").click()

    expect(heading(page)).to_have_text("Back at the app")
    assert page.url.startswith(pk_portal.url + APP_CALLBACK + "?"), page.url
    params = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert params["iss"] == directory.issuer and params["state"] == rp.pending.state, params
    claims = rp.exchange(params["code"])["claims"]
    assert claims["acr"] == "50"  # password 20 + passkey 30
    assert claims["amr"] == ["pwd", key_kind(key.credentials()[0]), "user", "mfa"], claims
    assert claims["sub"] == bob.subject


def test_passkey_autofill_signs_in_from_the_username_field(page, pk_portal):
    directory = pk_portal.directory
    carol = directory.add_user("carol")
    authenticator = VirtualAuthenticator.attach(page, "internal")

    # The login page asks the browser to offer passkeys in the username's autofill.
    open_billing(page, pk_portal)
    expect(page.get_by_label("Username or email", exact=True)).to_have_attribute(
        "autocomplete", "username webauthn")
    assert page.evaluate("PublicKeyCredential.isConditionalMediationAvailable()") is True
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()

    create_passkey_during_login(page, pk_portal, carol, "This laptop")
    [credential] = authenticator.credentials()
    check_credential(credential, directory, carol, "This laptop", "internal")
    log_out(page, pk_portal)

    # Opening Billing again: the autofill request is answered with the platform passkey
    # (Chromium's virtual authenticator picks it at once) and the login goes through
    # without a username, a password or a button pressed.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(urlsplit(r.url).path) if r.method == "POST"
            else None)
    page.goto(pk_portal.url + "/")
    page.get_by_role("link", name="Billing (30)").first.click()
    amr = expect_portal_page(page, pk_portal, "/billing", carol, "30")
    assert amr == [key_kind(credential), "user", "mfa"], amr
    assert len(posts) == 1 and re.fullmatch(rf"/d/{directory.slug}/i/[\w-]+/passkey",
                                            posts[0]), posts


def test_a_failed_passkey_says_so_and_the_password_still_works(page, pk_portal):
    directory = pk_portal.directory
    dave = directory.add_user("dave")
    authenticator = VirtualAuthenticator.attach(page, "internal")
    codes = create_passkey_during_login(page, pk_portal, dave, "Phone")
    expect_portal_page(page, pk_portal, "/billing", dave, "30")
    [credential] = authenticator.credentials()
    log_out(page, pk_portal)

    # The fingerprint or PIN fails: the autofill request does not sign in, the button
    # gives an alert, and nothing is posted to the provider.
    authenticator.user_verified(False)
    posts: list[str] = []
    page.on("request", lambda r: posts.append(urlsplit(r.url).path) if r.method == "POST"
            else None)
    open_billing(page, pk_portal)
    alert = page.get_by_role("alert")
    expect(alert).to_have_count(0)
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(alert).to_have_text(FAILED)
    expect(heading(page)).to_have_text("Log in")
    assert posts == [], posts
    assert authenticator.credentials()[0]["signCount"] == credential["signCount"]

    # The password form still works; a recovery code makes up the 30 without the passkey.
    give_password(page, dave)
    expect(heading(page)).to_have_text("Choose how to verify")
    expect(page.locator("#level")).to_contain_text("20 of the 30 points")
    expect(page.get_by_role("link", name="Use a passkey or security key")).to_be_visible()
    page.get_by_role("link", name="Continue with recovery code").click()
    page.get_by_label("Code", exact=True).fill(codes[0])
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(heading(page)).to_have_text("You used a recovery code")
    page.get_by_role("button", name="Continue").click()

    amr = expect_portal_page(page, pk_portal, "/billing", dave, "30")
    assert "pwd" in amr and "otp" in amr and "hwk" not in amr, amr
