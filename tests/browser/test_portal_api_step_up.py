"""The sample portal calls the sample API with JWT access tokens; when the API answers that
the login falls short (RFC 9470), the portal steps the person up with exactly what the API
asked for and makes the call again."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from idp.clock import now
from tests.browser.conftest import serve_portal
from tests.browser.steps import give_app_code, give_password
from tests.protocol._helpers import issue_recovery_codes

pytestmark = pytest.mark.browser

IBAN = "NL91ABNA0417164300"


def test_bob_reads_his_invoices_then_steps_up_to_change_his_bank_account(page, directory):
    bob = directory.add_user("bob", totp=True)  # password 20 + app 10 = 30
    codes = issue_recovery_codes(directory, bob)
    asked: list[dict] = []
    page.on("request", lambda request: asked.append(parse_qs(urlsplit(request.url).query))
            if urlsplit(request.url).path.endswith("/authorize") else None)

    with serve_portal(directory, api=True) as portal:
        # Reading the invoices needs 30: the portal has no token yet, so it logs him in.
        page.goto(portal.url + "/")
        page.get_by_role("link", name="Invoices (API)").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
        give_password(page, bob)
        give_app_code(page, bob)
        expect(page).to_have_url(portal.url + "/invoices")
        expect(page.get_by_role("heading", level=1)).to_have_text("Invoices")
        expect(page.locator("#invoices tr")).to_have_count(2)
        expect(page.locator("#iban")).to_have_text("none yet")
        assert asked[-1]["acr_values"] == ["30"] and "max_age" not in asked[-1]

        # Changing the bank account: the API asks for 40 and a login of the last 5 minutes;
        # the provider asks only for the step still missing.
        page.get_by_label("New IBAN", exact=True).fill(IBAN)
        page.get_by_role("button", name="Change bank account").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Choose how to verify")
        expect(page.locator("#level")).to_contain_text("30 of the 40 points")
        assert asked[-1]["acr_values"] == ["40"] and asked[-1]["max_age"] == ["300"]
        page.get_by_role("link", name="Continue with recovery code").click()
        page.get_by_label("Code", exact=True).fill(codes[0])
        page.get_by_role("button", name="Verify", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("You used a recovery code")
        page.get_by_role("button", name="Continue").click()

        # Back at the portal, the change was made with the new token.
        expect(page).to_have_url(portal.url + "/invoices")
        expect(page.locator("#notice")).to_have_text("Your bank account was changed.")
        expect(page.locator("#iban")).to_have_text(IBAN)
        expect(page.locator("#acr")).to_have_text("40")


def test_an_api_that_still_refuses_after_the_step_up_is_an_error_not_another_login(
        page, directory):
    bob = directory.add_user("bob", totp=True)
    codes = issue_recovery_codes(directory, bob)
    # The API's clock runs an hour ahead: no login is ever recent enough for a change.
    with serve_portal(directory, api=True, api_clock=lambda: now() + 3600) as portal:
        page.goto(portal.url + "/invoices")
        give_password(page, bob)
        give_app_code(page, bob)
        expect(page.get_by_role("heading", level=1)).to_have_text("Invoices")
        page.get_by_label("New IBAN", exact=True).fill(IBAN)
        page.get_by_role("button", name="Change bank account").click()
        page.get_by_role("link", name="Continue with recovery code").click()
        page.get_by_label("Code", exact=True).fill(codes[0])
        page.get_by_role("button", name="Verify", exact=True).click()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "The invoices service refused the request")
        expect(page.locator("#error_description")).to_contain_text("last 300 seconds")
        assert page.url.startswith(portal.url + "/callback")
