"""Account recovery over HTTP: "Forgot your password?" reaches the reset level without the
password, sets a new one, ends every session and token, and tells every address; unknown
names get the very same answers; a person who cannot reach the level is told to ask their
admin."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AuditEvent, BrowserSession, User
from idp.tenants.directories import get_directory
from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import assert_sane, enter_code, login_page, masked_phone

NEW_PASSWORD = "copper meadow violin harbour"
PHONE = "+31612345678"


def events(directory, name: str) -> list[AuditEvent]:
    with directory.live.app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == get_directory(directory.slug).id,
            AuditEvent.event == name).order_by(AuditEvent.id)))
        db.session.expunge_all()
        return found


def forgot_page(rp: StrictRP) -> Page:
    page = Page(rp.agent.get(login_page(rp).link("Forgot your password?")))
    assert page.status == 200 and page.title == "Forgot your password?", page.text[:300]
    return page


def ask_reset(rp: StrictRP, name: str) -> Page:
    page = Page(rp.agent.submit(forgot_page(rp), "Send a code", by_label={
        "Username or email": name}))
    assert_sane(page.response)
    assert page.title == "Enter the code we sent", page.text[:300]
    return page


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found is not None, text
    return found.group(1)


def mailed_code(mail, address: str) -> str:
    return code_in(mail.wait_for(address).get_body(("plain",)).get_content())


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def without_csrf(text: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', text)


def set_password(rp: StrictRP, page: Page, password: str = NEW_PASSWORD,
                 repeat: str | None = None):
    assert page.title == "Choose a new password", page.text[:300]
    return rp.agent.submit(page, "Set the new password", by_label={
        "New password": password,
        "Repeat the new password": password if repeat is None else repeat})


def live_sessions(directory, user) -> int:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return len([s for s in db.session.scalars(select(BrowserSession).where(
            BrowserSession.user_id == row.id)) if s.ended_at is None])


# -- the flow -----------------------------------------------------------------------------


def test_email_and_sms_codes_reset_the_password_end_sessions_and_tell_every_address(
        directory, mail, gateway, provider_clock):
    user = directory.add_user(phone=PHONE, email_verified=True, totp=True)
    # The user is signed in to an app in another browser, with tokens.
    other = StrictRP(directory, directory.add_client())
    response = other.log_in(other.start(), user)
    step = Page(response)
    assert step.title == "Choose how to verify"
    tokens = other.exchange(other.response_params(other.verify_totp(response, user))["code"])
    assert live_sessions(directory, user) == 1

    rp = StrictRP(directory, directory.add_client())
    page = ask_reset(rp, user.username)
    assert user.email not in page.text and "•" not in page.text  # nothing shown yet
    stepup = Page(rp.agent.submit(page, "Continue", by_label={
        "Code": mailed_code(mail, user.email)}))
    assert stepup.title == "Choose how to verify", stepup.text[:300]
    assert "Your password does not count here." in stepup.text
    assert "You have 10 of the 30 points" in stepup.text
    assert "Set up" not in stepup.text  # nothing is enrolled during a reset
    texted = Page(rp.agent.submit(stepup, f"Text a code to {masked_phone(PHONE)}"))
    assert texted.title == "Enter the code we texted you"
    assert "Remember this device" not in texted.text
    still = Page(enter_code(rp, texted, gateway.last_code(PHONE)))
    assert still.title == "Choose how to verify" and "You have 20 of the 30" in still.text
    app = Page(rp.agent.get(still.link("Continue with authenticator app")))
    provider_clock(30)  # the next code of the app: the other login used this one
    chosen = Page(enter_code(rp, app, user.totp()))
    mail.clear()
    gateway.clear()
    landed = Page(set_password(rp, chosen))

    assert landed.title.startswith("Log in"), landed.text[:300]
    assert "Your password was changed" in landed.text
    assert landed.soup.find(id="username")["value"] == user.username
    assert live_sessions(directory, user) == 0
    assert other.userinfo(tokens["access_token"]).status_code == 401
    if "refresh_token" in tokens:
        assert other.token_request({"grant_type": "refresh_token",
                                    "refresh_token": tokens["refresh_token"]}).status_code == 400
    notice = mail.wait_for(user.email)
    assert notice["Subject"] == "Your password was reset"
    text = gateway.wait_for(PHONE)["message"]
    assert "your password was reset" in text
    # The new password works; the old one does not.
    old = Page(rp.agent.submit(landed, "Log in", by_label={
        "Username or email": user.username, "Password": user.password}))
    assert old.title.startswith("Log in") and "not right" in old.text
    user.password = NEW_PASSWORD
    assert Page(rp.log_in(rp.start(), user)).title == "Choose how to verify"
    names = [e.event for e in events(directory, "password_reset.started")
             + events(directory, "password_reset.proof")
             + events(directory, "password_reset.level_reached")
             + events(directory, "password_reset.completed")]
    assert names == ["password_reset.started", "password_reset.proof", "password_reset.proof",
                     "password_reset.proof", "password_reset.level_reached",
                     "password_reset.completed"]
    assert [e.detail["method"] for e in events(directory, "password_reset.proof")] == [
        "email", "sms", "totp"]
    completed = events(directory, "password_reset.completed")[0]
    assert completed.detail["sessions"] == 1 and completed.detail["grants"] >= 1


def test_an_authenticator_app_and_an_email_code_reach_the_level(directory, mail):
    directory.set_levels(totp=20)
    user = directory.add_user(totp=True, email_verified=True)
    rp = StrictRP(directory, directory.add_client())
    page = ask_reset(rp, user.email)
    stepup = Page(rp.agent.submit(page, "Continue", by_label={
        "Code": mailed_code(mail, user.email)}))
    app = Page(rp.agent.get(stepup.link("Continue with authenticator app")))
    chosen = Page(enter_code(rp, app, user.totp()))
    assert chosen.title == "Choose a new password", chosen.text[:300]
    refused = set_password(rp, chosen, "short")
    assert refused.status_code == 400 and Page(refused).soup.find(id="new_password-error")
    mismatch = set_password(rp, Page(refused), NEW_PASSWORD, NEW_PASSWORD + "x")
    assert mismatch.status_code == 400
    assert "not the same" in Page(mismatch).soup.find(id="repeat_password-error").text
    assert Page(set_password(rp, Page(mismatch))).title.startswith("Log in")


# -- nothing revealed ---------------------------------------------------------------------


def test_an_unknown_name_gets_byte_identical_pages_and_no_message(directory, mail, gateway):
    user = directory.add_user(email_verified=True, phone=PHONE)
    client = directory.add_client()
    known = StrictRP(directory, client, Agent(directory.live.url))
    unknown = StrictRP(directory, client, Agent(directory.live.url))
    other = "nobody" + user.username[4:]  # as long as the real name
    mail.clear()
    gateway.clear()

    known_page = ask_reset(known, user.username)
    unknown_page = ask_reset(unknown, other)
    assert mailed_code(mail, user.email)
    assert len(mail.messages) == 1 and not gateway.received

    def same(a, b) -> None:
        """The answers differ only in the CSRF token, the pending login's id and the name
        that was typed."""
        assert a.status_code == b.status_code
        assert a.headers.get("Content-Type") == b.headers.get("Content-Type")

        def bare(response, name: str) -> str:
            text = without_csrf(response.text).replace(name, "NAME")
            return re.sub(r"/i/[A-Za-z0-9_-]+", "/i/UID", text)

        assert bare(a, user.username) == bare(b, other)

    same(known_page.response, unknown_page.response)
    # Wrong codes count down alike.
    for _ in range(2):
        a = known.agent.submit(known_page, "Continue", by_label={"Code": "000000"})
        b = unknown.agent.submit(unknown_page, "Continue", by_label={"Code": "000000"})
        same(a, b)
        assert a.status_code == 400
    assert "3 tries left" in Page(a).text
    # An empty name is refused alike too, and says nothing of any account.
    assert Page(known.agent.submit(forgot_page(known), "Send a code")).status == 400


def test_wrong_codes_run_out_and_then_even_the_right_one_fails(directory, mail):
    user = directory.add_user(email_verified=True)
    rp = StrictRP(directory, directory.add_client())
    page = ask_reset(rp, user.username)
    code = mailed_code(mail, user.email)
    for left in (4, 3, 2, 1):
        response = rp.agent.submit(page, "Continue", by_label={"Code": wrong(code)})
        assert response.status_code == 400
        assert "This code is not right." in Page(response).text and str(left) in Page(
            response).soup.find(id="form-error").text
    last = rp.agent.submit(page, "Continue", by_label={"Code": wrong(code)})
    assert "Too many wrong codes" in Page(last).text
    right = rp.agent.submit(page, "Continue", by_label={"Code": code})
    assert right.status_code == 400 and "Too many wrong codes" in Page(right).text


def test_an_expired_first_code_is_refused(directory, mail, provider_clock):
    user = directory.add_user(email_verified=True)
    rp = StrictRP(directory, directory.add_client())
    page = ask_reset(rp, user.username)
    code = mailed_code(mail, user.email)
    provider_clock(601)
    response = rp.agent.submit(page, "Continue", by_label={"Code": code})
    assert response.status_code == 400 and "This code has expired" in Page(response).text


def test_a_person_who_cannot_reach_the_level_is_told_to_contact_the_admin(directory, mail):
    with directory.live.app.app_context():
        row = get_directory(directory.slug)
        row.support_email = "help@example.org"
        db.session.commit()
    user = directory.add_user(email_verified=True)  # an email code alone: 10 of 30
    rp = StrictRP(directory, directory.add_client())
    page = ask_reset(rp, user.username)
    assert "help@example.org" not in page.text  # only after a first proof
    stuck = Page(rp.agent.submit(page, "Continue", by_label={
        "Code": mailed_code(mail, user.email)}))
    assert stuck.title == "Your administrator can help", stuck.text[:300]
    assert "help@example.org" in stuck.text and "send you a link" in stuck.text
    assert [e.user_id for e in events(directory, "password_reset.stuck")] != []
    # The reset's password form is not reachable.
    base = stuck.url
    response = rp.agent.http.post(base + "/reset/password", data={
        "csrf_token": stuck.soup.find("input", {"name": "csrf_token"})["value"],
        "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
        allow_redirects=False, timeout=30)
    assert response.status_code == 303
    assert Page(rp.agent.follow(response)).title == "Your administrator can help"
    back = Page(rp.agent.submit(stuck, "Go back to the login"))
    assert back.title.startswith("Log in")


def test_the_password_does_not_count_and_method_pages_are_not_offered_before_a_proof(
        directory, mail):
    user = directory.add_user(totp=True, email_verified=True)
    rp = StrictRP(directory, directory.add_client())
    page = ask_reset(rp, "nobody-at-all")
    base = page.url
    # No first proof: the method pages send the person back to the code page.
    assert Page(rp.agent.get(base + "/method/totp")).title == "Enter the code we sent"
    page = ask_reset(rp, user.username)
    stepup = Page(rp.agent.submit(page, "Continue", by_label={
        "Code": mailed_code(mail, user.email)}))
    assert "Use your password" not in stepup.text and "password" not in [
        a.get("href", "").rsplit("/", 1)[-1] for a in stepup.soup.find_all("a")]
    assert Page(rp.agent.get(stepup.url + "/enrol/totp")).title == "Your administrator can help"


@pytest.mark.parametrize("lang", ["nl"])
def test_the_reset_pages_speak_dutch(directory, mail, lang):
    directory.set_levels(totp=20)
    user = directory.add_user(email_verified=True, totp=True)
    rp = StrictRP(directory, directory.add_client(), Agent(directory.live.url))
    rp.agent.http.headers["Accept-Language"] = lang
    page = Page(rp.start())
    forgot = Page(rp.agent.get(page.link("Wachtwoord vergeten?")))
    assert forgot.title == "Wachtwoord vergeten?", forgot.text[:300]
    sent = Page(rp.agent.submit(forgot, "Stuur een code", by_label={
        "Gebruikersnaam of e-mailadres": user.username}))
    assert sent.title == "Vul de code in die we stuurden", sent.text[:300]
    stepup = Page(rp.agent.submit(sent, "Doorgaan", by_label={
        "Code": mailed_code(mail, user.email)}))
    assert "Uw wachtwoord telt hier niet mee." in stepup.text


def test_bad_input_to_the_reset_pages_is_refused_without_a_server_error(directory):
    rp = StrictRP(directory, directory.add_client())
    page = forgot_page(rp)
    base = page.url.rsplit("/reset", 1)[0]
    csrf = page.soup.find("input", {"name": "csrf_token"})["value"]
    posts = {
        "/reset": [{"username": "x" * 5000}, {"username": "\x00"}, {}, {"username": "é" * 300}],
        "/reset/code": [{"code": "1" * 5000}, {"code": "\x00"}, {}],
        "/reset/passkey": [{"credential": "{", "challenge": "x"}, {"credential": "x" * 20000}],
        "/reset/password": [{"new_password": "x" * 5000}],
    }
    for path, bodies in posts.items():
        for body in bodies:
            response = rp.agent.http.post(base + path, data={"csrf_token": csrf, **body},
                                          allow_redirects=False, timeout=30)
            assert_sane(response)
            assert response.status_code in (200, 303, 400, 429), (path, response.status_code)
        no_csrf = rp.agent.http.post(base + path, data=bodies[0], allow_redirects=False,
                                     timeout=30)
        assert no_csrf.status_code == 400, (path, no_csrf.status_code)
    for token in ("", "x", "%00"):
        assert_sane(rp.agent.http.get(f"{directory.issuer}/reset/{token}", timeout=30))
