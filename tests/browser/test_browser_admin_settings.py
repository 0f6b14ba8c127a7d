"""An admin raises the required level: the preview names who would lose access, then saves."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from idp.tenants.directories import get_directory, level_settings
from tests.browser.a11y import assert_accessible
from tests.browser.steps import give_app_code, give_password
from tests.support.live import new_mobile

pytestmark = pytest.mark.browser


def required_level(directory) -> int:
    with directory.live.app.app_context():
        return level_settings(get_directory(directory.slug)).required_level


def test_an_admin_raising_the_level_sees_who_would_lose_access_before_saving(page, directory):
    directory.add_user("ann", totp=True)  # password + app: 40 once the app is worth 20
    directory.add_user("bob", phone=new_mobile())  # password + SMS: 30, short of 40
    admin = directory.add_user("root", totp=True, admin=True)

    # The settings need a fresh login at the directory's level: password, then the app.
    page.goto(directory.issuer + "/admin/settings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    give_password(page, admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose how to verify")
    give_app_code(page, admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Authentication settings")
    expect(page.get_by_label("Required level", exact=True)).to_have_value("30")

    # Raise the level to 40 and make the authenticator app worth 20; preview first.
    page.get_by_label("Required level", exact=True).fill("40")
    page.get_by_label("Authenticator app", exact=True).fill("20")
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.get_by_role("heading", name="Preview: level 40")).to_be_visible()
    expect(page.locator("#losing-summary")).to_contain_text("1 of the 3 active users")
    people = page.locator("#can-enrol li")
    expect(people).to_have_count(1)
    expect(people.first).to_contain_text("Bob (bob)")
    expect(page.locator("#can-enrol")).not_to_contain_text("Ann")
    expect(page.locator("#preview-combinations")).to_contain_text("Password + Authenticator app")
    # The form still holds the candidate values, and nothing is saved yet.
    expect(page.get_by_label("Required level", exact=True)).to_have_value("40")
    assert required_level(directory) == 30
    assert_accessible(page, "the settings preview")

    page.get_by_role("button", name="Save", exact=True).click()
    notice = page.get_by_role("status")
    expect(notice).to_contain_text("A login now needs 40 points.")
    expect(notice).to_contain_text("1 user can no longer reach it")
    expect(page.get_by_label("Required level", exact=True)).to_have_value("40")
    expect(page.locator("#current-heading")).to_have_text("The current settings: level 40")
    assert required_level(directory) == 40
    assert_accessible(page, "the settings page after saving")


def test_a_wrong_value_is_announced_and_marked_on_its_field(page, directory):
    admin = directory.add_user("root", totp=True, admin=True)
    page.goto(directory.issuer + "/admin/settings")
    give_password(page, admin)
    give_app_code(page, admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Authentication settings")

    page.get_by_label("Passkey", exact=True).fill("250")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Check the marked fields")
    field = page.get_by_label("Passkey", exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description("From 0 to 100. 0 turns a method off. "
                                                 "Enter the points as a whole number from 0 "
                                                 "to 100.")
    assert required_level(directory) == 30
    assert_accessible(page, "the settings page with an error")
