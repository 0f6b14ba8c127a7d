"""Calls through an HTTP voice gateway taking JSON ``{"to", "message", "language"}``.

The gateway rings the number and reads the message out in the language given. It is
posted to like the SMS gateway (``idp.delivery.sms_gateway``): a bearer token when one is
configured, transient failures retried within the delivery deadline, no redirects
followed, and only the status logged (the message holds a one-time code).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...config import Settings
from ...delivery import Message
from ...delivery.sms_gateway import HttpSmsGateway

CHANNEL = "voice"


@dataclass(frozen=True)
class Call(Message):
    """A message read out by a call; ``language`` is the language of its text."""

    language: str = "en"

    def __post_init__(self) -> None:
        if self.channel != CHANNEL:
            raise ValueError(f"a call goes by {CHANNEL}, not {self.channel!r}")


class HttpVoiceGateway(HttpSmsGateway):
    """Post calls to an HTTP voice gateway, retrying transient failures within a deadline."""

    label = "voice gateway"

    def payload(self, message: Message) -> dict[str, str]:
        return {"to": message.to, "message": message.text,
                "language": getattr(message, "language", "en")}


def build_sender(settings: Settings, timeout: float) -> HttpVoiceGateway | None:
    """Return the voice gateway the settings configure, or None when they name none."""
    if not settings.voice_gateway_url:
        return None
    return HttpVoiceGateway(settings.voice_gateway_url, settings.voice_gateway_token or None,
                            timeout)
