"""The dev outbox: keeps sent messages in memory so a developer can read the codes."""

from __future__ import annotations

import logging
import threading
from collections import deque

from ..clock import now
from . import Message

log = logging.getLogger(__name__)

KEEP = 200


class DevOutbox:
    """Hold the newest messages instead of sending them (development and testing only)."""

    def __init__(self, keep: int = KEEP):
        self._lock = threading.Lock()
        self._messages: deque[tuple[float, Message]] = deque(maxlen=keep)

    def send(self, message: Message) -> None:
        """Keep the message and log it, code included, for the developer's console."""
        with self._lock:
            self._messages.append((now(), message))
        log.info("dev outbox: %s to %s %s", message.channel, message.to, message.text)

    def messages(self) -> list[tuple[float, Message]]:
        """Return (sent at, message) pairs, newest first."""
        with self._lock:
            return list(reversed(self._messages))

    def clear(self) -> None:
        """Forget every message."""
        with self._lock:
            self._messages.clear()
