"""Changing how someone signs in needs a recent login, on every page and form that does it.

Adding or removing a passkey, the app, an authenticator app, recovery codes, SMS or email
codes, and changing the email address, phone number or password: with a session at the
level but a login older than IDP_FRESH_LOGIN_SECONDS (600 s), the GET page and the POST
alike answer 403 with a page that says why and whose Continue starts the login; after it,
the browser is back on the page and the change goes through. Every POST sends its CSRF
token, so a refusal is for want of a recent login, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlparse

import pyotp
import pytest
import requests
from sqlalchemy import func, select

from idp.clock import now
from idp.storage import db
from idp.storage.models import AppActivation, AppDevice, Credential, OneTimeCode, Passkey, User
from tests.support import live
from tests.support.agent import Agent, Page
from tests.support.live import PASSWORD, new_mobile
from tests.web.helpers import assert_sane, verify_by_text

STALE = 700  # seconds after the login: past the fresh window of 600 s
NEW_PASSWORD = "a wholly different pass phrase 42"


@dataclass
class Browser:
    """The person's browser on their account pages, with the form token of its session."""

    directory: live.TestDirectory
    user: live.TestUser
    agent: Agent
    gateway: object
    mail: object
    clock: Callable[[float], None]
    csrf: str = ""

    def url(self, path: str) -> str:
        return self.directory.issuer + path

    def post(self, path: str, **data: str) -> requests.Response:
        """POST a form with this session's CSRF token, as a page of the provider would."""
        return self.agent.follow(self.agent.http.post(
            self.url(path), data={"csrf_token": self.csrf, **data}, allow_redirects=False,
            timeout=30))

    def take_csrf(self, page: Page) -> None:
        field = page.soup.find("input", attrs={"name": "csrf_token"})
        if field is not None:
            self.csrf = field["value"]

    def log_in(self, page: Page) -> Page:
        """Log in on the login form with the password and a texted code."""
        assert page.title == "Log in", page.text[:300]
        step = Page(self.agent.submit(page, "Log in", by_label={
            "Username or email": self.user.username, "Password": self.user.password}))
        assert step.title == "Choose how to verify", step.text[:300]
        return Page(verify_by_text(self.agent, step, self.user.phone, self.gateway))


def security_state(browser: Browser) -> dict:
    """Return everything about the person that decides how they sign in."""
    with browser.directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == browser.user.subject)).one()

        def rows(model, *columns):
            return sorted(tuple(getattr(r, c) for c in columns) for r in db.session.scalars(
                select(model).where(model.user_id == row.id)))

        return {
            "password": row.password_hash,
            "email": (row.email, row.email_verified),
            "phone": (row.phone, row.phone_verified),
            "credentials": rows(Credential, "id", "method", "confirmed_at", "used_at"),
            "passkeys": rows(Passkey, "id"),
            "apps": rows(AppDevice, "id", "confirmed_at", "removed_at"),
            "activations": rows(AppActivation, "id"),
            "codes_sent": db.session.scalar(select(func.count(OneTimeCode.id)).where(
                OneTimeCode.user_id == row.id)),
        }


# --- What each change does once the person logged in again -----------------------------------

def _press(button: str, **by_label: str) -> Callable[[Browser, Page], requests.Response]:
    def redo(browser: Browser, page: Page) -> requests.Response:
        return browser.agent.submit(page, button, by_label=by_label or None)
    return redo


def _turn_on_totp(browser: Browser, page: Page) -> requests.Response:
    secret = page.soup.find(id="totp-secret")["data-secret"]
    return browser.agent.submit(page, "Verify and turn on",
                                by_label={"Code": pyotp.TOTP(secret).at(now())})


def _new_email(browser: Browser) -> str:
    return f"new-{browser.user.username}@example.org"


def _send_new_email(browser: Browser, page: Page) -> requests.Response:
    return browser.agent.submit(page, "Send the code", by_label={"Email address":
                                                                 _new_email(browser)})


def _prove_new_email(browser: Browser, page: Page) -> requests.Response:
    sent = Page(_send_new_email(browser, page))
    text = browser.mail.wait_for(_new_email(browser)).get_body(("plain",)).get_content()
    code = re.search(r"\b(\d{6})\b", text).group(1)
    return browser.agent.submit(sent, "Verify and save", by_label={"Code": code})


NEW_PHONES: dict[str, str] = {}


def _new_phone(browser: Browser) -> str:
    return NEW_PHONES.setdefault(browser.user.username, new_mobile())


def _send_new_phone(browser: Browser, page: Page) -> requests.Response:
    browser.clock(60)  # a text just carried the login's code: the next waits 30 s
    return browser.agent.submit(page, "Send the code", by_label={"Mobile number":
                                                                 _new_phone(browser)})


def _prove_new_phone(browser: Browser, page: Page) -> requests.Response:
    sent = Page(_send_new_phone(browser, page))
    code = browser.gateway.last_code(_new_phone(browser))
    return browser.agent.submit(sent, "Verify and save", by_label={"Code": code})


def _repost(path: str, **data: str) -> Callable[[Browser, Page], requests.Response]:
    def redo(browser: Browser, page: Page) -> requests.Response:
        return browser.post(path, **data)
    return redo


@dataclass(frozen=True)
class Change:
    """A page or form that changes how the person signs in."""

    method: str
    path: str
    title: str  # the title of the page the login returns to
    data: dict[str, str]
    redo: Callable[[Browser, Page], requests.Response] | None = None
    took_effect: Callable[[dict, dict, Browser], bool] | None = None


def _changed(key: str) -> Callable[[dict, dict, Browser], bool]:
    return lambda before, after, browser: before[key] != after[key]


def _ten_recovery_codes(before: dict, after: dict, browser: Browser) -> bool:
    return sum(1 for c in after["credentials"] if c[1] == "recovery" and c[3] is None) == 10


def _totp_on(before: dict, after: dict, browser: Browser) -> bool:
    return any(c[1] == "totp" and c[2] is not None for c in after["credentials"])


def _email_now(before: dict, after: dict, browser: Browser) -> bool:
    return after["email"] == (_new_email(browser), True)


def _phone_now(before: dict, after: dict, browser: Browser) -> bool:
    return after["phone"] == (_new_phone(browser), True)


def _email_removed(before: dict, after: dict, browser: Browser) -> bool:
    return before["email"][1] and not after["email"][1]


CHANGES = [
    Change("GET", "/account/methods/totp", "Set up an authenticator app", {}),
    Change("POST", "/account/methods/totp", "Set up an authenticator app", {"code": "123456"},
           _turn_on_totp, _totp_on),
    Change("GET", "/account/methods/passkey", "Add a passkey", {}),
    # The ceremony itself is tested with a soft authenticator (test_web_profile_methods);
    # here it is enough that the form reaches it.
    Change("POST", "/account/methods/passkey", "Add a passkey",
           {"credential": "{}", "name": "Mine"}, _repost("/account/methods/passkey",
                                                         credential="{}", name="Mine")),
    Change("GET", "/account/methods/app", "Set up the app", {}),
    Change("GET", "/account/methods/app/code", "Set up the app", {}),
    Change("POST", "/account/methods/app/code", "Set up the app", {},
           _repost("/account/methods/app/code")),
    Change("GET", "/account/methods/app/ask", "Set up the app", {}),
    Change("POST", "/account/methods/app/ask", "Set up the app", {},
           _repost("/account/methods/app/ask")),
    Change("POST", "/account/methods/app", "Set up the app", {}, _repost("/account/methods/app")),
    Change("GET", "/account/methods/recovery", "Recovery codes", {}),
    Change("POST", "/account/methods/recovery", "Recovery codes", {},
           _press("Create new recovery codes"), _ten_recovery_codes),
    Change("GET", "/account/email", "Your email address", {}),
    Change("POST", "/account/email", "Your email address", {"value": "other@example.org"},
           _send_new_email, _changed("codes_sent")),
    Change("GET", "/account/email/confirm", "Your email address", {}),
    Change("POST", "/account/email/confirm", "Your email address", {"code": "123456"},
           _prove_new_email, _email_now),
    Change("GET", "/account/phone", "Your mobile number", {}),
    Change("POST", "/account/phone", "Your mobile number", {"value": "+31612345678"},
           _send_new_phone, _changed("codes_sent")),
    Change("GET", "/account/phone/confirm", "Your mobile number", {}),
    Change("POST", "/account/phone/confirm", "Your mobile number", {"code": "123456"},
           _prove_new_phone, _phone_now),
    Change("GET", "/account/password", "Change your password", {}),
    Change("POST", "/account/password", "Change your password",
           {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD},
           _press("Change the password", **{"Current password": PASSWORD,
                                            "New password": NEW_PASSWORD,
                                            "New password again": NEW_PASSWORD}),
           _changed("password")),
    Change("GET", "/account/methods/email/remove", "Remove", {}),
    Change("POST", "/account/methods/email/remove", "Remove", {"confirm": "yes"},
           _press("Remove"), _email_removed),
]


@pytest.fixture
def browser(directory, gateway, mail, provider_clock) -> Browser:
    """A person (password, proven phone and email) logged in to their account 700 s ago."""
    user = directory.add_user(phone=new_mobile(), email_verified=True)
    agent = Agent(directory.live.url)
    person = Browser(directory, user, agent, gateway, mail, provider_clock)
    page = person.log_in(Page(agent.get(person.url("/account/"))))
    assert page.title == "Your account", page.text[:300]
    person.take_csrf(page)
    assert person.csrf
    provider_clock(STALE)
    return person


def assert_asks_to_log_in_again(response: requests.Response, browser: Browser,
                                path: str) -> Page:
    """The answer refuses for want of a recent login, says why, and offers to log in."""
    assert_sane(response)
    page = Page(response)
    assert response.status_code == 403, f"{response.status_code}: {page.text[:300]}"
    assert page.title == "Log in again", page.text[:300]
    assert "For your security, log in again before you change how you sign in." in page.text
    form, _button = page.form_with_button("Continue")
    target = urlparse(urljoin(page.url, form["action"]))
    assert target.path == f"/d/{browser.directory.slug}/account/login"
    fields = {i["name"]: i.get("value") for i in form.find_all("input")}
    assert fields == {"next": f"/d/{browser.directory.slug}{path}", "fresh": "1", "why": "methods"}
    return page


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: f"{c.method} {c.path}")
def test_a_change_to_how_you_sign_in_needs_a_recent_login(browser, change):
    before = security_state(browser)
    if change.method == "GET":
        response = browser.agent.get(browser.url(change.path))
    else:
        response = browser.post(change.path, **change.data)

    refusal = assert_asks_to_log_in_again(response, browser, change.path)
    assert security_state(browser) == before, "nothing changed, nothing was prepared or sent"

    # Continue: the login asks for the password again (it is older than the window),
    # then the second step, and returns to the page.
    login = Page(browser.agent.submit(refusal, "Continue"))
    back = browser.log_in(login)
    assert back.status == 200, back.text[:300]
    assert back.title.startswith(change.title), back.text[:300]
    browser.take_csrf(back)
    if change.redo is None:
        return
    ready = security_state(browser)
    response = change.redo(browser, back)
    assert_sane(response)
    assert Page(response).title != "Log in again", Page(response).text[:300]
    if change.took_effect is not None:
        assert change.took_effect(ready, security_state(browser), browser)


def test_changing_the_name_or_renaming_a_method_needs_no_recent_login(browser):
    response = browser.post("/account/details", name="New Name")
    assert_sane(response)
    assert Page(response).title == "Your account"
    assert "Your name was saved." in Page(response).text
    # The rename page runs at once (and answers that there is no such passkey).
    assert browser.agent.get(browser.url("/account/methods/passkey:999999/name")).status_code \
        == 404


def test_the_page_that_asks_for_a_login_is_in_the_pages_language(browser):
    response = browser.agent.get(browser.url("/account/password?lang=nl"))
    page = Page(response)
    assert response.status_code == 403
    assert page.title == "Opnieuw inloggen"
    assert "Log voor uw veiligheid opnieuw in voordat u wijzigt hoe u inlogt." in page.text


def test_a_recent_login_opens_the_pages_without_asking_again(directory, gateway, mail,
                                                              provider_clock):
    user = directory.add_user(phone=new_mobile(), email_verified=True)
    agent = Agent(directory.live.url)
    person = Browser(directory, user, agent, gateway, mail, provider_clock)
    assert person.log_in(Page(agent.get(person.url("/account/password")))).title == \
        "Change your password"
    provider_clock(500)  # still within the 600 s window
    assert Page(agent.get(person.url("/account/methods/recovery"))).title == "Recovery codes"
