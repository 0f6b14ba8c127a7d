"""build_delivery: which sender each channel gets from the settings."""

from __future__ import annotations

import pytest

from idp.config import Settings, load_settings
from idp.delivery import Message, build_delivery
from idp.delivery.outbox import DevOutbox
from idp.delivery.sms_gateway import HttpSmsGateway
from idp.delivery.smtp import SmtpSender

PRODUCTION = {
    "IDP_ENV": "production",
    "IDP_BASE_URL": "https://idp.example.org",
    "IDP_SECRET_KEY": "s" * 32,
}
CONFIGURED = {
    "IDP_SMTP_HOST": "smtp.example.org",
    "IDP_SMTP_USER": "idp",
    "IDP_SMTP_PASSWORD": "pw",
    "IDP_MAIL_FROM": "Acme <idp@acme.example>",
    "IDP_SMS_GATEWAY_URL": "https://sms.example.org/send",
    "IDP_SMS_GATEWAY_TOKEN": "t0ken",
    "IDP_DELIVERY_TIMEOUT_SECONDS": "3",
}


def built(values):
    return build_delivery(Settings.from_mapping(values))


def senders(delivery):
    return delivery._senders["sms"], delivery._senders["email"]


def test_configured_channels_use_smtp_and_the_gateway():
    delivery = built(load_settings({**PRODUCTION, **CONFIGURED}, environ={}))

    sms, email = senders(delivery)
    assert isinstance(email, SmtpSender)
    assert (email.host, email.port, email.security) == ("smtp.example.org", 587, "starttls")
    assert (email.user, email.password, email.timeout) == ("idp", "pw", 3.0)
    assert email.mail_from == "Acme <idp@acme.example>"
    assert email.ca_file is None
    assert isinstance(sms, HttpSmsGateway)
    assert (sms.url, sms.token, sms.timeout) == ("https://sms.example.org/send", "t0ken", 3.0)
    assert delivery.outbox is None


@pytest.mark.parametrize(("port", "security", "expected"), [
    ("465", "auto", "ssl"),
    ("587", "auto", "starttls"),
    ("25", "auto", "starttls"),
    ("465", "starttls", "starttls"),
    ("2525", "ssl", "ssl"),
])
def test_smtp_security_auto_follows_the_port(port, security, expected):
    settings = load_settings({"IDP_SMTP_HOST": "smtp.example.org", "IDP_SMTP_PORT": port,
                              "IDP_SMTP_SECURITY": security}, environ={})

    _, email = senders(built(settings))

    assert email.security == expected


def test_no_token_means_none():
    settings = load_settings({"IDP_SMS_GATEWAY_URL": "https://sms.example.org"}, environ={})

    sms, _ = senders(built(settings))

    assert sms.token is None


@pytest.mark.parametrize("env", ["development", "testing"])
def test_unconfigured_channels_share_the_dev_outbox_outside_production(env):
    delivery = built(load_settings({"IDP_ENV": env}, environ={}))

    sms, email = senders(delivery)
    assert isinstance(delivery.outbox, DevOutbox)
    assert sms is delivery.outbox
    assert email is delivery.outbox
    delivery.send(Message(channel="sms", to="+31612345678", text="Your Acme code is 123456."))
    assert delivery.outbox.messages()[0][1].to == "+31612345678"


def test_one_configured_channel_leaves_the_other_on_the_outbox():
    settings = load_settings({"IDP_SMS_GATEWAY_URL": "http://127.0.0.1:9/sms"}, environ={})

    delivery = built(settings)

    sms, email = senders(delivery)
    assert isinstance(sms, HttpSmsGateway)
    assert email is delivery.outbox


def test_production_without_configuration_has_no_sender():
    delivery = built(load_settings(PRODUCTION, environ={}))

    assert not delivery.can_send("sms")
    assert not delivery.can_send("email")
    assert delivery.outbox is None


def test_a_partial_mapping_falls_back_to_the_defaults():
    delivery = built({"IDP_SMTP_HOST": "smtp.example.org"})

    _, email = senders(delivery)
    assert (email.port, email.security, email.timeout) == (587, "starttls", 5.0)
    assert delivery.can_send("sms")
