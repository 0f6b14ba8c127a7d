"""The admin's choice of the standard claims a directory asks for, and the admin editing a
user's claims on their user page: role, CSRF, checks, audit, English and Dutch."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AuditEvent, Directory, User
from idp.tenants.asked_claims import asked_claims
from idp.tenants.directories import get_directory
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.web.helpers import assert_error_page, assert_sane
from tests.web.test_web_admin_users import admin_agent, press, stored_user

PATH = "/admin/claims"


def asked(directory) -> tuple[str, ...]:
    with directory.live.app.app_context():
        return asked_claims(get_directory(directory.slug))


def events(directory, event: str) -> list[AuditEvent]:
    with directory.live.app.app_context():
        rows = list(db.session.scalars(select(AuditEvent).join(
            Directory, Directory.id == AuditEvent.directory_id).where(
            Directory.slug == directory.slug, AuditEvent.event == event)))
        for row in rows:
            db.session.expunge(row)
        return rows


def token_of(page: Page) -> str:
    return page.soup.find("input", attrs={"name": "csrf_token"})["value"]


def checked(page: Page) -> list[str]:
    return [box["value"] for box in page.soup.select("input[name=claims][checked]")]


# --- the directory's choice ------------------------------------------------------------------

def test_the_page_is_in_the_admin_navigation_and_shows_the_default_choice(directory):
    _admin, agent, page = admin_agent(directory)
    page = Page(agent.get(page.link("Profile details")))
    assert page.url.endswith(PATH) and page.title == "Profile details"
    assert checked(page) == ["given_name", "family_name", "preferred_username", "zoneinfo",
                             "locale"]
    assert len(page.soup.select("fieldset input[type=checkbox]")) == 13
    assert all(page.soup.find("label", attrs={"for": box["id"]})
               for box in page.soup.select("input[type=checkbox]"))


def test_saving_a_choice_stores_it_and_audits_before_and_after(directory):
    admin, agent, page = admin_agent(directory, PATH)
    response = agent.http.post(directory.issuer + PATH, allow_redirects=False, timeout=30,
                               data={"csrf_token": token_of(page),
                                     "claims": ["address", "given_name", "birthdate"]})
    assert response.status_code == 302
    page = Page(agent.follow(response))
    assert "Saved." in page.text and checked(page) == ["given_name", "birthdate", "address"]
    assert asked(directory) == ("given_name", "birthdate", "address")
    [event] = events(directory, "settings.claims_changed")
    assert event.detail["before"] == ["given_name", "family_name", "preferred_username",
                                      "zoneinfo", "locale"]
    assert event.detail["after"] == ["given_name", "birthdate", "address"]
    assert event.detail["actor"] == stored_user(directory, admin.username).id
    log = Page(agent.get(f"{directory.issuer}/admin/audit"))
    assert log.status == 200 and "Profile details asked of users changed" in log.text


def test_asking_for_nothing_is_a_choice_too(directory):
    _admin, agent, page = admin_agent(directory, PATH)
    agent.http.post(directory.issuer + PATH, data={"csrf_token": token_of(page)}, timeout=30)
    assert asked(directory) == ()
    user = directory.add_user(totp=True)
    _agent, page = open_account_page(directory, user, "/account/details")
    assert page.soup.find(id="given_name") is None


def test_saving_the_same_choice_changes_and_audits_nothing(directory):
    _admin, agent, page = admin_agent(directory, PATH)
    response = agent.http.post(directory.issuer + PATH, timeout=30, data={
        "csrf_token": token_of(page), "claims": checked(page)})
    assert "Nothing changed." in Page(response).text
    assert events(directory, "settings.claims_changed") == []


@pytest.mark.parametrize("names", [["email"], ["given_name", "sub"], ["x" * 5000],
                                   ["given_name"] * 40])
def test_a_choice_of_other_names_is_refused(directory, names):
    _admin, agent, page = admin_agent(directory, PATH)
    response = agent.http.post(directory.issuer + PATH, allow_redirects=False, timeout=30,
                               data={"csrf_token": token_of(page), "claims": names})
    assert_sane(response)
    if names == ["given_name"] * 40:  # repeated names are one choice, cut at the form's size
        assert asked(directory) == ("given_name",)
        return
    assert response.status_code == 400
    assert "Choose only from the details listed." in Page(response).text
    assert asked(directory) == ("given_name", "family_name", "preferred_username",
                                "zoneinfo", "locale")


def test_a_post_without_the_csrf_token_is_refused(directory):
    _admin, agent, _page = admin_agent(directory, PATH)
    response = agent.http.post(directory.issuer + PATH, data={"claims": ["gender"]},
                               allow_redirects=False, timeout=30)
    assert_error_page(response, 400, "invalid_request")
    assert "gender" not in asked(directory)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_user_without_the_admin_role_is_refused(directory, method):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, "/account/details")
    if method == "GET":
        response = agent.get(directory.issuer + PATH)
    else:
        response = agent.http.post(directory.issuer + PATH, allow_redirects=False, timeout=30,
                                   data={"csrf_token": token_of(page), "claims": ["gender"]})
    assert_error_page(response, 403, "access_denied")
    assert "gender" not in asked(directory)


def test_the_page_is_in_dutch(directory):
    _admin, agent, _page = admin_agent(directory, PATH)
    page = Page(agent.get(directory.issuer + PATH + "?lang=nl"))
    assert page.title == "Profielgegevens"
    assert page.soup.find("label", attrs={"for": "claim-address"}).get_text(
        " ", strip=True).startswith("Postadres")


# --- a user's claims on their user page --------------------------------------------------------

def test_an_admin_edits_a_users_claims_and_it_is_audited_as_a_user_change(directory):
    person = directory.add_user()
    admin, agent, _page = admin_agent(directory)
    page = Page(agent.get(f"{directory.issuer}/admin/users/"
                          f"{stored_user(directory, person.username).id}"))
    assert page.soup.find(id="given_name")["autocomplete"] == "off"
    page = Page(press(agent, page, "claims", {"given_name": "Anna",
                                              "zoneinfo": "Europe/Amsterdam"}))
    assert "Saved." in page.text
    assert page.soup.find(id="given_name")["value"] == "Anna"
    row = stored_user(directory, person.username)
    assert row.claims == {"given_name": "Anna", "zoneinfo": "Europe/Amsterdam"}
    [event] = [e for e in events(directory, "admin.user_updated") if e.user_id == row.id]
    assert event.detail == {"actor": stored_user(directory, admin.username).id,
                            "fields": ["given_name", "zoneinfo"]}


@pytest.mark.parametrize(("name", "typed", "said"), [
    ("locale", "klingon", "This is not a known language tag. Enter one like nl-NL."),
    ("zoneinfo", "Europe/Atlantis",
     "This is not a known time zone. Enter one like Europe/Amsterdam."),
    ("family_name", "y" * 5000, "This is too long.")])
def test_an_admin_s_bad_input_is_refused_with_the_field_marked(directory, name, typed, said):
    person = directory.add_user()
    _admin, agent, _page = admin_agent(directory)
    page = Page(agent.get(f"{directory.issuer}/admin/users/"
                          f"{stored_user(directory, person.username).id}"))
    response = press(agent, page, "claims", {"given_name": "Anna", name: typed})
    assert_sane(response)
    assert response.status_code == 400
    page = Page(response)
    assert page.soup.find(id=f"{name}-error").get_text(strip=True) == said
    assert page.soup.find(id=name)["aria-invalid"] == "true"
    assert page.soup.find(id="given_name")["value"] == "Anna"
    assert stored_user(directory, person.username).claims is None


def test_the_admin_edits_only_the_claims_the_directory_asks_for(directory):
    person = directory.add_user()
    _admin, agent, _page = admin_agent(directory)
    page = Page(agent.get(f"{directory.issuer}/admin/users/"
                          f"{stored_user(directory, person.username).id}"))
    assert page.soup.find(id="birthdate") is None
    press(agent, page, "claims", {"given_name": "Anna", "birthdate": "1980-01-01"})
    assert stored_user(directory, person.username).claims == {"given_name": "Anna"}


def test_the_user_sees_the_admins_change_on_their_profile(directory):
    person = directory.add_user(totp=True)
    _admin, agent, _page = admin_agent(directory)
    page = Page(agent.get(f"{directory.issuer}/admin/users/"
                          f"{stored_user(directory, person.username).id}"))
    press(agent, page, "claims", {"family_name": "de Vries"})
    _agent, page = open_account_page(directory, person, "/account/details")
    assert page.soup.find(id="family_name")["value"] == "de Vries"


def test_stored_users_are_unchanged_by_a_refused_edit(directory):
    person = directory.add_user()
    _admin, agent, _page = admin_agent(directory)
    with directory.live.app.app_context():
        before = db.session.scalars(select(User.updated_at).where(
            User.username == person.username)).one()
    page = Page(agent.get(f"{directory.issuer}/admin/users/"
                          f"{stored_user(directory, person.username).id}"))
    press(agent, page, "claims", {"locale": "en_US"})
    assert stored_user(directory, person.username).updated_at == before
