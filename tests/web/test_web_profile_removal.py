"""Removing a sign-in method is always confirmed (without JavaScript), and the pages say what
happens to the contact details: the number or address codes went to stays, unproven;
proving an address or number says beforehand and afterwards that its codes become a
sign-in method, also on an invitation."""

from __future__ import annotations

from urllib.parse import urljoin

from sqlalchemy import select

from idp.storage import db
from idp.storage.models import Credential, User
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.support.live import new_mobile
from tests.web.test_web_admin_users import admin_agent, invitation_link, invite
from tests.web.test_web_profile import CODE, plain
from tests.web.test_web_profile_methods import count, method_rows, notice_of, remove


def stored(directory, user) -> User:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        db.session.expunge(row)
        return row


def test_removing_a_method_the_level_does_not_need_still_asks_first(directory):
    user = directory.add_user(totp=True, phone=new_mobile())
    directory.set_levels(20)
    agent, page = open_account_page(directory, user)
    row = next(r for r in page.soup.select("#methods tbody tr")
               if "Authenticator app" in r.get_text())
    assert row.find("form") is None  # a link to the question, not a one-click button

    # The removal form posted without its confirmation (as the old button did) only asks.
    token = page.soup.find("input", {"name": "csrf_token"})["value"]
    action = urljoin(page.url, row.find("a", href=lambda h: h and h.endswith("/remove"))["href"])
    asked = Page(agent.follow(agent.http.post(action, data={"csrf_token": token},
                                              allow_redirects=False, timeout=30)))
    assert asked.status == 200, asked.text[:400]
    assert asked.title == "Remove authenticator app?"
    assert count(directory, user, Credential, Credential.method == "totp") == 1

    page = Page(agent.submit(Page(remove(agent, page, "Authenticator app")), "Remove"))
    assert page.title == "Your account" and "Removed: Authenticator app." in notice_of(page)
    assert count(directory, user, Credential, Credential.method == "totp") == 0


def test_removing_text_message_codes_says_the_number_stays_and_keeps_it(directory, gateway):
    phone = new_mobile()
    user = directory.add_user(totp=True, phone=phone)
    agent, page = open_account_page(directory, user)

    confirm = Page(remove(agent, page, "Text message code"))
    note = confirm.soup.find(id="removal-note").get_text(" ", strip=True)
    assert f"Your mobile number {phone} stays on your account" in note
    assert "not proven" in note
    page = Page(agent.submit(confirm, "Remove"))

    assert not any(r.startswith("Text message code") for r in method_rows(page))
    row = stored(directory, user)
    assert row.phone == phone and not row.phone_verified
    details = page.soup.select_one("dl.details").get_text(" ", strip=True)
    assert phone in details and "not proven" in details


def test_removing_email_codes_says_the_address_stays(directory):
    user = directory.add_user(totp=True)
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        row.email_verified = True
        db.session.commit()
    agent, page = open_account_page(directory, user)

    confirm = Page(remove(agent, page, "Email code"))

    note = confirm.soup.find(id="removal-note").get_text(" ", strip=True)
    assert f"Your email address {user.email} stays on your account" in note
    page = Page(agent.submit(confirm, "Remove"))
    assert stored(directory, user).email == user.email


def test_proving_an_email_address_says_that_its_codes_become_a_sign_in_method(
        directory, mail):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/email")
    assert "a code sent to it is also one of your sign-in methods" in page.soup.find(
        id="turns-on").get_text(" ", strip=True)

    page = Page(agent.submit(page, "Send the code", by_label={"Email address": user.email}))
    code = CODE.search(plain(mail.wait_for(user.email))).group(1)
    page = Page(agent.submit(page, "Verify and save", by_label={"Code": code}))

    assert "Email codes are now one of your sign-in methods" in notice_of(page)
    assert any(r.startswith("Email code") for r in method_rows(page))


def test_an_invitation_says_that_it_turns_email_codes_on(directory, mail):
    _admin, agent, _page = admin_agent(directory)
    email = "invited.person@example.org"
    invite(agent, directory, email=email)

    page = Page(agent.get(invitation_link(mail, email)))

    assert page.title == "Set your password"
    text = page.soup.find(id="turns-on").get_text(" ", strip=True)
    assert email in text and "one of your sign-in methods" in text
