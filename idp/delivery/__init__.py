"""Delivery channels for one-time codes: SMS and email behind one small interface.

``build_delivery(settings)`` picks a sender per channel: an SMTP server for email, an HTTP
gateway for SMS, and outside production the dev outbox for a channel left unconfigured.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ..config import Settings

if TYPE_CHECKING:
    from .outbox import DevOutbox

CHANNELS = ("sms", "email")


@dataclass(frozen=True)
class Message:
    """One message to send: an SMS (``to`` is E.164) or an email (``to`` is an address)."""

    channel: str
    to: str
    # Kept out of repr: the text holds a one-time code, and reprs end up in logs.
    text: str = field(repr=False)
    subject: str = ""
    html: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # A channel a sign-in method brings (``build_delivery(channels=)``) has its own
        # Message subclass, which checks its channel itself.
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")


class DeliveryFailed(Exception):
    """The channel did not take the message; ``str(exc)`` is a short reason for logs."""


class Sender(Protocol):
    """Something that hands a message to one channel."""

    def send(self, message: Message) -> None:
        """Send the message or raise DeliveryFailed."""


class Delivery:
    """Route each message to the sender of its channel, a bounded number at a time.

    A send may wait on a slow gateway for up to its timeout. Without a bound, a hanging
    gateway would hold every worker thread and stall logins and token requests too; with
    one, at most `concurrency` threads of a process wait, and the rest refuse at once.
    """

    def __init__(self, sms: Sender | None, email: Sender | None,
                 outbox: DevOutbox | None = None, concurrency: int = 2,
                 wait: float = 0.5, channels: Mapping[str, Sender | None] | None = None):
        self._senders: dict[str, Sender | None] = {"sms": sms, "email": email,
                                                    **(channels or {})}
        self.outbox = outbox
        self._slots = threading.BoundedSemaphore(concurrency)
        self._wait = wait

    def can_send(self, channel: str) -> bool:
        """Return whether the channel has a sender."""
        return self._senders.get(channel) is not None

    def send(self, message: Message) -> None:
        """Send the message through its channel, or raise DeliveryFailed."""
        sender = self._senders.get(message.channel)
        if sender is None:
            raise DeliveryFailed(f"no sender configured for {message.channel}")
        if not self._slots.acquire(timeout=self._wait):
            raise DeliveryFailed("every delivery slot of this process is busy")
        try:
            sender.send(message)
        finally:
            self._slots.release()


def smtp_security(security: str, port: int) -> str:
    """Return the SMTP security mode, resolving "auto" from the port."""
    if security == "auto":
        return "ssl" if port == 465 else "starttls"
    return security


#: Builds the sender of a channel a sign-in method brings, from the settings (None: none).
SenderFactory = Callable[[Settings], "Sender | None"]


def build_delivery(settings: Settings,
                   channels: Mapping[str, SenderFactory] | None = None) -> Delivery:
    """Return the delivery configured by the settings; `channels` are the further channels
    sign-in methods bring (``idp.methods.CHANNEL_SENDERS``), each with its sender's factory."""
    # Imported here: the sender modules import Message and DeliveryFailed from this package.
    from .outbox import DevOutbox
    from .sms_gateway import HttpSmsGateway
    from .smtp import SmtpSender

    timeout = float(settings.delivery_timeout_seconds)
    email: Sender | None = None
    sms: Sender | None = None
    host = settings.smtp_host
    if host:
        port = int(settings.smtp_port)
        email = SmtpSender(
            host=host,
            port=port,
            security=smtp_security(settings.smtp_security, port),
            user=settings.smtp_user,
            password=settings.smtp_password,
            mail_from=settings.mail_from,
            timeout=timeout,
            ca_file=settings.smtp_ca_file or None,
        )
    url = settings.sms_gateway_url
    if url:
        sms = HttpSmsGateway(url, settings.sms_gateway_token or None, timeout)
    others = {name: build(settings) for name, build in (channels or {}).items()}
    outbox = None
    # Production must not pretend to send: an unconfigured channel stays unavailable there.
    if settings.env != "production" and (
            email is None or sms is None or None in others.values()):
        outbox = DevOutbox()
        email = email or outbox
        sms = sms or outbox
        others = {name: sender or outbox for name, sender in others.items()}
    return Delivery(sms=sms, email=email, outbox=outbox, channels=others,
                    concurrency=int(settings.delivery_concurrency))
