"""SMS and email codes during login: masked choices, real delivery, one use, one browser."""

from __future__ import annotations

import re

import pytest

from tests.support.agent import Agent, Page
from tests.support.live import new_mobile
from tests.support.rp import StrictRP
from tests.web.helpers import enter_code, masked_phone, step_up_page


@pytest.fixture
def texter(directory):
    """A user with a proven mobile number, a proven email address and nothing else."""
    return directory.add_user(phone=new_mobile(), email_verified=True)


def text_me(rp, page: Page, phone: str) -> Page:
    sent = Page(rp.agent.submit(page, f"Text a code to {masked_phone(phone)}"))
    assert sent.status == 200, sent.text[:300]
    return sent


def test_the_step_up_page_names_each_way_with_a_masked_destination(rp, texter):
    page = step_up_page(rp, texter)

    buttons = [b.get_text(strip=True) for b in page.soup.select(".choices button")]
    local = texter.email[0]
    assert f"Text a code to {masked_phone(texter.phone)}" in buttons
    assert f"Email a code to {local}\u2022\u2022\u2022@example.org" in buttons
    assert texter.phone[3:] not in page.text  # the full number is never shown


def test_a_text_message_code_completes_the_login(rp, directory, texter, gateway):
    page = text_me(rp, step_up_page(rp, texter), texter.phone)
    sms = gateway.wait_for(texter.phone)

    response = enter_code(rp, page, gateway.last_code(texter.phone))

    assert page.title == "Enter the code we texted you"
    assert f"We sent a code to {masked_phone(texter.phone)}" in page.text
    assert set(sms) == {"to", "message", "from"} and sms["to"] == texter.phone
    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["acr"] == "30"
    assert set(claims["amr"]) == {"pwd", "sms", "mfa"}


def test_the_text_message_says_who_asks_how_long_it_lasts_and_binds_to_the_origin(
        rp, directory, texter, gateway):
    text_me(rp, step_up_page(rp, texter), texter.phone)
    message = gateway.wait_for(texter.phone)["message"]
    code = gateway.last_code(texter.phone)

    assert f"Test {directory.slug}" in message
    assert "10 minutes" in message
    # Origin-bound one-time code line (WICG sms-one-time-codes): last line "@host #code".
    assert message.splitlines()[-1] == f"@127.0.0.1 #{code}"
    assert re.fullmatch(r"\d{6}", code)


def test_an_email_code_completes_the_login_and_the_mail_has_text_and_html(
        rp, directory, texter, mail):
    page = Page(rp.agent.submit(step_up_page(rp, texter), "Email a code to"))
    email = mail.wait_for(texter.email)
    text = email.get_body(("plain",)).get_content()
    html = email.get_body(("html",)).get_content()
    code = re.search(r"\b(\d{6})\b", text).group(1)

    response = enter_code(rp, page, code)

    assert page.title == "Enter the code we emailed you"
    assert code in email["Subject"] and f"Test {directory.slug}" in email["Subject"]
    assert code in html and "10 minutes" in text
    claims = rp.exchange(rp.response_params(response)["code"])["claims"]
    assert claims["acr"] == "30"
    # NIST SP 800-63B: an email code is not something you have, so no "mfa" (README)
    assert set(claims["amr"]) == {"pwd", "otp"}


def rp_for(directory, rp) -> StrictRP:
    """A relying party of the same client in a fresh browser."""
    return StrictRP(directory, rp.client, Agent(directory.live.url))


def test_codes_are_random_six_digit_numbers(rp, directory, gateway):
    codes = set()
    for _ in range(4):
        user = directory.add_user(phone=new_mobile())
        browser = rp_for(directory, rp)
        text_me(browser, step_up_page(browser, user), user.phone)
        codes.add(gateway.last_code(user.phone))
    assert len(codes) >= 3
    assert all(re.fullmatch(r"\d{6}", code) for code in codes)


def test_a_user_without_a_proven_number_is_not_offered_a_text(rp, directory):
    user = directory.add_user(phone=new_mobile(), phone_verified=False, totp=True)

    page = step_up_page(rp, user)

    assert "Text a code" not in page.text
    assert "Continue with authenticator app" in page.text


def test_the_method_page_asks_before_sending(rp, texter, gateway):
    page = step_up_page(rp, texter)
    url = page.url + "/method/sms"

    shown = Page(rp.agent.get(url))

    assert f"We will text a 6-digit code to {masked_phone(texter.phone)}" in shown.text
    assert not [r for r in gateway.received if (r.body or {}).get("to") == texter.phone]
    assert shown.form_with_button("Send the code")
