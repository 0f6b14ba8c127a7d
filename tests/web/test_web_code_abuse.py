"""Wrong, expired, reused and foreign codes; resend waits and hourly limits; channels down."""

from __future__ import annotations

import pytest

from idp.storage import db
from idp.storage.models import AuditEvent, OneTimeCode
from tests.conftest import delivery_settings
from tests.support.agent import Agent, Page
from tests.support.live import build_live, new_directory, new_mobile
from tests.support.rp import StrictRP
from tests.web.helpers import enter_code, masked_phone, step_up_page


@pytest.fixture
def texter(directory):
    """A user with a proven mobile number and an authenticator app."""
    return directory.add_user(phone=new_mobile(), totp=True)


def text_me(rp: StrictRP, user) -> Page:
    button = f"Text a code to {masked_phone(user.phone)}"
    page = Page(rp.agent.submit(step_up_page(rp, user), button))
    assert page.status == 200, page.text[:300]
    return page


def refusal(response) -> tuple[int, str]:
    """Return the status and the error message of a page that refused (never a crash)."""
    assert response.status_code in (400, 429, 503), response.text[:300]
    assert "Traceback" not in response.text
    page = Page(response)
    error = page.soup.find(id="form-error")
    assert error is not None, page.text[:300]
    return response.status_code, error.get_text(" ", strip=True)


def post_code(rp: StrictRP, page: Page, code: str):
    """Post a code to a method page that shows no code field (nothing sent to this browser)."""
    token = page.soup.find("input", {"name": "csrf_token"})["value"]
    return rp.agent.follow(rp.agent.http.post(page.url, data={"csrf_token": token, "code": code},
                                              allow_redirects=False))


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def failures_recorded(app, user) -> int:
    with app.app_context():
        return db.session.query(AuditEvent).filter_by(event="method.failed").filter(
            AuditEvent.detail["method"].as_string() == "sms").count()


def test_a_wrong_code_says_so_counts_and_leaves_tries(rp, app, texter, gateway):
    page = text_me(rp, texter)
    before = failures_recorded(app, texter)

    status, message = refusal(enter_code(rp, page, wrong(gateway.last_code(texter.phone))))

    assert status == 400
    assert message == "This code is not right. 4 tries left."
    assert failures_recorded(app, texter) == before + 1


def test_five_wrong_codes_lock_the_code_even_for_the_right_one(rp, texter, gateway):
    page = text_me(rp, texter)
    code = gateway.last_code(texter.phone)
    for _ in range(4):
        refusal(enter_code(rp, page, wrong(code)))

    status, fifth = refusal(enter_code(rp, page, wrong(code)))
    _, right = refusal(enter_code(rp, page, code))

    assert "Too many wrong codes" in fifth
    assert status == 400 and "Too many wrong codes" in right


def test_a_new_code_does_not_reset_the_failures(rp, texter, gateway, provider_clock):
    page = text_me(rp, texter)
    for _ in range(3):
        refusal(enter_code(rp, page, wrong(gateway.last_code(texter.phone))))
    provider_clock(31)

    page = Page(rp.agent.submit(page, "Send a new code"))
    new_code = gateway.last_code(texter.phone)
    _, message = refusal(enter_code(rp, page, wrong(new_code)))

    assert message == "This code is not right. 1 try left."
    _, locked = refusal(enter_code(rp, page, wrong(new_code)))
    assert "Too many wrong codes" in locked


def test_an_expired_code_is_refused_and_is_no_guess(rp, app, texter, gateway, provider_clock):
    page = text_me(rp, texter)
    code = gateway.last_code(texter.phone)
    before = failures_recorded(app, texter)
    provider_clock(601)

    status, message = refusal(enter_code(rp, page, code))

    assert (status, message) == (400, "This code has expired. Ask for a new code.")
    assert failures_recorded(app, texter) == before


def test_a_used_code_cannot_be_used_again_and_is_no_guess(rp, app, texter, gateway):
    page = text_me(rp, texter)
    code = gateway.last_code(texter.phone)
    assert rp.response_params(enter_code(rp, page, code))["code"]
    before = failures_recorded(app, texter)
    # The same browser logs in afresh and replays the code it already used.
    again = step_up_page(rp, texter, prompt="login")

    status, message = refusal(post_code(rp, Page(rp.agent.get(again.url + "/method/sms")), code))

    assert (status, message) == (400, "This code was already used. Ask for a new code.")
    assert failures_recorded(app, texter) == before


def test_a_code_sent_to_one_browser_is_worthless_in_another(rp, directory, texter, gateway):
    text_me(rp, texter)
    code = gateway.last_code(texter.phone)
    other = StrictRP(directory, rp.client, Agent(directory.live.url))
    page = Page(other.agent.get(step_up_page(other, texter).url + "/method/sms"))

    status, message = refusal(post_code(other, page, code))

    assert status == 400
    assert message == "No code was sent to you in this browser. Ask for a code first."


def test_codes_are_stored_as_keyed_hashes(rp, app, texter, gateway):
    text_me(rp, texter)
    code = gateway.last_code(texter.phone)

    with app.app_context():
        row = db.session.query(OneTimeCode).filter_by(destination=texter.phone).one()
        stored = row.code_hash

    assert code not in stored and len(stored) == 64
    assert stored != __import__("hashlib").sha256(code.encode()).hexdigest()


def test_asking_again_at_once_is_refused_with_the_wait(rp, texter, gateway, provider_clock):
    page = text_me(rp, texter)

    response = rp.agent.submit(page, "Send a new code")
    status, message = refusal(response)

    assert status == 429
    assert message == "A code was sent moments ago. You can ask for a new one in 30 seconds."
    assert int(response.headers["Retry-After"]) >= 30
    assert len([r for r in gateway.received if (r.body or {}).get("to") == texter.phone]) == 1


def test_the_wait_between_codes_grows(rp, texter, gateway, provider_clock):
    page = text_me(rp, texter)
    provider_clock(31)
    page = Page(rp.agent.submit(page, "Send a new code"))
    assert page.status == 200

    status, message = refusal(rp.agent.submit(page, "Send a new code"))

    assert status == 429 and "in 60 seconds" in message


def test_a_number_gets_at_most_five_codes_an_hour(rp, texter, gateway, provider_clock):
    page = text_me(rp, texter)
    for wait in (31, 61, 121, 241):
        provider_clock(wait)
        page = Page(rp.agent.submit(page, "Send a new code"))
        assert page.status == 200, page.text[:300]
    provider_clock(481)

    status, message = refusal(rp.agent.submit(page, "Send a new code"))

    assert status == 429
    assert message.startswith(
        f"Too many codes were sent to {masked_phone(texter.phone)} in the last")
    assert len([r for r in gateway.received if (r.body or {}).get("to") == texter.phone]) == 5


def test_a_gateway_that_is_down_loses_nothing(rp, texter, gateway):
    gateway.fail_next(503, times=20)
    page = step_up_page(rp, texter)

    response = rp.agent.submit(page, f"Text a code to {masked_phone(texter.phone)}")
    status, message = refusal(response)

    assert status == 503
    assert message.startswith("The text message could not be sent right now.")
    assert Page(response).link("Choose another way")
    # Not counted as sent: once the gateway is back, a code goes out without waiting.
    gateway.clear()
    again = rp.agent.submit(Page(response), "Send the code")
    assert again.status_code == 200, Page(again).text[:400]
    assert gateway.last_code(texter.phone)


def test_the_login_goes_on_with_another_method_when_sms_fails(rp, texter, gateway):
    gateway.fail_next(500, times=20)
    step = step_up_page(rp, texter)
    refusal(rp.agent.submit(step, "Text a code to"))

    totp = Page(rp.agent.get(step.link("Continue with authenticator app")))
    response = rp.agent.submit(totp, "Verify", by_label={"Code": texter.totp()})

    assert rp.response_params(response)["code"]


def test_a_mail_server_refusing_mail_gives_a_clear_message(rp, directory, mail):
    user = directory.add_user(email_verified=True, totp=True)
    mail.refuse()

    status, message = refusal(rp.agent.submit(step_up_page(rp, user), "Email a code to"))

    assert status == 503
    assert message.startswith("The email could not be sent right now.")


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "", "12 34 5x", "\u0661" * 6,
                                   "1" * 600])
def test_malformed_codes_are_refused_with_a_message(rp, texter, gateway, typed):
    page = text_me(rp, texter)

    status, message = refusal(enter_code(rp, page, typed))

    assert status == 400 and message in ("Enter the 6-digit code.", "Enter the code.")


# Per-user and per-IP limits, and a slow gateway, on a provider of their own.

@pytest.fixture
def strict_live(backend, database_url_factory, sms_gateway, mailbox):
    """A provider of the test's own: every test browser shares 127.0.0.1 and its counts."""
    server = build_live(database_url_factory(backend), **delivery_settings(sms_gateway, mailbox),
                        IDP_OTP_PER_USER_PER_HOUR=2, IDP_OTP_PER_IP_PER_HOUR=3,
                        IDP_DELIVERY_TIMEOUT_SECONDS=0.5)
    yield server
    server.stop()


@pytest.fixture
def strict_directory(strict_live):
    return new_directory(strict_live)


def test_a_user_gets_a_limited_number_of_codes_an_hour(strict_directory, gateway, mail,
                                                       provider_clock):
    user = strict_directory.add_user(phone=new_mobile(), email_verified=True)
    rp = StrictRP(strict_directory, strict_directory.add_client())
    page = step_up_page(rp, user)
    assert Page(rp.agent.submit(page, "Text a code to")).status == 200
    assert Page(rp.agent.submit(page, "Email a code to")).status == 200
    provider_clock(31)

    status, message = refusal(rp.agent.submit(page, "Text a code to"))

    assert status == 429
    assert message.startswith("Too many codes were sent for your account in the last hour.")


def test_one_network_gets_a_limited_number_of_codes_an_hour(strict_directory, gateway):
    client = strict_directory.add_client()
    for _ in range(3):
        user = strict_directory.add_user(phone=new_mobile())
        rp = StrictRP(strict_directory, client, Agent(strict_directory.live.url))
        assert Page(rp.agent.submit(step_up_page(rp, user), "Text a code to")).status == 200
    user = strict_directory.add_user(phone=new_mobile())
    rp = StrictRP(strict_directory, client, Agent(strict_directory.live.url))

    status, message = refusal(rp.agent.submit(step_up_page(rp, user), "Text a code to"))

    assert status == 429
    assert message.startswith("Too many codes were asked for from your network")


def test_a_slow_gateway_does_not_hold_the_page(strict_directory, gateway):
    user = strict_directory.add_user(phone=new_mobile(), totp=True)
    rp = StrictRP(strict_directory, strict_directory.add_client())
    gateway.delay_next(3, times=5)

    status, message = refusal(rp.agent.submit(step_up_page(rp, user), "Text a code to"))

    assert status == 503
    assert message.startswith("The text message could not be sent right now.")
