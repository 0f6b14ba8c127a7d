"""The admin helps a user whose methods are gone: the choices on the user's page, and a
one-time, expiring allowance to set up a new method at the next login."""

from __future__ import annotations

import pyotp

from idp.clock import now
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.support.rp import StrictRP
from tests.web.helpers import assert_error_page, assert_sane, password_step
from tests.web.test_web_admin_users import (
    admin_agent,
    audit_events,
    csrf,
    press,
    press_confirmed,
    stored_user,
    user_page,
)

HOURS = 72


def allow(agent, directory, username: str) -> Page:
    page = user_page(agent, directory, username)
    response = press(agent, page, "allow")
    assert_sane(response)
    return Page(response)


def enrol_new_app(rp: StrictRP, user) -> tuple[Page, str]:
    """Log in with the password under an allowance and set up a new authenticator app."""
    step_up = Page(password_step(rp, user))
    assert step_up.title == "Set up a way to verify", step_up.text[:400]
    assert "Your administrator lets you set up a new sign-in method now" in step_up.text
    assert not [a for a in step_up.soup.find_all("a")
                if a.get_text().startswith("Continue with")]  # the lost app is not asked
    enrol = Page(rp.agent.get(step_up.link("Set up an authenticator app")))
    secret = enrol.soup.find(id="totp-secret")["data-secret"]
    response = rp.agent.submit(enrol, "Verify", by_label={"Code": pyotp.TOTP(secret).at(now())})
    return Page(response), secret


def test_the_page_explains_the_choices_when_a_user_cannot_reach_the_level(directory):
    directory.add_user("mia")  # a password alone: 20 of 30
    _admin, agent, _page = admin_agent(directory)
    page = user_page(agent, directory, "mia")
    help_box = page.soup.find(id="help")
    assert help_box is not None and help_box.find("details").has_attr("open")
    assert help_box.find("a", href="#methods") is not None  # remove a lost method
    assert page.soup.find(id="methods") is not None
    assert "Let them set up a new method at their next login" in help_box.get_text()
    assert help_box.find(id="reset-link") is not None  # where the reset link will go


def test_an_allowance_takes_the_user_straight_to_a_new_method_once(directory, mail):
    lena = directory.add_user("lena", totp=True)  # the phone with the app is lost
    _admin, agent, _ = admin_agent(directory)
    page = allow(agent, directory, "lena")
    assert page.status == 200 and "can set up a new sign-in method" in page.text
    assert page.soup.find(id="allowance") is not None
    [granted] = audit_events(directory, "admin.enrol_allowed")
    assert granted.detail["hours"] == HOURS and granted.detail["actor"]
    assert granted.ip and granted.user_agent  # where the admin acted from
    told = mail.wait_for(lena.email)
    assert told["Subject"] == "Your administrator lets you set up a new sign-in method"
    assert "did not ask your administrator" in told.get_body(("plain",)).get_content()

    rp = StrictRP(directory, directory.add_client())
    codes_page, secret = enrol_new_app(rp, lena)
    assert codes_page.title == "Save your recovery codes", codes_page.text[:300]
    response = rp.agent.submit(codes_page, "Continue")
    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["sub"] == lena.subject and claims["acr"] == "30"
    [used] = audit_events(directory, "method.enrolled_with_help")
    assert used.detail["method"] == "totp"
    assert "help" in mail.wait_for(lena.email)["Subject"]
    assert stored_user(directory, "lena").enrol_allowed_until is None

    # Spent: the next login asks for the new app, and offers no enrolment.
    again = StrictRP(directory, directory.add_client())
    step_up = Page(password_step(again, lena))
    assert step_up.link("Continue with authenticator app")
    assert not [a for a in step_up.soup.find_all("a") if a.get_text().startswith("Set up")]
    form = Page(again.agent.get(step_up.link("Continue with authenticator app")))
    response = again.agent.submit(form, "Verify", by_label={
        "Code": pyotp.TOTP(secret).at(now() + 30)})
    assert again.response_params(response)["code"]


def test_the_allowance_alone_reaches_no_app_above_the_level(directory):
    omar = directory.add_user("omar", totp=True)
    _admin, agent, _ = admin_agent(directory)
    allow(agent, directory, "omar")
    directory.set_levels(passkey=0)  # password 20 + any one new method: 30
    rp = StrictRP(directory, directory.add_client(min_acr=40))
    stopped = Page(password_step(rp, omar))
    # 20 + one new method never reaches 40: no code, no enrolment, nothing spent.
    assert "code=" not in (stopped.url or "")
    assert not [a for a in stopped.soup.find_all("a") if a.get_text().startswith("Set up")]
    assert audit_events(directory, "method.enrolled_with_help") == []
    assert stored_user(directory, "omar").enrol_allowed_until is not None


def test_the_allowance_expires_after_72_hours(directory, provider_clock):
    user = directory.add_user("pia", totp=True)
    _admin, agent, _ = admin_agent(directory)
    allow(agent, directory, "pia")
    provider_clock(HOURS * 3600 + 1)
    rp = StrictRP(directory, directory.add_client())
    step_up = Page(password_step(rp, user))
    assert step_up.link("Continue with authenticator app")  # as before the allowance
    assert not [a for a in step_up.soup.find_all("a") if a.get_text().startswith("Set up")]


def test_the_admin_withdraws_the_allowance_and_the_user_is_told(directory, mail):
    user = directory.add_user("quin", totp=True)
    _admin, agent, _ = admin_agent(directory)
    allow(agent, directory, "quin")
    mail.wait_for(user.email)
    page = Page(press(agent, user_page(agent, directory, "quin"), "withdraw"))
    assert page.status == 200 and page.soup.find(id="allowance") is None
    assert len(audit_events(directory, "admin.enrol_withdrawn")) == 1
    assert "no longer" in mail.wait_for(user.email)["Subject"]
    rp = StrictRP(directory, directory.add_client())
    assert Page(password_step(rp, user)).link("Continue with authenticator app")


def test_an_invited_user_without_a_password_gets_no_allowance(directory):
    _admin, agent, _ = admin_agent(directory)
    page = user_page(agent, directory, _admin.username)
    response = agent.http.post(
        f"{directory.issuer}/admin/users/{invited_id(directory)}/new-method",
        data={"csrf_token": csrf(page), "action": "allow"}, allow_redirects=False, timeout=30)
    assert response.status_code == 400
    assert "has not set a password yet" in Page(response).text
    assert audit_events(directory, "admin.enrol_allowed") == []


def invited_id(directory) -> int:
    from idp.storage import db
    from idp.storage.models import User
    from idp.tenants.directories import get_directory
    with directory.live.app.app_context():
        row = User(directory_id=get_directory(directory.slug).id, subject="invited-sub-" +
                   directory.slug, username="ivy", username_key="ivy", email_verified=False,
                   phone_verified=False, is_admin=False, disabled=False, created_at=now(),
                   updated_at=now())
        db.session.add(row)
        db.session.commit()
        return row.id


def test_a_user_without_the_admin_role_cannot_grant_an_allowance(directory):
    target = directory.add_user("rex", totp=True)
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user)
    response = agent.http.post(
        f"{directory.issuer}/admin/users/{stored_user(directory, target.username).id}"
        "/new-method", data={"csrf_token": csrf(page), "action": "allow"},
        allow_redirects=False, timeout=30)
    assert_error_page(response, 403, "access_denied")
    assert stored_user(directory, "rex").enrol_allowed_until is None
    assert audit_events(directory, "admin.enrol_allowed") == []


def test_granting_without_the_csrf_token_is_refused(directory):
    directory.add_user("sam", totp=True)
    _admin, agent, _ = admin_agent(directory)
    response = agent.http.post(
        f"{directory.issuer}/admin/users/{stored_user(directory, 'sam').id}/new-method",
        data={"action": "allow"}, allow_redirects=False, timeout=30)
    assert response.status_code == 400
    assert stored_user(directory, "sam").enrol_allowed_until is None


def test_an_unknown_action_or_user_is_a_proper_error(directory):
    directory.add_user("tia", totp=True)
    _admin, agent, _ = admin_agent(directory)
    page = user_page(agent, directory, "tia")
    base = f"{directory.issuer}/admin/users"
    bad = agent.http.post(f"{base}/{stored_user(directory, 'tia').id}/new-method",
                          data={"csrf_token": csrf(page), "action": "grant-forever"},
                          allow_redirects=False, timeout=30)
    assert bad.status_code == 400
    missing = agent.http.post(f"{base}/99999999/new-method",
                              data={"csrf_token": csrf(page), "action": "allow"},
                              allow_redirects=False, timeout=30)
    assert missing.status_code == 404


def test_the_help_is_in_dutch(directory):
    directory.add_user("uma", totp=True)
    _admin, agent, _ = admin_agent(directory)
    uid = stored_user(directory, "uma").id
    page = Page(agent.get(f"{directory.issuer}/admin/users/{uid}?lang=nl"))
    text = page.soup.find(id="help").get_text(" ")
    assert "volgende keer" in text or "volgende login" in text, text[:500]


def test_a_dutch_user_is_told_in_dutch(directory, mail):
    from idp.storage import db
    from idp.storage.models import User
    user = directory.add_user("vera", totp=True)
    with directory.live.app.app_context():
        db.session.get(User, stored_user(directory, "vera").id).locale = "nl"
        db.session.commit()
    _admin, agent, _ = admin_agent(directory)
    allow(agent, directory, "vera")
    told = mail.wait_for(user.email)
    assert told["Subject"] == "Uw beheerder laat u een nieuwe inlogmethode instellen"
    assert "Tot" in told.get_body(("plain",)).get_content()


def test_disabling_the_user_ends_the_allowance(directory):
    directory.add_user("will", totp=True)
    _admin, agent, _ = admin_agent(directory)
    allow(agent, directory, "will")
    press_confirmed(agent, user_page(agent, directory, "will"), "disable")
    assert stored_user(directory, "will").enrol_allowed_until is None
