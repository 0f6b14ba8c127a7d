"""The self-service profile over HTTP: the overview, the name, the email address and phone
number proven by a code, and the password; each change audited and told by email."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AttemptBudget, AuditEvent, User
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.live import build_live, new_directory, new_mobile
from tests.web.helpers import assert_error_page, assert_sane

CODE = re.compile(r"\b(\d{6})\b")


def stored(directory, user) -> User:
    """Return the user's row as stored now."""
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        db.session.expunge(row)
        return row


def audited(directory, user, event: str) -> list[dict]:
    """Return the details of the user's audit events of this kind, oldest first."""
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return [e.detail for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.user_id == row.id, AuditEvent.event == event).order_by(AuditEvent.id))]


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def error_of(page: Page) -> str:
    box = page.soup.find(id="form-error")
    assert box is not None, page.text[:400]
    return box.get_text(" ", strip=True)


def notice_of(page: Page) -> str:
    return " ".join(n.get_text(" ", strip=True) for n in page.soup.select("[role=status]"))


# --- The overview --------------------------------------------------------------------------

def test_the_overview_shows_details_methods_and_how_they_reach_the_level(directory):
    user = directory.add_user(totp=True, phone=new_mobile())
    _agent, page = open_account_page(directory, user)
    assert page.title == "Your account"
    assert user.email in page.text and user.phone in page.text
    reach = [li.get_text(" ", strip=True) for li in page.soup.select("#reach li")]
    assert "Password + Authenticator app: 30 of 30 points" in reach
    assert "Password + Text message code: 30 of 30 points" in reach
    methods = [th.get_text(" ", strip=True) for th in page.soup.select("#methods tbody th")]
    assert methods == ["Password", "Text message code", "Authenticator app"]


def test_the_overview_warns_on_a_method_whose_removal_leaves_the_user_below_the_level(
        directory):
    user = directory.add_user(totp=True)
    _agent, page = open_account_page(directory, user)
    row = page.soup.select("#methods tbody tr")[1]
    assert "no longer reach the required level" in row.get_text(" ", strip=True)
    link = row.find("a", href=lambda h: h and h.endswith("/remove"))
    assert link["aria-describedby"] == row.select_one(".warn")["id"]


def test_with_two_second_methods_neither_carries_a_warning(directory):
    user = directory.add_user(totp=True, phone=new_mobile())
    _agent, page = open_account_page(directory, user)
    assert not page.soup.select("#methods .warn")


def test_the_overview_lists_this_browsers_session_and_the_login_as_recent_activity(directory):
    user = directory.add_user(totp=True)
    _agent, page = open_account_page(directory, user)
    [session] = page.soup.select("#sessions tbody tr")
    assert "This browser" in session.get_text(" ", strip=True)
    assert "127.0.0.1" in session.get_text(" ", strip=True)
    activity = page.soup.select_one("#activity").get_text(" ", strip=True)
    assert "Logged in to your account (level 30)" in activity


def test_recent_activity_names_an_admins_change_and_leaves_out_the_codes_sent(directory):
    from idp import audit
    from idp.clock import now

    user = directory.add_user(totp=True)
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        audit.record(row.directory_id, audit.events.ADMIN_USER_UPDATED, now(), user_id=row.id,
                     actor=1)
        audit.record(row.directory_id, audit.events.CHALLENGE_SENT, now(), user_id=row.id,
                     method="sms")
        db.session.commit()
    _agent, page = open_account_page(directory, user)
    activity = [tr.get_text(" ", strip=True) for tr in page.soup.select("#activity tbody tr")]
    assert any("By an administrator: User details changed" in line for line in activity)
    assert not any("sent" in line for line in activity)


def test_the_overview_offers_only_the_methods_the_directory_enables(directory):
    directory.set_levels(app=0, recovery=0)
    user = directory.add_user(totp=True)
    _agent, page = open_account_page(directory, user)
    offered = [a.get_text(strip=True) for a in page.soup.select("#add-methods a")]
    assert "Add a passkey" in offered and "Turn on email codes" in offered
    assert "Set up app approval" not in offered and "Create recovery codes" not in offered
    assert "Set up an authenticator app" not in offered  # already has one


def test_the_overview_is_in_dutch_when_asked(directory):
    user = directory.add_user(totp=True)
    agent, _page = open_account_page(directory, user)
    page = Page(agent.get(f"{directory.issuer}/account/?lang=nl"))
    assert page.soup.find("html")["lang"] == "nl"
    assert_sane(page.response)


# --- Name ----------------------------------------------------------------------------------

def test_changing_the_name_needs_no_code_and_is_audited(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/details")
    page = Page(agent.submit(page, "Save", by_label={"Name": "  Anna   van Dijk "}))
    assert page.title == "Your account" and "Your name was saved." in notice_of(page)
    assert stored(directory, user).name == "Anna van Dijk"
    assert audited(directory, user, "profile.name_changed")


def test_a_name_is_shown_as_text_never_as_markup(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/details")
    page = Page(agent.submit(page, "Save", by_label={"Name": "<script>alert(1)</script>"}))
    assert "<script>alert(1)</script>" in page.text
    assert not page.soup.select("main script")


@pytest.mark.parametrize("name", ["Anna\x00", "bell\x07", "x" * 201, "y" * 5000])
def test_a_name_with_control_characters_or_too_long_is_refused(directory, name):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/details")
    response = agent.submit(page, "Save", fields={"name": name})
    assert_sane(response)
    assert response.status_code == 400
    assert stored(directory, user).name == user.username.title()


# --- Email address -------------------------------------------------------------------------

def ask_email_code(directory, user, address: str):
    agent, page = open_account_page(directory, user, "/account/email")
    return agent, Page(agent.submit(page, "Send the code", by_label={"Email address": address}))


def test_a_new_email_address_is_proven_with_a_code_before_it_replaces_the_old(directory, mail):
    user = directory.add_user(totp=True)
    agent, page = ask_email_code(directory, user, "anna.new@example.org")
    assert "We sent a code to a\u2022\u2022\u2022@example.org." in notice_of(page)
    message = mail.wait_for("anna.new@example.org")
    code = CODE.search(plain(message)).group(1)
    assert stored(directory, user).email == user.email  # the old one stays until confirmed

    page = Page(agent.submit(page, "Verify and save", by_label={"Code": code}))
    assert page.title == "Your account", page.text[:300]
    assert "Your email address was changed." in notice_of(page)
    row = stored(directory, user)
    assert row.email == "anna.new@example.org" and row.email_verified
    assert audited(directory, user, "profile.email_changed") == [
        {"before": user.email, "after": "anna.new@example.org"}]
    # Both the old and the new address are told.
    for address in (user.email, "anna.new@example.org"):
        notice = mail.wait_for(address)
        assert notice["Subject"] == "Your email address was changed"
        assert "If this wasn't you" in plain(notice)


def test_the_new_email_address_logs_in(directory, mail):
    user = directory.add_user(totp=True)
    agent, page = ask_email_code(directory, user, "login.new@example.org")
    code = CODE.search(plain(mail.wait_for("login.new@example.org"))).group(1)
    agent.submit(page, "Verify and save", by_label={"Code": code})
    fresh = Agent(directory.live.url)
    login = Page(fresh.get(f"{directory.issuer}/account/"))
    step = Page(fresh.submit(login, "Log in", by_label={
        "Username or email": "login.new@example.org", "Password": user.password}))
    assert step.title == "Choose how to verify"


def test_a_wrong_code_keeps_the_old_address(directory, mail):
    user = directory.add_user(totp=True)
    agent, page = ask_email_code(directory, user, "wrong.code@example.org")
    code = CODE.search(plain(mail.wait_for("wrong.code@example.org"))).group(1)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = agent.submit(page, "Verify and save", by_label={"Code": wrong})
    assert response.status_code == 400
    assert "This code is not right. Tries left: 4." in error_of(Page(response))
    assert stored(directory, user).email == user.email
    assert not audited(directory, user, "profile.email_changed")


def test_an_expired_code_is_refused(directory, mail, provider_clock):
    user = directory.add_user(totp=True)
    agent, page = ask_email_code(directory, user, "late@example.org")
    code = CODE.search(plain(mail.wait_for("late@example.org"))).group(1)
    provider_clock(601)
    # The login is as old as the code: log in again (the change needs a recent login).
    _agent, page = open_account_page(directory, user, "/account/email", agent=agent)
    assert page.title == "Your email address"
    # The code form is gone with the code; posting it anyway is refused.
    assert not page.soup.find(id="code")
    response = agent.http.post(f"{directory.issuer}/account/email/confirm", data={
        "csrf_token": page.soup.find("input", {"name": "csrf_token"})["value"], "code": code})
    assert_sane(response)
    assert response.status_code == 400
    assert error_of(Page(response)) == "This code has expired. Ask for a new code."
    assert stored(directory, user).email == user.email


def account_failures(directory, user) -> list[int]:
    """Return the failures counted on each budget of the user's account."""
    row = stored(directory, user)
    with directory.live.app.app_context():
        return list(db.session.scalars(select(AttemptBudget.failures).where(
            AttemptBudget.key.startswith(f"{row.directory_id}:u{row.id}:"))))


def test_a_right_code_gives_back_its_own_attempt_and_no_earlier_failure(directory, mail):
    user = directory.add_user(totp=True)
    agent, page = ask_email_code(directory, user, "counted@example.org")
    code = CODE.search(plain(mail.wait_for("counted@example.org"))).group(1)
    wrong = Page(agent.submit(page, "Verify and save", by_label={
        "Code": f"{(int(code) + 1) % 1_000_000:06d}"}))
    assert wrong.status == 400

    page = Page(agent.submit(wrong, "Verify and save", by_label={"Code": code}))

    assert page.title == "Your account", page.text[:300]
    assert sorted(account_failures(directory, user)) == [0, 0, 1]  # the wrong code stays


def test_an_address_taken_while_its_code_travelled_is_refused_and_the_code_is_no_guess(
        directory, mail):
    user = directory.add_user(totp=True)
    agent, page = ask_email_code(directory, user, "raced@example.org")
    code = CODE.search(plain(mail.wait_for("raced@example.org"))).group(1)
    directory.add_user(email="raced@example.org")  # another account takes it meanwhile

    response = agent.submit(page, "Verify and save", by_label={"Code": code})

    assert response.status_code == 409, response.text[:300]
    assert stored(directory, user).email == user.email
    # The right code's attempt was given back although its change was rolled back.
    failures = account_failures(directory, user)
    assert failures and not any(failures), failures


@pytest.mark.parametrize("variant", [str.lower, str.upper])
def test_another_users_email_address_is_refused(directory, mail, variant):
    other = directory.add_user()
    user = directory.add_user(totp=True)
    _agent, page = ask_email_code(directory, user, variant(other.email))
    assert page.status == 400
    assert "cannot be used" in error_of(page)
    with pytest.raises(AssertionError):
        mail.wait_for(other.email, timeout=0.5)


def test_another_users_username_cannot_become_an_email_address(directory, mail):
    directory.add_user("taken@example.org", email="someone.else@example.org")
    user = directory.add_user(totp=True)
    _agent, page = ask_email_code(directory, user, "taken@example.org")
    assert page.status == 400


def test_proving_the_current_address_turns_email_codes_on(directory, mail):
    user = directory.add_user(totp=True)
    agent, page = ask_email_code(directory, user, user.email)
    code = CODE.search(plain(mail.wait_for(user.email))).group(1)
    page = Page(agent.submit(page, "Verify and save", by_label={"Code": code}))
    assert "Your email address is proven." in notice_of(page)
    assert stored(directory, user).email_verified
    assert audited(directory, user, "method.enrolled") == [{"method": "email"}]
    assert not audited(directory, user, "profile.email_changed")
    assert mail.wait_for(user.email)["Subject"] == "Email codes were turned on for your account"


def test_a_second_code_right_away_waits_as_the_code_limits_say(directory, mail):
    user = directory.add_user(totp=True)
    agent, page = ask_email_code(directory, user, "twice@example.org")
    response = agent.submit(page, "Send a new code", by_label={"Email address":
                                                                "twice@example.org"})
    assert response.status_code == 429
    assert "A code was sent moments ago" in error_of(Page(response))
    assert int(response.headers["Retry-After"]) > 0


def test_the_proven_address_again_is_refused(directory, mail):
    user = directory.add_user(totp=True, email_verified=True)
    _agent, page = ask_email_code(directory, user, user.email)
    assert page.status == 400
    assert error_of(page) == "This is already your address, and it is proven."


# --- Phone number --------------------------------------------------------------------------

def test_a_new_mobile_number_gets_a_code_by_text_message_before_it_is_saved(
        directory, mail, gateway):
    old, new = new_mobile(), new_mobile()
    user = directory.add_user(totp=True, phone=old)
    agent, page = open_account_page(directory, user, "/account/phone")
    page = Page(agent.submit(page, "Send the code", by_label={"Mobile number": new}))
    gateway.wait_for(new)
    assert stored(directory, user).phone == old
    page = Page(agent.submit(page, "Verify and save", by_label={"Code": gateway.last_code(new)}))
    assert "Your phone number was changed." in notice_of(page)
    row = stored(directory, user)
    assert row.phone == new and row.phone_verified
    assert audited(directory, user, "profile.phone_changed") == [{"before": old, "after": new}]
    notice = mail.wait_for(user.email)
    assert notice["Subject"] == "Your phone number was changed"
    assert new[-4:] in plain(notice) and new not in plain(notice)  # masked


def test_a_first_proven_number_turns_text_message_codes_on(directory, mail, gateway):
    number = new_mobile()
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/phone")
    page = Page(agent.submit(page, "Send the code", by_label={"Mobile number": number}))
    page = Page(agent.submit(page, "Verify and save",
                             by_label={"Code": gateway.last_code(number)}))
    assert audited(directory, user, "method.enrolled") == [{"method": "sms"}]
    methods = [th.get_text(" ", strip=True) for th in page.soup.select("#methods tbody th")]
    assert "Text message code" in methods


def test_another_users_mobile_number_is_refused(directory, gateway):
    number = new_mobile()
    directory.add_user(phone=number)
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/phone")
    response = agent.submit(page, "Send the code", by_label={"Mobile number": number})
    assert response.status_code == 400
    assert not [r for r in gateway.received if r.body and r.body.get("to") == number]


@pytest.mark.parametrize("number", ["+31201234567", "0612345678", "+999", "call me",
                                    "+31 6 1234\x005678", "+" + "1" * 40])
def test_a_number_that_cannot_take_a_text_message_is_refused(directory, gateway, number):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/phone")
    response = agent.submit(page, "Send the code", fields={"value": number})
    assert_sane(response)
    assert response.status_code == 400
    assert Page(response).soup.find(id="value")["aria-invalid"] == "true"


# --- Password ------------------------------------------------------------------------------

NEW_PASSWORD = "a brand new passphrase"


def change_password(agent: Agent, page: Page, current: str, new: str = NEW_PASSWORD,
                    repeat: str | None = None):
    return agent.submit(page, "Change the password", by_label={
        "Current password": current, "New password": new,
        "New password again": new if repeat is None else repeat})


def test_changing_the_password_ends_the_other_sessions_and_tells_the_user(directory, mail,
                                                                          provider_clock):
    user = directory.add_user(totp=True)
    other, _ = open_account_page(directory, user)
    provider_clock(30)  # the next login needs the next authenticator code
    agent, page = open_account_page(directory, user, "/account/password")
    page = Page(change_password(agent, page, user.password))
    assert page.title == "Your account", page.text[:300]
    assert "You were logged out everywhere else, and apps you signed in to elsewhere must " \
        "log in again." in notice_of(page)
    assert Page(agent.get(f"{directory.issuer}/account/")).title == "Your account"
    assert Page(other.get(f"{directory.issuer}/account/")).title.startswith("Log in")
    assert audited(directory, user, "profile.password_changed") == [{"sessions_ended": 1}]
    assert mail.wait_for(user.email)["Subject"] == "Your password was changed"
    # The new password logs in; the old one no longer does.
    fresh = Agent(directory.live.url)
    login = Page(fresh.get(f"{directory.issuer}/account/"))
    old = Page(fresh.submit(login, "Log in", by_label={
        "Username or email": user.username, "Password": user.password}))
    assert old.title.startswith("Log in")
    step = Page(fresh.submit(old, "Log in", by_label={
        "Username or email": user.username, "Password": NEW_PASSWORD}))
    assert step.title == "Choose how to verify"


@pytest.mark.parametrize(("current", "new", "repeat", "message"), [
    ("not my password", NEW_PASSWORD, NEW_PASSWORD, "Your current password is not right."),
    (None, NEW_PASSWORD, NEW_PASSWORD + "x", "The two new passwords are not the same."),
    (None, "short", "short", "A password has at least 8 characters."),
    (None, "x" * 1025, "x" * 1025, "A password has at most 1024 characters."),
    ("x" * 5000, NEW_PASSWORD, NEW_PASSWORD, "Your current password is not right."),
])
def test_a_refused_password_change_changes_nothing(directory, mail, current, new, repeat,
                                                   message):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/password")
    before = stored(directory, user).password_hash
    response = change_password(agent, page, user.password if current is None else current,
                               new, repeat)
    assert_sane(response)
    assert response.status_code == 400
    assert error_of(Page(response)) == message
    assert stored(directory, user).password_hash == before
    assert not audited(directory, user, "profile.password_changed")


@pytest.fixture(scope="module")
def strict(backend, database_url_factory):
    """A provider of its own that allows 3 failed verifications per account and minute."""
    server = build_live(database_url_factory(backend), IDP_ACCOUNT_FAILURE_LIMIT="3 per minute")
    yield new_directory(server)
    server.stop()


def test_wrong_current_passwords_count_towards_the_accounts_failure_limit(strict):
    user = strict.add_user(totp=True)
    agent, page = open_account_page(strict, user, "/account/password")
    failures = [change_password(agent, page, "not my password") for _ in range(3)]
    assert [r.status_code for r in failures] == [400, 400, 400]
    refused = change_password(agent, page, user.password)
    assert_error_page(refused, 429, "slow_down")


# --- Notices -------------------------------------------------------------------------------

def create_recovery_codes(directory, user) -> Page:
    agent, page = open_account_page(directory, user, "/account/methods/recovery")
    return Page(agent.submit(page, "Create new recovery codes"))


def test_a_notice_says_when_from_which_browser_and_address(directory, mail):
    user = directory.add_user(totp=True)
    create_recovery_codes(directory, user)
    body = plain(mail.wait_for(user.email))
    assert "When:" in body and "(UTC)" in body
    assert "Browser: Python Requests" in body and "IP address: 127.0.0.1" in body
    assert f"{directory.issuer}/account/" in body


def test_a_notice_is_in_the_users_own_language(directory, mail):
    user = directory.add_user(totp=True)
    with directory.live.app.app_context():
        db.session.scalars(select(User).where(User.subject == user.subject)).one().locale = "nl"
        db.session.commit()
    page = create_recovery_codes(directory, user)
    assert page.soup.find("html")["lang"] == "en"  # the page stays in the browser's language
    html = mail.wait_for(user.email).get_body(("html",)).get_content()
    assert '<html lang="nl">' in html


def test_a_notice_is_in_the_page_language_when_the_user_has_none(directory, mail):
    user = directory.add_user(totp=True)
    agent, _page = open_account_page(directory, user)
    page = Page(agent.get(f"{directory.issuer}/account/methods/recovery?lang=nl"))
    agent.submit(page, page.soup.select_one("main form button").get_text(strip=True))
    html = mail.wait_for(user.email).get_body(("html",)).get_content()
    assert '<html lang="nl">' in html


def test_a_notice_that_cannot_be_delivered_does_not_undo_the_change(directory, mail):
    user = directory.add_user(totp=True)
    mail.refuse()
    page = create_recovery_codes(directory, user)
    assert page.status == 200 and page.title == "Save your recovery codes"
    assert len(page.soup.select("#recovery-codes li")) == 10
    assert audited(directory, user, "recovery_codes.issued")
