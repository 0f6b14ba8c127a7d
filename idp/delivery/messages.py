"""The texts of the messages the provider sends, in the language of the page that asked."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext

from . import Message


def _minutes(seconds: float) -> int:
    return max(1, int(seconds // 60))


def code_sms(to: str, directory: str, code: str, lifetime: float, host: str) -> Message:
    """Return an SMS with the code and its origin-bound line (`@host #code`).

    The last line follows the origin-bound one-time code format (WICG sms-one-time-codes),
    so phones offer the code for autofill only on the provider's own pages.
    """
    text = gettext("%(code)s is your %(directory)s code. It expires in %(minutes)s minutes. "
                   "Never share it.", code=code, directory=directory,
                   minutes=_minutes(lifetime))
    return Message(channel="sms", to=to, text=f"{text}\n\n@{host} #{code}")


def code_email(to: str, directory: str, code: str, lifetime: float) -> Message:
    """Return an email with the code in a plain-text and an HTML part."""
    values = {"code": code, "directory": directory, "minutes": _minutes(lifetime)}
    return Message(
        channel="email", to=to,
        subject=gettext("%(code)s is your %(directory)s code", **values),
        text=render_template("messages/code_email.txt", **values),
        html=render_template("messages/code_email.html", **values))
