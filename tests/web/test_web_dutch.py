"""Dutch pages and messages: asked for with ui_locales or by the browser, English otherwise."""

from __future__ import annotations

import re

import pytest

from tests.support.agent import Agent, Page
from tests.support.live import new_mobile
from tests.support.rp import StrictRP
from tests.web.helpers import enter_code, masked_phone, step_up_page

DUTCH_BROWSER = "nl-NL,nl;q=0.9,en;q=0.5"


@pytest.fixture
def texter(directory):
    """A user with a proven mobile number, a proven email address and nothing else."""
    return directory.add_user(phone=new_mobile(), email_verified=True)


def dutch_rp(directory, client, how: str) -> tuple[StrictRP, dict[str, str]]:
    """A relying party whose user wants Dutch, and the request parameters that say so."""
    agent = Agent(directory.live.url)
    if how == "accept-language":
        agent.http.headers["Accept-Language"] = DUTCH_BROWSER
        return StrictRP(directory, client, agent), {}
    return StrictRP(directory, client, agent), {"ui_locales": "nl"}


def dutch_login_page(rp: StrictRP, **params: str) -> Page:
    page = Page(rp.start(**params))
    assert page.status == 200, page.text[:300]
    assert page.soup.find("html")["lang"] == "nl"
    assert page.title == "Inloggen", page.text[:300]
    return page


CHOOSE = "Kies hoe u zich wilt verifiëren"
SET_UP = "Een manier van verifiëren instellen"  # nothing to choose: only ways to set up


def log_in_in_dutch(rp: StrictRP, user, *, title: str = CHOOSE, **params: str) -> Page:
    """Log in on the Dutch login page; return the Dutch step-up page, titled `title`."""
    page = dutch_login_page(rp, **params)
    step_up = Page(rp.agent.submit(page, "Inloggen", by_label={
        "Gebruikersnaam of e-mailadres": user.username, "Wachtwoord": user.password}))
    assert step_up.soup.find("html")["lang"] == "nl"
    assert step_up.title == title, step_up.text[:300]
    return step_up


@pytest.mark.parametrize("how", ["ui_locales", "accept-language"])
def test_the_login_page_is_dutch_and_its_forms_work(directory, how):
    user = directory.add_user(totp=True)
    rp, params = dutch_rp(directory, directory.add_client(), how)

    page = dutch_login_page(rp, **params)

    for label in ("Gebruikersnaam of e-mailadres", "Wachtwoord"):
        assert page.field_name(label)
    assert page.form_with_button("Annuleren en terug naar de app")
    assert "Username" not in page.text and "Password" not in page.text
    step_up = log_in_in_dutch(rp, user, **params)
    assert "punten" in step_up.text
    code_page = Page(rp.agent.get(step_up.link("Doorgaan met authenticator-app")))
    assert code_page.title == "Vul de code uit uw authenticator-app in", code_page.text[:300]
    response = enter_code(rp, code_page, user.totp(), button="Verifiëren")
    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["sub"] == user.subject
    assert set(claims["amr"]) == {"pwd", "otp", "mfa"}


def test_ui_locales_wins_over_the_browser_language(directory):
    rp, _params = dutch_rp(directory, directory.add_client(), "accept-language")

    page = Page(rp.start(ui_locales="en"))

    assert page.soup.find("html")["lang"] == "en"
    assert page.title == "Log in"


def test_a_wrong_password_keeps_the_browser_language(directory):
    user = directory.add_user()
    rp, params = dutch_rp(directory, directory.add_client(), "accept-language")

    page = Page(rp.agent.submit(dutch_login_page(rp, **params), "Inloggen", by_label={
        "Gebruikersnaam of e-mailadres": user.username, "Wachtwoord": "wrong"}))

    assert page.status == 400
    assert page.title == "Inloggen" and page.field_name("Wachtwoord")


def test_a_wrong_password_keeps_the_ui_locales_language(directory):
    user = directory.add_user()
    rp, params = dutch_rp(directory, directory.add_client(), "ui_locales")

    page = Page(rp.agent.submit(dutch_login_page(rp, **params), "Inloggen", by_label={
        "Gebruikersnaam of e-mailadres": user.username, "Wachtwoord": "wrong"}))

    assert page.status == 400
    assert page.title == "Inloggen"


@pytest.mark.parametrize("how", ["ui_locales", "accept-language"])
def test_a_code_asked_for_on_a_dutch_page_comes_by_a_dutch_text_message(
        directory, texter, gateway, how):
    rp, params = dutch_rp(directory, directory.add_client(), how)
    step_up = log_in_in_dutch(rp, texter, **params)

    page = Page(rp.agent.submit(step_up,
                                f"Een code sms\u2019en naar {masked_phone(texter.phone)}"))
    message = gateway.wait_for(texter.phone)["message"]
    code = gateway.last_code(texter.phone)

    assert page.title == "Vul de code uit de sms in", page.text[:300]
    assert re.fullmatch(r"\d{6}", code)
    lines = message.splitlines()
    assert lines[0] == (f"{code} is uw code voor Test {directory.slug}. Deze verloopt over "
                        "10 minuten. Deel de code met niemand.")
    assert lines[-1] == f"@127.0.0.1 #{code}"
    assert message.isascii() and len(message) <= 160
    response = enter_code(rp, page, code, button="Verifiëren")
    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert set(claims["amr"]) == {"pwd", "sms", "mfa"}


def test_a_code_asked_for_on_a_dutch_page_comes_by_a_dutch_email(directory, texter, mail):
    rp, params = dutch_rp(directory, directory.add_client(), "ui_locales")
    step_up = log_in_in_dutch(rp, texter, **params)

    page = Page(rp.agent.submit(step_up, "Een code e-mailen naar"))
    email = mail.wait_for(texter.email)
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    code = re.search(r"\b(\d{6})\b", text).group(1)

    assert page.title == "Vul de code uit de e-mail in", page.text[:300]
    assert email["Subject"] == f"{code} is uw code voor Test {directory.slug}"
    for part in (text, html):
        assert f"Uw code voor Test {directory.slug} is:" in part
        assert code in part
        assert "verloopt over 10 minuten" in part
        assert "deel deze code met niemand" in part
        assert "expires" not in part
    assert '<html lang="nl">' in html
    response = enter_code(rp, page, code, button="Verifiëren")
    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert set(claims["amr"]) == {"pwd", "otp"}


def test_an_english_page_still_sends_english(rp, directory, texter, gateway, mail):
    step_up = step_up_page(rp, texter)
    assert step_up.soup.find("html")["lang"] == "en"

    rp.agent.submit(step_up, f"Text a code to {masked_phone(texter.phone)}")
    message = gateway.wait_for(texter.phone)["message"]
    other = StrictRP(directory, rp.client, Agent(directory.live.url))
    other.agent.submit(step_up_page(other, texter), "Email a code to")
    email = mail.wait_for(texter.email)
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()

    code = message.split()[0]
    assert message.startswith(f"{code} is your Test {directory.slug} code. It expires in "
                              "10 minutes.")
    assert message.splitlines()[-1] == f"@127.0.0.1 #{code}"
    assert "is your" in email["Subject"]
    assert f"Your code for Test {directory.slug} is:" in text
    assert "expires in 10 minutes" in html and '<html lang="en">' in html
    assert "uw code" not in message + text + html


def test_the_dutch_set_up_buttons_are_whole_translated_sentences(directory):
    user = directory.add_user()
    rp, params = dutch_rp(directory, directory.add_client(), "ui_locales")

    step_up = log_in_in_dutch(rp, user, title=SET_UP, **params)

    buttons = [a.get_text(strip=True) for a in step_up.soup.select("a.button")
               if "/enrol/" in a["href"]]
    assert buttons, step_up.text[:300]
    assert "Authenticator-app instellen" in buttons, buttons
    assert "Een passkey instellen" in buttons, buttons
    assert all(button[:1].isupper() for button in buttons), buttons
    assert "passkey instellen" not in buttons and "sms-code instellen" not in buttons
    about = step_up.soup.find(id="about-passkey").get_text(" ", strip=True)
    assert about.startswith("Uw telefoon, computer of beveiligingssleutel"), about
    assert "Genoeg op zichzelf: de volgende keer hebt u geen wachtwoord nodig." in about
