"""Browser sessions end when unused for the idle timeout or at their absolute lifetime, both set
per directory by its admin (NIST SP 800-63B-4: at most 24 hours and 1 hour idle for
multi-factor sessions); an ended session is simply not found and the login asks again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AuditEvent
from idp.tenants.directories import get_directory, session_lifetimes, update_session_lifetimes
from tests.protocol._helpers import authorization_error
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import assert_sane

MINUTE = 60
PATH = "/admin/policies"
SAVE = "Save policies"
HOURS, IDLE = "Session lifetime (hours)", "Idle timeout (minutes)"


def lifetimes_of(directory) -> tuple[int, int]:
    with directory.live.app.app_context():
        lifetimes = session_lifetimes(get_directory(directory.slug))
        return lifetimes.hours, lifetimes.idle_minutes


def set_lifetimes(directory, hours: int, idle_minutes: int) -> None:
    with directory.live.app.app_context():
        update_session_lifetimes(get_directory(directory.slug), hours, idle_minutes)
        db.session.commit()


def logged_in(agent: Agent, directory) -> bool:
    page = Page(agent.get(f"{directory.issuer}/account/"))
    if page.title == "Your account":
        return True
    assert page.title.startswith("Log in"), page.text[:300]
    return False


def test_a_session_unused_for_an_hour_asks_for_the_login_again(directory, provider_clock):
    user = directory.add_user(totp=True)
    agent, _page = open_account_page(directory, user)
    provider_clock(59 * MINUTE)
    assert logged_in(agent, directory)
    provider_clock(59 * MINUTE)  # an hour and 58 minutes in, used 59 minutes ago
    assert logged_in(agent, directory)
    provider_clock(60 * MINUTE)
    assert not logged_in(agent, directory)


def test_an_idle_session_gives_apps_no_single_sign_on(directory, provider_clock):
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, directory.add_client())
    assert "code" in rp.sign_in(user)
    provider_clock(61 * MINUTE)
    assert authorization_error(rp, rp.start(prompt="none"))["error"] == "login_required"


def test_a_used_session_ends_at_the_directorys_absolute_lifetime(directory, provider_clock):
    set_lifetimes(directory, 2, 60)
    user = directory.add_user(totp=True)
    agent, _page = open_account_page(directory, user)
    for _ in range(2):
        provider_clock(50 * MINUTE)
        assert logged_in(agent, directory)
    provider_clock(20 * MINUTE)  # two hours after the login, used 20 minutes ago
    assert not logged_in(agent, directory)


def test_a_shorter_idle_timeout_holds_for_sessions_already_open(directory, provider_clock):
    user = directory.add_user(totp=True)
    agent, _page = open_account_page(directory, user)
    set_lifetimes(directory, 12, 15)
    provider_clock(14 * MINUTE)
    assert logged_in(agent, directory)
    provider_clock(15 * MINUTE)
    assert not logged_in(agent, directory)


# The admin's policies page.

def admin_page(directory) -> tuple[Agent, Page]:
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin, PATH)
    assert page.title == "Policies", page.text[:300]
    return agent, page


def test_the_policies_page_shows_the_defaults_inside_nists_multi_factor_limits(directory):
    _agent, page = admin_page(directory)
    assert page.soup.find(id="session_hours")["value"] == "12"
    assert page.soup.find(id="idle_minutes")["value"] == "60"
    assert "at least every 24 hours and after at most 60 minutes" in page.text
    assert page.soup.find(id="sessions-beyond-aal2") is None


def test_an_admin_saves_session_lifetimes_and_they_are_audited(directory):
    agent, page = admin_page(directory)
    response = agent.submit(page, SAVE, by_label={HOURS: "8", IDLE: "15"})
    assert_sane(response)
    page = Page(response)
    assert "also for the sessions open now" in page.text
    assert lifetimes_of(directory) == (8, 15)
    assert page.soup.find(id="session_hours")["value"] == "8"
    with directory.live.app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == get_directory(directory.slug).id,
            AuditEvent.event == "settings.policies_changed")).all()
        assert [(e.detail["before"], e.detail["after"]) for e in events] == [
            ({"session_hours": 12, "idle_minutes": 60}, {"session_hours": 8, "idle_minutes": 15})]


def test_lifetimes_beyond_nists_multi_factor_limits_are_kept_with_a_warning(directory):
    agent, page = admin_page(directory)
    page = Page(agent.submit(page, SAVE, by_label={HOURS: "48", IDLE: "120"}))
    assert lifetimes_of(directory) == (48, 120)
    assert page.soup.find(id="sessions-beyond-aal2") is not None


BAD_LIFETIMES = {
    "no hours": ("0", "60", "session_hours", "from 1 to 720"),
    "over 30 days": ("721", "60", "session_hours", "from 1 to 720"),
    "hours not a number": ("twelve", "60", "session_hours", "from 1 to 720"),
    "fractional hours": ("1.5", "60", "session_hours", "from 1 to 720"),
    "empty hours": ("", "60", "session_hours", "from 1 to 720"),
    "idle under 5 minutes": ("12", "4", "idle_minutes", "from 5 to 1440"),
    "idle over a day": ("12", "1441", "idle_minutes", "from 5 to 1440"),
    "idle longer than the session": ("1", "90", "idle_minutes",
                                     "cannot be longer than the session lifetime"),
    "huge number": ("9" * 40, "60", "session_hours", "from 1 to 720"),
}


@pytest.mark.parametrize("case", BAD_LIFETIMES.values(), ids=BAD_LIFETIMES.keys())
def test_lifetimes_out_of_bounds_are_refused_with_a_clear_message(directory, case):
    hours, idle, field, message = case
    agent, page = admin_page(directory)
    response = agent.submit(page, SAVE, fields={"session_hours": hours, "idle_minutes": idle})
    assert response.status_code == 400
    assert_sane(response)
    error = Page(response).soup.find(id=f"{field}-error")
    assert error is not None and message in error.get_text(), Page(response).text[:500]
    assert lifetimes_of(directory) == (12, 60)


@pytest.mark.parametrize("extra", [{"required_level": "10"}, {"session_hours": ["8", "9"]}],
                         ids=["a field of the other form", "a value twice"])
def test_unexpected_session_form_fields_are_refused(directory, extra):
    agent, page = admin_page(directory)
    csrf = page.soup.find("input", {"name": "csrf_token"})["value"]
    data = {"csrf_token": csrf, "session_hours": "8", "idle_minutes": "15", **extra}
    response = agent.http.post(f"{directory.issuer}{PATH}", data=data, timeout=30)
    assert response.status_code == 400
    assert_sane(response)
    assert lifetimes_of(directory) == (12, 60)


def test_only_an_admin_may_set_session_lifetimes(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    csrf = page.soup.find("input", {"name": "csrf_token"})["value"]
    response = agent.http.post(f"{directory.issuer}{PATH}", timeout=30,
                               data={"csrf_token": csrf, "session_hours": "720",
                                     "idle_minutes": "1440"})
    assert response.status_code == 403
    assert lifetimes_of(directory) == (12, 60)
