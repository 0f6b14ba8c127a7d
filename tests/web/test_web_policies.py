"""A directory's policies on its admin page: each takes effect where it rules (the password
form, failed attempts, token responses, remembered devices), bad values are refused field
by field, changes are audited, and only an admin may make them. An admin sees that a user
is locked out after failed attempts and can unlock them."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AuditEvent
from idp.tenants.directories import get_directory
from idp.tenants.policies import directory_policies
from tests.protocol._helpers import signed_in
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import assert_sane, enter_code, step_up_page

PATH = "/admin/policies"
SAVE = "Save policies"
DAY = 86400


def admin_page(directory) -> tuple[Agent, Page]:
    admin = directory.add_user(totp=True, admin=True)
    agent, page = open_account_page(directory, admin, PATH)
    assert page.title == "Policies", page.text[:300]
    return agent, page


def save(directory, **values: str) -> Page:
    """Save the policies page with `values` changed, as an admin; return the page after."""
    agent, page = admin_page(directory)
    response = agent.submit(page, SAVE, fields=values)
    assert_sane(response)
    assert response.status_code == 200, Page(response).text[:500]
    return Page(response)


def policy(directory, name: str):
    with directory.live.app.app_context():
        return directory_policies(get_directory(directory.slug))[name]


def events(directory, name: str) -> list[AuditEvent]:
    with directory.live.app.app_context():
        found = db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == get_directory(directory.slug).id,
            AuditEvent.event == name)).all()
        db.session.expunge_all()
        return list(found)


# -- the page ---------------------------------------------------------------------------


def test_the_page_shows_each_policy_with_its_default_and_what_it_means(directory):
    _agent, page = admin_page(directory)
    values = {name: page.soup.find(id=name).get("value") for name in (
        "password_min_length", "access_token_minutes", "refresh_token_days",
        "refresh_absolute_days", "device_days", "session_hours", "idle_minutes",
        "longest_lockout_hours")}
    assert values == {"password_min_length": "8", "access_token_minutes": "60",
                      "refresh_token_days": "30", "refresh_absolute_days": "90",
                      "device_days": "90", "session_hours": "12", "idle_minutes": "60",
                      "longest_lockout_hours": "24"}
    assert page.soup.find(id="password_common_check").has_attr("checked")
    help_text = page.soup.find(id="password_min_length-help").get_text(" ", strip=True)
    assert "NIST SP 800-63B asks at least 8, and 15" in help_text
    assert "Default: 8 characters." in help_text
    assert "(the installation's setting)" in page.soup.find(
        id="access_token_minutes-help").get_text()
    # The tests' installation locks for a minute: one minute, in the singular.
    assert "Default: 1 minute (the installation's setting)." in page.soup.find(
        id="lockout_minutes-help").get_text(" ", strip=True)
    link = page.soup.find(id="destinations-link")
    assert link["href"].endswith("/admin/settings#sms")
    nav = [a.get_text(strip=True) for a in page.soup.find("nav").find_all("a")]
    assert nav.index("Policies") == nav.index("Authentication") + 1


def test_saving_nothing_changed_records_nothing(directory):
    page = save(directory)
    assert "Nothing changed" in page.text
    assert events(directory, "settings.policies_changed") == []


def test_only_an_admin_may_change_the_policies(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    csrf = page.soup.find("input", {"name": "csrf_token"})["value"]
    response = agent.http.post(f"{directory.issuer}{PATH}", timeout=30, data={
        "csrf_token": csrf, "access_token_minutes": "5"})
    assert response.status_code == 403
    assert policy(directory, "access_token_minutes") == 60
    assert agent.get(f"{directory.issuer}{PATH}").status_code == 403


def test_a_change_without_the_csrf_token_is_refused(directory):
    agent, _page = admin_page(directory)
    response = agent.http.post(f"{directory.issuer}{PATH}", timeout=30,
                               data={"access_token_minutes": "5"})
    assert response.status_code == 400
    assert policy(directory, "access_token_minutes") == 60


BAD_VALUES = {
    "password shorter than NIST's least": ("password_min_length", "7", "from 8 to 64"),
    "password length too long": ("password_min_length", "65", "from 8 to 64"),
    "not a number": ("failure_limit", "ten", "from 1 to 100"),
    "no attempts": ("failure_limit", "0", "from 1 to 100"),
    "negative": ("access_token_minutes", "-5", "from 1 to 1440"),
    "fraction": ("access_token_minutes", "1.5", "from 1 to 1440"),
    "access token over a day": ("access_token_minutes", "1441", "from 1 to 1440"),
    "huge number": ("device_days", "9" * 40, "from 1 to 400"),
    "empty": ("device_days", "", "from 1 to 400"),
    "device over 400 days": ("device_days", "401", "from 1 to 400"),
    "session over 30 days": ("session_hours", "721", "from 1 to 720"),
    "idle under 5 minutes": ("idle_minutes", "4", "from 5 to 1440"),
}


@pytest.mark.parametrize("case", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_value_out_of_bounds_is_refused_on_its_field(directory, case):
    name, typed, message = case
    agent, page = admin_page(directory)
    response = agent.submit(page, SAVE, fields={name: typed, "access_token_minutes": "30"}
                            if name != "access_token_minutes" else {name: typed})
    assert response.status_code == 400
    assert_sane(response)
    error = Page(response).soup.find(id=f"{name}-error")
    assert error is not None and message in error.get_text(), Page(response).text[:500]
    assert Page(response).soup.find(id=name)["aria-invalid"] == "true"
    assert policy(directory, "access_token_minutes") == 60  # nothing saved
    assert events(directory, "settings.policies_changed") == []


DISAGREEING = {
    "refresh idle past absolute": ({"refresh_token_days": "100"}, "refresh_token_days",
                                   "cannot be longer than its absolute lifetime"),
    "first lock-out past the longest": ({"lockout_minutes": "180", "longest_lockout_hours": "2"},
                                        "lockout_minutes", "cannot be longer than the longest"),
    "idle past the session": ({"session_hours": "1", "idle_minutes": "90"}, "idle_minutes",
                              "cannot be longer than the session lifetime"),
}


@pytest.mark.parametrize("case", DISAGREEING.values(), ids=DISAGREEING.keys())
def test_values_that_disagree_are_refused_with_a_clear_message(directory, case):
    values, field, message = case
    agent, page = admin_page(directory)
    response = agent.submit(page, SAVE, fields=values)
    assert response.status_code == 400
    error = Page(response).soup.find(id=f"{field}-error")
    assert error is not None and message in error.get_text(), Page(response).text[:500]
    assert policy(directory, "refresh_token_days") == 30
    assert policy(directory, "session_hours") == 12


@pytest.mark.parametrize("extra", [{"required_level": "10"}, {"device_days": ["8", "9"]}],
                         ids=["a field of another form", "a value twice"])
def test_unexpected_fields_are_refused(directory, extra):
    agent, page = admin_page(directory)
    csrf = page.soup.find("input", {"name": "csrf_token"})["value"]
    response = agent.http.post(f"{directory.issuer}{PATH}", timeout=30,
                               data={"csrf_token": csrf, "device_days": "8", **extra})
    assert response.status_code == 400
    assert_sane(response)
    assert policy(directory, "device_days") == 90


# -- each policy takes effect ---------------------------------------------------------


def test_a_shorter_access_token_lifetime_shows_in_the_token_response(directory):
    page = save(directory, access_token_minutes="5")
    assert "The policies were saved" in page.text
    tokens = signed_in(StrictRP(directory, directory.add_client()), directory.add_user(totp=True))
    assert tokens["expires_in"] == 300
    [event] = events(directory, "settings.policies_changed")
    assert (event.detail["before"], event.detail["after"]) == (
        {"access_token_minutes": 60}, {"access_token_minutes": 5})


def test_a_shorter_refresh_token_lifetime_ends_an_unused_refresh_token(directory,
                                                                        provider_clock):
    save(directory, refresh_token_days="2")
    rp = StrictRP(directory, directory.add_client())
    tokens = signed_in(rp, directory.add_user(totp=True))
    provider_clock(2 * DAY + 1)
    answer = rp.token_request({"grant_type": "refresh_token",
                               "refresh_token": tokens["refresh_token"]})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_longer_least_password_length_refuses_a_short_new_password(directory):
    save(directory, password_min_length="20")
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/password")
    assert "At least 20 characters" in page.soup.find(id="new-help").get_text()
    assert page.soup.find(id="new")["minlength"] == "20"
    response = agent.submit(page, "Change the password", by_label={
        "Current password": user.password, "New password": "short but unusual",
        "New password again": "short but unusual"})
    assert response.status_code == 400
    assert "at least 20 characters" in Page(response).soup.find(id="form-error").get_text()


def test_without_the_common_password_check_a_common_password_is_taken(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/password")
    common = "passwordpassword"

    def change() -> int:
        form = Page(agent.get(f"{directory.issuer}/account/password"))
        return agent.submit(form, "Change the password", by_label={
            "Current password": user.password, "New password": common,
            "New password again": common}).status_code

    assert change() == 400
    save(directory, password_common_check="")
    form = Page(agent.get(f"{directory.issuer}/account/password"))
    assert "not a common password" not in form.soup.find(id="new-help").get_text()
    assert policy(directory, "password_common_check") is False
    assert change() == 200


def test_a_shorter_remembered_device_lifetime_gives_a_shorter_cookie(directory):
    save(directory, device_days="7")
    directory.set_levels(device=10)
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user(totp=True)
    page = Page(rp.agent.get(step_up_page(rp, user).link("Continue with authenticator app")))
    assert rp.response_params(enter_code(rp, page, user.totp(), remember=True))["code"]
    cookie = next(c for c in rp.agent.http.cookies if c.name == f"idp-device-{directory.slug}")
    assert 6 * DAY < cookie.expires - time.time() <= 7 * DAY + 60


# -- failed attempts, the lock-out and the unlock -------------------------------------


def wrong_password(rp: StrictRP, login: str):
    page = Page(rp.start(prompt="login"))
    return rp.agent.submit(page, "Log in", by_label={"Username or email": login,
                                                     "Password": "not the password"})


def locked_out_user(directory):
    """A user whom a lower failure limit locked out after two wrong passwords."""
    save(directory, failure_limit="2")
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, directory.add_client())
    answers = [wrong_password(rp, user.username).status_code for _ in range(3)]
    assert answers == [400, 400, 429]
    return user, rp


def user_page(agent: Agent, directory, user) -> Page:
    users = Page(agent.get(f"{directory.issuer}/admin/users?q={user.username}"))
    return Page(agent.get(users.link(user.username)))


def test_a_lower_failure_limit_locks_sooner_and_the_admin_sees_until_when(directory):
    user, _rp = locked_out_user(directory)
    agent, _page = admin_page(directory)
    page = user_page(agent, directory, user)
    assert "Locked after failed attempts until" in page.soup.find(id="locked-out").get_text()


def test_an_admin_unlocks_a_locked_out_user_and_it_is_audited(directory):
    user, rp = locked_out_user(directory)
    agent, _page = admin_page(directory)
    response = agent.submit(user_page(agent, directory, user), "Unlock this user")
    assert_sane(response)
    page = Page(response)
    assert "is unlocked" in page.text
    assert page.soup.find(id="locked-out") is None
    assert wrong_password(rp, user.username).status_code == 400  # may try again
    [event] = events(directory, "admin.user_unlocked")
    assert event.detail["count"] == 1


def test_only_an_admin_may_unlock(directory):
    user, rp = locked_out_user(directory)
    other = directory.add_user(totp=True)
    agent, page = open_account_page(directory, other)
    csrf = page.soup.find("input", {"name": "csrf_token"})["value"]
    with directory.live.app.app_context():
        from idp.tenants.accounts import find_user
        user_id = find_user(get_directory(directory.slug), user.username).id
    response = agent.http.post(f"{directory.issuer}/admin/users/{user_id}", timeout=30,
                               data={"csrf_token": csrf, "action": "unlock"})
    assert response.status_code == 403
    assert wrong_password(rp, user.username).status_code == 429
    assert events(directory, "admin.user_unlocked") == []


def test_a_user_who_is_not_locked_shows_no_unlock(directory):
    user = directory.add_user(totp=True)
    agent, _page = admin_page(directory)
    page = user_page(agent, directory, user)
    assert page.soup.find(id="locked-out") is None
    with pytest.raises(AssertionError):  # no such button
        page.form_with_button("Unlock this user")


def test_a_longer_first_lock_out_makes_a_locked_source_wait_longer(directory):
    save(directory, failure_limit="2", lockout_minutes="45")
    user = directory.add_user(totp=True)
    rp = StrictRP(directory, directory.add_client())
    answers = [wrong_password(rp, user.username) for _ in range(3)]
    assert [a.status_code for a in answers] == [400, 400, 429]
    assert 44 * 60 <= int(answers[-1].headers["Retry-After"]) <= 45 * 60


def test_the_page_speaks_dutch_to_a_dutch_browser(directory):
    agent, _page = admin_page(directory)
    agent.http.headers["Accept-Language"] = "nl-NL,nl;q=0.9"
    page = Page(agent.get(f"{directory.issuer}{PATH}"))
    assert page.title == "Beleid"
    assert "Standaard: 8 tekens." in page.soup.find(id="password_min_length-help").get_text()
    response = agent.submit(page, "Beleid opslaan", fields={"device_days": "0"})
    assert response.status_code == 400
    assert Page(response).soup.find(id="device_days-error").get_text(strip=True) == \
        "Vul een geheel getal in van 1 tot en met 400."
