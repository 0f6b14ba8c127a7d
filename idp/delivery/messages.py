"""The texts of the messages the provider sends, in the language of the page that asked."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext

from ..domain.brand import Brand
from . import Message


def _minutes(seconds: float) -> int:
    return max(1, int(seconds // 60))


def sms_text(brand: Brand, code: str, lifetime: float, host: str) -> str:
    """Return the text of a code SMS, ending in its origin-bound line (`@host #code`).

    The last line follows the origin-bound one-time code format (WICG sms-one-time-codes),
    so phones offer the code for autofill only on the provider's own pages. The name it
    gives is GSM-7 and short (``Brand.sms_name``), so the message stays one part.
    """
    text = gettext("%(code)s is your %(directory)s code. It expires in %(minutes)s minutes. "
                   "Never share it.", code=code, directory=brand.sms_name,
                   minutes=_minutes(lifetime))
    return f"{text}\n\n@{host} #{code}"


def code_sms(to: str, brand: Brand, code: str, lifetime: float, host: str) -> Message:
    """Return an SMS with the code, sent as the brand's sender name."""
    return Message(channel="sms", to=to, text=sms_text(brand, code, lifetime, host),
                   sender=brand.sender)


def code_email(to: str, brand: Brand, code: str, lifetime: float) -> Message:
    """Return an email with the code in a plain-text and an HTML part."""
    values = {"code": code, "directory": brand.name, "minutes": _minutes(lifetime)}
    return Message(
        channel="email", to=to, sender=brand.sender,
        subject=gettext("%(code)s is your %(directory)s code", **values),
        text=render_template("messages/code_email.txt", **values),
        html=render_template("messages/code_email.html", **values))
