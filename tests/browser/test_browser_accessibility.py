"""The pages meet WCAG 2.2 AA as far as a machine can tell: axe-core, focus order, visible focus.

Every page in PAGES is opened in Chromium and checked with axe-core's WCAG 2.0, 2.1 and
2.2 A and AA rules (tests/browser/a11y.py). To check another page, add one line to
PAGES: a name and a function that takes a Visit and leaves the browser on that page.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import pyotp
import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from idp.clock import now
from idp.storage import db
from idp.tenants.clients import get_client
from idp.tenants.directories import get_directory
from idp.tenants.policies import update_policies
from tests.browser.a11y import assert_accessible, assert_focus_visible, axe_violations
from tests.browser.steps import (
    active,
    give_app_code,
    give_password,
    laid_out,
    log_in_to_billing,
    open_billing,
    tab_to,
)
from tests.support.live import new_mobile, operators_directory

pytestmark = pytest.mark.browser


@dataclass
class Visit:
    """What a page needs to be reached: the browser tab, the portal and its directory."""

    page: object  # playwright.sync_api.Page
    portal: object  # tests.browser.conftest.Portal
    gateway: object  # tests.support.sms_gateway.SmsGateway
    clock: Callable[[float], None]  # the provider_clock fixture

    @property
    def directory(self):
        return self.portal.directory

    def heading(self, text: str) -> None:
        """Wait until the page's h1 reads `text`."""
        expect(self.page.get_by_role("heading", level=1)).to_have_text(text)


def _totp_user(visit: Visit):
    return visit.directory.add_user(totp=True)


def login_page(visit: Visit) -> None:
    """Open the login page and wait until it has loaded and put the focus on its first field."""
    open_billing(visit.page, visit.portal)
    expect(visit.page.get_by_label("Username or email", exact=True)).to_be_focused()


def dutch_login_page(visit: Visit) -> None:
    open_billing(visit.page, visit.portal)
    visit.page.get_by_role("link", name="Nederlands").click()
    visit.heading("Inloggen")


def login_page_with_an_error(visit: Visit) -> None:
    open_billing(visit.page, visit.portal)
    visit.page.get_by_label("Username or email", exact=True).fill("nobody")
    visit.page.get_by_label("Password", exact=True).fill("wrong password")
    visit.page.get_by_role("button", name="Log in").click()
    expect(visit.page.get_by_role("alert")).to_be_visible()


def step_up_page(visit: Visit) -> None:
    log_in_to_billing(visit.page, visit.portal, _totp_user(visit))
    visit.heading("Choose how to verify")


def totp_page(visit: Visit) -> None:
    step_up_page(visit)
    visit.page.get_by_role("link", name="Continue with authenticator app").click()
    visit.heading("Enter the code from your authenticator app")


def code_page_with_an_error(visit: Visit) -> None:
    user = visit.directory.add_user(phone=new_mobile())
    log_in_to_billing(visit.page, visit.portal, user)
    visit.page.get_by_role("button", name="Text a code to").click()
    visit.heading("Enter the code we texted you")
    visit.gateway.wait_for(user.phone)
    visit.page.get_by_label("Code", exact=True).fill("000000")
    visit.page.get_by_role("button", name="Verify", exact=True).click()
    expect(visit.page.get_by_role("alert")).to_contain_text("not right")


def consent_page(visit: Visit) -> None:
    with visit.directory.live.app.app_context():
        client = get_client(get_directory(visit.directory.slug), visit.portal.client.client_id)
        client.first_party = False
        db.session.commit()
    user = visit.directory.add_user(totp=True)
    log_in_to_billing(visit.page, visit.portal, user)
    visit.page.get_by_role("link", name="Continue with authenticator app").click()
    visit.page.get_by_label("Code", exact=True).fill(user.totp(now()))
    visit.page.get_by_role("button", name="Verify", exact=True).click()
    visit.heading("Share your details with Sample portal?")
    allow = laid_out(visit.page).get_by_role("button", name="Continue and allow").bounding_box()
    deny = visit.page.get_by_role("button", name="Deny").bounding_box()
    apart = max(deny["x"] - (allow["x"] + allow["width"]),
                deny["y"] - (allow["y"] + allow["height"]))
    assert apart >= 12, f"Deny is {apart:.0f} px from Continue and allow: easy to mistake"


def _device_code(visit: Visit) -> dict:
    """Let a device of a new app of the directory ask for a code (RFC 8628); its answer."""
    tv = visit.directory.add_client(public=True, device_grant=True)
    answer = requests.post(f"{visit.directory.issuer}/device_authorization",
                           data={"client_id": tv.client_id, "scope": "openid email"},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def device_code_page_with_an_error(visit: Visit) -> None:
    visit.page.goto(_device_code(visit)["verification_uri"])
    visit.heading("Connect a device")
    visit.page.get_by_label("Code", exact=True).fill("BBBB-BBBB")
    visit.page.get_by_role("button", name="Continue").click()
    expect(visit.page.get_by_role("alert")).to_contain_text("not right")


def device_approval_page(visit: Visit) -> None:
    user = visit.directory.add_user(totp=True)
    visit.page.goto(_device_code(visit)["verification_uri_complete"])
    visit.page.get_by_role("button", name="Continue").click()
    give_password(visit.page, user)
    give_app_code(visit.page, user)
    expect(visit.page.get_by_role("heading", level=1)).to_contain_text("on your device?")


def device_done_page(visit: Visit) -> None:
    device_approval_page(visit)
    visit.page.get_by_role("button", name="Approve").click()
    visit.heading("Your device is signed in")


def totp_enrolment_page(visit: Visit) -> None:
    log_in_to_billing(visit.page, visit.portal, visit.directory.add_user())
    visit.page.get_by_role("link", name="Set up an authenticator app").click()
    visit.heading("Set up an authenticator app")


def recovery_codes_page(visit: Visit) -> None:
    totp_enrolment_page(visit)
    secret = visit.page.locator("#totp-secret").get_attribute("data-secret")
    visit.page.get_by_label("Code", exact=True).fill(pyotp.TOTP(secret).at(now()))
    visit.page.get_by_role("button", name="Verify and turn on").click()
    visit.heading("Save your recovery codes")


def logout_page(visit: Visit) -> None:
    step_up_page(visit)
    visit.page.goto(visit.directory.issuer + "/logout")
    visit.heading("Log out?")


def error_page(visit: Visit) -> None:
    visit.page.goto(visit.directory.issuer + "/authorize?client_id=nobody&response_type=code")
    visit.heading("Unknown app")


def _account_page(visit: Visit, path: str, heading: str, *, admin: bool = False,
                  directory=None) -> None:
    """Log in to an account page (password and authenticator app) and wait for it; of the
    portal's directory unless `directory` is given."""
    directory = directory or visit.directory
    user = directory.add_user(totp=True, admin=admin)
    visit.page.goto(directory.issuer + path)
    visit.page.get_by_label("Username or email", exact=True).fill(user.username)
    visit.page.get_by_label("Password", exact=True).fill(user.password)
    visit.page.get_by_role("button", name="Log in").click()
    visit.page.get_by_role("link", name="Continue with authenticator app").click()
    visit.page.get_by_label("Code", exact=True).fill(user.totp(now()))
    visit.page.get_by_role("button", name="Verify", exact=True).click()
    visit.heading(heading)


def profile_page(visit: Visit) -> None:
    _account_page(visit, "/account/", "Your account")


def password_page(visit: Visit) -> None:
    _account_page(visit, "/account/password", "Change your password")


def log_in_again_page(visit: Visit) -> None:
    _account_page(visit, "/account/", "Your account")
    visit.clock(700)  # the login is older than the 600 s a change of methods needs
    visit.page.goto(visit.directory.issuer + "/account/password")
    visit.heading("Log in again")


def settings_preview_page(visit: Visit) -> None:
    _account_page(visit, "/admin/settings", "Authentication settings", admin=True)
    visit.page.get_by_label("Required level", exact=True).fill("40")
    visit.page.get_by_role("button", name="Preview").click()
    expect(visit.page.locator("#preview-heading")).to_be_visible()


def users_page(visit: Visit) -> None:
    _account_page(visit, "/admin/users", "Users", admin=True)


def users_page_on_a_phone(visit: Visit) -> None:
    """On a narrow screen the account navigation wraps onto several rows; its links must
    still be targets large enough or far enough apart (WCAG 2.5.8)."""
    visit.page.set_viewport_size({"width": 360, "height": 740})
    _account_page(visit, "/admin/users", "Users", admin=True)


def user_help_page(visit: Visit) -> None:
    stuck = visit.directory.add_user()  # a password alone: the help with lost methods opens
    _account_page(visit, "/admin/users", "Users", admin=True)
    visit.page.get_by_role("link", name=stuck.username, exact=True).click()
    visit.heading(f"User {stuck.username}")
    expect(visit.page.get_by_role("button", name="Allow a new method at the next login")
           ).to_be_visible()


def new_client_page(visit: Visit) -> None:
    _account_page(visit, "/admin/clients/new", "Register an app", admin=True)


def audit_page(visit: Visit) -> None:
    _account_page(visit, "/admin/audit", "Audit log", admin=True)


def operator_console_page(visit: Visit) -> None:
    _account_page(visit, "/operator/", "Operator console", admin=True,
                  directory=operators_directory(visit.directory.live))


def new_directory_page_with_an_error(visit: Visit) -> None:
    _account_page(visit, "/operator/directories/new", "Create a directory", admin=True,
                  directory=operators_directory(visit.directory.live))
    visit.page.get_by_label("Slug", exact=True).fill("Not A Slug")
    visit.page.get_by_role("button", name="Create and invite the admin").click()
    expect(visit.page.get_by_role("alert")).to_be_visible()
def details_page_with_errors(visit: Visit) -> None:
    _account_page(visit, "/account/details", "Personal information")
    visit.page.get_by_label("Time zone", exact=True).fill("Europe/Atlantis")
    visit.page.get_by_label("Language and region", exact=True).fill("en_US")
    visit.page.get_by_role("button", name="Save").click()
    expect(visit.page.locator("#zoneinfo-error")).to_be_visible()


def claims_choice_page(visit: Visit) -> None:
    _account_page(visit, "/admin/claims", "Profile details", admin=True)


def sign_up_code_page_with_errors(visit: Visit) -> None:
    with visit.directory.live.app.app_context():
        update_policies(get_directory(visit.directory.slug), {"self_registration": True})
        db.session.commit()
    open_billing(visit.page, visit.portal)
    visit.page.get_by_role("link", name="Create an account").click()
    visit.heading("Create an account")
    visit.page.get_by_label("Email address", exact=True).fill(
        f"new{secrets.token_hex(4)}@example.org")
    visit.page.get_by_role("button", name="Continue").click()
    visit.heading("Check your email")
    visit.page.get_by_label("Code", exact=True).fill("12")
    visit.page.get_by_label("New password", exact=True).fill("tulip orbit saddle lantern")
    visit.page.get_by_label("Repeat the new password", exact=True).fill("tulip orbit")
    visit.page.get_by_role("button", name="Continue").click()
    expect(visit.page.get_by_role("alert")).to_contain_text("Some fields are not right")


def reset_start_page(visit: Visit) -> None:
    open_billing(visit.page, visit.portal)
    visit.page.get_by_role("link", name="Forgot your password?").click()
    visit.heading("Forgot your password?")


def _reset_by_text(visit: Visit, **points: int):
    """Ask for a reset of a user with a proven mobile number; return the user."""
    if points:
        visit.directory.set_levels(**points)
    user = visit.directory.add_user(phone=new_mobile())
    reset_start_page(visit)
    visit.page.get_by_label("Username or email", exact=True).fill(user.username)
    visit.page.get_by_role("button", name="Send a code").click()
    visit.heading("Enter the code we sent")
    visit.gateway.wait_for(user.phone)  # a reset's first code is sent in the background
    return user


def reset_code_page_with_an_error(visit: Visit) -> None:
    _reset_by_text(visit)
    visit.page.get_by_label("Code", exact=True).fill("000000")
    visit.page.get_by_role("button", name="Continue").click()
    expect(visit.page.get_by_role("alert")).to_contain_text("This code is not right")


def reset_stuck_page(visit: Visit) -> None:
    user = _reset_by_text(visit)  # a texted code alone: 10 of 30
    visit.page.get_by_label("Code", exact=True).fill(visit.gateway.last_code(user.phone))
    visit.page.get_by_role("button", name="Continue").click()
    visit.heading("Your administrator can help")


def reset_password_page(visit: Visit) -> None:
    user = _reset_by_text(visit, sms=30)
    visit.page.get_by_label("Code", exact=True).fill(visit.gateway.last_code(user.phone))
    visit.page.get_by_role("button", name="Continue").click()
    visit.heading("Choose a new password")


# (name, how to reach it): one line per page.
PAGES: list[tuple[str, Callable[[Visit], None]]] = [
    ("login page", login_page),
    ("Dutch login page", dutch_login_page),
    ("login page with an error", login_page_with_an_error),
    ("step-up page", step_up_page),
    ("authenticator app page", totp_page),
    ("code page with an error", code_page_with_an_error),
    ("consent page", consent_page),
    ("device code page with an error", device_code_page_with_an_error),
    ("device approval page", device_approval_page),
    ("device signed in page", device_done_page),
    ("authenticator app set-up page", totp_enrolment_page),
    ("recovery codes page", recovery_codes_page),
    ("logout confirmation page", logout_page),
    ("error page", error_page),
    ("profile page", profile_page),
    ("password page", password_page),
    ("log in again page", log_in_again_page),
    ("settings preview page", settings_preview_page),
    ("users page", users_page),
    ("users page on a phone", users_page_on_a_phone),
    ("user page with the help for lost methods", user_help_page),
    ("new client page", new_client_page),
    ("audit log page", audit_page),
    ("operator console", operator_console_page),
    ("new directory page with an error", new_directory_page_with_an_error),
    ("personal information page with errors", details_page_with_errors),
    ("profile details choice page", claims_choice_page),
    ("sign-up code page with errors", sign_up_code_page_with_errors),
    ("forgot your password page", reset_start_page),
    ("reset code page with an error", reset_code_page_with_an_error),
    ("reset stuck page", reset_stuck_page),
    ("reset new password page", reset_password_page),
]


@pytest.fixture
def visit(page, portal, gateway, provider_clock) -> Visit:
    return Visit(page, portal, gateway, provider_clock)


@pytest.mark.parametrize("reach", [reach for _name, reach in PAGES],
                         ids=[name for name, _reach in PAGES])
def test_the_page_has_no_wcag_aa_violations(visit, reach, request):
    reach(visit)

    assert_accessible(visit.page, request.node.callspec.id)


def test_axe_finds_a_violation_when_there_is_one(visit):
    """The check itself works: a field without a label is reported."""
    login_page(visit)
    visit.page.evaluate("() => document.querySelector('label[for=password]').remove()")

    violations = axe_violations(visit.page)

    assert "label" in {violation["id"] for violation in violations}, violations


def test_axe_waits_for_the_style_sheets(visit):
    """The page is judged as laid out: while its style sheet is still on its way, the check
    waits (here until the browser's timeout) instead of judging the unstyled page."""
    users_page(visit)
    held = []
    visit.page.route("**/style.css", lambda route: held.append(route))
    visit.page.goto(visit.page.url, wait_until="commit")
    visit.heading("Users")
    visit.page.set_default_timeout(1_000)

    with pytest.raises(PlaywrightTimeoutError):
        axe_violations(visit.page)

    assert len(held) == 1
    for route in held:
        route.continue_()


def test_errors_are_announced_and_tied_to_the_fields(visit):
    code_page_with_an_error(visit)

    alert = visit.page.get_by_role("alert")
    field = visit.page.get_by_label("Code", exact=True)
    expect(alert).to_have_attribute("id", "form-error")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert "form-error" in (field.get_attribute("aria-describedby") or "").split()
    expect(field).to_be_focused()


def _walk(page, key: str, stop: str, limit: int = 10) -> list[str]:
    """Press `key` until the focus reaches the element named `stop`; return what was focused.

    Each focused element must show its focus.
    """
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        element = active(page)
        assert_focus_visible(page)
        seen.append(element["id"] or element["text"])
        if seen[-1] == stop:
            return seen
    raise AssertionError(f"{key} never reached {stop!r}; focus went to {seen}")


def test_the_login_page_is_in_a_sensible_tab_order_with_visible_focus(visit):
    login_page(visit)
    page = visit.page
    expect(page.get_by_label("Username or email", exact=True)).to_be_focused()

    forward = _walk(page, "Tab", "Cancel and go back to the app")
    page.get_by_label("Username or email", exact=True).focus()
    backward = _walk(page, "Shift+Tab", "Skip to content")

    assert forward == ["password", "Log in", "Forgot your password?", "Sign in with a passkey",
                       "Cancel and go back to the app"], forward
    assert backward == ["Nederlands", "Skip to content"], backward


def test_the_skip_link_shows_when_focused_and_leads_to_the_content(visit):
    login_page(visit)
    page = visit.page
    _walk(page, "Shift+Tab", "Skip to content")

    box = laid_out(page).get_by_role("link", name="Skip to content").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, box
    page.keyboard.press("Enter")

    assert active(page)["id"] == "main"


def test_the_step_up_choices_show_their_focus(visit):
    step_up_page(visit)
    page = visit.page

    tab_to(page, lambda el: el["text"] == "Continue with authenticator app")
    assert_focus_visible(page)
    tab_to(page, lambda el: el["text"] == "Cancel and go back to the app")
    assert_focus_visible(page)
