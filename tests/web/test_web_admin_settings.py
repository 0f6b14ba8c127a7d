"""The admin's authentication settings: the lock-out preview, refusals, saving, hostile input."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from idp.admin.census import take_census
from idp.clock import now
from idp.delivery import Delivery
from idp.domain import DEFAULT_POINTS, METHODS
from idp.methods import SmsCode
from idp.methods.one_time_codes import CodeService
from idp.services import services
from idp.storage import db
from idp.storage.models import AppDevice, AuditEvent, Credential, Passkey, User
from idp.tenants.directories import get_directory, level_settings
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.live import new_directory, new_mobile
from tests.web.helpers import assert_error_page, assert_sane

PATH = "/admin/settings"


def settings_of(directory) -> tuple[int, dict[str, int]]:
    with directory.live.app.app_context():
        levels = level_settings(get_directory(directory.slug))
        return levels.required_level, dict(levels.points)


def audit_events(directory, event: str = "settings.changed") -> list[AuditEvent]:
    with directory.live.app.app_context():
        directory_id = get_directory(directory.slug).id
        rows = db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == directory_id, AuditEvent.event == event)).all()
        db.session.expunge_all()
        return list(rows)


def user_id(directory, username: str) -> int:
    with directory.live.app.app_context():
        return db.session.scalars(select(User.id).where(
            User.directory_id == get_directory(directory.slug).id,
            User.username == username)).one()


def fields(level: int | None = None, **points: int) -> dict[str, str]:
    """Return the form's fields with the default settings changed as given."""
    values = {"required_level": str(30 if level is None else level)}
    values.update({f"points_{m}": str(points.get(m, DEFAULT_POINTS[m])) for m in METHODS})
    return values


def admin_page(directory, **user_options):
    """Open the settings page as a new admin (password + authenticator app)."""
    admin = directory.add_user(totp=True, admin=True, **user_options)
    agent, page = open_account_page(directory, admin, PATH)
    assert page.title == "Authentication settings", page.text[:300]
    return admin, agent, page


def listed(page: Page, list_id: str) -> list[str]:
    found = page.soup.find(id=list_id)
    assert found is not None, f"no #{list_id}: {page.text[:500]}"
    return [li.get_text(" ", strip=True) for li in found.find_all("li")]


def press(agent: Agent, page: Page, button: str, values: dict[str, str]) -> Page:
    response = agent.submit(page, button, fields=values)
    assert_sane(response)
    return Page(response)


# What the page shows.

def test_the_page_shows_the_current_settings_and_the_combinations_that_reach_them(directory):
    _admin, _agent, page = admin_page(directory)
    assert page.soup.find(id="required_level")["value"] == "30"
    assert page.soup.find(id=page.field_name("Authenticator app"))["value"] == "10"
    assert page.field_name("Passkey") == "points_passkey"
    assert page.field_name("Required level") == "required_level"
    rows = [tr.find("th").get_text(" ", strip=True)
            for tr in page.soup.select("#current-combinations tbody tr")]
    assert rows[:3] == ["Passkey", "Password + Text message code", "Password + Email code"]
    passkey = page.soup.select("#current-combinations tbody tr")[0]
    assert [td.get_text(strip=True) for td in passkey.find_all("td")] == [
        "30", "Yes", "Yes", "Neither"]
    sms = page.soup.select("#current-combinations tbody tr")[1]
    assert [td.get_text(strip=True) for td in sms.find_all("td")] == [
        "30", "Yes", "No", "Phone codes only"]
    assert "0 turns a method off" in page.text
    assert page.soup.find(id="preview") is None


def test_previewing_a_higher_level_lists_who_would_lose_access_and_saves_nothing(directory):
    ann = directory.add_user("ann", totp=True)
    bob = directory.add_user("bob", phone=new_mobile())
    directory.add_user("carl")  # a password only: cannot reach 30 today either
    directory.add_user("dora", totp=True, phone=new_mobile())  # 40 with both
    _admin, agent, page = admin_page(directory, phone=new_mobile())
    preview = press(agent, page, "Preview", fields(40))
    assert preview.status == 200 and preview.title == "Authentication settings"
    assert "Preview: level 40" in preview.text
    people = listed(preview, "can-enrol")
    assert any(p.startswith("Ann (ann)") for p in people), people
    assert any(p.startswith("Bob (bob)") for p in people), people
    assert not any("carl" in p or "dora" in p for p in people), people
    ann_line = next(p for p in people if p.startswith("Ann"))
    assert "passkey" in ann_line and "text message code" in ann_line  # 20 + 10 + 10
    assert "2 of the 5 active users" in preview.text  # the admin reaches 40: password, totp, sms
    assert preview.soup.find(id="you-lose") is None
    assert "1 user cannot reach the current level either" in preview.text
    # The form keeps what was typed; nothing was saved.
    assert preview.soup.find(id="required_level")["value"] == "40"
    assert settings_of(directory)[0] == 30
    assert audit_events(directory) == []
    assert ann.username and bob.username


def test_previewing_lower_points_lists_the_users_who_relied_on_that_method(directory):
    directory.add_user("erin", totp=True)
    directory.add_user("fred", phone=new_mobile())
    _admin, agent, page = admin_page(directory, phone=new_mobile())
    preview = press(agent, page, "Preview", fields(totp=5))
    people = listed(preview, "can-enrol")
    assert any(p.startswith("Erin (erin)") for p in people), people
    assert not any("fred" in p for p in people), people
    counts = {tr.th.get_text(strip=True): tr.td.get_text(strip=True)
              for tr in preview.soup.select("#enrol-counts tbody tr")}
    assert counts["Passkey"] == "1"  # erin; the admin keeps 35 with password, app and SMS


def test_users_with_nothing_to_enrol_that_helps_are_shown_as_locked_out(directory):
    directory.add_user("gina", totp=True)
    _admin, agent, page = admin_page(directory)
    # Only password, authenticator app and recovery codes count; codes are not enrolled
    # during a login, so 20 + 10 cannot become 40 for anyone who has no recovery codes.
    locked = fields(40, sms=0, email=0, app=0, passkey=0)
    preview = press(agent, page, "Preview", locked)
    people = listed(preview, "locked-out-people")
    assert any(p == "Gina (gina)" for p in people), people
    assert "an administrator would have to help them" in preview.text
    assert preview.soup.find(id="can-enrol") is None
    # The admin (password + app) would be locked out too, and is told so.
    assert preview.soup.find(id="you-lose") is not None


def test_disabled_users_are_not_counted(directory):
    directory.add_user("hank", totp=True)
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.username == "hank",
                                 User.directory_id == get_directory(directory.slug).id)).one()
        row.disabled = True
        db.session.commit()
    directory.add_user("iris", totp=True)
    _admin, agent, page = admin_page(directory, phone=new_mobile())
    preview = press(agent, page, "Preview", fields(40))
    assert [p.split(":")[0] for p in listed(preview, "can-enrol")] == ["Iris (iris)"]
    assert "hank" not in preview.text.lower()
    assert "1 of the 2 active users" in preview.text


def test_a_change_nobody_loses_by_says_so_in_plain_words(directory):
    directory.add_user("gail", totp=True)
    _admin, agent, page = admin_page(directory)
    preview = press(agent, page, "Preview", fields(20))
    summary = preview.soup.find(id="losing-summary").get_text(" ", strip=True)
    assert summary == ("Of the 2 active users, everyone who can reach the current level "
                       "could also reach level 20.")


def test_a_change_nobody_loses_by_says_so_of_a_single_user(directory):
    _admin, agent, page = admin_page(directory)  # the admin is the only user
    preview = press(agent, page, "Preview", fields(20))
    summary = preview.soup.find(id="losing-summary").get_text(" ", strip=True)
    assert summary == ("There is 1 active user; if they can reach the current level, they "
                       "could also reach level 20.")


def test_long_lists_show_fifty_names_and_count_the_rest(directory):
    with directory.live.app.app_context():
        directory_id = get_directory(directory.slug).id
        for i in range(57):
            name = f"bulk{i:02d}"
            db.session.add(User(directory_id=directory_id, subject=secrets.token_hex(16),
                                username=name, username_key=name, password_hash="x",
                                phone=new_mobile(), phone_verified=True, is_admin=False,
                                disabled=False, created_at=now(), updated_at=now()))
        db.session.commit()
    _admin, agent, page = admin_page(directory, phone=new_mobile())
    preview = press(agent, page, "Preview", fields(40))  # password + SMS: 30
    people = listed(preview, "can-enrol")
    assert len(people) == 50 and people[0].startswith("bulk00:")
    assert "and 7 more" in preview.text


# Refusals.

def test_a_level_no_combination_reaches_is_refused_with_a_clear_error(directory):
    _admin, agent, page = admin_page(directory)
    response = agent.submit(page, "Save", fields=fields(500))
    assert_sane(response)
    refused = Page(response)
    assert response.status_code == 400
    alert = refused.soup.find(id="form-error")
    assert alert is not None and alert.get("role") == "alert"
    assert "No combination of the enabled methods reaches level 500" in alert.get_text()
    assert settings_of(directory)[0] == 30
    # The preview says so too, without saving.
    preview = press(agent, refused, "Preview", fields(500))
    assert "No combination" in preview.soup.find(id="form-error").get_text()


def test_a_level_only_the_remembered_device_would_complete_is_refused(directory):
    _admin, agent, page = admin_page(directory)
    response = agent.submit(page, "Save", fields(121, device=20))  # 100 without the device
    assert_sane(response)
    assert response.status_code == 400 and settings_of(directory)[0] == 30


SMS_ONLY = fields(30, email=0, totp=0, app=0, passkey=0, recovery=0)


def test_a_level_only_sms_reaches_needs_a_confirmation_naming_who_it_excludes(directory):
    directory.add_user("ivy", totp=True)  # no mobile number
    directory.add_user("jack", phone=new_mobile())
    admin, agent, page = admin_page(directory, phone=new_mobile())
    response = agent.submit(page, "Save", fields=SMS_ONLY)
    assert_sane(response)
    refused = Page(response)
    assert response.status_code == 400
    assert "Confirm below" in refused.soup.find(id="form-error").get_text()
    excluded = listed(refused, "sms-excluded")
    assert "Ivy (ivy)" in excluded and not any("jack" in p for p in excluded)
    assert not any(admin.username in p for p in excluded)
    box = refused.soup.find(id="confirm_sms_only")
    assert box is not None and box.get("type") == "checkbox"
    assert "1 person listed" in refused.soup.find("label", attrs={"for": "confirm_sms_only"}).text
    assert settings_of(directory)[1]["totp"] == 10

    # A confirmation for another list of people does not count.
    tampered = agent.submit(refused, "Save", fields={**SMS_ONLY, "confirm_sms_only": "0" * 32})
    assert tampered.status_code == 400 and "changed" in Page(tampered).text
    assert settings_of(directory)[1]["totp"] == 10

    saved = agent.submit(refused, "Save", fields={**SMS_ONLY, "confirm_sms_only": box["value"]})
    assert_sane(saved)
    level, points = settings_of(directory)
    assert (level, points["totp"], points["passkey"], points["sms"]) == (30, 0, 0, 10)
    (event,) = audit_events(directory)
    assert event.detail["sms_only"] is True and event.detail["sms_excluded"] == 1


def test_a_confirmation_is_needed_even_when_everyone_has_a_mobile_number(directory):
    _admin, agent, page = admin_page(directory, phone=new_mobile())
    refused = agent.submit(page, "Save", fields=SMS_ONLY)
    assert refused.status_code == 400
    assert "Everyone has a proven mobile number" in Page(refused).text


# Saving.

def test_saving_writes_the_audit_event_and_takes_effect_for_the_next_login(directory):
    kim = directory.add_user("kim")  # a password only
    _agent, before = open_account_page(directory, kim)
    assert before.title == "Set up a way to verify"
    admin, agent, page = admin_page(directory)
    saved = Page(agent.submit(page, "Save", fields=fields(20, totp=15)))
    assert saved.status == 200 and saved.title == "Authentication settings"
    notice = saved.soup.find(class_="notice")
    assert notice is not None and notice.get("role") == "status"
    assert "A login now needs 20 points" in notice.get_text()
    assert saved.soup.find(id="required_level")["value"] == "20"
    (event,) = audit_events(directory)
    assert event.detail["actor"] == user_id(directory, admin.username)
    assert event.detail["before"]["required_level"] == 30
    assert event.detail["after"] == {"required_level": 20, "points": {
        "password": 20, "sms": 10, "email": 10, "voice": 0, "totp": 15, "token": 0, "app": 10,
        "passkey": 30, "recovery": 10, "device": 0}}
    assert event.user_id is None and event.ip
    # The password alone is enough now.
    _agent, after = open_account_page(directory, kim)
    assert after.title == "Your account", after.text[:300]


def test_an_admin_limits_how_long_a_method_counts_and_the_preview_says_so(directory):
    _admin, agent, page = admin_page(directory)
    label = page.soup.find("label", attrs={"for": "counts_for_totp"})
    assert label.get_text(" ", strip=True) == "Authenticator app counts for"
    assert label.find_parent("fieldset").legend.get_text(strip=True) == \
        "How long each method counts"
    values = {**fields(), "counts_for_totp": "10m", "counts_for_sms": "1h"}
    preview = press(agent, page, "Preview", values)
    aging = preview.soup.find(id="preview-aging").get_text(" ", strip=True)
    assert "Authenticator app counts for 10m" in aging and "asks for that method again" in aging
    saved = Page(agent.submit(preview, "Save", fields=values))
    assert saved.soup.find(id="counts_for_totp")["value"] == "10m"
    assert saved.soup.find(id="counts_for_password")["value"] == ""
    with directory.live.app.app_context():
        stored = level_settings(get_directory(directory.slug)).counts_for
    assert (stored["totp"], stored["sms"], stored["password"]) == (600, 3600, None)
    (event,) = audit_events(directory)
    assert event.detail["after"]["counts_for"]["totp"] == 600
    assert event.detail["before"]["counts_for"]["totp"] is None


@pytest.mark.parametrize("typed", ["2 weeks", "10", "30s", "400d", "-1h", "<b>1h</b>"])
def test_a_time_a_method_counts_that_is_not_one_is_marked(directory, typed):
    _admin, agent, page = admin_page(directory)
    refused = Page(_post(agent, page, _with({"counts_for_totp": typed})))
    assert refused.status == 400
    field = refused.soup.find(id="counts_for_totp")
    assert field["aria-invalid"] == "true"
    assert "90m, 12h, 30d" in refused.soup.find(id="counts_for_totp-error").get_text()
    assert "<b>1h" not in refused.text
    assert settings_of(directory) == (30, dict(DEFAULT_POINTS))


def test_saving_the_same_settings_changes_nothing_and_audits_nothing(directory):
    _admin, agent, page = admin_page(directory)
    saved = Page(agent.submit(page, "Save", fields=fields()))
    assert "Nothing changed" in saved.text
    assert audit_events(directory) == []


def test_admin_home_opens_the_settings(directory):
    admin = directory.add_user(totp=True, admin=True)
    _agent, page = open_account_page(directory, admin, "/admin/")
    assert page.title == "Authentication settings"


# Who may.

def test_a_user_without_the_admin_role_can_neither_see_nor_change_the_settings(directory):
    user = directory.add_user(totp=True)
    agent, profile = open_account_page(directory, user)
    assert_error_page(agent.get(directory.issuer + PATH), 403, "access_denied")
    csrf = profile.soup.find("input", attrs={"name": "csrf_token"})
    token = csrf["value"] if csrf else ""
    response = agent.http.post(directory.issuer + PATH, data={
        **fields(1, password=1), "csrf_token": token, "action": "save"},
        allow_redirects=False, timeout=30)
    assert response.status_code in (400, 403)
    assert_sane(response)
    assert settings_of(directory)[0] == 30


def test_a_stale_login_is_asked_again_before_anything_is_saved(directory, provider_clock):
    _admin, agent, page = admin_page(directory)
    provider_clock(3600)
    response = agent.submit(page, "Save", fields=fields(20))
    assert_sane(response)
    title = Page(response).title
    assert title.startswith("Log in") or title == "Choose how to verify", title
    assert settings_of(directory)[0] == 30


def test_an_admin_of_another_directory_cannot_change_this_one(directory):
    other = new_directory(directory.live)
    _admin, agent, page = admin_page(other)
    form = {"csrf_token": page.soup.find("input", attrs={"name": "csrf_token"})["value"],
            "action": "save", **fields(20)}
    response = agent.http.post(directory.issuer + PATH, data=form, allow_redirects=False,
                               timeout=30)
    assert_sane(response)
    assert response.status_code in (302, 303) and "/account/login" in response.headers["Location"]
    assert settings_of(directory)[0] == 30


# Hostile input: always the form again with a 400, never a 500, nothing saved.

def _post(agent: Agent, page: Page, data: list[tuple[str, str]]):
    csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
    return agent.http.post(page.url, data=[("csrf_token", csrf), *data],
                           allow_redirects=False, timeout=30)


def _with(changes: dict[str, str | None], action: str = "save") -> list[tuple[str, str]]:
    data = fields(20)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return [*data.items(), ("action", action)]


HOSTILE = {
    "letters": _with({"required_level": "abc"}),
    "negative level": _with({"required_level": "-5"}),
    "zero level": _with({"required_level": "0"}),
    "level above the maximum": _with({"required_level": "1001"}),
    "huge level": _with({"required_level": "9" * 5000}),
    "decimal": _with({"required_level": "30.5"}),
    "exponent": _with({"required_level": "1e3"}),
    "arabic digits": _with({"required_level": "\u0663\u0660"}),
    "script": _with({"required_level": "<script>alert(1)</script>"}),
    "nul": _with({"required_level": "3\x000"}),
    "empty level": _with({"required_level": ""}),
    "missing level": _with({"required_level": None}),
    "negative points": _with({"points_totp": "-1"}),
    "points above 100": _with({"points_passkey": "101"}),
    "missing points": _with({"points_sms": None}),
    "unknown method": _with({"points_fingerprint": "10"}),
    "unknown field": _with({"debug": "1"}),
    "repeated level": [*_with({}), ("required_level", "1")],
    "repeated points": [*_with({}), ("points_password", "100")],
    "repeated action": [*_with({}), ("action", "preview")],
    "unknown action": _with({}, action="delete"),
}


@pytest.mark.parametrize("data", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_settings_are_refused_with_the_form_again(directory, data):
    _admin, agent, page = admin_page(directory)
    response = _post(agent, page, data)
    assert_sane(response)
    assert response.status_code == 400, response.text[:300]
    refused = Page(response)
    assert refused.title == "Authentication settings"
    assert refused.soup.find(id="form-error").get("role") == "alert"
    assert refused.soup.find(id="required_level") is not None
    assert "<script>alert" not in response.text and "\x00" not in response.text
    assert settings_of(directory) == (30, dict(DEFAULT_POINTS))


def test_a_wrong_field_is_marked_and_described(directory):
    _admin, agent, page = admin_page(directory)
    refused = Page(_post(agent, page, _with({"points_totp": "101"})))
    field = refused.soup.find(id="points_totp")
    assert field["aria-invalid"] == "true"
    assert "points_totp-error" in field["aria-describedby"]
    assert "from 0 to 100" in refused.soup.find(id="points_totp-error").get_text()


def test_a_post_without_the_csrf_token_is_refused(directory):
    _admin, agent, _page = admin_page(directory)
    response = agent.http.post(directory.issuer + PATH, data=_with({}), allow_redirects=False,
                               timeout=30)
    assert_error_page(response, 400, "invalid_request")
    assert settings_of(directory)[0] == 30


# The census: each method counted exactly as its own module counts it.

def test_the_census_counts_each_method_as_the_method_itself_does(directory):
    people = {
        "plain": {},
        "texter": {"phone": new_mobile()},
        "unproven": {"phone": new_mobile(), "phone_verified": False},
        "mailer": {"email_verified": True},
        "apper": {"totp": True},
    }
    for name, options in people.items():
        directory.add_user(name, **options)
    with directory.live.app.app_context():
        row = get_directory(directory.slug)
        users = {u.username: u for u in db.session.scalars(
            select(User).where(User.directory_id == row.id))}
        at = now()

        def credential(user, method, **extra):
            db.session.add(Credential(user_id=users[user].id, method=method, counter=0,
                                      data={}, created_at=at, **extra))

        def app_device(user, **extra):
            db.session.add(AppDevice(directory_id=row.id, user_id=users[user].id,
                                     public_id=secrets.token_hex(8), name="phone",
                                     public_jwk={}, pin_hash="x", created_at=at, **extra))

        credential("plain", "totp")  # never confirmed
        credential("plain", "recovery", used_at=at)  # used up
        credential("mailer", "recovery", lookup="a")
        app_device("plain")  # never approved a login
        app_device("texter", confirmed_at=at, blocked_at=at)
        app_device("mailer", confirmed_at=at, removed_at=at)
        app_device("apper", confirmed_at=at)
        db.session.add(Passkey(directory_id=row.id, user_id=users["texter"].id,
                               credential_id=secrets.token_hex(8), public_key=b"k",
                               name="key", created_at=at))
        db.session.commit()

        methods = services().methods
        census = {m.username: m.enrolled for m in take_census(row, methods)}
        for name, user in users.items():
            expected = {n for n, method in methods.items()
                        if n != "device" and method.is_enrolled(user)}
            assert census[name] == expected, name
        assert census["plain"] == {"password"}
        assert census["texter"] == {"password", "sms", "passkey"}
        assert census["mailer"] == {"password", "email", "recovery"}
        assert census["apper"] == {"password", "totp", "app"}
        # Without a channel to send on, its codes count for nobody.
        silent = SmsCode(CodeService(Delivery({}), methods["sms"].codes.policy),
                         "localhost")
        assert all("sms" not in s for s in (m.enrolled
                                            for m in take_census(row, {**methods, "sms": silent})))
