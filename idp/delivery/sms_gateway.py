"""SMS through an HTTP gateway taking JSON ``{"to": ..., "message": ..., "from": ...}``."""

from __future__ import annotations

import logging
import time

import requests

from . import DeliveryFailed, Message

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
BACKOFF_SECONDS = (0.2, 0.4, 0.8)
# Starting an attempt with less time than this left cannot succeed; give up instead.
MIN_ATTEMPT_SECONDS = 0.05


class HttpSmsGateway:
    """Post SMS messages to an HTTP gateway, retrying transient failures within a deadline.

    A gateway of another channel taking JSON the same way (a voice gateway) subclasses it
    with its own ``label`` and ``payload``.
    """

    label = "SMS gateway"

    def __init__(self, url: str, token: str | None, timeout: float,
                 session: requests.Session | None = None):
        self.url = url
        self.token = token
        self.timeout = timeout
        self.session = session or requests.Session()

    def send(self, message: Message) -> None:
        """Hand the message to the gateway within ``timeout`` seconds, or raise DeliveryFailed."""
        deadline = time.monotonic() + self.timeout
        payload = self.payload(message)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        reason = f"{self.label} not tried"
        for attempt, backoff in enumerate((*BACKOFF_SECONDS, None), start=1):
            left = deadline - time.monotonic()
            if left < MIN_ATTEMPT_SECONDS:
                break
            try:
                response = self.session.post(self.url, json=payload, headers=headers,
                                             timeout=left, allow_redirects=False)
            except (requests.ConnectionError, requests.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                reason = f"no answer from {self.label}: {type(exc).__name__}"
                delay = backoff
            except requests.RequestException as exc:
                raise self._failed(f"{self.label} request failed: {type(exc).__name__}") from exc
            else:
                with response:
                    status = response.status_code
                    retry_after = response.headers.get("Retry-After", "")
                # Only the status is logged: the message text holds a one-time code.
                if 200 <= status < 300:
                    log.info("%s accepted the message (%s)", self.label, status)
                    return
                reason = f"{self.label} answered {status}"
                if status not in TRANSIENT_STATUSES:
                    raise self._failed(reason)
                delay = _retry_delay(retry_after, backoff)
            log.info("%s on attempt %d", reason, attempt)
            if delay is None:
                break
            if time.monotonic() + delay + MIN_ATTEMPT_SECONDS > deadline:
                reason += " (no time left to retry)"
                break
            time.sleep(delay)
        raise self._failed(reason)

    def payload(self, message: Message) -> dict[str, str]:
        """Return the JSON body posted for the message."""
        payload = {"to": message.to, "message": message.text}
        if message.sender:
            payload["from"] = message.sender  # an alphanumeric sender ID
        return payload

    def _failed(self, reason: str) -> DeliveryFailed:
        log.warning("%s: message not sent: %s", self.label, reason)
        return DeliveryFailed(reason)


def _retry_delay(retry_after: str, backoff: float | None) -> float | None:
    # A numeric Retry-After replaces the backoff; the deadline decides whether it is small
    # enough to wait for. Dates and junk are ignored.
    if backoff is None:
        return None
    value = retry_after.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    return backoff
