"""The development outbox page: the SMS and email messages the provider would have sent.

Registered only when IDP_ENV is development and a channel has no real sender, so a
person trying the provider can read their codes; it never exists in production.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, render_template

from ..config import current_settings
from ..services import services


def outbox():
    """Show the kept messages, newest first."""
    kept = services().delivery.outbox  # type: ignore[union-attr]
    messages = [(datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S"), message)
                for at, message in kept.messages()]
    response = render_template("outbox.html", messages=messages, directory=None)
    return response, 200, {"Refresh": "5"}


def register_outbox(app: Flask) -> None:
    """Add the page at /dev/outbox when the provider runs in development with an outbox."""
    svc = services()
    if current_settings().env == "development" and svc.delivery and svc.delivery.outbox:
        app.add_url_rule("/dev/outbox", "outbox", outbox)
