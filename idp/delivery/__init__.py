"""Delivery channels for one-time codes: SMS and email behind one small interface.

``build_delivery(settings)`` picks a sender per channel: an SMTP server for email, an HTTP
gateway for SMS, and outside production the dev outbox for a channel left unconfigured.
The channels are a mapping from name to what builds its sender from the settings
(``SENDERS``); a channel a sign-in method brings comes with it
(``SignInMethod.channel_sender``, gathered in ``idp.methods.CHANNEL_SENDERS``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ..config import Settings
from ..observability import metrics

if TYPE_CHECKING:
    from .outbox import DevOutbox


@dataclass(frozen=True)
class Message:
    """One message to send: an SMS (``to`` is E.164) or an email (``to`` is an address)."""

    channel: str
    to: str
    # Kept out of repr: the text holds a one-time code, and reprs end up in logs.
    text: str = field(repr=False)
    subject: str = ""
    html: str | None = field(default=None, repr=False)
    # The name it is sent as (the directory's brand): an SMS sender ID, an email's From name.
    sender: str = ""

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

    def __init__(self, senders: Mapping[str, Sender | None],
                 outbox: DevOutbox | None = None, concurrency: int = 2,
                 wait: float = 0.5, brought: Collection[str] = ()):
        # `brought`: the channels sign-in methods bring (``build_delivery(channels=)``).
        unknown = set(senders) - set(CHANNELS) - set(brought)
        if unknown:
            raise ValueError(f"unknown channels {sorted(unknown)}")
        self._senders: dict[str, Sender | None] = dict(senders)
        self.outbox = outbox
        self._slots = threading.BoundedSemaphore(concurrency)
        self._wait = wait

    def can_send(self, channel: str) -> bool:
        """Return whether the channel has a sender."""
        return self._senders.get(channel) is not None

    def channel_states(self) -> dict[str, str]:
        """Return how each channel sends: "sender" (its own), "outbox" (the development
        outbox stands in) or "none" (it cannot send)."""
        return {name: "none" if sender is None else
                "outbox" if self.outbox is not None and sender is self.outbox else "sender"
                for name, sender in self._senders.items()}

    def send(self, message: Message) -> None:
        """Send the message through its channel, or raise DeliveryFailed (both counted)."""
        channel = metrics.name_label(message.channel)
        metrics.DELIVERIES.labels(channel).inc()
        try:
            self._send(message)
        except DeliveryFailed:
            metrics.DELIVERY_FAILURES.labels(channel).inc()
            raise

    def _send(self, message: Message) -> None:
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


def _email_sender(settings: Settings, timeout: float) -> Sender | None:
    """Return the SMTP sender the settings configure, if any."""
    from .smtp import SmtpSender

    host = settings.smtp_host
    if not host:
        return None
    port = int(settings.smtp_port)
    return SmtpSender(
        host=host,
        port=port,
        security=smtp_security(settings.smtp_security, port),
        user=settings.smtp_user,
        password=settings.smtp_password,
        mail_from=settings.mail_from,
        timeout=timeout,
        ca_file=settings.smtp_ca_file or None,
    )


def _sms_sender(settings: Settings, timeout: float) -> Sender | None:
    """Return the HTTP SMS gateway the settings configure, if any."""
    from .sms_gateway import HttpSmsGateway

    url = settings.sms_gateway_url
    if not url:
        return None
    return HttpSmsGateway(url, settings.sms_gateway_token or None, timeout)


#: Every delivery channel, by name: what builds its sender from the settings (None when
#: they configure none). The sender modules import Message from here, hence the late imports.
SENDERS: Mapping[str, Callable[[Settings, float], Sender | None]] = {
    "sms": _sms_sender,
    "email": _email_sender,
}
CHANNELS: tuple[str, ...] = tuple(SENDERS)
#: Builds the sender of a channel from the settings and the delivery timeout (None: none).
SenderFactory = Callable[[Settings, float], "Sender | None"]


def build_delivery(settings: Settings,
                   channels: Mapping[str, SenderFactory] | None = None) -> Delivery:
    """Return the delivery configured by the settings; `channels` are the further channels
    sign-in methods bring (``idp.methods.CHANNEL_SENDERS``), each with its sender's factory."""
    # Imported here: the outbox imports Message and DeliveryFailed from this package.
    from .outbox import DevOutbox

    timeout = float(settings.delivery_timeout_seconds)
    senders = {name: build(settings, timeout)
               for name, build in {**SENDERS, **(channels or {})}.items()}
    outbox = None
    # Production must not pretend to send: an unconfigured channel stays unavailable there.
    if settings.env != "production" and None in senders.values():
        outbox = DevOutbox()
        senders = {name: sender or outbox for name, sender in senders.items()}
    return Delivery(senders, outbox=outbox, brought=tuple(channels or ()),
                    concurrency=int(settings.delivery_concurrency))
