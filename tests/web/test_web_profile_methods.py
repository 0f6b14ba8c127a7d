"""Sign-in methods from the profile over HTTP: set up, rename and remove them, each audited
and told by email; removal warns, asks to confirm, or refuses the last way to the level."""

from __future__ import annotations

import json
from urllib.parse import urljoin

import pyotp
import pytest
from sqlalchemy import func, select

from clients.authenticator.api import AuthenticatorApp
from idp.security.tokens import hash_secret
from idp.services import services
from idp.storage import db
from idp.storage.models import AuditEvent, Credential, Passkey, User
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page, past_codes_left
from tests.support.live import new_directory
from tests.support.soft_authenticator import SoftAuthenticator
from tests.web.helpers import assert_error_page, assert_sane

PIN = "58213"


def audited(directory, user, event: str) -> list[dict]:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return [e.detail for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.user_id == row.id, AuditEvent.event == event).order_by(AuditEvent.id))]


def count(directory, user, model, *conditions) -> int:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return db.session.scalar(select(func.count(model.id)).where(
            model.user_id == row.id, *conditions)) or 0


def notice_of(page: Page) -> str:
    return " ".join(n.get_text(" ", strip=True) for n in page.soup.select("[role=status]"))


def method_rows(page: Page) -> list[str]:
    return [tr.get_text(" ", strip=True) for tr in page.soup.select("#methods tbody tr")]


def remove(agent: Agent, page: Page, label: str):
    """Follow the Remove link of the row whose text holds `label`: the confirmation page."""
    for row in page.soup.select("#methods tbody tr"):
        if label in row.get_text(" ", strip=True):
            link = row.find("a", string=lambda text: text and text.strip() == "Remove") \
                or next(a for a in row.find_all("a") if a.get_text(strip=True)
                        .startswith("Remove"))
            return agent.get(urljoin(page.url, link["href"]))
    raise AssertionError(f"no row with {label!r}: {method_rows(page)}")


def remove_confirmed(agent: Agent, page: Page, label: str):
    """Follow the Remove link of the row whose text holds `label` and confirm."""
    confirm = Page(remove(agent, page, label))
    assert confirm.title.startswith("Remove "), confirm.text[:300]
    return agent.submit(confirm, "Remove")


@pytest.fixture
def low_directory(directory):
    """A directory whose required level a password alone reaches (20)."""
    directory.set_levels(20)
    return directory


# --- Authenticator app (TOTP) --------------------------------------------------------------

def test_a_user_sets_up_an_authenticator_app_from_the_profile(low_directory, mail):
    user = low_directory.add_user()
    agent, page = open_account_page(low_directory, user)
    page = Page(agent.get(page.link("Set up an authenticator app")))
    assert page.title == "Set up an authenticator app"
    assert page.soup.select_one(".qr svg") is not None
    secret = page.soup.find(id="totp-secret")["data-secret"]
    page = Page(agent.submit(page, "Verify and turn on", by_label={
        "Code": pyotp.TOTP(secret).now()}))
    assert page.title == "Your account"
    assert "Your authenticator app is set up." in notice_of(page)
    assert any(row.startswith("Authenticator app") for row in method_rows(page))
    assert "Sign-in method added: Authenticator app" in page.soup.select_one(
        "#activity").get_text(" ", strip=True)
    assert audited(low_directory, user, "method.enrolled") == [{"method": "totp"}]
    notice = mail.wait_for(user.email)
    assert notice["Subject"] == "An authenticator app was added to your account"
    body = notice.get_body(("plain",)).get_content()
    assert "127.0.0.1" in body and "If this wasn't you" in body


def test_a_wrong_first_code_does_not_turn_the_authenticator_app_on(low_directory):
    user = low_directory.add_user()
    agent, _page = open_account_page(low_directory, user, "/account/methods/totp")
    page = Page(agent.get(f"{low_directory.issuer}/account/methods/totp"))
    secret = page.soup.find(id="totp-secret")["data-secret"]
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 1) % 1_000_000:06d}"
    response = agent.submit(page, "Verify and turn on", by_label={"Code": wrong})
    assert response.status_code == 400
    assert Page(response).soup.find(id="code")["aria-invalid"] == "true"
    assert count(low_directory, user, Credential, Credential.method == "totp",
                 Credential.confirmed_at.is_not(None)) == 0


def test_a_second_authenticator_app_is_not_offered(directory):
    user = directory.add_user(totp=True)
    agent, _page = open_account_page(directory, user)
    page = Page(agent.get(f"{directory.issuer}/account/methods/totp"))
    assert page.title == "Your account"
    assert "Remove it first" in notice_of(page)


def test_a_method_the_directory_turned_off_cannot_be_set_up(low_directory):
    low_directory.set_levels(totp=0)
    user = low_directory.add_user()
    agent, page = open_account_page(low_directory, user)
    assert "Set up an authenticator app" not in page.text
    page = Page(agent.get(f"{low_directory.issuer}/account/methods/totp"))
    assert "not used in this directory" in notice_of(page)


# --- Passkeys ------------------------------------------------------------------------------

@pytest.fixture
def pk_directory(localhost_live):
    return new_directory(localhost_live)


def passkey_options(page: Page) -> tuple[dict, str]:
    form = page.soup.find("form", attrs={"data-passkey": "register"})
    assert form is not None, page.text[:300]
    return json.loads(form["data-options"]), urljoin(page.url, form["action"])


def add_passkey(directory, agent: Agent, authenticator: SoftAuthenticator, name: str) -> Page:
    page = Page(agent.get(f"{directory.issuer}/account/methods/passkey"))
    assert page.title == "Add a passkey"
    options, action = passkey_options(page)
    credential = authenticator.register(options, directory.live.url)
    token = page.soup.find("input", {"name": "csrf_token"})["value"]
    return Page(agent.follow(agent.http.post(action, data={
        "csrf_token": token, "credential": json.dumps(credential), "name": name,
        "challenge": page.soup.find("input", {"name": "challenge"})["value"]},
        allow_redirects=False, timeout=30)))


def test_a_user_adds_names_and_removes_passkeys(pk_directory, mail):
    user = pk_directory.add_user(totp=True)
    agent, _page = open_account_page(pk_directory, user)
    key = SoftAuthenticator("ES256")
    page = add_passkey(pk_directory, agent, key, "YubiKey")
    assert "Your passkey was added." in notice_of(page)
    page = add_passkey(pk_directory, agent, SoftAuthenticator("ES256"), "Laptop")
    assert [r for r in method_rows(page) if r.startswith("Passkey")][0].startswith(
        "Passkey YubiKey")
    assert count(pk_directory, user, Passkey) == 2
    assert [d.get("name") for d in audited(pk_directory, user, "method.enrolled")] == [
        "YubiKey", "Laptop"]
    assert mail.wait_for(user.email)["Subject"] == "A passkey was added to your account"

    rename = Page(agent.get(page.link("Rename")))
    page = Page(agent.submit(rename, "Save", by_label={"Name": "Work key"}))
    assert "The name was saved." in notice_of(page)
    assert any(r.startswith("Passkey Work key") for r in method_rows(page))

    page = Page(remove_confirmed(agent, page, "Work key"))  # another passkey stays
    assert page.title == "Your account", page.text[:300]
    assert count(pk_directory, user, Passkey) == 1
    assert audited(pk_directory, user, "method.removed") == [
        {"method": "passkey", "name": "Work key"}]
    mail.wait_for(user.email)  # the second passkey's notice
    assert mail.wait_for(user.email)["Subject"] == "A passkey was removed from your account"


def test_a_refused_passkey_is_not_added(pk_directory):
    user = pk_directory.add_user(totp=True)
    agent, _page = open_account_page(pk_directory, user)
    page = Page(agent.get(f"{pk_directory.issuer}/account/methods/passkey"))
    options, action = passkey_options(page)
    credential = SoftAuthenticator("ES256").register(options, "http://evil.localhost:1")
    response = agent.http.post(action, data={
        "csrf_token": page.soup.find("input", {"name": "csrf_token"})["value"],
        "challenge": page.soup.find("input", {"name": "challenge"})["value"],
        "credential": json.dumps(credential), "name": "Phished"}, allow_redirects=False)
    assert_sane(response)
    assert response.status_code == 400
    assert Page(response).soup.find(id="form-error") is not None
    assert count(pk_directory, user, Passkey) == 0


def test_another_users_passkey_cannot_be_renamed_or_removed(pk_directory):
    owner = pk_directory.add_user(totp=True)
    agent, _page = open_account_page(pk_directory, owner)
    add_passkey(pk_directory, agent, SoftAuthenticator("ES256"), "Theirs")
    with pk_directory.live.app.app_context():
        passkey_id = db.session.scalars(select(Passkey.id)).all()[-1]
    intruder = pk_directory.add_user(totp=True)
    other, page = open_account_page(pk_directory, intruder)
    token = page.soup.find("input", {"name": "csrf_token"})["value"]
    base = f"{pk_directory.issuer}/account/methods/passkey:{passkey_id}"
    for path in ("/remove", "/name"):
        assert_error_page(other.get(base + path), 404, "not_found")
        response = other.http.post(base + path, data={"csrf_token": token, "name": "Mine",
                                                      "confirm": "yes"})
        assert_error_page(response, 404, "not_found")
    with pk_directory.live.app.app_context():
        assert db.session.get(Passkey, passkey_id).name == "Theirs"


# --- The app -------------------------------------------------------------------------------

def test_a_user_activates_the_app_from_the_profile(low_directory, mail):
    user = low_directory.add_user()
    agent, page = open_account_page(low_directory, user)
    page = Page(agent.get(page.link("Set up app approval")))
    assert page.title == "Set up the app"
    page = Page(agent.submit(page, "Get an activation code"))
    app = AuthenticatorApp()
    app.activate(low_directory.issuer, page.soup.find(id="activation-code").get_text(),
                 "Test phone", PIN)
    waiting = Page(agent.submit(page, "I activated the app"))
    number = int(waiting.soup.select_one(".match-number").get_text())
    [pending] = app.pending()
    assert pending["client"] == "Your account"
    app.approve(pending["id"], number, PIN)
    page = Page(agent.submit(waiting, "Continue"))
    assert "The app is set up." in notice_of(page)
    assert any(r.startswith("App approval Test phone") for r in method_rows(page))
    assert audited(low_directory, user, "method.enrolled") == [{"method": "app"}]
    assert mail.wait_for(user.email)["Subject"] == (
        "An app for approving logins was added to your account")


def test_continuing_before_the_app_approved_adds_nothing(low_directory):
    user = low_directory.add_user()
    agent, _page = open_account_page(low_directory, user)
    page = Page(agent.get(f"{low_directory.issuer}/account/methods/app"))
    page = Page(agent.submit(page, "Get an activation code"))
    AuthenticatorApp().activate(low_directory.issuer,
                                page.soup.find(id="activation-code").get_text(), "P", PIN)
    waiting = Page(agent.submit(page, "I activated the app"))
    response = agent.submit(waiting, "Continue")
    assert response.status_code == 400
    assert not audited(low_directory, user, "method.enrolled")


# --- Recovery codes ------------------------------------------------------------------------

def test_new_recovery_codes_are_shown_once_and_replace_the_old_ones(directory, mail):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    page = Page(agent.get(page.link("Create recovery codes")))
    page = Page(agent.submit(page, "Create new recovery codes"))
    first = [li.get_text(strip=True) for li in page.soup.select("#recovery-codes li")]
    assert len(first) == 10 and page.title == "Save your recovery codes"
    assert mail.wait_for(user.email)["Subject"] == (
        "New recovery codes were created for your account")

    page = Page(agent.get(f"{directory.issuer}/account/methods/recovery"))
    assert "You have 10 unused codes." in page.text
    page = Page(agent.submit(page, "Create new recovery codes"))
    second = [li.get_text(strip=True) for li in page.soup.select("#recovery-codes li")]
    assert not set(first) & set(second)
    assert count(directory, user, Credential, Credential.method == "recovery") == 10
    assert len(audited(directory, user, "recovery_codes.issued")) == 2
    assert "10 of 10 left" in Page(agent.get(f"{directory.issuer}/account/")).text


# --- Removal: warn, confirm, refuse --------------------------------------------------------

def test_removing_the_only_second_method_asks_to_confirm_and_says_what_it_means(
        directory, mail):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    page = Page(remove(agent, page, "Authenticator app"))
    assert page.title == "Remove authenticator app?"
    effect = page.soup.find(id="removal-effect").get_text(" ", strip=True)
    assert "20 of the 30 points" in effect and "next login" in effect
    assert count(directory, user, Credential, Credential.method == "totp") == 1

    page = Page(agent.submit(page, "Remove anyway"))
    assert page.title == "Your account", page.text[:300]
    assert count(directory, user, Credential, Credential.method == "totp") == 0
    assert audited(directory, user, "method.removed") == [{"method": "totp", "name": None}]
    assert mail.wait_for(user.email)["Subject"] == (
        "An authenticator app was removed from your account")


def test_removing_one_of_two_second_methods_is_confirmed_and_keeps_the_number(
        directory, mail, gateway):
    from tests.support.live import new_mobile

    user = directory.add_user(totp=True, phone=new_mobile())
    agent, page = open_account_page(directory, user)
    page = Page(remove_confirmed(agent, page, "Text message code"))
    assert page.title == "Your account"
    assert "Removed: Text message code." in notice_of(page)
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        assert row.phone == user.phone and not row.phone_verified
    assert mail.wait_for(user.email)["Subject"] == (
        "Text message codes were turned off for your account")


def log_in_with_recovery(directory, user, code: str) -> tuple[Agent, Page]:
    agent, page = open_account_page(directory, user)
    assert page.title == "Choose how to verify", page.text[:300]
    form = Page(agent.get(page.link("Continue with recovery code")))
    return agent, Page(past_codes_left(
        agent, agent.submit(form, "Verify", by_label={"Code": code})))


def test_removing_the_last_way_to_the_level_is_refused_with_the_reason(directory, mail):
    directory.set_levels(40, sms=0, email=0, app=0, passkey=0)
    user = directory.add_user(totp=True)
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        codes = services().methods["recovery"].issue(row, 0)
        db.session.commit()
    agent, page = log_in_with_recovery(directory, user, codes[0])
    assert page.title == "Your account", page.text[:300]
    row = next(r for r in page.soup.select("#methods tbody tr") if "Recovery" in r.get_text())
    assert "last way to reach the required level" in row.get_text(" ", strip=True)

    response = remove(agent, page, "Recovery code")
    assert response.status_code == 409
    refused = Page(response)
    assert refused.title == "This cannot be removed"
    assert "30 of the 40 points" in refused.text
    assert not refused.soup.find("button", string="Remove anyway")
    # Posting the confirmation anyway changes nothing either.
    token = page.soup.find("input", {"name": "csrf_token"})["value"]
    response = agent.http.post(f"{directory.issuer}/account/methods/recovery/remove",
                               data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 409
    assert count(directory, user, Credential, Credential.method == "recovery") == 10
    assert not audited(directory, user, "method.removed")


def test_the_password_cannot_be_removed(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    token = page.soup.find("input", {"name": "csrf_token"})["value"]
    response = agent.http.post(f"{directory.issuer}/account/methods/password/remove",
                               data={"csrf_token": token, "confirm": "yes"})
    assert_error_page(response, 400, "invalid_request")


def test_recovery_codes_stored_as_sha256_are_rehashed_when_the_overview_shows_them(directory):
    user = directory.add_user(totp=True)
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        for index in range(10):  # as codes were stored before argon2id
            db.session.add(Credential(user_id=row.id, method="recovery", label="Recovery code",
                                      lookup=hash_secret(f"OLDCODE{index:09d}"), counter=0,
                                      data={}, created_at=0, confirmed_at=0))
        db.session.commit()
    _agent, page = open_account_page(directory, user)
    assert page.title == "Your account"
    assert "10 of 10 left" in page.text
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        stored = db.session.execute(select(Credential.lookup, Credential.secret_hash).where(
            Credential.user_id == row.id, Credential.method == "recovery")).all()
    assert len(stored) == 10
    assert all(secret_hash.startswith("$argon2id$") and len(lookup) == 4
               for lookup, secret_hash in stored)
