"""Apps with access on the profile over HTTP: the apps a person allowed, with what they may
see and since when, and "Remove access", which withdraws the consent and revokes the app's
tokens for that person, audited and told by email (OWASP ASVS 5.0 V10.7.3)."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AuditEvent, Consent, User
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import assert_error_page, assert_sane


def allowed(directory, client, user, agent: Agent | None = None,
            scope: str = "openid profile email") -> StrictRP:
    """Log the user in to the third-party app and allow it; return its RP, whose browser
    has the session and whose `code` is the authorization code it got."""
    rp = StrictRP(directory, client, agent)
    response = rp.start(scope=scope)
    if Page(response).title.startswith("Log in"):
        response = rp.log_in(response, user)
    if not response.is_redirect and Page(response).title == "Choose how to verify":
        response = rp.verify_totp(response, user)
    page = Page(response)
    assert page.title.startswith("Share your details with"), page.text[:300]
    rp.code = rp.response_params(rp.agent.submit(page, "Continue and allow"))["code"]
    return rp


def tokens_of(rp: StrictRP) -> dict:
    return rp.exchange(rp.code)


def introspect(rp: StrictRP, token: str) -> dict:
    return requests.post(rp.metadata["introspection_endpoint"], data={"token": token},
                         auth=(rp.client.client_id, rp.client.secret), timeout=30).json()


def consents(directory, user) -> list[str]:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return list(db.session.scalars(select(Consent.scope).where(Consent.user_id == row.id)))


def audited(directory, user, event: str) -> list[AuditEvent]:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        events = list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.user_id == row.id, AuditEvent.event == event).order_by(AuditEvent.id)))
        for event_row in events:
            db.session.expunge(event_row)
        return events


def apps_table(page: Page) -> list[str]:
    return [" ".join(tr.get_text(" ", strip=True).split())
            for tr in page.soup.select("#apps tbody tr")]


@pytest.fixture
def user(directory):
    return directory.add_user(totp=True)


@pytest.fixture
def portal(directory):
    return directory.add_client(first_party=False)


def test_the_overview_lists_the_allowed_apps_with_what_they_see_and_since_when(
        directory, user, portal):
    rp = allowed(directory, portal, user, scope="openid email")
    StrictRP(directory, directory.add_client(), rp.agent).sign_in(user)  # first-party: unlisted
    _agent, page = open_account_page(directory, user, agent=rp.agent)
    assert page.title == "Your account"
    [row] = apps_table(page)
    assert row.startswith(portal.client_id)  # the app's name: its client id here
    assert "know who you are" in row and "see your email address" in row
    assert "see your phone number" not in row and "see your name" not in row
    assert page.soup.select_one("#apps time")["datetime"]
    assert page.link("Remove access").endswith(f"/account/apps/{portal.client_id}/remove")


def test_the_overview_says_when_no_app_has_access(directory, user):
    _agent, page = open_account_page(directory, user)
    assert not page.soup.select("#apps")
    assert "No app has asked for your permission to see your details." in page.text


def test_removing_access_revokes_the_apps_tokens_forgets_the_consent_and_tells_the_user(
        directory, user, portal, mail):
    rp = allowed(directory, portal, user)
    tokens = tokens_of(rp)
    assert introspect(rp, tokens["access_token"])["active"] is True
    _agent, page = open_account_page(directory, user, agent=rp.agent)

    confirm = Page(rp.agent.get(page.link("Remove access")))
    assert confirm.title == f"Remove the access of {portal.client_id}?"
    assert "see your email address" in confirm.text
    assert consents(directory, user), "a GET changes nothing"
    done = Page(rp.agent.submit(confirm, "Remove access"))

    assert done.title == "Your account"
    assert f"{portal.client_id} can no longer see your details." in done.text
    assert not done.soup.select("#apps")
    assert consents(directory, user) == []
    # Every token the app held for the user stops working at once.
    assert introspect(rp, tokens["access_token"]) == {"active": False}
    assert introspect(rp, tokens["refresh_token"]) == {"active": False}
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    refreshed = rp.token_request({"grant_type": "refresh_token",
                                  "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    [event] = audited(directory, user, "consent.withdrawn")
    assert event.client_id == portal.client_id
    assert sorted(event.detail["scopes"]) == ["email", "openid", "profile"]
    assert event.detail["grants"] == 1
    message = mail.wait_for(user.email)
    assert message["Subject"] == "You removed an app's access to your details"
    assert portal.client_id in message.get_body(("plain",)).get_content()
    assert "Access removed for" in Page(rp.agent.get(f"{directory.issuer}/account/")).text


def test_the_next_login_to_the_app_asks_for_consent_again(directory, user, portal):
    rp = allowed(directory, portal, user)
    tokens_of(rp)
    again = StrictRP(directory, portal, rp.agent)
    assert "code" in again.response_params(again.start(prompt="none"))
    _agent, page = open_account_page(directory, user, agent=rp.agent)
    rp.agent.submit(Page(rp.agent.get(page.link("Remove access"))), "Remove access")

    refused = again.response_params(again.start(prompt="none"))
    assert refused.get("error") == "consent_required", refused
    assert Page(again.start()).title == f"Share your details with {portal.client_id}?"


def test_only_this_apps_tokens_of_this_user_are_revoked(directory, user, portal):
    rp = allowed(directory, portal, user)
    mine = tokens_of(rp)
    other_app = StrictRP(directory, directory.add_client(first_party=False))
    other_tokens = tokens_of(allowed(directory, other_app.client, user, agent=rp.agent))
    someone = directory.add_user(totp=True)
    theirs = tokens_of(allowed(directory, portal, someone))
    _agent, page = open_account_page(directory, user, agent=rp.agent)
    confirm = Page(rp.agent.get(f"{directory.issuer}/account/apps/{portal.client_id}/remove"))
    rp.agent.submit(confirm, "Remove access")

    assert introspect(rp, mine["access_token"]) == {"active": False}
    assert introspect(other_app, other_tokens["access_token"])["active"] is True
    assert introspect(rp, theirs["access_token"])["active"] is True
    assert consents(directory, user) == ["openid profile email"]
    assert consents(directory, someone)


def test_a_code_not_yet_exchanged_no_longer_turns_into_tokens(directory, user, portal):
    rp = allowed(directory, portal, user)
    code = rp.code
    _agent, page = open_account_page(directory, user, agent=rp.agent)
    rp.agent.submit(Page(rp.agent.get(page.link("Remove access"))), "Remove access")

    response = rp.token_request({"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": portal.redirect_uri,
                                 "code_verifier": rp.pending.verifier})
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_removing_access_without_the_csrf_token_is_refused(directory, user, portal):
    rp = allowed(directory, portal, user)
    open_account_page(directory, user, agent=rp.agent)
    response = rp.agent.http.post(
        f"{directory.issuer}/account/apps/{portal.client_id}/remove", timeout=30)
    assert_sane(response)
    assert response.status_code == 400
    assert consents(directory, user)


@pytest.mark.parametrize("client_id", ["nobody", "first-party", "someone-elses", "a" * 101,
                                       "bad%20id", "..", "x%00y"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_app_without_the_users_consent_is_not_found(directory, user, client_id, method):
    directory.add_client("first-party")
    elsewhere = directory.add_client("someone-elses", first_party=False)
    allowed(directory, elsewhere, directory.add_user(totp=True))
    agent, page = open_account_page(directory, user)
    url = f"{directory.issuer}/account/apps/{client_id}/remove"
    if method == "GET":
        response = agent.get(url)
    else:
        csrf = page.soup.find("input", attrs={"name": "csrf_token"})["value"]
        response = agent.http.post(url, data={"csrf_token": csrf}, allow_redirects=False,
                                   timeout=30)
    assert_error_page(response, 404)
