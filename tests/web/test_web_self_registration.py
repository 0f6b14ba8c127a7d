"""Self-registration: off by default; where a directory's admin turns it on, a person proves
an email address with a code, chooses a password, and the same login goes on to its step-up
and enrolment. Nothing tells whether an address already has an account."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from idp.clock import now
from idp.storage import db
from idp.storage.models import AuditEvent, Registration, User
from idp.tenants.directories import get_directory
from idp.tenants.policies import directory_policies, update_policies
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.support.rp import StrictRP
from tests.web.helpers import assert_sane, interaction_url, login_page, verify_by_email

PASSWORD = "tulip orbit saddle lantern"
SENT = "We sent a code to"


def allow_sign_up(directory) -> None:
    with directory.live.app.app_context():
        update_policies(get_directory(directory.slug), {"self_registration": True})
        db.session.commit()


def new_address() -> str:
    import secrets

    return f"new{secrets.token_hex(4)}@example.org"


def stored_user(directory, address: str) -> User | None:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(
            User.directory_id == get_directory(directory.slug).id,
            User.email_key == address.lower())).first()
        db.session.expunge_all()
        return row


def users_with(directory, address: str) -> int:
    with directory.live.app.app_context():
        return len(db.session.scalars(select(User).where(
            User.directory_id == get_directory(directory.slug).id,
            User.email_key == address.lower())).all())


def events(directory, name: str) -> list[AuditEvent]:
    with directory.live.app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == get_directory(directory.slug).id,
            AuditEvent.event == name)))
        db.session.expunge_all()
        return found


def sign_up_page(rp: StrictRP, **params: str) -> Page:
    """From the app's login page, follow "Create an account"."""
    page = Page(rp.agent.get(login_page(rp, **params).link("Create an account")))
    assert page.status == 200 and page.title == "Create an account", page.text[:300]
    return page


def ask_code(rp: StrictRP, address: str, **params: str) -> Page:
    """Type the address on the sign-up page; return the page that asks for the code."""
    page = Page(rp.agent.submit(sign_up_page(rp, **params), "Continue",
                                by_label={"Email address": address}))
    assert page.title == "Check your email", page.text[:300]
    return page


def mailed_code(mail, address: str, message=None) -> str:
    text = (message or mail.wait_for(address)).get_body(("plain",)).get_content()
    found = re.search(r"\b(\d{6})\b", text)
    assert found is not None, text
    return found.group(1)


def finish(rp: StrictRP, page: Page, code: str, password: str = PASSWORD,
           repeat: str | None = None):
    return rp.agent.submit(page, "Continue", by_label={
        "Code": code, "New password": password,
        "Repeat the new password": password if repeat is None else repeat})


def field_error(response, name: str) -> str:
    assert_sane(response)
    error = Page(response).soup.find(id=f"{name}-error")
    assert error is not None, Page(response).text[:500]
    return error.get_text(" ", strip=True)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# -- off by default -----------------------------------------------------------------------


def test_sign_up_is_off_by_default_no_link_and_its_pages_answer_404(directory):
    rp = StrictRP(directory, directory.add_client())
    page = login_page(rp)
    assert "Create an account" not in page.text
    base = interaction_url(page)
    csrf = page.soup.find("input", {"name": "csrf_token"})["value"]
    for path in ("/register", "/register/code"):
        assert rp.agent.get(base + path).status_code == 404
    for path in ("/register", "/register/code", "/register/again"):
        response = rp.agent.http.post(base + path, timeout=30, data={
            "csrf_token": csrf, "email": new_address()}, allow_redirects=False)
        assert response.status_code == 404
    with directory.live.app.app_context():
        assert directory_policies(get_directory(directory.slug)).self_registration is False


def test_the_policies_page_turns_sign_up_on_and_off_and_audits_it(directory):
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin, "/admin/policies")
    box = page.soup.find(id="self_registration")
    assert box is not None and not box.has_attr("checked")
    help_text = page.soup.find(id="self_registration-help").get_text(" ", strip=True)
    assert "Create an account" in help_text and "Default: off." in help_text

    saved = Page(agent.submit(page, "Save policies", fields={"self_registration": "yes"}))
    assert saved.status == 200 and "The policies were saved" in saved.text
    assert saved.soup.find(id="self_registration").has_attr("checked")
    changed = events(directory, "settings.policies_changed")[-1]
    assert changed.detail["before"] == {"self_registration": False}
    assert changed.detail["after"] == {"self_registration": True}
    assert "Create an account" in login_page(StrictRP(directory, directory.add_client())).text

    saved.soup.find(id="self_registration").attrs.pop("checked")
    off = Page(agent.submit(saved, "Save policies"))
    assert "The policies were saved" in off.text
    assert events(directory, "settings.policies_changed")[-1].detail["after"] == {
        "self_registration": False}
    assert "Create an account" not in login_page(StrictRP(directory, directory.add_client())).text


# -- the flow -----------------------------------------------------------------------------


def test_a_new_person_signs_up_is_offered_enrolment_and_the_app_gets_a_code(directory, mail):
    allow_sign_up(directory)
    directory.set_levels(email=0)  # the proven address alone is no second way to verify
    rp = StrictRP(directory, directory.add_client())
    address = new_address()
    page = ask_code(rp, address)
    assert f"{SENT} {address}." in page.text
    assert page.response.headers["Cache-Control"] == "no-store"
    message = mail.wait_for(address)
    assert "is your code to create your" in message["Subject"]

    landed = Page(finish(rp, page, mailed_code(mail, address, message)))

    # The same login goes on: the password counts, and a second way to verify is offered.
    assert landed.title == "Set up a way to verify", landed.text[:300]
    enrol = Page(rp.agent.get(landed.link("Set up an authenticator app")))
    user = stored_user(directory, address)
    assert user is not None and user.username == address and user.email == address
    assert user.email_verified and user.password_hash is not None
    created = events(directory, "registration.completed")
    assert [e.user_id for e in created] == [user.id] and created[0].ip == "127.0.0.1"
    secret = enrol.soup.find(id="totp-secret")["data-secret"]
    codes = Page(rp.agent.submit(enrol, "Verify", by_label={"Code": pyotp.TOTP(secret).at(now())}))
    assert codes.title == "Save your recovery codes", codes.text[:300]
    tokens = rp.exchange(rp.response_params(rp.agent.submit(codes, "Continue"))["code"])
    assert tokens["claims"]["sub"] == user.subject
    assert tokens["claims"]["acr"] == "30"
    assert set(tokens["claims"]["amr"]) == {"pwd", "otp", "mfa"}
    with directory.live.app.app_context():  # only a keyed hash of the code is stored
        row = db.session.scalars(select(Registration).where(
            Registration.email == address)).one()
        assert row.code_hash and len(row.code_hash) == 64 and row.used_at is not None


def test_an_address_with_an_account_gets_the_same_page_and_its_owner_a_note(directory, mail):
    allow_sign_up(directory)
    owner = directory.add_user(email=new_address())
    fresh = new_address()

    known_rp = StrictRP(directory, directory.add_client())
    known_page = ask_code(known_rp, owner.email)
    fresh_page = ask_code(StrictRP(directory, directory.add_client()), fresh)

    assert known_page.status == fresh_page.status == 200
    assert known_page.text.replace(owner.email, "ADDRESS") == \
        fresh_page.text.replace(fresh, "ADDRESS")
    note = mail.wait_for(owner.email)
    text = note.get_body(("plain",)).get_content()
    assert "You already have" in note["Subject"]
    assert "You already have one, so no new account was made." in text
    assert "/account" in text
    assert re.search(r"\b\d{6}\b", text) is None  # no code
    assert len([m for m in mail.messages if owner.email in str(m["To"])]) == 1
    # No code can make a second account with that address.
    response = finish(known_rp, known_page, "123456")
    assert users_with(directory, owner.email) == 1
    assert "not right" in field_error(response, "code")
    assert [e.user_id for e in events(directory, "registration.existing_address")] == [
        stored_user(directory, owner.email).id]


def test_the_proven_address_steps_the_new_user_up_like_anyone_else(directory, mail):
    allow_sign_up(directory)
    rp = StrictRP(directory, directory.add_client())
    address = new_address()
    landed = Page(finish(rp, ask_code(rp, address), mailed_code(mail, address)))
    assert landed.title == "Choose how to verify"
    response = verify_by_email(rp.agent, landed, address, mail)
    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["sub"] == stored_user(directory, address).subject and claims["acr"] == "30"


# -- refusals -----------------------------------------------------------------------------


def test_wrong_codes_count_down_and_the_fifth_locks_the_code(directory, mail):
    allow_sign_up(directory)
    rp = StrictRP(directory, directory.add_client())
    address = new_address()
    page = ask_code(rp, address)
    code = mailed_code(mail, address)
    for left in (4, 3, 2):
        response = finish(rp, page, wrong(code))
        assert response.status_code == 400
        assert field_error(response, "code") == f"This code is not right. {left} tries left."
        assert Page(response).soup.find(id="code")["aria-invalid"] == "true"
    assert field_error(finish(rp, page, wrong(code)), "code") == \
        "This code is not right. 1 try left."
    assert "Too many wrong codes" in field_error(finish(rp, page, wrong(code)), "code")
    # Now not even the right code works.
    assert "Too many wrong codes" in field_error(finish(rp, page, code), "code")
    assert stored_user(directory, address) is None


def test_an_expired_code_is_refused_and_a_new_one_can_be_sent(directory, mail, provider_clock):
    allow_sign_up(directory)
    rp = StrictRP(directory, directory.add_client())
    address = new_address()
    page = ask_code(rp, address)
    code = mailed_code(mail, address)
    provider_clock(601)

    response = finish(rp, page, code)

    assert response.status_code == 400
    assert field_error(response, "code") == "This code has expired. Ask for a new code."
    assert stored_user(directory, address) is None
    mail.clear()
    again = Page(rp.agent.submit(Page(response), "Send a new code"))
    assert again.title == "Check your email" and f"{SENT} {address}." in again.text
    assert Page(finish(rp, again, mailed_code(mail, address))).title == "Choose how to verify"


def test_a_new_code_is_sent_only_after_a_wait(directory, mail, provider_clock):
    allow_sign_up(directory)
    rp = StrictRP(directory, directory.add_client())
    address = new_address()
    page = ask_code(rp, address)
    mailed_code(mail, address)

    response = rp.agent.submit(page, "Send a new code")

    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "You can ask for a new one in" in Page(response).text
    assert len([m for m in mail.messages if address in str(m["To"])]) == 1
    provider_clock(31)
    assert Page(rp.agent.submit(page, "Send a new code")).title == "Check your email"
    assert len([m for m in mail.messages if address in str(m["To"])]) == 2


def test_one_address_is_sent_at_most_five_codes_an_hour(directory, mail):
    allow_sign_up(directory)
    address = new_address()
    for _ in range(5):
        ask_code(StrictRP(directory, directory.add_client()), address)
    rp = StrictRP(directory, directory.add_client())
    response = rp.agent.submit(sign_up_page(rp), "Continue", by_label={"Email address": address})
    assert response.status_code == 429
    assert "Too many codes were sent to this address" in field_error(response, "email")


def test_a_mail_server_that_refuses_is_said_and_not_counted(directory, mail):
    allow_sign_up(directory)
    rp = StrictRP(directory, directory.add_client())
    address = new_address()
    form = sign_up_page(rp)
    mail.refuse()
    response = rp.agent.submit(form, "Continue", by_label={"Email address": address})
    assert response.status_code == 400
    assert field_error(response, "email") == "The email could not be sent. Try again in a moment."
    mail.accept()
    # Nothing was sent, so there is no wait before the next try.
    sent = Page(rp.agent.submit(Page(response), "Continue"))
    assert sent.title == "Check your email"
    assert Page(finish(rp, sent, mailed_code(mail, address))).title == "Choose how to verify"


def test_a_password_the_policy_refuses_is_named_at_its_field_and_the_code_still_works(
        directory, mail):
    allow_sign_up(directory)
    rp = StrictRP(directory, directory.add_client())
    address = new_address()
    page = ask_code(rp, address)
    code = mailed_code(mail, address)
    for password, reason in (("short", "at least 8 characters"),
                             ("password123", "too common")):
        response = finish(rp, page, code, password)
        assert response.status_code == 400
        assert reason in field_error(response, "new_password")
        assert Page(response).soup.find(id="new_password")["aria-invalid"] == "true"
    assert stored_user(directory, address) is None
    assert Page(finish(rp, page, code)).title == "Choose how to verify"


def test_passwords_that_differ_are_refused_at_the_repeat_field(directory, mail):
    allow_sign_up(directory)
    rp = StrictRP(directory, directory.add_client())
    address = new_address()
    page = ask_code(rp, address)
    response = finish(rp, page, mailed_code(mail, address), repeat=PASSWORD + "x")
    assert field_error(response, "repeat_password") == "The two passwords are not the same."
    assert stored_user(directory, address) is None


def test_the_forms_need_their_csrf_token(directory, mail):
    allow_sign_up(directory)
    rp = StrictRP(directory, directory.add_client())
    address = new_address()
    base = interaction_url(sign_up_page(rp))
    response = rp.agent.http.post(base + "/register", data={"email": address}, timeout=30)
    assert response.status_code == 400 and "This form has expired" in Page(response).text
    page = ask_code(rp, address)
    code = mailed_code(mail, address)
    response = rp.agent.http.post(base + "/register/code", timeout=30, data={
        "code": code, "new_password": PASSWORD, "repeat_password": PASSWORD})
    assert response.status_code == 400
    assert stored_user(directory, address) is None
    assert Page(finish(rp, page, code)).title == "Choose how to verify"


HOSTILE_ADDRESSES = {
    "not an address": "someone",
    "huge": "a" * 10_000 + "@example.org",
    "null byte": "a\x00b@example.org",
    "markup": "<script>@example.org",
    "too long for a username": "a" * 60 + "@" + "b" * 90 + ".org",
    "spaces inside": "a b@example.org",
}


@pytest.mark.parametrize("typed", HOSTILE_ADDRESSES.values(), ids=HOSTILE_ADDRESSES.keys())
def test_a_hostile_or_oversized_address_is_refused_at_its_field(shared_directory, typed):
    allow_sign_up(shared_directory)
    rp = StrictRP(shared_directory, shared_directory.add_client())
    response = rp.agent.submit(sign_up_page(rp), "Continue", fields={"email": typed})
    assert response.status_code == 400
    assert field_error(response, "email") == "Enter an email address like name@example.com."


HOSTILE_FIELDS = {
    "huge code": {"code": "1" * 100_000},
    "letters": {"code": "abcdef"},
    "null byte in the password": {"new_password": "a\x00" * 8, "repeat_password": "a\x00" * 8},
    "huge password": {"new_password": "x" * 200_000, "repeat_password": "x" * 200_000},
    "unicode": {"code": "１２３４５６"},
    "no fields": {"code": "", "new_password": "", "repeat_password": ""},
}


@pytest.mark.parametrize("fields", HOSTILE_FIELDS.values(), ids=HOSTILE_FIELDS.keys())
def test_hostile_or_oversized_code_fields_never_give_a_server_error(shared_directory, mail,
                                                                    fields):
    allow_sign_up(shared_directory)
    rp = StrictRP(shared_directory, shared_directory.add_client())
    page = ask_code(rp, new_address())
    base = {"code": "123456", "new_password": PASSWORD, "repeat_password": PASSWORD}
    response = rp.agent.submit(page, "Continue", fields={**base, **fields})
    assert_sane(response)
    assert response.status_code in (400, 413)


def test_dutch_pages_and_emails(directory, mail):
    allow_sign_up(directory)
    rp = StrictRP(directory, directory.add_client())
    address = new_address()
    page = Page(rp.start(ui_locales="nl"))
    form = Page(rp.agent.get(page.link("Maak een account aan")))
    assert form.title == "Maak een account aan", form.text[:300]
    sent = Page(rp.agent.submit(form, "Doorgaan", by_label={"E-mailadres": address}))
    assert f"We hebben een code gestuurd naar {address}." in sent.text
    message = mail.wait_for(address)
    assert "uw code om uw account" in message["Subject"], message["Subject"]
    response = rp.agent.submit(sent, "Doorgaan", by_label={
        "Code": mailed_code(mail, address, message), "Nieuw wachtwoord": PASSWORD,
        "Herhaal het nieuwe wachtwoord": PASSWORD + "x"})
    assert field_error(response, "repeat_password") == "De twee wachtwoorden zijn niet hetzelfde."


def test_the_note_to_an_address_with_an_account_is_in_dutch_too(directory, mail):
    allow_sign_up(directory)
    owner = directory.add_user(email=new_address())
    rp = StrictRP(directory, directory.add_client())
    form = Page(rp.agent.get(Page(rp.start(ui_locales="nl")).link("Maak een account aan")))
    sent = Page(rp.agent.submit(form, "Doorgaan", by_label={"E-mailadres": owner.email}))
    assert f"We hebben een code gestuurd naar {owner.email}." in sent.text
    note = mail.wait_for(owner.email)
    assert note["Subject"].startswith("U heeft al een account bij"), note["Subject"]
    assert "er is geen nieuw account aangemaakt" in note.get_body(("plain",)).get_content()
