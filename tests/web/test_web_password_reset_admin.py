"""Account recovery around the flow: a first proof by passkey, the admin's single-use reset
link (the user page and the admin API), and the reset level on the settings page."""

from __future__ import annotations

import re

import pytest

from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.support.soft_authenticator import SoftAuthenticator
from tests.web.admin_api import assert_api_error, service_api
from tests.web.helpers import login_page
from tests.web.test_web_admin_users import audit_events, press, stored_user, user_page
from tests.web.test_web_passkeys import enrol, passkey_form, post_credential
from tests.web.test_web_password_reset import (
    NEW_PASSWORD,
    ask_reset,
    live_sessions,
    mailed_code,
)

PHONE = "+31612345679"


def reset_link(mail, address: str) -> str:
    message = mail.wait_for(address)
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"https?://\S+/reset/[A-Za-z0-9_-]+", text)
    assert found is not None, text
    assert message["Subject"].startswith("Choose a new password")
    return found.group(0)


def choose(agent: Agent, link: str, password: str = NEW_PASSWORD):
    page = Page(agent.get(link))
    assert page.status == 200 and page.title == "Choose a new password", page.text[:300]
    return agent.submit(page, "Set the new password", by_label={
        "New password": password, "Repeat the new password": password})


# -- a passkey as the first proof ---------------------------------------------------------


@pytest.fixture
def pk_directory(localhost_live):
    return new_directory(localhost_live)


def test_a_passkey_alone_proves_it_and_names_the_account(pk_directory, mail):
    client = pk_directory.add_client()
    user = pk_directory.add_user()  # its address unproven: no code could reach it
    authenticator = SoftAuthenticator("ES256")
    enrol(StrictRP(pk_directory, client, Agent(pk_directory.live.url)), user, authenticator)

    rp = StrictRP(pk_directory, client, Agent(pk_directory.live.url))
    forgot = Page(rp.agent.get(login_page(rp).link("Forgot your password?")))
    _, options = passkey_form(forgot)
    response = post_credential(rp, forgot, authenticator.assert_(options, pk_directory.live.url))
    chosen = Page(response)
    assert chosen.title == "Choose a new password", chosen.text[:300]
    assert user.username in chosen.text
    mail.clear()
    landed = Page(rp.agent.submit(chosen, "Set the new password", by_label={
        "New password": NEW_PASSWORD, "Repeat the new password": NEW_PASSWORD}))
    assert landed.title.startswith("Log in"), landed.text[:300]
    assert mail.wait_for(user.email)["Subject"] == "Your password was reset"
    (proof,) = audit_events(pk_directory, "password_reset.proof")
    assert proof.detail["method"] == "passkey"
    assert audit_events(pk_directory, "password_reset.started") == []  # no name was typed


# -- the admin's reset link ---------------------------------------------------------------


def test_the_admin_sends_a_link_that_works_once_and_ends_every_session(directory, mail,
                                                                        gateway):
    admin = directory.add_user(totp=True, admin=True)
    user = directory.add_user(email_verified=True, phone=PHONE)
    other = StrictRP(directory, directory.add_client())
    other.log_in(other.start(), user)
    assert live_sessions(directory, user) >= 1
    agent, _ = open_account_page(directory, admin, "/admin/")
    page = user_page(agent, directory, user.username)
    help_text = page.soup.find(id="reset-link-help").get_text(" ", strip=True)
    assert "single-use link" in help_text
    mail.clear()
    sent = Page(press(agent, page, "reset_link"))
    assert f"A password reset link was sent to {user.email}." in sent.text
    link = reset_link(mail, user.email)
    (event,) = audit_events(directory, "admin.reset_link_sent")
    assert event.detail["actor"] == stored_user(directory, admin.username).id

    gateway.clear()
    landed = Page(choose(Agent(directory.live.url), link))
    assert landed.title.startswith("Log in"), landed.text[:300]
    assert "Your password was changed" in landed.text
    assert live_sessions(directory, user) == 0
    assert mail.wait_for(user.email)["Subject"] == "Your password was reset"
    assert "your password was reset" in gateway.wait_for(PHONE)["message"]
    (done,) = audit_events(directory, "password_reset.completed")
    assert done.detail["purpose"] == "link"
    # The link works once.
    again = Agent(directory.live.url).get(link)
    assert again.status_code == 410 and "This link no longer works" in again.text
    user.password = NEW_PASSWORD
    fresh = StrictRP(directory, directory.add_client())
    assert Page(fresh.log_in(fresh.start(), user)).title == "Choose how to verify"


def test_a_reset_link_expires(directory, mail, provider_clock):
    admin = directory.add_user(totp=True, admin=True)
    user = directory.add_user(email_verified=True)
    agent, _ = open_account_page(directory, admin, "/admin/")
    mail.clear()
    press(agent, user_page(agent, directory, user.username), "reset_link")
    link = reset_link(mail, user.email)
    provider_clock(7 * 24 * 3600 + 1)
    response = Agent(directory.live.url).get(link)
    assert response.status_code == 410 and "has expired" in response.text


def test_a_newer_link_replaces_the_older_one_and_bad_tokens_are_410(directory, mail):
    admin = directory.add_user(totp=True, admin=True)
    user = directory.add_user(email_verified=True)
    agent, _ = open_account_page(directory, admin, "/admin/")
    mail.clear()
    press(agent, user_page(agent, directory, user.username), "reset_link")
    first = reset_link(mail, user.email)
    press(agent, user_page(agent, directory, user.username), "reset_link")
    second = reset_link(mail, user.email)
    assert first != second
    assert Agent(directory.live.url).get(first).status_code == 410
    for token in ("x", "a" * 101, "%00", "..%2F"):
        response = Agent(directory.live.url).get(f"{directory.issuer}/reset/{token}")
        assert response.status_code in (404, 410), response.status_code
    response = choose(Agent(directory.live.url), second, "short")
    assert response.status_code == 400 and Page(response).soup.find(id="new_password-error")
    assert Agent(directory.live.url).get(second).status_code == 200  # still unused


def test_no_link_without_a_proven_email_address(directory, mail):
    admin = directory.add_user(totp=True, admin=True)
    user = directory.add_user(email_verified=False)
    agent, _ = open_account_page(directory, admin, "/admin/")
    page = user_page(agent, directory, user.username)
    assert "this user has none" in page.soup.find(id="reset-link-help").get_text(" ")
    mail.clear()
    response = press(agent, page, "reset_link")
    assert response.status_code == 400
    assert "no proven email address" in Page(response).text
    assert mail.messages == [] and audit_events(directory, "admin.reset_link_sent") == []


def test_the_admin_api_sends_a_link_with_the_service_account_as_actor(directory, mail):
    api = service_api(directory)
    user = directory.add_user(email_verified=True)
    unproven = directory.add_user()
    mail.clear()
    response = api.post(f"/users/{stored_user(directory, user.username).id}/password-reset")
    assert response.status_code == 200
    assert response.json() == {"reset_link": {"sent": True, "email": user.email}}
    assert "/reset/" in reset_link(mail, user.email)
    (event,) = audit_events(directory, "admin.reset_link_sent")
    assert event.detail["actor_client"] == api.client.client_id
    refused = api.post(f"/users/{stored_user(directory, unproven.username).id}/password-reset")
    assert "proven email" in assert_api_error(refused, 409, "reset_link_refused")[
        "error_description"]
    assert api.get("/settings").json()["reset_level"] == 30


# -- the reset level on the settings page -------------------------------------------------


def test_the_settings_page_sets_the_reset_level_and_refuses_a_weaker_one(directory, mail):
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin, "/admin/settings")
    field = page.soup.find(id="reset_level")
    assert field is not None and field.get("value", "") == ""
    assert "Now: 30." in page.soup.find(id="reset_level-help").get_text(" ")

    low = agent.submit(page, "Save", fields={"reset_level": "20"})
    assert low.status_code == 400
    assert "at least the required level" in Page(low).soup.find(id="reset_level-error").text
    high = agent.submit(page, "Save", fields={"reset_level": "999"})
    assert high.status_code == 400
    assert "at most" in Page(high).soup.find(id="reset_level-error").text
    junk = agent.submit(page, "Save", fields={"reset_level": "forty"})
    assert junk.status_code == 400

    saved = Page(agent.submit(page, "Save", fields={"reset_level": "40"}))
    assert saved.status == 200 and saved.soup.find(id="reset_level")["value"] == "40"
    changed = audit_events(directory, "settings.changed")[-1]
    assert changed.detail["before"]["reset_level"] is None
    assert changed.detail["after"]["reset_level"] == 40

    # A reset now needs 40 without the password: an email code alone is far from it.
    user = directory.add_user(email_verified=True, totp=True)
    rp = StrictRP(directory, directory.add_client())
    code_page = ask_reset(rp, user.username)
    stepup = Page(rp.agent.submit(code_page, "Continue", by_label={
        "Code": mailed_code(mail, user.email)}))
    assert "You have 10 of the 40 points" in stepup.text
