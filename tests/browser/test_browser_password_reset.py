"""Account recovery in Chromium, from the sample portal: "Forgot your password?" by email and
SMS codes, by a passkey alone, someone whose methods cannot reach the reset level, an
unknown name that reveals nothing, and the whole reset in Dutch."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from idp.storage import db
from idp.tenants.directories import get_directory
from tests.browser.conftest import TIMEOUT_MS, Portal, serve_portal
from tests.browser.steps import give_password, open_billing
from tests.browser.test_browser_passkeys import VirtualAuthenticator, create_passkey_during_login
from tests.browser.test_browser_sms_code import sms_button_name
from tests.support.live import new_directory, new_mobile

pytestmark = pytest.mark.browser

NEW_PASSWORD = "amber falcon quarry ribbon"


def heading(page):
    return page.get_by_role("heading", level=1)


def mailed_code(mail, address: str) -> str:
    text = mail.wait_for(address).get_body(("plain",)).get_content()
    found = re.search(r"\b(\d{6})\b", text)
    assert found is not None, text
    return found.group(1)


def ask_for_a_code(page, name: str, *, forgot: str = "Forgot your password?",
                   label: str = "Username or email", button: str = "Send a code") -> None:
    """From the login page, follow "Forgot your password?" and ask for a code for `name`."""
    page.get_by_role("link", name=forgot).click()
    page.get_by_label(label, exact=True).fill(name)
    page.get_by_role("button", name=button).click()


def choose_new_password(page, *, label: str = "New password",
                        repeat: str = "Repeat the new password",
                        button: str = "Set the new password") -> None:
    page.get_by_label(label, exact=True).fill(NEW_PASSWORD)
    page.get_by_label(repeat, exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name=button).click()


def test_a_reset_by_email_and_sms_codes_then_a_login_with_the_new_password(
        page, portal, mail, gateway, provider_clock):
    directory = portal.directory
    directory.set_levels(sms=20)  # email 10 + SMS 20 reach 30 without the password
    user = directory.add_user(phone=new_mobile(), email_verified=True)
    mail.clear()

    open_billing(page, portal)
    ask_for_a_code(page, user.username)
    expect(heading(page)).to_have_text("Enter the code we sent")
    page.get_by_label("Code", exact=True).fill(mailed_code(mail, user.email))
    page.get_by_role("button", name="Continue").click()

    expect(heading(page)).to_have_text("Choose how to verify")
    expect(page.locator("#reset-intro")).to_contain_text("Your password does not count here.")
    expect(page.locator("#level")).to_contain_text("10 of the 30 points")
    page.get_by_role("button", name=sms_button_name(user.phone), exact=True).click()
    expect(heading(page)).to_have_text("Enter the code we texted you")
    page.get_by_label("Code", exact=True).fill(gateway.last_code(user.phone))
    page.get_by_role("button", name="Verify").click()

    expect(heading(page)).to_have_text("Choose a new password")
    mail.clear()
    gateway.clear()
    choose_new_password(page)

    # Back at the app's login, the name filled in; every address was told.
    expect(heading(page)).to_have_text("Log in")
    expect(page.get_by_role("status")).to_contain_text("Your password was changed")
    expect(page.get_by_label("Username or email", exact=True)).to_have_value(user.username)
    assert mail.wait_for(user.email)["Subject"] == "Your password was reset"
    assert "your password was reset" in gateway.wait_for(user.phone)["message"]
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(heading(page)).to_have_text("Choose how to verify")
    provider_clock(120)  # past the wait before this browser may have another code texted
    page.get_by_role("button", name=sms_button_name(user.phone), exact=True).click()
    texted = gateway.wait_for(user.phone)["message"]  # the next SMS: the login's code
    page.get_by_label("Code", exact=True).fill(texted[:6])
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(portal.url + "/billing")
    expect(page.locator("#acr")).to_have_text("30")


@pytest.fixture
def pk_portal(localhost_live) -> Iterator[Portal]:
    with serve_portal(new_directory(localhost_live), "localhost") as running:
        yield running


def test_a_passkey_alone_resets_the_password(page, pk_portal, mail):
    page.context.set_default_timeout(TIMEOUT_MS)
    key = VirtualAuthenticator.attach(page, "usb")  # never offered to autofill
    user = pk_portal.directory.add_user()
    create_passkey_during_login(page, pk_portal, user, "Security key")
    expect(page).to_have_url(pk_portal.url + "/billing")
    page.get_by_role("button", name="Log out").click()
    assert len(key.credentials()) == 1

    open_billing(page, pk_portal)
    page.get_by_role("link", name="Forgot your password?").click()
    expect(heading(page)).to_have_text("Forgot your password?")
    page.get_by_role("button", name="Use a passkey").click()

    expect(heading(page)).to_have_text("Choose a new password")
    expect(page.locator("main")).to_contain_text(user.username)
    choose_new_password(page)
    expect(heading(page)).to_have_text("Log in")
    user.password = NEW_PASSWORD
    give_password(page, user)
    expect(heading(page)).to_have_text("Choose how to verify")
    expect(page.locator("#level")).to_contain_text("20 of the 30 points")


def test_someone_who_cannot_reach_the_level_is_told_to_ask_their_admin(page, portal, mail):
    directory = portal.directory
    with directory.live.app.app_context():
        get_directory(directory.slug).support_email = "helpdesk@example.org"
        db.session.commit()
    user = directory.add_user(email_verified=True)  # an email code alone: 10 of 30
    mail.clear()

    open_billing(page, portal)
    ask_for_a_code(page, user.username)
    expect(heading(page)).to_have_text("Enter the code we sent")
    expect(page.locator("main")).not_to_contain_text("helpdesk@example.org")
    page.get_by_label("Code", exact=True).fill(mailed_code(mail, user.email))
    page.get_by_role("button", name="Continue").click()

    expect(heading(page)).to_have_text("Your administrator can help")
    expect(page.locator("#level")).to_contain_text("10 of the 30 points")
    expect(page.get_by_role("link", name="helpdesk@example.org")).to_be_visible()
    expect(page.locator("main")).to_contain_text("send you a link to choose a new password")
    page.get_by_role("button", name="Go back to the login").click()
    expect(heading(page)).to_have_text("Log in")


def test_an_unknown_name_gets_the_same_page_and_no_message(page, portal, mail, gateway):
    directory = portal.directory
    user = directory.add_user(email_verified=True)
    mail.clear()
    gateway.clear()

    open_billing(page, portal)
    ask_for_a_code(page, "someone-unknown")
    expect(heading(page)).to_have_text("Enter the code we sent")
    unknown = page.locator("#sent-to").inner_text().replace("someone-unknown", "NAME")
    page.get_by_label("Code", exact=True).fill("123456")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#form-error")).to_have_text("This code is not right. 4 tries left.")
    assert mail.messages == [] and gateway.received == []

    page.get_by_role("link", name="Start again").click()
    page.get_by_label("Username or email", exact=True).fill(user.username)
    page.get_by_role("button", name="Send a code").click()
    expect(heading(page)).to_have_text("Enter the code we sent")
    known = page.locator("#sent-to").inner_text().replace(user.username, "NAME")
    assert known == unknown
    assert mailed_code(mail, user.email)


def test_the_reset_speaks_dutch(browser, portal, mail, gateway):
    context = browser.new_context(locale="nl-NL")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    directory = portal.directory
    directory.set_levels(sms=20)
    user = directory.add_user(phone=new_mobile(), email_verified=True)
    mail.clear()
    page.goto(portal.url + "/")
    page.get_by_role("link", name="Billing (30)").first.click()
    expect(heading(page)).to_have_text("Inloggen")
    ask_for_a_code(page, user.username, forgot="Wachtwoord vergeten?",
                   label="Gebruikersnaam of e-mailadres", button="Stuur een code")
    expect(heading(page)).to_have_text("Vul de code in die we stuurden")
    page.get_by_label("Code", exact=True).fill(mailed_code(mail, user.email))
    page.get_by_role("button", name="Doorgaan").click()
    expect(page.locator("#reset-intro")).to_contain_text("Uw wachtwoord telt hier niet mee.")
    page.locator("ul.choices button").first.click()  # the texted code, the only choice
    page.get_by_label("Code", exact=True).fill(gateway.last_code(user.phone))
    page.get_by_role("button", name="Verifiëren").click()
    expect(heading(page)).to_have_text("Kies een nieuw wachtwoord")
    choose_new_password(page, label="Nieuw wachtwoord", repeat="Herhaal het nieuwe wachtwoord",
                        button="Nieuw wachtwoord instellen")
    expect(heading(page)).to_have_text("Inloggen")
    expect(page.get_by_role("status")).to_contain_text("Uw wachtwoord is gewijzigd")
    context.close()
