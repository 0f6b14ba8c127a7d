"""HttpSmsGateway against a real HTTP gateway on loopback: format, retries, the deadline."""

from __future__ import annotations

import logging
import time

import pytest
import requests

from idp.delivery import DeliveryFailed, Message
from idp.delivery.sms_gateway import HttpSmsGateway
from tests.support.live import free_port

TO = "+31612345678"
MESSAGE = Message(channel="sms", to=TO, text="Your Acme code is 123456. Do not share it.")


def test_posts_exactly_to_and_message_with_the_bearer_token(gateway):
    gateway.require_token("t0ken")

    HttpSmsGateway(gateway.url, "t0ken", timeout=5).send(MESSAGE)

    [request] = gateway.received
    assert request.method == "POST"
    assert request.path == "/sms"
    assert request.body == {"to": TO, "message": "Your Acme code is 123456. Do not share it."}
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert request.headers["Content-Type"] == "application/json"
    assert gateway.wait_for(TO)["message"].startswith("Your Acme code")
    assert gateway.last_code(TO) == "123456"


def test_without_a_token_no_authorization_header_is_sent(gateway):
    HttpSmsGateway(gateway.url, None, timeout=5).send(MESSAGE)

    [request] = gateway.received
    assert "Authorization" not in request.headers


def test_a_wrong_token_fails_at_once(gateway):
    gateway.require_token("right")

    with pytest.raises(DeliveryFailed, match="401"):
        HttpSmsGateway(gateway.url, "wrong", timeout=5).send(MESSAGE)
    assert len(gateway.received) == 1


def test_a_503_is_retried_then_succeeds(gateway):
    gateway.fail_next(503)

    HttpSmsGateway(gateway.url, None, timeout=5).send(MESSAGE)

    assert len(gateway.received) == 2
    assert gateway.received[0].body == gateway.received[1].body


def test_a_429_with_retry_after_zero_is_retried(gateway):
    gateway.fail_next(429, retry_after="0")

    started = time.monotonic()
    HttpSmsGateway(gateway.url, None, timeout=5).send(MESSAGE)

    assert len(gateway.received) == 2
    # Retry-After: 0 replaces the 0.2 s backoff.
    assert time.monotonic() - started < 0.2


def test_a_retry_after_beyond_the_deadline_fails_without_waiting(gateway):
    gateway.fail_next(429, retry_after="60")

    started = time.monotonic()
    with pytest.raises(DeliveryFailed, match="429"):
        HttpSmsGateway(gateway.url, None, timeout=2).send(MESSAGE)
    assert time.monotonic() - started < 1
    assert len(gateway.received) == 1


def test_persistent_5xx_fails_after_the_retries(gateway):
    gateway.fail_next(502, times=10)

    with pytest.raises(DeliveryFailed, match="502"):
        HttpSmsGateway(gateway.url, None, timeout=5).send(MESSAGE)
    assert len(gateway.received) == 4  # one try and three retries


def test_a_400_fails_after_exactly_one_request(gateway):
    gateway.fail_next(400)

    with pytest.raises(DeliveryFailed, match="400"):
        HttpSmsGateway(gateway.url, None, timeout=5).send(MESSAGE)
    time.sleep(0.3)  # a wrongly scheduled retry would arrive by now
    assert len(gateway.received) == 1


def test_a_gateway_slower_than_the_timeout_fails_before_it_answers(gateway):
    gateway.delay_next(3)

    started = time.monotonic()
    with pytest.raises(DeliveryFailed):
        HttpSmsGateway(gateway.url, None, timeout=0.5).send(MESSAGE)
    assert time.monotonic() - started < 2.5


def test_slow_answers_and_retries_together_stay_within_the_timeout(gateway):
    gateway.delay_next(0.4, times=5)
    gateway.fail_next(503, times=5)

    started = time.monotonic()
    with pytest.raises(DeliveryFailed):
        HttpSmsGateway(gateway.url, None, timeout=1).send(MESSAGE)
    assert time.monotonic() - started < 1.3


def test_a_retry_only_gets_the_time_that_is_left(gateway):
    # 0.9 s for a 503, 0.2 s backoff: the retry has 1.9 s of the 3 s left, not 3 s again
    # (which would end after 4.1 s). The first answer comes well within the timeout, so a
    # loaded machine still sees the retry.
    gateway.fail_next(503)
    gateway.delay_next(0.9)
    gateway.delay_next(10)

    started = time.monotonic()
    with pytest.raises(DeliveryFailed, match="Timeout"):
        HttpSmsGateway(gateway.url, None, timeout=3).send(MESSAGE)
    assert time.monotonic() - started < 3.5
    assert len(gateway.received) == 2


def test_nothing_listening_fails():
    started = time.monotonic()
    with pytest.raises(DeliveryFailed, match="no answer"):
        HttpSmsGateway(f"http://127.0.0.1:{free_port()}/sms", None, timeout=1).send(MESSAGE)
    assert time.monotonic() - started < 2


def test_a_redirect_is_not_followed(gateway):
    gateway.fail_next(302)

    with pytest.raises(DeliveryFailed, match="302"):
        HttpSmsGateway(gateway.url, "t0ken", timeout=5).send(MESSAGE)
    assert [r.method for r in gateway.received] == ["POST"]


def test_the_message_text_is_never_logged(gateway, caplog):
    gateway.fail_next(503)
    caplog.set_level(logging.DEBUG)

    HttpSmsGateway(gateway.url, None, timeout=5).send(MESSAGE)
    gateway.fail_next(400)
    with pytest.raises(DeliveryFailed):
        HttpSmsGateway(gateway.url, None, timeout=5).send(MESSAGE)

    assert "503" in caplog.text
    assert "123456" not in caplog.text


# --- the test gateway itself ----------------------------------------------------------------


def test_the_test_gateway_answers_malformed_json_with_400(gateway):
    response = requests.post(gateway.url, data=b"{not json", timeout=5)

    assert response.status_code == 400
    assert gateway.received[0].body is None


def test_the_test_gateway_wait_for_returns_each_message_once(gateway):
    sender = HttpSmsGateway(gateway.url, None, timeout=5)
    sender.send(Message(channel="sms", to=TO, text="Your Acme code is 111111."))
    sender.send(Message(channel="sms", to=TO, text="Your Acme code is 222222."))

    assert gateway.wait_for(TO)["message"] == "Your Acme code is 111111."
    assert gateway.wait_for(TO)["message"] == "Your Acme code is 222222."
    assert gateway.last_code(TO) == "222222"
    with pytest.raises(AssertionError):
        gateway.wait_for(TO, timeout=0.1)
