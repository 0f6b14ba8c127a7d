"""Delivery channels for one-time codes: SMS and email behind one small interface.

``build_delivery(settings)`` picks a sender per channel: an SMTP server for email, an HTTP
gateway for SMS, and outside production the dev outbox for a channel left unconfigured.
The channels are a mapping from name to what builds its sender from the settings
(``SENDERS``); a channel a sign-in method brings comes with it
(``SignInMethod.channel_sender``, gathered in ``idp.methods.CHANNEL_SENDERS``).

A message is sent while the request waits (``Delivery.send``), or handed to a small
background sender that the request does not wait for (``Delivery.send_later``): a page
whose answer must not take longer when a message goes out (the first code of a password
reset, which would tell that the account exists) sends that way.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Protocol

from ..config import Settings
from ..observability import metrics

if TYPE_CHECKING:
    from .outbox import DevOutbox

log = logging.getLogger(__name__)


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

    Messages sent later (``send_later``) are bounded too: `concurrency` background threads
    send them, and at most `backlog` more wait their turn; beyond that a message is refused
    at once, as a send finding every slot busy is.
    """

    def __init__(self, senders: Mapping[str, Sender | None],
                 outbox: DevOutbox | None = None, concurrency: int = 2,
                 wait: float = 0.5, brought: Collection[str] = (), backlog: int = 32):
        # `brought`: the channels sign-in methods bring (``build_delivery(channels=)``).
        unknown = set(senders) - set(CHANNELS) - set(brought)
        if unknown:
            raise ValueError(f"unknown channels {sorted(unknown)}")
        self._senders: dict[str, Sender | None] = dict(senders)
        self.outbox = outbox
        self._slots = threading.BoundedSemaphore(concurrency)
        self._wait = wait
        self._workers = concurrency
        self._room = concurrency + backlog  # messages sending or waiting, at most
        self._queued = 0  # messages sending or waiting in the background sender
        self._unsettled = 0  # messages handed to send_later whose outcome is not reported
        self._changed = threading.Condition()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0

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

    def send_later(self, message: Message, *, on_sent: Callable[[], None] | None = None,
                   on_failure: Callable[[DeliveryFailed], None] | None = None) -> None:
        """Hand the message to the background sender and return at once.

        Afterwards, in a background thread, `on_sent` runs once the channel took it, or
        `on_failure` with the reason it did not. A message that cannot even wait its turn
        (no sender for its channel, the backlog full) is refused without a send:
        `on_failure` then runs in the caller's thread. Neither runs in the caller's
        transaction: each opens what it needs itself.

        While a request holds its background sends (``hold_background_sends``), the message
        takes its place in the backlog now and is handed over (or refused) only once the
        answer has gone out: a thread starting to send would otherwise compete with the
        request's own for the interpreter, and make the answer slower by a few ms.
        """
        sender = self._senders.get(message.channel)
        with self._changed:
            self._unsettled += 1
            fits = sender is not None and self._queued < self._room
            if fits:
                self._queued += 1
        job: Callable[[], None]
        if sender is None:
            job = partial(self._refuse, on_failure,
                          DeliveryFailed(f"no sender configured for {message.channel}"))
        elif not fits:
            job = partial(self._refuse, on_failure,
                          DeliveryFailed("the background sender of this process is full"))
        else:
            job = partial(self._submit, sender, message, on_sent, on_failure)
        held = _HELD.get()
        if held is not None and held.keep(job):
            return
        job()

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until every message handed to ``send_later`` is sent or refused and its
        outcome reported; return whether that happened within `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._unsettled == 0, timeout)

    def _background(self) -> ThreadPoolExecutor:
        # Made on first use in each process: a pool made before a fork (gunicorn's
        # preloading) has no threads in the child.
        with self._changed:
            if self._pool is None or self._pool_pid != os.getpid():
                self._pool = ThreadPoolExecutor(max_workers=self._workers,
                                                thread_name_prefix="idp-delivery")
                self._pool_pid = os.getpid()
            return self._pool

    def _submit(self, sender: Sender, message: Message, on_sent: Callable[[], None] | None,
                on_failure: Callable[[DeliveryFailed], None] | None) -> None:
        try:
            self._background().submit(self._send_now, sender, message, on_sent, on_failure)
        except RuntimeError as exc:  # the interpreter is shutting down
            self._dequeue()
            self._refuse(on_failure, DeliveryFailed(f"background sender stopped: {exc}"))

    def _send_now(self, sender: Sender, message: Message, on_sent: Callable[[], None] | None,
                  on_failure: Callable[[DeliveryFailed], None] | None) -> None:
        try:
            try:
                sender.send(message)
            except DeliveryFailed as exc:
                self._dequeue()
                _report(on_failure, exc)
            except Exception as exc:  # a sender's bug: nobody waits for this thread
                self._dequeue()
                log.exception("background %s send failed", message.channel)
                _report(on_failure, DeliveryFailed(f"{type(exc).__name__}: {exc}"[:200]))
            else:
                self._dequeue()
                _report(on_sent)
        finally:
            self._settled()

    def _refuse(self, on_failure: Callable[[DeliveryFailed], None] | None,
                exc: DeliveryFailed) -> None:
        try:
            _report(on_failure, exc)
        finally:
            self._settled()

    def _dequeue(self) -> None:
        with self._changed:
            self._queued -= 1

    def _settled(self) -> None:
        with self._changed:
            self._unsettled -= 1
            self._changed.notify_all()


def _report(callback: Callable[..., None] | None, *args: object) -> None:
    """Run a callback of ``send_later``; its failure is logged, never raised."""
    if callback is None:
        return
    try:
        callback(*args)
    except Exception:
        log.exception("a delivery callback failed")


class HeldSends:
    """The background sends a request asked for, handed over once its answer has gone out
    (``hold_background_sends``)."""

    def __init__(self) -> None:
        self._jobs: list[Callable[[], None]] = []
        self._released = False
        self._lock = threading.Lock()

    def keep(self, job: Callable[[], None]) -> bool:
        """Keep a job until release(); False once released (run it now instead)."""
        with self._lock:
            if self._released:
                return False
            self._jobs.append(job)
            return True

    def holds_any(self) -> bool:
        """Say whether a send is kept, waiting for release()."""
        with self._lock:
            return bool(self._jobs)

    def detach(self) -> None:
        """Hold no more of this context's sends (the app has answered); what was kept waits
        for release(). A context that answered is never left holding later sends."""
        if _HELD.get() is self:
            _HELD.set(None)

    def release(self) -> None:
        """Hand the kept sends over, and hold no more."""
        if _HELD.get() is self:
            _HELD.set(None)
        with self._lock:
            jobs, self._jobs, self._released = self._jobs, [], True
        for job in jobs:
            try:
                job()
            except Exception:
                log.exception("a held background send failed")


_HELD: ContextVar[HeldSends | None] = ContextVar("idp_held_sends", default=None)


def hold_background_sends() -> HeldSends:
    """Keep what ``Delivery.send_later`` is asked in this context (a request) until the
    returned object's release(): the web layer releases it once the answer is sent."""
    held = HeldSends()
    _HELD.set(held)
    return held


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
                    concurrency=int(settings.delivery_concurrency),
                    backlog=int(settings.delivery_backlog))
