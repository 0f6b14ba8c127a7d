"""Invitations: an emailed, single-use, expiring link with which a new user sets a password."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import Invitation
from idp.tenants.directories import get_directory
from tests.support.agent import Agent, Page
from tests.support.live import new_directory
from tests.web.helpers import assert_error_page, assert_sane, new_rp
from tests.web.test_web_admin_users import (
    admin_agent,
    audit_events,
    invitation_link,
    invite,
    press,
    press_confirmed,
    stored_user,
    user_page,
)

NEW_PASSWORD = "a long and new passphrase"


def invited(directory, mail, agent, username: str | None = None) -> tuple[str, str]:
    """Invite a user through the admin page; return their username and the emailed link."""
    page = invite(agent, directory, **({"username": username} if username else {}))
    assert page.status == 200 and page.title.startswith("User "), page.text[:300]
    username = page.title.removeprefix("User ")
    return username, invitation_link(mail, stored_user(directory, username).email)


def set_password(agent: Agent, link: str, password: str = NEW_PASSWORD,
                 repeat: str | None = None):
    page = Page(agent.get(link))
    assert page.title == "Set your password", page.text[:300]
    return agent.submit(page, "Set the password", by_label={
        "New password": password, "Repeat the new password": repeat or password})


def assert_link_ended(response) -> None:
    assert_sane(response)
    assert response.status_code == 410, response.text[:300]
    page = Page(response)
    assert page.title == "This link no longer works"
    assert not page.soup.find("input", attrs={"type": "password"})


def test_the_invited_user_sets_a_password_proves_the_email_and_is_sent_to_log_in(
        directory, mail):
    directory.set_levels(20)
    _admin, agent, _page = admin_agent(directory)
    username, link = invited(directory, mail, agent)
    person = Agent(directory.live.url)
    page = Page(person.get(link))
    assert page.title == "Set your password"
    assert username in page.text
    assert page.response.headers["Cache-Control"] == "no-store"
    assert page.response.headers["Referrer-Policy"] == "no-referrer"
    for label, autocomplete in (("New password", "new-password"),
                                ("Repeat the new password", "new-password")):
        field = page.soup.find(attrs={"name": page.field_name(label)})
        assert field["type"] == "password" and field["autocomplete"] == autocomplete

    landed = Page(set_password(person, link))
    assert landed.title.startswith("Log in")
    assert "Your password is set. Log in with it to open your account." in landed.text
    row = stored_user(directory, username)
    assert row.password_hash is not None and row.email_verified
    accepted = audit_events(directory, "invitation.accepted")[-1]
    assert accepted.user_id == row.id and accepted.ip == "127.0.0.1"
    # The new password logs in (the directory asks only for it here).
    rp = new_rp(directory, directory.add_client())
    response = rp.agent.submit(Page(rp.start()), "Log in", by_label={
        "Username or email": username, "Password": NEW_PASSWORD})
    assert "code" in rp.response_params(response)


def test_the_login_form_after_setting_the_password_has_the_username_filled_in(
        directory, mail):
    directory.set_levels(20)
    _admin, agent, _page = admin_agent(directory)
    username, link = invited(directory, mail, agent)
    person = Agent(directory.live.url)

    landed = Page(set_password(person, link))

    assert landed.title.startswith("Log in"), landed.text[:300]
    field = landed.soup.find(attrs={"name": landed.field_name("Username or email")})
    assert field.get("value") == username
    # Only the new password is typed: the account opens.
    account = Page(person.submit(landed, "Log in", by_label={"Password": NEW_PASSWORD}))
    assert account.title == "Your account", account.text[:300]


def test_the_link_works_once(directory, mail):
    _admin, agent, _page = admin_agent(directory)
    username, link = invited(directory, mail, agent)
    person = Agent(directory.live.url)
    form = Page(person.get(link))
    set_password(person, link)
    first_hash = stored_user(directory, username).password_hash
    assert_link_ended(person.get(link))
    # A form opened before the link was used cannot set another password either.
    assert_link_ended(person.submit(form, "Set the password", by_label={
        "New password": "another passphrase here", "Repeat the new password":
            "another passphrase here"}))
    assert stored_user(directory, username).password_hash == first_hash


def test_the_link_expires_after_the_configured_hours(directory, mail, provider_clock):
    _admin, agent, _page = admin_agent(directory)
    _username, link = invited(directory, mail, agent)
    provider_clock(72 * 3600 - 60)
    assert Page(Agent(directory.live.url).get(link)).title == "Set your password"
    provider_clock(61)
    assert_link_ended(Agent(directory.live.url).get(link))


def test_sending_again_replaces_the_older_link(directory, mail):
    _admin, agent, _page = admin_agent(directory)
    username, old = invited(directory, mail, agent)
    page = Page(press(agent, user_page(agent, directory, username), "invite"))
    assert "A new invitation was sent to" in page.text
    new = invitation_link(mail, stored_user(directory, username).email)
    assert new != old
    assert_link_ended(Agent(directory.live.url).get(old))
    assert Page(set_password(Agent(directory.live.url), new)).title.startswith("Log in")
    assert len(audit_events(directory, "admin.invitation_sent")) == 2


def test_a_user_with_a_password_cannot_be_invited_again(directory, mail):
    _admin, agent, _page = admin_agent(directory)
    username, link = invited(directory, mail, agent)
    set_password(Agent(directory.live.url), link)
    page = user_page(agent, directory, username)
    assert not page.soup.find("button", attrs={"value": "invite"})
    existing = directory.add_user()
    for name in (username, existing.username):
        page = user_page(agent, directory, name)
        csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
        response = agent.http.post(page.url, data={"csrf_token": csrf, "action": "invite"},
                                   timeout=30)
        assert response.status_code == 400
        assert "This user already has a password." in Page(response).text
    assert len(audit_events(directory, "admin.invitation_sent")) == 1


@pytest.mark.parametrize("password,repeat,message", [
    (NEW_PASSWORD, NEW_PASSWORD + "x", "The two passwords are not the same."),
    ("short", "short", "8 characters"),
    ("x" * 1025, "x" * 1025, "1024 characters"),
])
def test_a_refused_password_keeps_the_link_working(directory, mail, password, repeat, message):
    _admin, agent, _page = admin_agent(directory)
    username, link = invited(directory, mail, agent)
    person = Agent(directory.live.url)
    response = set_password(person, link, password, repeat)
    assert_sane(response)
    page = Page(response)
    assert response.status_code == 400 and page.title == "Set your password"
    assert message in page.soup.find(id="form-error").get_text()
    assert page.soup.find(id="new_password")["aria-invalid"] == "true"
    assert stored_user(directory, username).password_hash is None
    assert Page(set_password(person, link)).title.startswith("Log in")


def test_two_tabs_racing_with_one_link_set_one_password(directory, mail):
    _admin, agent, _page = admin_agent(directory)
    username, link = invited(directory, mail, agent)
    tabs = [Agent(directory.live.url) for _ in range(2)]
    forms = [Page(tab.get(link)) for tab in tabs]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def submit(index: int) -> None:
        form = forms[index]
        data = {tag["name"]: tag.get("value", "") for tag in form.soup.find_all("input")
                if tag.get("name")}
        data[form.field_name("New password")] = f"passphrase number {index}"
        data[form.field_name("Repeat the new password")] = f"passphrase number {index}"
        barrier.wait()
        results[index] = tabs[index].http.post(link, data=data, allow_redirects=False,
                                               timeout=30)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in results) == [302, 410]
    winner = [r.status_code for r in results].index(302)
    with directory.live.app.app_context():
        from idp.services import services

        row = stored_user(directory, username)
        assert services().passwords.verify(row.password_hash, f"passphrase number {winner}")
    assert len(audit_events(directory, "invitation.accepted")) == 1


def test_changing_the_email_ends_the_pending_invitation(directory, mail):
    _admin, agent, _page = admin_agent(directory)
    username, link = invited(directory, mail, agent)
    press(agent, user_page(agent, directory, username), "save",
          {"email": "elsewhere@example.org"})
    assert_link_ended(Agent(directory.live.url).get(link))


def test_a_disabled_users_link_does_not_work(directory, mail):
    _admin, agent, _page = admin_agent(directory)
    username, link = invited(directory, mail, agent)
    page = Page(press_confirmed(agent, user_page(agent, directory, username), "disable"))
    assert_link_ended(Agent(directory.live.url).get(link))
    # Nor can a new one be sent while the user is disabled.
    assert not page.soup.find("button", attrs={"value": "invite"})
    csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    response = agent.http.post(page.url, data={"csrf_token": csrf, "action": "invite"},
                               timeout=30)
    assert response.status_code == 400 and "This user is disabled" in Page(response).text
    assert len(audit_events(directory, "admin.invitation_sent")) == 1


def test_a_link_of_another_directory_does_not_work_here(directory, live, mail):
    _admin, agent, _page = admin_agent(directory)
    _username, link = invited(directory, mail, agent)
    other = new_directory(live)
    token = link.rsplit("/", 1)[1]
    assert_link_ended(Agent(live.url).get(f"{other.issuer}/invitation/{token}"))


@pytest.mark.parametrize("token", ["x", "%00", "A" * 5000, "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                                   "..%2F..%2Fadmin", "%E2%80%AE", "%F0%9F%98%80" * 30])
def test_a_made_up_token_shows_the_ended_link_page(directory, token):
    agent = Agent(directory.live.url)
    response = agent.get(f"{directory.issuer}/invitation/{token}")
    assert_sane(response)
    assert response.status_code in (404, 410)
    assert "<script>alert(1)" not in response.text


def test_setting_a_password_without_the_csrf_token_is_refused(directory, mail):
    _admin, agent, _page = admin_agent(directory)
    username, link = invited(directory, mail, agent)
    response = Agent(directory.live.url).http.post(link, timeout=30, data={
        "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD})
    assert_error_page(response, 400)
    assert stored_user(directory, username).password_hash is None


def test_a_refused_email_leaves_the_user_to_be_invited_again(directory, mail):
    _admin, agent, _page = admin_agent(directory)
    mail.refuse()
    page = invite(agent, directory, username="unlucky")
    assert page.title == "User unlucky"
    assert "The invitation email could not be sent." in page.soup.find(id="form-error").get_text()
    with directory.live.app.app_context():
        rows = db.session.scalars(select(Invitation).where(
            Invitation.directory_id == get_directory(directory.slug).id)).all()
        assert len(rows) == 1 and rows[0].expires_at <= rows[0].created_at
    assert not audit_events(directory, "admin.invitation_sent")
    mail.accept()
    page = Page(press(agent, user_page(agent, directory, "unlucky"), "invite"))
    assert "A new invitation was sent to" in page.text
    link = invitation_link(mail, stored_user(directory, "unlucky").email)
    assert Page(set_password(Agent(directory.live.url), link)).title.startswith("Log in")
