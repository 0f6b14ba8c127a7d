"""Step-up and enrolment during login: a password-only user sets up an authenticator app,
saves recovery codes, and every one-time code works once."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pyotp

from idp.clock import now
from tests.support.agent import Page, past_codes_left
from tests.support.rp import StrictRP
from tests.web.helpers import interaction_url, new_rp, password_step

if TYPE_CHECKING:  # imported here only: pytest would try to collect a Test* class
    from tests.support.live import TestUser

RECOVERY_FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def _enrol_totp(rp: StrictRP, user: TestUser) -> tuple[Page, str]:
    """From the login page to the recovery codes: return that page and the TOTP secret."""
    step_up = Page(password_step(rp, user))
    assert step_up.title == "Set up a way to verify", step_up.text[:300]
    enrol = Page(rp.agent.get(step_up.link("Set up an authenticator app")))
    assert enrol.title == "Set up an authenticator app", enrol.text[:300]
    secret = enrol.soup.find(id="totp-secret")["data-secret"]
    response = rp.agent.submit(enrol, "Verify", by_label={"Code": pyotp.TOTP(secret).at(now())})
    codes_page = Page(response)
    assert codes_page.title == "Save your recovery codes", codes_page.text[:300]
    return codes_page, secret


def _codes(page: Page) -> list[str]:
    return [item.get_text(strip=True) for item in page.soup.select("#recovery-codes li")]


def test_a_password_only_user_is_offered_to_set_up_an_authenticator_app(directory):
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()

    page = Page(password_step(rp, user))

    assert page.title == "Set up a way to verify"
    progress = page.soup.find(id="level").get_text(" ", strip=True)
    assert "20" in progress and "30" in progress and "10 more" in progress, progress
    assert page.link("Set up an authenticator app").endswith("/enrol/totp")
    assert not [a for a in page.soup.find_all("a") if a.get_text().startswith("Continue with")]
    assert page.form_with_button("Cancel")


def test_a_user_with_a_method_to_use_is_still_asked_to_choose_how_to_verify(directory):
    rp = StrictRP(directory, directory.add_client())
    page = Page(password_step(rp, directory.add_user(totp=True)))
    assert page.title == "Choose how to verify", page.text[:300]
    assert page.link("Continue with authenticator app")


def _about(page: Page, label: str) -> str:
    """Return the line that describes the set-up button `label` (its aria-describedby)."""
    [button] = [a for a in page.soup.select("#set-up a.button")
                if a.get_text(strip=True) == label]
    about = page.soup.find(id=button["aria-describedby"])
    assert about is not None, label
    return about.get_text(" ", strip=True)


def test_each_way_to_set_up_says_in_a_line_what_it_is(directory):
    rp = StrictRP(directory, directory.add_client())
    page = Page(password_step(rp, directory.add_user()))
    assert page.soup.select("#set-up a.button"), page.text[:300]
    for button in page.soup.select("#set-up a.button"):
        assert _about(page, button.get_text(strip=True))
    assert "approve each login in it with your PIN" in _about(page, "Set up app approval")
    assert "authenticator app on your phone" in _about(page, "Set up an authenticator app")


def test_only_a_passkey_that_reaches_the_level_alone_is_called_enough_on_its_own(directory):
    rp = StrictRP(directory, directory.add_client())
    page = Page(password_step(rp, directory.add_user()))
    enough = "Enough on its own: next time you need no password."
    assert enough in _about(page, "Set up a passkey")
    others = [a.get_text(strip=True) for a in page.soup.select("#set-up a.button")
              if a.get_text(strip=True) != "Set up a passkey"]
    assert others and not [label for label in others if enough in _about(page, label)]


def test_a_passkey_is_not_called_enough_on_its_own_below_the_level_the_app_asks(directory):
    rp = StrictRP(directory, directory.add_client())
    page = Page(password_step(rp, directory.add_user(), acr_values="40"))  # passkey: 30
    assert page.title == "Set up a way to verify", page.text[:300]
    assert "Enough on its own" not in _about(page, "Set up a passkey")


def test_enrolling_an_authenticator_app_during_login_reaches_level_30(directory):
    client = directory.add_client()
    rp = StrictRP(directory, client)
    user = directory.add_user()

    codes_page, secret = _enrol_totp(rp, user)
    codes = _codes(codes_page)
    response = rp.agent.submit(codes_page, "Continue")
    tokens = rp.exchange(rp.response_params(response)["code"])

    assert len(secret) >= 32 and pyotp.TOTP(secret).now().isdigit()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(RECOVERY_FORMAT.match(code) for code in codes), codes
    claims = tokens["claims"]
    assert claims["sub"] == user.subject
    assert claims["acr"] == "30"
    assert set(claims["amr"]) == {"pwd", "otp", "mfa"}


def test_the_enrolment_page_shows_a_qr_code_and_the_key(directory):
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()
    step_up = Page(password_step(rp, user))

    enrol = Page(rp.agent.get(step_up.link("Set up an authenticator app")))

    secret = enrol.soup.find(id="totp-secret")
    assert secret.get_text(strip=True).replace(" ", "") == secret["data-secret"]
    assert enrol.soup.select_one("figure.qr svg") is not None
    assert enrol.field_name("Code") == "code"


def test_a_wrong_code_keeps_the_enrolment_open_with_the_same_key(directory):
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user()
    step_up = Page(password_step(rp, user))
    enrol = Page(rp.agent.get(step_up.link("Set up an authenticator app")))
    secret = enrol.soup.find(id="totp-secret")["data-secret"]
    wrong = f"{(int(pyotp.TOTP(secret).at(now())) + 1) % 1_000_000:06d}"

    response = rp.agent.submit(enrol, "Verify", by_label={"Code": wrong})

    assert response.status_code == 400
    again = Page(response)
    assert again.title == "Set up an authenticator app"
    assert again.soup.find(id="form-error") is not None
    assert again.soup.find(id="totp-secret")["data-secret"] == secret
    ok = rp.agent.submit(again, "Verify", by_label={"Code": pyotp.TOTP(secret).at(now())})
    assert Page(ok).title == "Save your recovery codes"


def test_recovery_codes_are_shown_once_and_each_works_once(directory):
    client = directory.add_client()
    user = directory.add_user()
    rp = StrictRP(directory, client)
    codes_page, _secret = _enrol_totp(rp, user)
    codes = _codes(codes_page)

    # Reloading does not show the codes again: the login simply goes on.
    rp.response_params(rp.agent.get(interaction_url(codes_page)))

    def with_recovery_code(code: str):
        other = new_rp(directory, client)
        step_up = Page(password_step(other, user))
        form = Page(other.agent.get(step_up.link("Continue with recovery code")))
        return other, past_codes_left(
            other.agent, other.agent.submit(form, "Verify", by_label={"Code": code}))

    first, response = with_recovery_code(codes[0])
    claims = first.exchange(first.response_params(response)["code"])["claims"]
    assert claims["acr"] == "30"

    _, replay = with_recovery_code(codes[0])
    assert replay.status_code == 400
    assert "already used" in Page(replay).soup.find(id="form-error").get_text()

    typed_loosely = codes[1].replace("-", "").lower()
    second, response = with_recovery_code(typed_loosely)
    assert "code" in second.response_params(response)


def test_a_totp_code_is_accepted_once_and_refused_the_second_time(directory):
    client = directory.add_client()
    user = directory.add_user(totp=True)
    code = user.totp()

    first = new_rp(directory, client)
    step_up = password_step(first, user)
    form = Page(first.agent.get(Page(step_up).link("Continue with authenticator app")))
    accepted = first.agent.submit(form, "Verify", by_label={"Code": code})

    second = new_rp(directory, client)
    step_up = password_step(second, user)
    form = Page(second.agent.get(Page(step_up).link("Continue with authenticator app")))
    refused = second.agent.submit(form, "Verify", by_label={"Code": code})

    assert "code" in first.response_params(accepted)
    assert refused.status_code == 400
    page = Page(refused)
    assert page.title == "Enter the code from your authenticator app"
    assert "already used" in page.soup.find(id="form-error").get_text()


def test_a_user_with_an_authenticator_app_is_not_offered_enrolment(directory):
    rp = StrictRP(directory, directory.add_client())
    user = directory.add_user(totp=True)

    page = Page(password_step(rp, user))

    assert page.link("Continue with authenticator app")
    assert "Set up" not in page.text
