"""SmtpSender against a real SMTP server on loopback: TLS modes, AUTH and every failure."""

from __future__ import annotations

import socket
import time

import pytest

from idp.delivery import DeliveryFailed, Message
from idp.delivery.smtp import SmtpSender
from tests.support.live import free_port

TO = "alice@example.org"
MESSAGE = Message(
    channel="email",
    to=TO,
    text="Your Acme code is 123456.",
    subject="Your Acme code",
    html="<p>Your Acme code is <b>123456</b>.</p>",
)


def sender(port: int, security: str = "starttls", *, ca_file=None, user: str = "",
           password: str = "", timeout: float = 5) -> SmtpSender:
    return SmtpSender(host="127.0.0.1", port=port, security=security, user=user,
                      password=password, mail_from="Acme <idp@acme.example>", timeout=timeout,
                      ca_file=str(ca_file) if ca_file else None)


def test_starttls_delivers_text_and_html_with_the_right_headers(mailbox_factory, certificate):
    mailbox = mailbox_factory(tls=True, require_starttls=True)

    sender(mailbox.port, ca_file=certificate[0]).send(MESSAGE)

    received = mailbox.wait_for(TO)
    assert received["From"] == "Acme <idp@acme.example>"
    assert received["To"] == TO
    assert received["Subject"] == "Your Acme code"
    assert received["Date"]
    assert received["Message-ID"].endswith("@acme.example>")
    assert received.get_body(("plain",)).get_content().strip() == "Your Acme code is 123456."
    html = received.get_body(("html",))
    assert html.get_content().strip() == "<p>Your Acme code is <b>123456</b>.</p>"


def test_without_html_only_a_text_part_is_sent(mailbox_factory, certificate):
    mailbox = mailbox_factory(tls=True, require_starttls=True)
    plain = Message(channel="email", to=TO, text="Code 654321", subject="Code")

    sender(mailbox.port, ca_file=certificate[0]).send(plain)

    received = mailbox.wait_for(TO)
    assert not received.is_multipart()
    assert received.get_content().strip() == "Code 654321"


def test_implicit_ssl_delivers(mailbox_factory, certificate):
    mailbox = mailbox_factory(tls=True, implicit_tls=True)

    sender(mailbox.port, "ssl", ca_file=certificate[0]).send(MESSAGE)

    assert mailbox.wait_for(TO)["Subject"] == "Your Acme code"


def test_auth_over_starttls(mailbox_factory, certificate):
    mailbox = mailbox_factory(tls=True, require_starttls=True, user="idp", password="s3cret")

    sender(mailbox.port, ca_file=certificate[0], user="idp", password="s3cret").send(MESSAGE)

    assert mailbox.wait_for(TO)["To"] == TO


def test_wrong_password_fails(mailbox_factory, certificate):
    mailbox = mailbox_factory(tls=True, require_starttls=True, user="idp", password="s3cret")

    with pytest.raises(DeliveryFailed, match="535"):
        sender(mailbox.port, ca_file=certificate[0], user="idp", password="wrong").send(MESSAGE)
    assert mailbox.messages == []


def test_plain_relay_on_loopback_delivers(mailbox_factory):
    mailbox = mailbox_factory()

    sender(mailbox.port, "none").send(MESSAGE)

    assert mailbox.wait_for(TO)["Subject"] == "Your Acme code"


def test_untrusted_certificate_fails(mailbox_factory, other_certificate):
    mailbox = mailbox_factory(tls=True, require_starttls=True)

    with pytest.raises(DeliveryFailed, match="CERTIFICATE_VERIFY_FAILED"):
        sender(mailbox.port, ca_file=other_certificate[0]).send(MESSAGE)
    assert mailbox.messages == []


def test_untrusted_certificate_fails_with_ssl_too(mailbox_factory, other_certificate):
    mailbox = mailbox_factory(tls=True, implicit_tls=True)

    with pytest.raises(DeliveryFailed, match="CERTIFICATE_VERIFY_FAILED"):
        sender(mailbox.port, "ssl", ca_file=other_certificate[0]).send(MESSAGE)


def test_server_refusing_the_message_fails(mailbox_factory, certificate):
    mailbox = mailbox_factory(tls=True)
    mailbox.refuse("554 Transaction failed")

    with pytest.raises(DeliveryFailed, match="554"):
        sender(mailbox.port, ca_file=certificate[0]).send(MESSAGE)


def test_nothing_listening_fails():
    with pytest.raises(DeliveryFailed, match="ConnectionRefused"):
        sender(free_port(), timeout=1).send(MESSAGE)


def test_starttls_requested_but_not_offered_fails_without_sending(mailbox_factory):
    mailbox = mailbox_factory()  # no TLS at all: plain text would be accepted

    with pytest.raises(DeliveryFailed, match="STARTTLS"):
        sender(mailbox.port, "starttls").send(MESSAGE)
    assert mailbox.messages == []


def test_a_server_that_never_greets_fails_within_the_timeout():
    # The kernel accepts the connection into the backlog; nobody ever answers.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        started = time.monotonic()
        with pytest.raises(DeliveryFailed, match="timed out"):
            sender(listener.getsockname()[1], timeout=0.5).send(MESSAGE)
    assert time.monotonic() - started < 2.5


def test_a_line_break_in_the_address_is_refused_before_connecting():
    evil = Message(channel="email", to="a@example.org\r\nBcc: b@example.org", text="x")

    with pytest.raises(DeliveryFailed, match="header"):
        sender(free_port()).send(evil)


def test_unknown_security_mode_is_a_programming_error():
    with pytest.raises(ValueError, match="security"):
        sender(25, "tls")
