"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .arrivals import Arrivals
from .live import free_port

#: The longest a held message waits for release(): a test that forgets to release ends.
HOLD_LIMIT = 15.0


class Mailbox(Arrivals):
    """Receive mail on 127.0.0.1 and a free port; optionally TLS, AUTH, or refusing.

    ``tls_context`` offers STARTTLS (``require_starttls`` makes it mandatory);
    ``implicit_tls`` serves TLS from the first byte instead (SMTPS, like port 465);
    ``user``/``password`` enable AUTH, only after TLS unless ``auth_require_tls`` is False.
    ``hold()`` keeps each message's DATA unanswered (the sender waits, nothing arrives) until
    ``release()``, as a slow mail server would.
    """

    def __init__(self, *, tls_context: ssl.SSLContext | None = None,
                 require_starttls: bool = False, implicit_tls: bool = False,
                 user: str | None = None, password: str | None = None,
                 auth_require_tls: bool = True):
        if (require_starttls or implicit_tls) and tls_context is None:
            raise ValueError("TLS needs a tls_context")
        super().__init__()
        self.host = "127.0.0.1"
        self.port = 0
        self.messages: list[EmailMessage] = []
        self._recipients: list[list[str]] = []
        self._refusal: str | None = None
        self._tls_context = tls_context
        self._require_starttls = require_starttls
        self._implicit_tls = implicit_tls
        self._user = user
        self._password = password
        self._auth_require_tls = auth_require_tls
        self._controller: Controller | None = None
        self._gate: threading.Event | None = None
        self._held = 0

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Mailbox:
        """Start serving; return self."""
        kwargs: dict[str, Any] = {"server_hostname": "mailbox.test"}
        if self._implicit_tls:
            kwargs["ssl_context"] = self._tls_context
        elif self._tls_context is not None:
            kwargs["tls_context"] = self._tls_context
            kwargs["require_starttls"] = self._require_starttls
        if self._user is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_require_tls"] = self._auth_require_tls
        # free_port() can race with another process; a second port is enough in practice.
        for attempt in range(3):
            port = free_port()
            controller = Controller(_Handler(self), hostname=self.host, port=port, **kwargs)
            try:
                controller.start()
            except OSError:
                if attempt == 2:
                    raise
                continue
            self._controller, self.port = controller, port
            return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stop serving."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Mailbox:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- behaviour ------------------------------------------------------------------------

    def refuse(self, reply: str = "554 Transaction failed") -> None:
        """Answer every message's DATA with this error reply until accept() or clear()."""
        self._refusal = reply

    def accept(self) -> None:
        """Take messages again after refuse()."""
        self._refusal = None

    def hold(self) -> None:
        """Leave every message's DATA unanswered until release() (or HOLD_LIMIT seconds):
        the sender waits on the server, and the message has not arrived."""
        self._gate = threading.Event()

    def release(self) -> None:
        """Answer the held messages (they arrive now) and hold no more."""
        gate, self._gate = self._gate, None
        if gate is not None:
            gate.set()

    def wait_held(self, timeout: float = 5) -> bool:
        """Wait until the server is holding a message now; return whether it is."""
        with self._changed:
            return self._changed.wait_for(lambda: self._held > 0, timeout)

    def clear(self) -> None:
        """Forget received messages, any refusal and any hold (held messages arrive)."""
        self.release()
        with self._changed:
            self.messages.clear()
            self._recipients.clear()
            self._returned.clear()
            self._refusal = None

    def received_for(self, to: str) -> int:
        """Return how many messages to this address have arrived so far."""
        with self._changed:
            return sum(to.lower() in recipients for recipients in self._recipients)

    # --- reading --------------------------------------------------------------------------

    def wait_for(self, to: str, timeout: float = 5) -> EmailMessage:
        """Return the next message to this address not returned before; AssertionError if none."""
        wanted = to.lower()
        index = self._take(lambda: len(self.messages),
                           lambda i: wanted in self._recipients[i], timeout,
                           lambda: f"no email to {to} within {timeout} s; "
                                   f"received {len(self.messages)} for others")
        return self.messages[index]

    # --- server side ----------------------------------------------------------------------

    async def _hold(self) -> None:
        gate = self._gate
        if gate is None:
            return
        with self._changed:
            self._held += 1
            self._changed.notify_all()
        try:
            await asyncio.get_running_loop().run_in_executor(None, gate.wait, HOLD_LIMIT)
        finally:
            with self._changed:
                self._held -= 1
                self._changed.notify_all()

    def _receive(self, recipients: list[str], content: bytes) -> str:
        if self._refusal is not None:
            return self._refusal
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._changed:
            self.messages.append(message)
            self._recipients.append([r.lower() for r in recipients])
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      auth_data: Any) -> AuthResult:
        if (isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == self._user
                and auth_data.password.decode() == self._password):
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


class _Handler:
    def __init__(self, mailbox: Mailbox):
        self._mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await self._mailbox._hold()
        content = envelope.original_content or envelope.content
        return self._mailbox._receive(list(envelope.rcpt_tos), content)
