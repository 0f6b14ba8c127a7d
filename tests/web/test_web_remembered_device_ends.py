"""Remembered devices end with the account's access: an admin's "Log out everywhere" and
"Disable" forget them too; the profile marks this browser among them and tells apart
browsers of the same name."""

from __future__ import annotations

import pytest

from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.support.rp import StrictRP
from tests.web.test_web_admin_users import (
    admin_agent,
    audit_events,
    press,
    press_confirmed,
    user_page,
)
from tests.web.test_web_remembered_device import (
    FIREFOX,
    devices,
    log_in_remembering,
    new_login,
)


@pytest.fixture
def rp(directory):
    directory.set_levels(device=10)
    rp = StrictRP(directory, directory.add_client())
    rp.agent.http.headers["User-Agent"] = FIREFOX
    return rp


@pytest.fixture
def user(directory):
    return directory.add_user(totp=True)


def second_step_asked(rp, user) -> bool:
    """Log in again with the password; say whether the login asks for another check."""
    return Page(rp.log_in(rp.start(), user)).title == "Choose how to verify"


def test_logging_a_user_out_everywhere_forgets_their_remembered_devices(
        rp, app, directory, user):
    log_in_remembering(rp, user)
    _admin, agent, _page = admin_agent(directory)

    press(agent, user_page(agent, directory, user.username), "end_sessions")

    assert all(d.revoked_at is not None for d in devices(app, directory, user))
    assert audit_events(directory, "admin.sessions_ended")[-1].detail["devices"] == 1
    new_login(rp, directory)
    assert second_step_asked(rp, user)


def test_disabling_a_user_forgets_their_remembered_devices(rp, app, directory, user):
    log_in_remembering(rp, user)
    _admin, agent, _page = admin_agent(directory)

    page = Page(press_confirmed(agent, user_page(agent, directory, user.username), "disable"))
    press(agent, page, "enable")

    assert all(d.revoked_at is not None for d in devices(app, directory, user))
    assert audit_events(directory, "admin.user_disabled")[-1].detail["devices"] == 1
    new_login(rp, directory)
    assert second_step_asked(rp, user)


def device_rows(page: Page) -> list[str]:
    return [tr.get_text(" ", strip=True) for tr in page.soup.select("#devices tbody tr")]


def test_the_profile_marks_this_browser_among_devices_of_the_same_name(
        directory, user, provider_clock):
    directory.set_levels(device=10)
    first = StrictRP(directory, directory.add_client())
    second = StrictRP(directory, directory.add_client())
    for rp in (first, second):
        rp.agent.http.headers["User-Agent"] = FIREFOX
        log_in_remembering(rp, user)
        provider_clock(30)  # the next TOTP code for the next browser

    _agent, page = open_account_page(directory, user, agent=first.agent)
    rows = device_rows(page)
    assert len(rows) == 2 and all(row.startswith("Firefox on Linux") for row in rows)
    marked = [row for row in rows if "(This browser)" in row]
    assert len(marked) == 1 and "127.0.0.1" in marked[0]
    assert len(set(rows)) == 2  # when each was remembered and used tells them apart

    _agent, other = open_account_page(directory, user, agent=second.agent)
    assert [r for r in device_rows(other) if "(This browser)" in r] != marked
