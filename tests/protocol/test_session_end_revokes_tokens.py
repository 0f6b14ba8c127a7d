"""Tokens do not outlive the browser session they came from: ending it revokes them.

RP-initiated logout, "End" and "End all other sessions" on the profile, a password change
and an admin's "log out everywhere" each end sessions; the access tokens then fail at
userinfo (RFC 6750 3.1) and introspection (RFC 7662 2.2), and the refresh tokens are
invalid_grant (RFC 6749 5.2). Tokens from the user's other sessions keep working.
"""

from __future__ import annotations

from urllib.parse import urlencode, urljoin

import requests
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AuditEvent, User
from tests.protocol._helpers import signed_in
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP

ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Mobile Safari/537.36")


def introspected(rp: StrictRP, token: str) -> bool:
    response = requests.post(rp.metadata["introspection_endpoint"], data={"token": token},
                             auth=(rp.client.client_id, rp.client.secret), timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["active"]


def refreshed(rp: StrictRP, tokens: dict) -> requests.Response:
    return rp.token_request({"grant_type": "refresh_token",
                             "refresh_token": tokens["refresh_token"]})


def assert_revoked(rp: StrictRP, tokens: dict) -> None:
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    assert introspected(rp, tokens["access_token"]) is False
    assert introspected(rp, tokens["refresh_token"]) is False
    answer = refreshed(rp, tokens)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_grant"


def assert_valid(rp: StrictRP, tokens: dict) -> None:
    assert rp.userinfo(tokens["access_token"]).status_code == 200
    assert introspected(rp, tokens["access_token"]) is True
    assert introspected(rp, tokens["refresh_token"]) is True
    assert refreshed(rp, tokens).status_code == 200


def phone_signed_in(directory, client, user) -> tuple[StrictRP, dict]:
    """Sign the user in to the app from a phone's browser; return the app and its tokens."""
    phone = Agent(directory.live.url)
    phone.http.headers["User-Agent"] = ANDROID
    rp = StrictRP(directory, client, phone)
    return rp, signed_in(rp, user)


def this_browser_signed_in(directory, client, user, provider_clock) -> tuple[Agent, Page, dict]:
    """Open the account page in a second browser, and sign in to the app there too."""
    provider_clock(30)  # the second login needs the next authenticator code
    agent, page = open_account_page(directory, user)
    assert page.title == "Your account", page.text[:300]
    rp = StrictRP(directory, client, agent)
    return agent, page, signed_in(rp, user)  # single sign-on: no prompt


def press_in_row(agent: Agent, page: Page, text: str) -> Page:
    """Press the button in the sessions table's row holding `text`."""
    for row in page.soup.select("#sessions tbody tr"):
        if text in row.get_text(" ", strip=True):
            form = row.find("form")
            data = {tag["name"]: tag.get("value", "") for tag in form.find_all("input")}
            return Page(agent.follow(agent.http.post(
                urljoin(page.url, form["action"]), data=data, allow_redirects=False,
                timeout=30)))
    raise AssertionError(f"no session row with {text!r}")


def revocations(directory, user) -> list[dict]:
    with directory.live.app.app_context():
        user_id = db.session.scalars(select(User.id).where(User.subject == user.subject)).one()
        return [e.detail for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.user_id == user_id, AuditEvent.event == "tokens.revoked")
            .order_by(AuditEvent.id))]


def test_rp_initiated_logout_revokes_the_tokens_of_that_session(rp, directory, client, user,
                                                                provider_clock):
    tokens = signed_in(rp, user)
    provider_clock(30)
    other = StrictRP(directory, client)
    others = signed_in(other, user)
    query = urlencode({"id_token_hint": tokens["id_token"],
                       "post_logout_redirect_uri": client.post_logout_redirect_uri})
    assert rp.agent.get(f"{rp.metadata['end_session_endpoint']}?{query}").is_redirect

    assert_revoked(rp, tokens)
    assert_valid(other, others)
    assert revocations(directory, user) == [{"reason": "logout", "grants": 1, "sessions": 1}]


def test_logout_revokes_every_apps_tokens_from_that_browser(rp, directory, user):
    tokens = signed_in(rp, user)
    second_app = StrictRP(directory, directory.add_client(), rp.agent)
    second = signed_in(second_app, user)  # single sign-on in the same browser
    query = urlencode({"id_token_hint": tokens["id_token"],
                       "post_logout_redirect_uri": rp.client.post_logout_redirect_uri})
    rp.agent.get(f"{rp.metadata['end_session_endpoint']}?{query}")

    assert_revoked(rp, tokens)
    assert_revoked(second_app, second)


def test_a_code_from_a_session_that_ended_gives_no_tokens(rp, user):
    code = rp.sign_in(user)["code"]
    # A link alone does not log out: confirm, as a person would.
    page = Page(rp.agent.get(rp.metadata["end_session_endpoint"]))
    rp.agent.submit(page, "Log out")
    answer = rp.token_request({"grant_type": "authorization_code", "code": code,
                               "redirect_uri": rp.client.redirect_uri,
                               "code_verifier": rp.pending.verifier})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_grant"


def test_ending_a_session_on_the_profile_revokes_its_tokens_only(directory, client, user,
                                                                 provider_clock):
    phone_app, phone_tokens = phone_signed_in(directory, client, user)
    agent, page, here = this_browser_signed_in(directory, client, user, provider_clock)

    page = press_in_row(agent, page, "Android")
    assert "is logged out" in page.text

    assert_revoked(phone_app, phone_tokens)
    assert_valid(StrictRP(directory, client, agent), here)
    assert revocations(directory, user) == [
        {"reason": "session_ended", "grants": 1, "sessions": 1}]


def test_ending_all_other_sessions_revokes_their_tokens_and_keeps_this_browsers(
        directory, client, user, provider_clock):
    phone_app, phone_tokens = phone_signed_in(directory, client, user)
    agent, page, here = this_browser_signed_in(directory, client, user, provider_clock)

    page = Page(agent.submit(page, "End all other sessions"))
    assert "1 other session was ended." in page.text

    assert_revoked(phone_app, phone_tokens)
    assert_valid(StrictRP(directory, client, agent), here)


def test_a_password_change_revokes_the_tokens_of_every_other_session(directory, client, user,
                                                                     provider_clock):
    phone_app, phone_tokens = phone_signed_in(directory, client, user)
    agent, _page, here = this_browser_signed_in(directory, client, user, provider_clock)

    form = Page(agent.get(f"{directory.issuer}/account/password"))
    assert "apps you signed in to elsewhere must log in again" in form.text
    page = Page(agent.submit(form, "Change the password", by_label={
        "Current password": user.password, "New password": "a brand new passphrase",
        "New password again": "a brand new passphrase"}))
    assert "apps you signed in to elsewhere must log in again" in page.text

    assert_revoked(phone_app, phone_tokens)
    assert_valid(StrictRP(directory, client, agent), here)
    assert revocations(directory, user) == [
        {"reason": "password_changed", "grants": 1, "sessions": 1}]


def test_an_admin_logging_a_user_out_everywhere_revokes_every_token(directory, client, user,
                                                                    provider_clock):
    phone_app, phone_tokens = phone_signed_in(directory, client, user)
    agent, _page, here = this_browser_signed_in(directory, client, user, provider_clock)
    admin = directory.add_user(totp=True, admin=True)
    admin_agent, _ = open_account_page(directory, admin)
    with directory.live.app.app_context():
        user_id = db.session.scalars(select(User.id).where(User.subject == user.subject)).one()
    page = Page(admin_agent.get(f"{directory.issuer}/admin/users/{user_id}"))
    Page(admin_agent.submit(page, "Log out everywhere"))

    assert_revoked(phone_app, phone_tokens)
    assert_revoked(StrictRP(directory, client, agent), here)
    assert revocations(directory, user) == [{"reason": "admin", "grants": 2, "sessions": 2}]
