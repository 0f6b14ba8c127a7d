"""Email through an SMTP server (STARTTLS, implicit TLS, or plain to a loopback relay)."""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from . import DeliveryFailed, Message

log = logging.getLogger(__name__)

SECURITY_MODES = ("starttls", "ssl", "none")


class SmtpSender:
    """Send email messages through one SMTP server."""

    def __init__(self, host: str, port: int, security: str, user: str, password: str,
                 mail_from: str, timeout: float, ca_file: str | None = None):
        if security not in SECURITY_MODES:
            raise ValueError(f"SMTP security must be one of {SECURITY_MODES}, not {security!r}")
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self.password = password
        self.mail_from = mail_from
        self.timeout = timeout
        self.ca_file = ca_file

    def send(self, message: Message) -> None:
        """Deliver the message to the server, or raise DeliveryFailed."""
        email = self._compose(message)
        deadline = time.monotonic() + self.timeout
        try:
            self._deliver(email, deadline)
        except DeliveryFailed as exc:
            log.warning("email not sent: %s", exc)
            raise
        except OSError as exc:  # smtplib, ssl and socket timeouts are all OSErrors
            log.warning("email not sent: %s", _reason(exc))
            raise DeliveryFailed(_reason(exc)) from exc
        log.info("email accepted by %s:%s", self.host, self.port)

    def _compose(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        try:
            email["From"] = _from(self.mail_from, message.sender)
            email["To"] = message.to
            email["Subject"] = message.subject
            email["Date"] = formatdate(localtime=True)
            # An explicit domain: the default asks DNS for our name, which may hang.
            email["Message-ID"] = make_msgid(domain=_domain(self.mail_from))
        except ValueError as exc:  # e.g. a line break in an address (header injection)
            raise DeliveryFailed(f"invalid email header: {exc}") from exc
        email.set_content(message.text)
        if message.html is not None:
            email.add_alternative(message.html, subtype="html")
        return email

    def _deliver(self, email: EmailMessage, deadline: float) -> None:
        context = None
        if self.security != "none":
            context = ssl.create_default_context(cafile=self.ca_file)
        # Given the host, the constructor connects and reads the greeting (closing the socket
        # itself when that fails); the host is also the name TLS checks the certificate against.
        client: smtplib.SMTP
        if self.security == "ssl":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=_left(deadline),
                                      context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=_left(deadline))
        try:
            _step(client, deadline)
            client.ehlo()
            if self.security == "starttls":
                # Never fall back to plain text: the message holds a code.
                if not client.has_extn("starttls"):
                    raise DeliveryFailed("SMTP server does not offer STARTTLS")
                _step(client, deadline)
                client.starttls(context=context)
                _step(client, deadline)
                client.ehlo()
            if self.user:
                _step(client, deadline)
                client.login(self.user, self.password)
            _step(client, deadline)
            refused = client.send_message(email)
            if refused:
                raise DeliveryFailed(f"SMTP server refused recipients: {sorted(refused)}")
            try:
                _step(client, deadline)
                client.quit()
            except (OSError, DeliveryFailed):
                pass  # the server already took the message; a failed goodbye changes nothing
        finally:
            client.close()


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise DeliveryFailed("SMTP send timed out")
    return left


def _step(client: smtplib.SMTP, deadline: float) -> None:
    # smtplib's timeout is per socket operation; shrinking it before each step bounds the send.
    left = _left(deadline)
    if client.sock is not None:
        client.sock.settimeout(left)


def _domain(address: str) -> str:
    _, addr = parseaddr(address)
    return addr.rpartition("@")[2] or "localhost"


def _reason(exc: OSError) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        reason = f"SMTP {exc.smtp_code} {text}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        reason = f"SMTP server refused recipients: {sorted(exc.recipients)}"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return reason[:200]


def _from(mail_from: str, sender: str) -> str:
    """Return the From header: the configured address, named as the message's sender."""
    if not sender:
        return mail_from
    _name, address = parseaddr(mail_from)
    return formataddr((sender, address or mail_from))
