"""Active sessions and remembered devices on the profile: end one, end the others, forget one;
only the person's own."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from sqlalchemy import select

from idp.clock import now
from idp.storage import db
from idp.storage.models import AuditEvent, BrowserSession, RememberedDevice, User
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.web.helpers import assert_error_page


def audited(directory, user, event: str) -> list[dict]:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return [e.detail for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.user_id == row.id, AuditEvent.event == event).order_by(AuditEvent.id))]


def session_rows(page: Page) -> list[str]:
    return [tr.get_text(" ", strip=True) for tr in page.soup.select("#sessions tbody tr")]


def press_in_row(agent: Agent, page: Page, table: str, text: str):
    """Press the button in the row of `table` whose text holds `text`."""
    for row in page.soup.select(f"#{table} tbody tr"):
        if text in row.get_text(" ", strip=True):
            form = row.find("form")
            data = {tag["name"]: tag.get("value", "") for tag in form.find_all("input")}
            return agent.follow(agent.http.post(urljoin(page.url, form["action"]), data=data,
                                                allow_redirects=False, timeout=30))
    raise AssertionError(f"no row with {text!r} in #{table}")


def two_browsers(directory, user, provider_clock) -> tuple[Agent, Agent]:
    """Log the user in twice: a phone's browser first, then this one."""
    phone = Agent(directory.live.url)
    phone.http.headers["User-Agent"] = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Mobile Safari/537.36")
    open_account_page(directory, user, agent=phone)
    provider_clock(30)  # the second login needs the next authenticator code
    agent, _page = open_account_page(directory, user)
    return phone, agent


def test_a_user_ends_another_session_and_that_browser_is_logged_out(directory,
                                                                    provider_clock):
    user = directory.add_user(totp=True)
    phone, agent = two_browsers(directory, user, provider_clock)
    page = Page(agent.get(f"{directory.issuer}/account/"))
    rows = session_rows(page)
    assert len(rows) == 2 and "This browser" in rows[0]
    assert any("Chrome Mobile on Android" in row for row in rows)

    page = Page(press_in_row(agent, page, "sessions", "Android"))
    assert page.title == "Your account"
    assert len(session_rows(page)) == 1
    assert Page(phone.get(f"{directory.issuer}/account/")).title.startswith("Log in")
    assert Page(agent.get(f"{directory.issuer}/account/")).title == "Your account"
    [ended] = audited(directory, user, "session.ended")
    assert ended["current"] is False


def test_ending_all_other_sessions_keeps_this_one(directory, provider_clock):
    user = directory.add_user(totp=True)
    phone, agent = two_browsers(directory, user, provider_clock)
    page = Page(agent.get(f"{directory.issuer}/account/"))
    page = Page(agent.submit(page, "End all other sessions"))
    assert "1 other session was ended." in page.text
    assert Page(phone.get(f"{directory.issuer}/account/")).title.startswith("Log in")
    assert audited(directory, user, "session.ended") == [{"others": True, "count": 1}]


def test_ending_this_browsers_own_session_logs_it_out(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    page = Page(press_in_row(agent, page, "sessions", "This browser"))
    assert page.title == "You are logged out"
    assert Page(agent.get(f"{directory.issuer}/account/")).title.startswith("Log in")
    assert audited(directory, user, "session.ended")[0]["current"] is True


def test_a_confirmation_page_answers_a_get_of_each_ending(directory, provider_clock):
    user = directory.add_user(totp=True)
    _phone, agent = two_browsers(directory, user, provider_clock)
    with directory.live.app.app_context():
        ids = db.session.scalars(select(BrowserSession.id).join(User).where(
            User.subject == user.subject)).all()
    page = Page(agent.get(f"{directory.issuer}/account/sessions/{min(ids)}/end"))
    assert page.title == "End this session?"
    page = Page(agent.get(f"{directory.issuer}/account/sessions/end-others"))
    assert page.title == "End all other sessions?"


def test_another_users_session_is_not_found_and_stays(directory, provider_clock):
    victim = directory.add_user(totp=True)
    victim_agent, _ = open_account_page(directory, victim)
    with directory.live.app.app_context():
        [victim_session] = db.session.scalars(select(BrowserSession.id).join(User).where(
            User.subject == victim.subject)).all()
    provider_clock(30)
    intruder = directory.add_user(totp=True)
    agent, page = open_account_page(directory, intruder)
    url = f"{directory.issuer}/account/sessions/{victim_session}/end"
    assert_error_page(agent.get(url), 404, "not_found")
    token = page.soup.find("input", {"name": "csrf_token"})["value"]
    assert_error_page(agent.http.post(url, data={"csrf_token": token}), 404, "not_found")
    assert Page(victim_agent.get(f"{directory.issuer}/account/")).title == "Your account"


@pytest.fixture
def remembered(directory):
    """Turn remembered devices on; return a function that remembers a device for a user."""
    directory.set_levels(device=10)

    def remember(user, name: str = "Firefox on Linux") -> int:
        with directory.live.app.app_context():
            row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
            device = RememberedDevice(directory_id=row.directory_id, user_id=row.id,
                                      token_hash=f"{name}-{row.id}".ljust(64, "0")[:64],
                                      name=name, created_at=now(), last_used_at=now(),
                                      expires_at=now() + 86400)
            db.session.add(device)
            db.session.commit()
            return device.id

    return remember


def test_a_user_forgets_a_remembered_device(directory, remembered):
    user = directory.add_user(totp=True)
    remembered(user, "Firefox on Linux")
    agent, page = open_account_page(directory, user)
    assert "Firefox on Linux" in page.soup.select_one("#devices").get_text()
    page = Page(press_in_row(agent, page, "devices", "Firefox on Linux"))
    assert "The device was forgotten: Firefox on Linux." in page.text
    assert page.soup.select_one("#devices") is None
    assert audited(directory, user, "device.revoked") == [{"device": "Firefox on Linux"}]


def test_another_users_remembered_device_is_not_found(directory, remembered):
    victim = directory.add_user(totp=True)
    device_id = remembered(victim, "Safari on iOS")
    intruder = directory.add_user(totp=True)
    agent, page = open_account_page(directory, intruder)
    url = f"{directory.issuer}/account/devices/{device_id}/forget"
    assert_error_page(agent.get(url), 404, "not_found")
    token = page.soup.find("input", {"name": "csrf_token"})["value"]
    assert_error_page(agent.http.post(url, data={"csrf_token": token}), 404, "not_found")
    with directory.live.app.app_context():
        assert db.session.get(RememberedDevice, device_id).revoked_at is None
