"""The page language: picked on the page, else ui_locales, else the browser, else the directory.

The switch on every page links to the same page with ``?lang=``; the choice is kept in the
``idp-lang`` cookie for the next pages, POSTs included. Machines' JSON stays English.
"""

from __future__ import annotations

import re
from io import BytesIO
from urllib.parse import parse_qs, urlparse

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations

import idp.i18n
from idp.storage import db
from idp.tenants.directories import get_directory
from tests.support.agent import Agent, Page
from tests.support.live import new_mobile
from tests.support.rp import StrictRP
from tests.web.helpers import assert_error_page, assert_sane, interaction_url

COOKIE = "idp-lang"
DUTCH_LOGIN = "Inloggen"
DUTCH_STEP_UP = "Kies hoe u zich wilt verifiëren"


def set_default_locale(directory, locale: str) -> None:
    with directory.live.app.app_context():
        get_directory(directory.slug).default_locale = locale
        db.session.commit()


def language_of(page: Page) -> str:
    """Return the page's language as the <html lang> and the heading agree on it."""
    lang = page.soup.find("html")["lang"]
    if page.title in ("Log in", "Choose how to verify", "Something is not right",
                      "Page not found", "This login has ended", "Unknown app"):
        assert lang == "en", (lang, page.title)
    if page.title in (DUTCH_LOGIN, DUTCH_STEP_UP, "Er klopt iets niet", "Pagina niet gevonden",
                      "Deze login is afgelopen", "Onbekende app"):
        assert lang == "nl", (lang, page.title)
    return lang


def switch_link(page: Page, name: str) -> str:
    """Return the URL of the language switch's link to `name` (English, Nederlands)."""
    nav = page.soup.find("nav", class_="languages")
    assert nav is not None, page.text[:300]
    for anchor in nav.find_all("a"):
        if anchor.get_text(strip=True) == name:
            assert anchor["hreflang"] == anchor["lang"]
            return page.response.url.split("/d/")[0] + anchor["href"]
    raise AssertionError(f"no switch to {name} on {page.url}: {nav}")


def new_rp(directory, client, accept_language: str | None = None) -> StrictRP:
    agent = Agent(directory.live.url)
    if accept_language:
        agent.http.headers["Accept-Language"] = accept_language
    return StrictRP(directory, client, agent)


# (directory default, Accept-Language, ui_locales, cookie, ?lang) -> the page's language
ORDER = {
    "the directory's default when nothing else says": ("nl", None, None, None, None, "nl"),
    "English by default": ("en", None, None, None, None, "en"),
    "the browser over the directory": ("nl", "en-GB,en;q=0.9", None, None, None, "en"),
    "a Dutch browser over an English directory": ("en", "nl-NL,nl;q=0.9", None, None, None,
                                                  "nl"),
    "a browser language we lack falls to the directory": ("nl", "de-DE,de", None, None, None,
                                                          "nl"),
    "ui_locales over the browser": ("en", "en-GB", "nl", None, None, "nl"),
    "the first ui_locales we have": ("en", None, "de fr-CA nl-BE en", None, None, "nl"),
    "the picked language over ui_locales": ("en", "en", "en", "nl", None, "nl"),
    "?lang over the remembered choice": ("nl", "nl", "nl", "nl", "en", "en"),
    "an unknown ?lang leaves the remembered choice": ("en", "en", None, "nl", "xx", "nl"),
    "an unknown cookie is ignored": ("en", "nl", None, "klingon", None, "nl"),
}


@pytest.mark.parametrize("default, accept, ui_locales, cookie, lang, expected",
                         list(ORDER.values()), ids=list(ORDER))
def test_the_page_language_is_chosen_in_order(directory, default, accept, ui_locales, cookie,
                                              lang, expected):
    set_default_locale(directory, default)
    rp = new_rp(directory, directory.add_client(), accept)
    if cookie:
        rp.agent.http.cookies.set(COOKIE, cookie)
    params = {"ui_locales": ui_locales} if ui_locales else {}

    page = Page(rp.start(**params))
    if lang is not None:
        page = Page(rp.agent.get(interaction_url(page) + f"?lang={lang}"))

    assert page.status == 200, page.text[:300]
    assert language_of(page) == expected
    assert page.title == (DUTCH_LOGIN if expected == "nl" else "Log in")


def test_the_switch_on_the_login_page_keeps_the_pending_login(directory):
    user = directory.add_user(totp=True)
    rp = new_rp(directory, directory.add_client(), "en-GB")
    page = Page(rp.start())
    assert page.title == "Log in"
    english = switch_link(page, "Nederlands")

    dutch = Page(rp.agent.get(english))

    assert dutch.status == 200 and dutch.title == DUTCH_LOGIN
    assert interaction_url(dutch) == interaction_url(page)
    assert urlparse(dutch.url).path == urlparse(page.url).path
    current = dutch.soup.select_one("nav.languages [aria-current]")
    assert current is not None and current.get_text(strip=True) == "Nederlands"
    step_up = Page(rp.agent.submit(dutch, "Inloggen", by_label={
        "Gebruikersnaam of e-mailadres": user.username, "Wachtwoord": user.password}))
    assert step_up.title == DUTCH_STEP_UP  # the browser says English; the choice stays
    code_page = Page(rp.agent.get(step_up.link("Doorgaan met authenticator-app")))
    response = rp.agent.submit(code_page, "Verifiëren", by_label={"Code": user.totp()})
    assert set(rp.exchange(rp.response_params(response)["code"])["claims"]["amr"]) >= {"pwd",
                                                                                        "otp"}


def test_the_switch_on_a_page_answering_a_form_leads_to_the_same_step(directory):
    """A wrong password shows the login page at the form's POST-only address; the switch
    there must lead to a page (GET), not to "method not allowed"."""
    user = directory.add_user()
    rp = new_rp(directory, directory.add_client())
    page = Page(rp.start())
    wrong = Page(rp.agent.submit(page, "Log in", by_label={
        "Username or email": user.username, "Password": "not the password"}))
    assert wrong.status == 400 and urlparse(wrong.url).path.endswith("/login")

    switched = Page(rp.agent.get(switch_link(wrong, "Nederlands")))

    assert switched.status == 200, switched.text[:300]
    assert switched.title == DUTCH_LOGIN
    assert urlparse(switched.url).path == urlparse(interaction_url(page)).path


def test_the_picked_language_is_remembered_in_a_cookie_with_safe_flags(directory):
    rp = new_rp(directory, directory.add_client())
    page = Page(rp.start())

    response = rp.agent.http.get(switch_link(page, "Nederlands"), allow_redirects=False)

    assert response.status_code == 200
    header = next(value for name, value in response.raw.headers.items()
                  if name.lower() == "set-cookie" and value.startswith(f"{COOKIE}="))
    attributes = {part.strip().split("=")[0].lower(): part.strip()
                  for part in header.split(";")[1:]}
    assert header.startswith(f"{COOKIE}=nl;")
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/"
    assert int(attributes["max-age"].split("=")[1]) >= 300 * 24 * 3600
    assert "secure" not in attributes  # plain http on loopback; https gets Secure
    assert "domain" not in attributes
    # Asked again with the same choice, the cookie is not set again.
    again = rp.agent.http.get(switch_link(page, "Nederlands"), allow_redirects=False)
    assert COOKIE not in again.headers.get("Set-Cookie", "")


HOSTILE = {
    "unknown code": "xx",
    "empty": "",
    "upper case": "NL",
    "a region": "nl-NL",
    "a list": "nl,en",
    "script": "<script>alert(1)</script>",
    "NUL": "nl\x00",
    "path": "../../etc/passwd",
    "header injection": "nl\r\nSet-Cookie: x=1",
    "oversized": "n" * 5000,
    "non-ASCII": "néérlands",
}


@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_lang_value_is_ignored(shared_directory, shared_client, value):
    rp = new_rp(shared_directory, shared_client)
    page = Page(rp.start())

    response = rp.agent.http.get(interaction_url(page), params={"lang": value},
                                 allow_redirects=False)

    assert_sane(response)
    assert response.status_code == 200
    assert COOKIE not in response.headers.get("Set-Cookie", "")
    assert "<script>alert" not in response.text
    answer = Page(response)
    assert answer.title == "Log in" and language_of(answer) == "en"
    # The switch links name only our own codes, whatever was sent.
    for anchor in answer.soup.select("nav.languages a"):
        assert parse_qs(urlparse(anchor["href"]).query)["lang"] == [anchor["hreflang"]]


@pytest.mark.parametrize("value", ["xx", "<b>", "nl\x01", "e" * 4000])
def test_a_hostile_cookie_is_ignored(shared_directory, shared_client, value):
    rp = new_rp(shared_directory, shared_client)
    rp.agent.http.cookies.set(COOKIE, value)

    response = rp.start()

    assert_sane(response)
    page = Page(response)
    assert page.status == 200 and page.title == "Log in" and language_of(page) == "en"


def test_a_post_after_switching_is_answered_in_the_picked_language(directory):
    user = directory.add_user()
    rp = new_rp(directory, directory.add_client(), "en-GB,en")
    page = Page(rp.start())
    dutch = Page(rp.agent.get(switch_link(page, "Nederlands")))

    wrong = Page(rp.agent.submit(dutch, "Inloggen", by_label={
        "Gebruikersnaam of e-mailadres": user.username, "Wachtwoord": "wrong"}))

    assert wrong.status == 400
    assert wrong.title == DUTCH_LOGIN and language_of(wrong) == "nl"
    assert wrong.soup.find(id="form-error") is not None
    assert wrong.field_name("Wachtwoord") == "password"


def test_a_code_asked_for_after_switching_comes_in_the_picked_language(directory, gateway):
    user = directory.add_user(phone=new_mobile())
    rp = new_rp(directory, directory.add_client(), "en-GB,en")
    step_up = Page(rp.log_in(rp.start(), user))
    assert step_up.title == "Choose how to verify"
    dutch = Page(rp.agent.get(switch_link(step_up, "Nederlands")))
    assert dutch.title == DUTCH_STEP_UP

    rp.agent.submit(dutch, "Een code sms\u2019en naar")

    message = gateway.wait_for(user.phone)["message"]
    assert " is uw code voor " in message, message


def test_the_error_page_has_the_switch_and_speaks_the_picked_language(directory):
    agent = Agent(directory.live.url)
    url = f"{directory.issuer}/authorize?client_id=nobody&response_type=code"

    english = assert_error_page(agent.get(url), 400, "invalid_client")
    dutch = Page(agent.get(switch_link(english, "Nederlands")))

    assert dutch.status == 400 and dutch.title == "Onbekende app"
    assert language_of(dutch) == "nl"
    assert dutch.soup.find(id="error-code").get_text(strip=True) == "invalid_client"
    detail = dutch.soup.find(id="error-detail")
    assert detail is None or detail["lang"] == "en"


def test_json_errors_stay_english_for_a_dutch_caller(directory):
    agent = Agent(directory.live.url)
    agent.http.headers["Accept-Language"] = "nl"
    agent.http.cookies.set(COOKIE, "nl")

    missing = agent.http.post(f"{directory.live.url}/d/nosuchdirectory/token?lang=nl")
    wrong_path = agent.http.get(f"{directory.issuer}/app/approvals/nothing-here?lang=nl")

    assert missing.status_code == 404 and missing.json() == {
        "error": "not_found", "error_description": "There is no such directory."}
    assert wrong_path.headers["Content-Type"].startswith("application/json")
    assert wrong_path.json()["error_description"].isascii()


def test_a_missing_directory_page_is_translated(live):
    agent = Agent(live.url)
    agent.http.headers["Accept-Language"] = "nl"

    page = Page(agent.get(f"{live.url}/d/nosuchdirectory/authorize"))

    assert page.status == 404 and page.title == "Pagina niet gevonden"
    assert language_of(page) == "nl"


@pytest.mark.parametrize("path", ["/", "/d/{slug}/authorize", "/d/{slug}/logout"])
def test_every_page_offers_the_other_language(directory, path):
    agent = Agent(directory.live.url)

    page = Page(agent.get(directory.live.url + path.format(slug=directory.slug)))

    assert page.status < 500
    dutch = Page(agent.get(switch_link(page, "Nederlands")))
    assert language_of(dutch) == "nl"
    assert switch_link(dutch, "English")


# --- messages built in Python follow the page language ------------------------------------
# A catalogue made here stands in for the Dutch .po, so these prove the wiring (gettext at
# the right moment, English for machines) whatever the translations hold.

@pytest.fixture
def dutch(monkeypatch) -> dict:
    """Return a dict of extra Dutch translations ({msgid: msgstr}, or {(singular, plural):
    (one, many)}) that the provider uses on Dutch pages while the test runs."""
    entries: dict = {}
    real = idp.i18n.translations_for

    def with_entries(directories, locale, domain="messages"):
        merged = real(directories, locale, domain)
        if locale.language != "nl" or not entries:
            return merged
        catalog = Catalog(locale="nl")
        for msgid, msgstr in entries.items():
            catalog.add(msgid, msgstr)
        compiled = BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        extra = Translations(fp=compiled, domain=domain)
        combined = Translations(domain=domain)
        combined.merge(merged)
        combined.merge(extra)
        combined.plural = extra.plural  # type: ignore[attr-defined]
        return combined

    monkeypatch.setattr(idp.i18n, "translations_for", with_entries)
    return entries


def test_a_wrong_password_is_told_in_dutch(directory, dutch):
    dutch["The username or password is not right."] = \
        "De gebruikersnaam of het wachtwoord klopt niet."
    user = directory.add_user()
    rp = new_rp(directory, directory.add_client(), "nl")

    page = Page(rp.agent.submit(Page(rp.start()), "Inloggen", by_label={
        "Gebruikersnaam of e-mailadres": user.username, "Wachtwoord": "wrong"}))

    assert page.status == 400
    alert = page.soup.find(id="form-error")
    assert alert["role"] == "alert"
    assert alert.get_text(strip=True) == "De gebruikersnaam of het wachtwoord klopt niet."


def test_a_wrong_code_is_told_in_dutch_with_the_tries_left(directory, gateway, dutch):
    dutch[("This code is not right. %(num)s try left.",
           "This code is not right. %(num)s tries left.")] = (
        "Deze code klopt niet. Nog %(num)s poging.", "Deze code klopt niet. Nog %(num)s pogingen.")
    dutch["We sent a code to %(destination)s."] = \
        "We hebben een code gestuurd naar %(destination)s."
    user = directory.add_user(phone=new_mobile())
    rp = new_rp(directory, directory.add_client(), "nl")
    step_up = Page(rp.agent.submit(Page(rp.start()), "Inloggen", by_label={
        "Gebruikersnaam of e-mailadres": user.username, "Wachtwoord": user.password}))

    code_page = Page(rp.agent.submit(step_up, "Een code sms\u2019en naar"))
    gateway.wait_for(user.phone)
    wrong = Page(rp.agent.submit(code_page, "Verifiëren", by_label={"Code": "000000"}))

    assert "We hebben een code gestuurd naar +" in code_page.text
    assert wrong.status == 400
    assert re.fullmatch(r"Deze code klopt niet\. Nog \d+ pogingen\.",
                        wrong.soup.find(id="form-error").get_text(strip=True))


def test_an_error_is_dutch_on_the_page_and_english_in_json(directory, dutch):
    dutch["There is no such directory."] = "Deze directory bestaat niet."
    agent = Agent(directory.live.url)
    agent.http.headers["Accept-Language"] = "nl"

    page = Page(agent.get(f"{directory.live.url}/d/nosuchdirectory/authorize"))
    api = agent.http.post(f"{directory.live.url}/d/nosuchdirectory/token")

    assert page.status == 404
    assert page.soup.find(id="error-description").get_text(strip=True) == \
        "Deze directory bestaat niet."
    assert api.status_code == 404
    assert api.json()["error_description"] == "There is no such directory."


def test_an_expired_login_is_told_in_the_picked_language(directory, dutch):
    dutch["This login has expired or was started in another browser. Go back to the app and "
          "start again."] = "Deze inlogpoging is verlopen."
    rp = new_rp(directory, directory.add_client(), "en")
    rp.agent.http.cookies.set(COOKIE, "nl")

    page = Page(rp.agent.get(f"{directory.issuer}/i/no-such-login"))

    assert page.status == 400 and page.title == "Deze login is afgelopen"
    assert page.soup.find(id="error-description").get_text(strip=True) == \
        "Deze inlogpoging is verlopen."
