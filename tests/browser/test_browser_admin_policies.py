"""An admin changes the directory's policies in the browser: a value out of bounds is
refused on its field, a good one is saved; the page passes axe-core both times."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from idp.tenants.directories import get_directory
from idp.tenants.policies import directory_policies
from tests.browser.a11y import assert_accessible
from tests.browser.steps import give_app_code, give_password

pytestmark = pytest.mark.browser


def access_token_minutes(directory) -> float:
    with directory.live.app.app_context():
        return directory_policies(get_directory(directory.slug))["access_token_minutes"]


def test_an_admin_sets_a_policy_after_a_refused_value(page, directory):
    admin = directory.add_user("root", totp=True, admin=True)
    page.goto(directory.issuer + "/admin/policies")
    give_password(page, admin)
    give_app_code(page, admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Policies")
    field = page.get_by_label("Access token lifetime (minutes)", exact=True)
    expect(field).to_have_value("60")
    assert_accessible(page, "the policies page")

    field.fill("2000")
    page.get_by_role("button", name="Save policies", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Some values are not right")
    expect(page.locator("#access_token_minutes-error")).to_have_text(
        "Enter a whole number from 1 to 1440.")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert access_token_minutes(directory) == 60
    assert_accessible(page, "the policies page with a refused value")

    field.fill("15")
    page.get_by_role("button", name="Save policies", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The policies were saved.")
    expect(field).to_have_value("15")
    assert access_token_minutes(directory) == 15
    assert_accessible(page, "the policies page after saving")
