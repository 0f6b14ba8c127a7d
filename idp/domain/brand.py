"""A directory's brand: the name people see, its accent colour and the name messages come from.

The accent colour must be readable both ways it is used: white text on a button of that
colour, and the colour as link text on the white page. Both need the WCAG 2.x AA contrast
of 4.5:1 for normal text (WCAG 2.2 success criterion 1.4.3, with the relative luminance
and contrast ratio as WCAG defines them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from idp.domain.errors import DomainError

WHITE = "#ffffff"
#: WCAG 2.2 SC 1.4.3 (Contrast, Minimum), level AA, for normal-size text.
AA_CONTRAST = 4.5
#: The accent of a directory whose admin chose none: a blue that passes both ways.
DEFAULT_ACCENT = "#1a56a6"
#: An alphanumeric SMS sender ID is at most 11 characters (GSM 03.40, TP-Originating-Address).
MAX_SENDER = 11
MAX_NAME = 100
#: The longest name a code SMS gives in its text and still fits one GSM-7 part of 160.
MAX_SMS_NAME = 30
#: The sender of a directory whose name gives no usable sender.
FALLBACK_SENDER = "Sign-in"

_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
# GSM 03.38 default alphabet, without its two control characters (line feed, carriage
# return): anything else makes an SMS UCS-2, or is not accepted in a sender ID.
GSM_7 = frozenset("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")


class InvalidBrand(DomainError):
    """Reject a brand setting that people could not read or a channel could not carry."""

    error = "invalid_request"
    default_description = "The brand settings are invalid."

    def __init__(self, description: str | None = None, field: str | None = None) -> None:
        super().__init__(description)
        self.field = field


@dataclass(frozen=True)
class Brand:
    """How a directory presents itself to people: on pages, in messages, in their apps."""

    name: str
    accent: str = DEFAULT_ACCENT
    sender_name: str | None = None
    support_email: str | None = None
    support_url: str | None = None
    support_phone: str | None = None
    # The logo's content hash and media type, when it has one (the bytes live elsewhere).
    logo_digest: str | None = None
    logo_type: str | None = None

    @property
    def sender(self) -> str:
        """Return the name SMS and email messages are sent as (and that SMS texts name)."""
        return self.sender_name or sender_from_name(self.name)

    @property
    def sms_name(self) -> str:
        """Return the name a text message gives: the display name when it is short GSM-7
        text, else the sender name (so the message stays one GSM-7 part)."""
        if len(self.name) <= MAX_SMS_NAME and is_gsm7(self.name) and self.name.isprintable():
            return self.name
        return self.sender

    @property
    def has_support(self) -> bool:
        """Return whether people can be told whom to ask for help."""
        return bool(self.support_email or self.support_url or self.support_phone)


def normalize_colour(text: str) -> str:
    """Return the colour as lowercase ``#rrggbb``, or raise InvalidBrand."""
    found = _HEX.match((text or "").strip())
    if found is None:
        raise InvalidBrand("Enter the colour as a hex code such as #1a56a6.", "accent")
    digits = found.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def relative_luminance(colour: str) -> float:
    """Return the colour's relative luminance (WCAG 2.2, definition "relative luminance")."""
    digits = normalize_colour(colour)[1:]
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """Return the contrast ratio of two colours, from 1 to 21 (WCAG 2.2, "contrast ratio")."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)),
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def accent_contrast(colour: str) -> float:
    """Return the contrast of the accent with white: white text on it, or it on white alike."""
    return contrast_ratio(colour, WHITE)


def is_readable_accent(colour: str) -> bool:
    """Return whether white text on the colour, and the colour on white, meet WCAG AA."""
    return accent_contrast(colour) >= AA_CONTRAST


def is_gsm7(text: str) -> bool:
    """Return whether every character is in the GSM 03.38 default alphabet."""
    return set(text) <= GSM_7


def sender_problem(sender: str) -> str | None:
    """Return why the text cannot be an SMS sender name, or None when it can."""
    if not sender or sender != sender.strip():
        return "empty_or_spaced"
    if len(sender) > MAX_SENDER:
        return "too_long"
    if not is_gsm7(sender):
        return "not_gsm7"
    if not any(c.isalpha() for c in sender):
        return "no_letter"  # an all-digit sender is taken for a phone number
    return None


def sender_from_name(name: str) -> str:
    """Return a sender name made from the display name: its GSM-7 characters, cut to fit."""
    kept = "".join(c for c in name if c in GSM_7).strip()[:MAX_SENDER].strip()
    return kept if sender_problem(kept) is None else FALLBACK_SENDER
