"""Voice-call code: the method, its own stored number, its gateway and its spoken text."""

from __future__ import annotations

from .gateway import CHANNEL, Call, HttpVoiceGateway, build_sender
from .method import VoiceCode
from .storage import VoiceNumber

__all__ = ["CHANNEL", "Call", "HttpVoiceGateway", "VoiceCode", "VoiceNumber", "build_sender"]
