"""Voice-call codes: a landline proven during login, a code read out by a real gateway."""

from __future__ import annotations

import re
import secrets

import pytest

from idp.clock import now
from idp.methods.voice.storage import VoiceNumber, set_voice_number
from idp.storage import db
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory
from tests.support.account import open_account_page
from tests.support.agent import Agent, Page
from tests.support.rp import StrictRP
from tests.web.helpers import enter_code, set_up_page, step_up_page

SPOKEN = re.compile(r"(\d(?:, \d){5})")
DOT4 = "\u2022" * 4


def new_landline() -> str:
    """Return a fresh, valid Amsterdam landline number, so tests never share a destination."""
    return f"+3120{2000000 + secrets.randbelow(8000000)}"


def masked(landline: str) -> str:
    return f"+31 20 {DOT4} {landline[-4:]}"


def spoken_code(gateway, to: str) -> str:
    """Return the code read out in the newest call to `to`, checking it is said twice."""
    calls = [r.body for r in gateway.received if r.body and r.body.get("to") == to]
    assert calls, f"no call to {to}"
    said = SPOKEN.findall(calls[-1]["message"])
    assert len(said) == 2 and said[0] == said[1], calls[-1]["message"]
    return said[0].replace(", ", "")


def calls_to(gateway, to: str) -> list[dict]:
    return [r.body for r in gateway.received if r.body and r.body.get("to") == to]


@pytest.fixture
def voice_directory(directory):
    """A directory where a voice-call code is worth 10 points (it is off by default)."""
    directory.set_levels(voice=10)
    return directory


def give_voice_number(app, directory, user, phone: str) -> None:
    with app.app_context():
        row = find_user(get_directory(directory.slug), user.username)
        set_voice_number(row, phone, now())
        db.session.commit()


def stored_number(app, directory, user) -> tuple[str | None, str | None]:
    """Return (voice number, mobile number) as stored."""
    with app.app_context():
        row = find_user(get_directory(directory.slug), user.username)
        voice = db.session.get(VoiceNumber, row.id)
        return (voice.phone if voice else None), row.phone


@pytest.fixture
def caller(app, voice_directory):
    """A user with a password and a proven landline for voice calls, and nothing else."""
    user = voice_directory.add_user()
    landline = new_landline()
    give_voice_number(app, voice_directory, user, landline)
    user.voice = landline
    return user


def call_me(rp, page: Page, landline: str) -> Page:
    sent = Page(rp.agent.submit(page, f"Call {masked(landline)} with a code"))
    assert sent.status == 200, sent.text[:300]
    return sent


def test_voice_is_off_by_default_and_not_offered(rp, app, directory):
    user = directory.add_user(totp=True)
    give_voice_number(app, directory, user, new_landline())

    page = step_up_page(rp, user)

    assert "with a code" not in page.text and "voice call" not in page.text.lower()


def test_a_landline_is_set_up_during_login_and_kept_apart_from_the_mobile(
        rp, app, voice_directory, voice_gateway):
    user = voice_directory.add_user(phone="+31612345678", phone_verified=False)
    landline = new_landline()
    page = Page(rp.agent.get(set_up_page(rp, user).link("Set up voice call code")))
    assert page.title == "Set up voice call codes", page.text[:300]

    assert "+31612345678" not in page.text  # the known mobile is offered masked
    sent = Page(rp.agent.submit(page, "Call me",
                                by_label={"Another phone number (optional)": landline}))
    assert f"We are calling {masked(landline)} to read out a code." in sent.text
    response = enter_code(rp, sent, spoken_code(voice_gateway, landline),
                          button="Verify and turn on")
    done = Page(response)
    assert done.title == "Save your recovery codes", done.text[:300]
    response = rp.agent.submit(done, "Continue")

    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["acr"] == "30" and "tel" in claims["amr"]
    assert stored_number(app, voice_directory, user) == (landline, "+31612345678")


def test_the_call_reads_the_code_slowly_twice_in_the_pages_language(
        rp, voice_directory, caller, voice_gateway):
    call_me(rp, step_up_page(rp, caller), caller.voice)

    [call] = calls_to(voice_gateway, caller.voice)

    assert set(call) == {"to", "message", "language"}
    assert call["language"] == "en"
    assert f"Test {voice_directory.slug}" in call["message"] and "10 minutes" in call["message"]
    assert re.fullmatch(r"\d{6}", spoken_code(voice_gateway, caller.voice))


def test_a_voice_code_completes_the_login(rp, caller, voice_gateway):
    page = call_me(rp, step_up_page(rp, caller), caller.voice)
    assert page.title == "Enter the code we read out to you"

    response = enter_code(rp, page, spoken_code(voice_gateway, caller.voice))

    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["acr"] == "30"
    assert set(claims["amr"]) == {"pwd", "tel", "mfa"}


def test_a_premium_rate_number_is_not_called(rp, voice_directory, voice_gateway):
    user = voice_directory.add_user()
    page = Page(rp.agent.get(set_up_page(rp, user).link("Set up voice call code")))

    refused = Page(rp.agent.submit(page, "Call me", by_label={"Phone number": "+31900123456"}))

    assert refused.status == 400
    assert "This directory does not call this number" in refused.text
    assert "premium rate" in refused.text
    assert not calls_to(voice_gateway, "+31900123456")


def test_asking_again_at_once_is_refused_with_the_wait(rp, caller, voice_gateway):
    page = call_me(rp, step_up_page(rp, caller), caller.voice)

    response = rp.agent.submit(page, "Call again with a new code")

    assert response.status_code == 429
    assert ("A code was sent moments ago. You can ask for a new one in 30 seconds."
            in Page(response).text)
    assert len(calls_to(voice_gateway, caller.voice)) == 1


def test_a_number_gets_at_most_five_calls_an_hour(rp, caller, voice_gateway, provider_clock):
    page = call_me(rp, step_up_page(rp, caller), caller.voice)
    for wait in (31, 61, 121, 241):
        provider_clock(wait)
        page = Page(rp.agent.submit(page, "Call again with a new code"))
        assert page.status == 200, page.text[:300]
    provider_clock(481)

    response = rp.agent.submit(page, "Call again with a new code")

    assert response.status_code == 429
    assert (f"Too many codes were sent to {masked(caller.voice)} in the last hour"
            in Page(response).text)
    assert len(calls_to(voice_gateway, caller.voice)) == 5


def test_a_gateway_that_is_down_loses_nothing(rp, caller, voice_gateway):
    voice_gateway.fail_next(503, times=20)

    response = rp.agent.submit(step_up_page(rp, caller), f"Call {masked(caller.voice)} with a code")

    assert response.status_code == 503
    assert "The call could not be made right now." in Page(response).text
    voice_gateway.clear()
    again = rp.agent.submit(Page(response), "Call me")
    assert again.status_code == 200, Page(again).text[:400]
    assert spoken_code(voice_gateway, caller.voice)


def test_a_dutch_login_gets_a_dutch_call(voice_directory, caller, voice_gateway):
    rp = StrictRP(voice_directory, voice_directory.add_client(), Agent(voice_directory.live.url))
    login = Page(rp.start(ui_locales="nl"))
    page = Page(rp.agent.submit(login, "Inloggen", by_label={
        "Gebruikersnaam of e-mailadres": caller.username, "Wachtwoord": caller.password}))

    sent = Page(rp.agent.submit(page, f"Bel {masked(caller.voice)} met een code"))

    assert sent.title == "Vul de code in die we hebben voorgelezen", sent.text[:300]
    [call] = calls_to(voice_gateway, caller.voice)
    assert call["language"] == "nl"
    assert call["message"].startswith(f"Uw code voor Test {voice_directory.slug} is: ")
    assert "Nogmaals: " in call["message"]
    response = enter_code(rp, sent, spoken_code(voice_gateway, caller.voice), button="Verifiëren")
    assert "tel" in rp.exchange(rp.response_params(response)["code"])["claims"]["amr"]


def test_the_audit_log_names_the_voice_call_code(rp, voice_directory, caller, voice_gateway):
    page = call_me(rp, step_up_page(rp, caller), caller.voice)
    enter_code(rp, page, spoken_code(voice_gateway, caller.voice))
    admin = voice_directory.add_user(totp=True, admin=True)

    _agent, audit = open_account_page(voice_directory, admin,
                                      f"/admin/audit?user={caller.username}")

    details = [td.get_text(" ", strip=True) for td in audit.soup.select("table.audit tbody td")]
    assert any("Methods: Password, Voice call code" in d for d in details), details
    assert any("Method: Voice call code" in d for d in details), details
