"""A disabled account at the login: told it is disabled after the right password (or its
passkey) only, and recorded as its own audit event, not as a failed password."""

from __future__ import annotations

from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AuditEvent, User
from idp.tenants.directories import get_directory
from tests.support.agent import Page
from tests.support.live import new_directory
from tests.support.soft_authenticator import SoftAuthenticator
from tests.web.helpers import new_rp
from tests.web.test_web_admin_users import admin_agent, user_page
from tests.web.test_web_passkeys import browser, enrol, login_with_passkey

DISABLED = "Your account is disabled"
WRONG = "The username or password is not right."


def disable(directory, user, support_email: str | None = None) -> None:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        row.disabled = True
        if support_email:
            get_directory(directory.slug).support_email = support_email
        db.session.commit()


def events_of(directory, user) -> list[str]:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return list(db.session.scalars(select(AuditEvent.event).where(
            AuditEvent.user_id == row.id).order_by(AuditEvent.id)))


def log_in(directory, user, password: str) -> Page:
    rp = new_rp(directory, directory.add_client())
    return Page(rp.agent.submit(Page(rp.start()), "Log in", by_label={
        "Username or email": user.username, "Password": password}))


def test_a_disabled_user_with_the_right_password_is_told_the_account_is_disabled(directory):
    user = directory.add_user(totp=True)
    disable(directory, user, support_email="helpdesk@example.org")

    page = log_in(directory, user, user.password)

    assert page.status == 403
    assert page.title.startswith("Log in")
    alert = page.soup.find(id="form-error").get_text(" ", strip=True)
    assert DISABLED in alert and WRONG not in page.text
    assert "helpdesk@example.org" in page.soup.select_one(".support").get_text(" ", strip=True)
    assert events_of(directory, user) == ["login.disabled"]


def test_a_wrong_password_of_a_disabled_account_reveals_nothing(directory):
    user = directory.add_user(totp=True)
    disable(directory, user)

    page = log_in(directory, user, "not the password")

    assert page.status == 400
    assert WRONG in page.text and DISABLED not in page.text
    assert events_of(directory, user) == ["login.failed"]


def test_the_admin_sees_the_refused_login_of_a_disabled_user_as_such(directory):
    user = directory.add_user(totp=True)
    disable(directory, user)
    log_in(directory, user, user.password)

    _admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, user.username)

    rows = [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in page.soup.select("table.logins tbody tr")]
    assert rows and rows[0][1] == "Refused: the account is disabled"
    audit = Page(agent.get(f"{directory.issuer}/admin/audit?event=login.disabled"))
    assert "Login refused: the account is disabled" in audit.soup.select_one(
        "table tbody tr").get_text(" ", strip=True)


def test_a_disabled_user_with_their_passkey_is_told_the_account_is_disabled(localhost_live):
    directory = new_directory(localhost_live)
    client = directory.add_client()
    user = directory.add_user()
    authenticator = SoftAuthenticator("ES256")
    enrol(browser(directory, client), user, authenticator)
    disable(directory, user)

    _page, response = login_with_passkey(browser(directory, client), authenticator)

    assert response.status_code == 403
    assert DISABLED in Page(response).soup.find(id="form-error").get_text(" ", strip=True)
    assert events_of(directory, user)[-1] == "login.disabled"
