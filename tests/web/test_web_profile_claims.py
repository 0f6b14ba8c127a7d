"""The standard claims on the profile's personal information page: the claims the directory
asks for, typed by the person, checked field by field (in English and Dutch), audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from idp.storage import db
from idp.storage.models import AuditEvent, User
from idp.tenants.asked_claims import choose_asked_claims
from idp.tenants.directories import get_directory
from tests.support.account import open_account_page
from tests.support.agent import Page
from tests.web.helpers import assert_sane

PATH = "/account/details"


def stored(directory, user) -> User:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        db.session.expunge(row)
        return row


def events(directory, user, event: str) -> list[dict]:
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        return [e.detail for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.user_id == row.id, AuditEvent.event == event).order_by(AuditEvent.id))]


def ask(directory, *names: str) -> None:
    with directory.live.app.app_context():
        choose_asked_claims(get_directory(directory.slug), names)
        db.session.commit()


def labels(page: Page) -> list[str]:
    return [tag.get_text(strip=True) for tag in page.soup.select("form label")]


def field_error(page: Page, name: str) -> str:
    box = page.soup.find(id=f"{name}-error")
    assert box is not None, page.text[:500]
    field = page.soup.find(id=name)
    assert field["aria-invalid"] == "true" and f"{name}-error" in field["aria-describedby"]
    return box.get_text(" ", strip=True)


def test_by_default_a_person_is_asked_for_names_language_and_time_zone(directory):
    user = directory.add_user(totp=True)
    _agent, page = open_account_page(directory, user, PATH)
    assert page.title == "Personal information"
    assert labels(page) == ["Name", "Given name", "Family name", "Preferred username",
                            "Time zone", "Language and region"]
    assert page.soup.find(id="given_name")["autocomplete"] == "given-name"


def test_the_page_shows_only_the_name_when_the_directory_asks_for_nothing(directory):
    ask(directory)
    user = directory.add_user(totp=True)
    _agent, page = open_account_page(directory, user, PATH)
    assert page.title == "Your name" and labels(page) == ["Name"]


def test_saving_the_claims_stores_them_checked_and_audits_which_changed(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, PATH)
    page = Page(agent.submit(page, "Save", by_label={
        "Given name": "  Anna ", "Family name": "de Vries", "Time zone": "Europe/Amsterdam",
        "Language and region": "nl-nl"}))
    assert page.title == "Your account" and "Your details were saved." in page.text
    row = stored(directory, user)
    assert row.claims == {"given_name": "Anna", "family_name": "de Vries",
                          "zoneinfo": "Europe/Amsterdam"}
    assert row.locale == "nl-NL"
    assert events(directory, user, "profile.claims_changed") == [
        {"fields": ["given_name", "family_name", "zoneinfo", "locale"]}]
    overview = Page(agent.get(f"{directory.issuer}/account/"))
    assert "Profile details changed" in overview.soup.get_text()  # the recent activity
    page = Page(agent.get(directory.issuer + PATH))
    assert page.soup.find(id="given_name")["value"] == "Anna"
    assert page.soup.find(id="locale")["value"] == "nl-NL"


def test_emptying_a_field_clears_its_claim(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, PATH)
    agent.submit(page, "Save", by_label={"Given name": "Anna", "Family name": "de Vries"})
    page = Page(agent.get(directory.issuer + PATH))
    agent.submit(page, "Save", by_label={"Given name": ""})
    assert stored(directory, user).claims == {"family_name": "de Vries"}


def test_the_address_is_saved_from_its_parts(directory):
    ask(directory, "address", "birthdate", "website")
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, PATH)
    response = agent.submit(page, "Save", fields={"street_address": "Dorpsstraat 1\r\nbus 2"},
                            by_label={"Postal code": "1234 AB", "City or town": "Ons Dorp",
                                      "Country": "Nederland", "Date of birth": "0000-04-30",
                                      "Website": "https://anna.example.org"})
    assert Page(response).title == "Your account"
    assert stored(directory, user).claims == {
        "address": {"street_address": "Dorpsstraat 1\nbus 2", "postal_code": "1234 AB",
                    "locality": "Ons Dorp", "country": "Nederland"},
        "birthdate": "0000-04-30", "website": "https://anna.example.org"}


BAD = [
    ("website", "javascript:alert(1)", "Enter a web address starting with http:// or https://."),
    ("picture", "ftp://example.org/me.png",
     "Enter a web address starting with http:// or https://."),
    ("birthdate", "1981-02-29", "Enter a date that exists as YYYY-MM-DD, or a year as YYYY."),
    ("birthdate", "30-04-1980", "Enter a date that exists as YYYY-MM-DD, or a year as YYYY."),
    ("zoneinfo", "Mars/Olympus_Mons",
     "This is not a known time zone. Enter one like Europe/Amsterdam."),
    ("locale", "en_US", "This is not a known language tag. Enter one like nl-NL."),
    ("locale", "xx-YY", "This is not a known language tag. Enter one like nl-NL."),
    ("given_name", "x" * 101, "This is too long."),
    ("given_name", "Anna\x00", "This contains characters that cannot be used. Type it again."),
    ("postal_code", "9" * 21, "This is too long."),
]


@pytest.mark.parametrize(("name", "typed", "said"), BAD, ids=lambda v: str(v)[:20])
def test_a_value_that_breaks_its_claims_rule_is_refused_with_the_field_marked(directory, name,
                                                                              typed, said):
    ask(directory, "given_name", "picture", "website", "birthdate", "zoneinfo", "locale",
        "address")
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, PATH)
    response = agent.submit(page, "Save", fields={name: typed, "given_name": "Anna"}
                            if name != "given_name" else {name: typed})
    assert_sane(response)
    assert response.status_code == 400
    page = Page(response)
    assert field_error(page, name) == said
    assert "Check the fields marked below." in page.soup.find(id="form-error").get_text()
    assert stored(directory, user).claims is None  # nothing saved, not even the good ones
    assert events(directory, user, "profile.claims_changed") == []


def test_every_field_at_fault_is_marked_at_once_and_keeps_what_was_typed(directory):
    ask(directory, "given_name", "website", "zoneinfo")
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, PATH)
    page = Page(agent.submit(page, "Save", fields={
        "given_name": "Anna", "website": "example.org", "zoneinfo": "Nowhere"}))
    assert page.status == 400
    assert field_error(page, "website") and field_error(page, "zoneinfo")
    assert page.soup.find(id="given_name")["value"] == "Anna"
    assert page.soup.find(id="website")["value"] == "example.org"
    assert page.soup.find(id="given_name-error") is None


def test_the_errors_are_in_dutch_on_a_dutch_page(directory):
    user = directory.add_user(totp=True)
    agent, _page = open_account_page(directory, user, PATH)
    page = Page(agent.get(directory.issuer + PATH + "?lang=nl"))
    assert page.title == "Persoonlijke gegevens"
    response = agent.submit(page, "Opslaan", fields={"zoneinfo": "Europe/Atlantis",
                                                     "locale": "xx"})
    page = Page(response)
    assert page.status == 400
    assert field_error(page, "zoneinfo") == ("Dit is geen bekende tijdzone. Vul er een in "
                                             "zoals Europe/Amsterdam.")
    assert field_error(page, "locale") == ("Dit is geen bekende taalcode. Vul er een in "
                                           "zoals nl-NL.")


def test_a_claim_the_directory_does_not_ask_for_cannot_be_posted(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, PATH)
    agent.submit(page, "Save", fields={"gender": "female", "website": "https://x.example",
                                       "given_name": "Anna"})
    assert stored(directory, user).claims == {"given_name": "Anna"}


def test_a_form_with_only_the_name_leaves_the_claims_as_they_are(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, PATH)
    agent.submit(page, "Save", by_label={"Given name": "Anna"})
    token = Page(agent.get(directory.issuer + PATH)).soup.find(
        "input", attrs={"name": "csrf_token"})["value"]
    response = agent.http.post(directory.issuer + PATH, allow_redirects=False, timeout=30,
                               data={"csrf_token": token, "name": "Anna de Vries"})
    assert response.status_code == 302
    row = stored(directory, user)
    assert row.name == "Anna de Vries" and row.claims == {"given_name": "Anna"}


def test_a_claim_is_shown_as_text_never_as_markup(directory):
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, PATH)
    agent.submit(page, "Save", by_label={"Given name": '"><script>alert(1)</script>'})
    page = Page(agent.get(directory.issuer + PATH))
    assert page.soup.find(id="given_name")["value"] == '"><script>alert(1)</script>'
    assert not page.soup.select("main script")


def test_the_overview_shows_the_given_details_with_a_link_to_change_them(directory):
    ask(directory, "given_name", "zoneinfo", "address")
    user = directory.add_user(totp=True)
    agent, page = open_account_page(directory, user, PATH)
    agent.submit(page, "Save", fields={"street_address": "Dorpsstraat 1\nbus 2"},
                 by_label={"Given name": "Anna", "City or town": "Ons Dorp"})
    _agent, page = open_account_page(directory, user, agent=agent)
    shown = {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True)
             for dt in page.soup.select("dl.claims dt")}
    assert shown == {"Given name": "Anna", "Postal address": "Dorpsstraat 1 bus 2, Ons Dorp"}
    assert page.link("Change your profile details").endswith(PATH)
