"""The voice gateway: the call posted to a real HTTP endpoint on loopback, its settings, and
the dev outbox where no gateway is configured."""

from __future__ import annotations

import pytest

from idp.config import ConfigurationError, Settings, load_settings
from idp.delivery import DeliveryFailed, build_delivery
from idp.delivery.outbox import DevOutbox
from idp.methods import CHANNEL_SENDERS
from idp.methods.voice import Call, HttpVoiceGateway

TO = "+31201234567"
CALL = Call(channel="voice", to=TO, language="nl",
            text="Uw code voor Acme is: 1, 2, 3, 4, 5, 6. Nogmaals: 1, 2, 3, 4, 5, 6.")
PRODUCTION = {"IDP_ENV": "production", "IDP_BASE_URL": "https://idp.example.org",
              "IDP_SECRET_KEY": "s" * 32}


def test_posts_to_message_and_language_with_the_bearer_token(gateway):
    gateway.require_token("t0ken")

    HttpVoiceGateway(gateway.url, "t0ken", timeout=5).send(CALL)

    [request] = gateway.received
    assert request.method == "POST"
    assert request.body == {"to": TO, "message": CALL.text, "language": "nl"}
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert request.headers["Content-Type"] == "application/json"


def test_without_a_token_no_authorization_header_is_sent(gateway):
    HttpVoiceGateway(gateway.url, None, timeout=5).send(CALL)

    [request] = gateway.received
    assert "Authorization" not in request.headers


def test_a_503_is_retried_and_a_refusal_is_not(gateway):
    gateway.fail_next(503)
    HttpVoiceGateway(gateway.url, None, timeout=5).send(CALL)
    assert len(gateway.received) == 2

    gateway.clear()
    gateway.fail_next(400)
    with pytest.raises(DeliveryFailed, match="voice gateway answered 400"):
        HttpVoiceGateway(gateway.url, None, timeout=5).send(CALL)
    assert len(gateway.received) == 1


def test_the_configured_gateway_takes_the_voice_channel(gateway):
    settings = load_settings({"IDP_VOICE_GATEWAY_URL": gateway.url,
                              "IDP_VOICE_GATEWAY_TOKEN": "t0ken"}, environ={})
    delivery = build_delivery(Settings.from_mapping(settings), CHANNEL_SENDERS)

    delivery.send(CALL)

    assert delivery.can_send("voice")
    assert gateway.received[0].headers["Authorization"] == "Bearer t0ken"


def test_outside_production_an_unconfigured_voice_channel_uses_the_dev_outbox():
    delivery = build_delivery(Settings.from_mapping(load_settings({}, environ={})),
                              CHANNEL_SENDERS)

    delivery.send(CALL)

    assert isinstance(delivery.outbox, DevOutbox)
    [(_, kept)] = delivery.outbox.messages()
    assert (kept.channel, kept.to, kept.text) == ("voice", TO, CALL.text)


def test_the_dev_outbox_keeps_calls_when_sms_and_email_are_configured():
    settings = load_settings({"IDP_SMS_GATEWAY_URL": "http://sms.dev/send",
                              "IDP_SMTP_HOST": "mail.dev"}, environ={})

    delivery = build_delivery(Settings.from_mapping(settings), CHANNEL_SENDERS)

    assert delivery._senders["voice"] is delivery.outbox is not None


def test_production_without_a_voice_gateway_makes_no_calls():
    delivery = build_delivery(Settings.from_mapping(load_settings(PRODUCTION, environ={})),
                              CHANNEL_SENDERS)

    assert not delivery.can_send("voice")


def test_a_voice_gateway_url_without_http_scheme_is_refused():
    with pytest.raises(ConfigurationError, match="IDP_VOICE_GATEWAY_URL"):
        load_settings({"IDP_VOICE_GATEWAY_URL": "voice.example.org/call"}, environ={})


@pytest.mark.parametrize(("url", "allowed"), [
    ("http://voice.example.org/call", False),
    ("http://127.0.0.1:8080/call", True),
    ("https://voice.example.org/call", True),
])
def test_production_wants_https_unless_the_gateway_is_on_loopback(url, allowed):
    settings = {**PRODUCTION, "IDP_VOICE_GATEWAY_URL": url}
    if allowed:
        assert load_settings(settings, environ={})["IDP_VOICE_GATEWAY_URL"] == url
    else:
        with pytest.raises(ConfigurationError, match="IDP_VOICE_GATEWAY_URL must be https"):
            load_settings(settings, environ={})
