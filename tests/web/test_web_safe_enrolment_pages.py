"""Showing a set-up page changes nothing: opening it again (a reload, a second tab) voids no
activation code, creates no credential and replaces no passkey challenge; what the page
carries sealed works only for its own user and browser."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import func, select

from clients.authenticator.api import AuthenticatorApp
from idp.clock import now
from idp.storage import db
from idp.storage.models import AppActivation, Credential, User
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.support.soft_authenticator import SoftAuthenticator
from tests.web.helpers import set_up_page
from tests.web.test_web_passkeys import browser, passkey_form, post_credential

PIN = "58213"


def rows(directory, user, model, *conditions) -> int:
    """Count the user's rows of `model` (Credential, AppActivation)."""
    with directory.live.app.app_context():
        user_id = db.session.scalars(select(User.id).where(User.subject == user.subject)).one()
        return db.session.scalar(select(func.count()).select_from(model).where(
            model.user_id == user_id, *conditions)) or 0


def enrol_page(rp: StrictRP, user, link: str) -> Page:
    page = Page(rp.agent.get(set_up_page(rp, user).link(link)))
    assert page.soup.find("h1") is not None, page.text[:300]
    return page


# --- The app: the activation code is made by a POST ---------------------------------------

def test_opening_the_app_set_up_page_makes_no_activation_code(directory):
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()
    page = enrol_page(rp, user, "Set up app approval")
    Page(rp.agent.get(page.url))

    assert page.soup.find(id="activation-code") is None
    assert page.form_with_button("Get an activation code")
    assert rows(directory, user, AppActivation) == 0


def test_opening_the_app_set_up_page_again_leaves_the_first_code_working(directory):
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()
    page = enrol_page(rp, user, "Set up app approval")
    page = Page(rp.agent.submit(page, "Get an activation code"))
    code = page.soup.find(id="activation-code").get_text()

    # A reload, and a second tab of the same browser: both show the live code, void nothing.
    again = Page(rp.agent.get(page.url))
    second_tab = StrictRP(directory, rp.client, rp.agent)
    other_tab = Page(rp.agent.get(Page(second_tab.start()).link("Set up app approval")))

    assert again.soup.find(id="activation-code").get_text() == code
    assert other_tab.soup.find(id="activation-code").get_text() == code
    app = AuthenticatorApp()
    app.activate(directory.issuer, code, "Phone", PIN)
    waiting = Page(rp.agent.submit(again, "I activated the app"))
    [pending] = app.pending()
    app.approve(pending["id"], int(waiting.soup.select_one(".match-number").get_text()), PIN)
    codes = Page(rp.agent.submit(waiting, "Continue"))
    claims = rp.exchange(rp.response_params(rp.agent.submit(codes, "Continue"))["code"])
    assert claims["claims"]["acr"] == "30"


def test_a_new_activation_code_is_only_made_on_request(directory):
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()
    page = Page(rp.agent.submit(enrol_page(rp, user, "Set up app approval"),
                                "Get an activation code"))
    first = page.soup.find(id="activation-code").get_text()

    renewed = Page(rp.agent.submit(page, "Get a new activation code"))

    assert renewed.soup.find(id="activation-code").get_text() != first
    with pytest.raises(Exception, match="wrong, used or expired"):
        AuthenticatorApp().activate(directory.issuer, first, "Phone", PIN)


def test_opening_the_apps_profile_page_makes_no_activation_code(directory):
    directory.set_levels(20)
    user = directory.add_user()
    agent, _ = open_account_page(directory, user, "/account/methods/app")
    page = Page(agent.get(f"{directory.issuer}/account/methods/app"))
    Page(agent.get(f"{directory.issuer}/account/methods/app"))
    assert rows(directory, user, AppActivation) == 0

    page = Page(agent.submit(page, "Get an activation code"))
    code = page.soup.find(id="activation-code").get_text()
    again = Page(agent.get(f"{directory.issuer}/account/methods/app"))

    assert again.soup.find(id="activation-code").get_text() == code
    assert rows(directory, user, AppActivation) == 1
    AuthenticatorApp().activate(directory.issuer, code, "Phone", PIN)


# --- The authenticator app: the key lives in the page until its first code -----------------

def test_opening_the_totp_set_up_page_twice_stores_nothing_and_the_first_still_works(directory):
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()
    first = enrol_page(rp, user, "Set up an authenticator app")
    second = Page(rp.agent.get(first.url))

    assert rows(directory, user, Credential) == 0
    secret = first.soup.find(id="totp-secret")["data-secret"]
    assert second.soup.find(id="totp-secret")["data-secret"] != secret
    response = rp.agent.submit(first, "Verify", by_label={"Code": pyotp.TOTP(secret).at(now())})
    assert Page(response).title == "Save your recovery codes"
    assert rows(directory, user, Credential, Credential.method == "totp",
                Credential.confirmed_at.is_not(None)) == 1


def test_opening_the_totp_profile_page_stores_nothing(directory):
    directory.set_levels(20)
    user = directory.add_user()
    agent, _ = open_account_page(directory, user, "/account/methods/totp")
    page = Page(agent.get(f"{directory.issuer}/account/methods/totp"))
    Page(agent.get(f"{directory.issuer}/account/methods/totp"))
    assert rows(directory, user, Credential) == 0

    secret = page.soup.find(id="totp-secret")["data-secret"]
    done = Page(agent.submit(page, "Verify and turn on",
                             by_label={"Code": pyotp.TOTP(secret).now()}))
    assert done.title == "Your account"
    assert rows(directory, user, Credential, Credential.method == "totp") == 1


def _setup_field(page: Page) -> str:
    return page.soup.find("input", {"name": "setup"})["value"]


def test_a_totp_set_up_of_another_browser_is_refused(directory):
    """The sealed key is bound to its user and browser session: posting it elsewhere fails."""
    client = directory.add_client()
    user = directory.add_user()
    victim, attacker = StrictRP(directory, client), StrictRP(directory, client)
    theirs = enrol_page(victim, user, "Set up an authenticator app")
    mine = enrol_page(attacker, user, "Set up an authenticator app")
    secret = theirs.soup.find(id="totp-secret")["data-secret"]

    response = attacker.agent.submit(mine, "Verify", fields={"setup": _setup_field(theirs)},
                                     by_label={"Code": pyotp.TOTP(secret).at(now())})

    assert response.status_code == 400
    assert "set-up has expired" in Page(response).soup.find(id="form-error").get_text()
    assert rows(directory, user, Credential) == 0


@pytest.mark.parametrize("setup", ["", "not-sealed", "gAAAAA" + "x" * 200, "A" * 4000],
                         ids=["empty", "plain", "garbage", "long"])
def test_a_tampered_totp_set_up_is_refused_with_a_new_key(directory, setup):
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()
    page = enrol_page(rp, user, "Set up an authenticator app")
    secret = page.soup.find(id="totp-secret")["data-secret"]

    response = rp.agent.submit(page, "Verify", fields={"setup": setup},
                               by_label={"Code": pyotp.TOTP(secret).at(now())})

    assert response.status_code == 400
    again = Page(response)
    assert "set-up has expired" in again.soup.find(id="form-error").get_text()
    assert again.soup.find(id="totp-secret")["data-secret"] != secret
    assert rows(directory, user, Credential) == 0


# --- Passkeys: a challenge travels in its page; a second tab voids nothing ------------------

@pytest.fixture
def pk_directory(localhost_live):
    return new_directory(localhost_live)


def test_a_second_login_tab_leaves_the_first_tabs_passkey_request_working(pk_directory):
    client = pk_directory.add_client()
    user = pk_directory.add_user()
    key = SoftAuthenticator("ES256")
    rp = browser(pk_directory, client)
    step = Page(rp.log_in(rp.start(), user))
    first = Page(rp.agent.get(step.link("Set up a passkey")))
    Page(rp.agent.get(first.url))  # a second tab of the same set-up
    _, options = passkey_form(first)

    codes = Page(post_credential(rp, first, key.register(options, pk_directory.live.url),
                                 name="Key"))
    assert codes.title == "Save your recovery codes", codes.text[:300]
    rp.response_params(rp.agent.submit(codes, "Continue"))

    # The login page: the first tab's request still works after a second tab opened.
    other = browser(pk_directory, client)
    tab_one = Page(other.start())
    StrictRP(pk_directory, client, other.agent).start()  # a second tab of the same browser
    _, options = passkey_form(tab_one)
    response = post_credential(other, tab_one, key.assert_(options, pk_directory.live.url))
    assert other.exchange(other.response_params(response)["code"])["claims"]["sub"] \
        == user.subject


def test_a_passkey_request_is_used_once(pk_directory):
    client = pk_directory.add_client()
    user = pk_directory.add_user()
    key = SoftAuthenticator("ES256")
    rp = browser(pk_directory, client)
    page = Page(rp.agent.get(Page(rp.log_in(rp.start(), user)).link("Set up a passkey")))
    _, options = passkey_form(page)
    credential = key.register(options, pk_directory.live.url)
    post_credential(rp, page, credential, name="Key")

    again = browser(pk_directory, client)
    login = Page(again.start())
    form, options = passkey_form(login)
    assertion = key.assert_(options, pk_directory.live.url)
    assert again.response_params(post_credential(again, login, assertion))["code"]
    # The same browser, a new login: the answer and the challenge it signed, posted again.
    later = StrictRP(pk_directory, client, again.agent)
    page = Page(later.start(prompt="login"))
    replay = post_credential(later, page, assertion,
                             challenge=form.find("input", {"name": "challenge"})["value"])

    assert replay.status_code == 400
    assert "used or unknown" in Page(replay).soup.find(id="form-error").get_text()
