"""The brand form of a directory's admin: what was typed, checked into a Brand, with reasons.

Each refusal names its field and says, in the admin's language, what to do instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from flask_babel import gettext, lazy_gettext

from ..delivery.addresses import ContactError, check_email, parse_phone
from ..domain.brand import (
    AA_CONTRAST,
    MAX_NAME,
    MAX_SENDER,
    Brand,
    InvalidBrand,
    accent_contrast,
    normalize_colour,
    sender_problem,
)
from ..security.images import MAX_BYTES, MAX_SIDE, MIN_SIDE, LogoRefused

FIELDS = ("name", "accent", "sender_name", "support_email", "support_url", "support_phone")
MAX_URL = 500
MAX_TYPED = 600

LOGO_REFUSALS = {
    "empty": lazy_gettext("Choose a logo file to upload."),
    "too_large": lazy_gettext("The logo is too large: at most %(kib)s KiB.",
                              kib=MAX_BYTES // 1024),
    "not_an_image": lazy_gettext("The logo must be a PNG or SVG image; this file is neither "
                                 "(its content counts, not its name)."),
    "dimensions": lazy_gettext("The logo must be %(low)s to %(high)s pixels wide and high, and "
                               "at most 8 times as wide as high.", low=MIN_SIDE, high=MAX_SIDE),
    "active_content": lazy_gettext("This SVG contains scripts, event handlers, foreign objects "
                                   "or processing instructions. Export a plain SVG or a PNG."),
    "external_reference": lazy_gettext("This SVG refers to other files or addresses. Export an "
                                       "SVG without links, or a PNG."),
}


class BrandInputError(ValueError):
    """A field of the brand form is not valid; ``field`` names it."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class BrandForm:
    """What was typed, the brand it makes (None when something is wrong), and why not."""

    values: dict[str, str]
    brand: Brand | None = None
    errors: dict[str, str] = field(default_factory=dict)


def form_values(brand: Brand) -> dict[str, str]:
    """Return the form filled in with the brand as stored."""
    return {"name": brand.name, "accent": brand.accent, "sender_name": brand.sender_name or "",
            "support_email": brand.support_email or "", "support_url": brand.support_url or "",
            "support_phone": brand.support_phone or ""}


def read_brand_form(form: Mapping[str, str], current: Brand) -> BrandForm:
    """Check the posted fields into a brand (keeping the current logo), naming each fault."""
    values = {name: (form.get(name) or "")[:MAX_TYPED].strip() for name in FIELDS}
    result = BrandForm(values)
    checks = {"name": _name, "accent": _accent, "sender_name": _sender,
              "support_email": _email, "support_url": _url, "support_phone": _phone}
    checked: dict[str, str | None] = {}
    for name, check in checks.items():
        try:
            checked[name] = check(values[name])
        except BrandInputError as exc:
            result.errors[name] = str(exc)
    if not result.errors:
        result.brand = replace(current, **checked)
    return result


def logo_refusal(exc: LogoRefused) -> str:
    """Return why the logo was refused, for the admin."""
    return str(LOGO_REFUSALS.get(exc.reason, LOGO_REFUSALS["not_an_image"]))


def _name(text: str) -> str:
    if not text or len(text) > MAX_NAME or not text.isprintable():
        raise BrandInputError(gettext("Enter the name people see: at most %(count)s "
                                      "characters.", count=MAX_NAME))
    return text


def _accent(text: str) -> str:
    try:
        colour = normalize_colour(text)
    except InvalidBrand:
        raise BrandInputError(gettext("Enter the colour as a hex code such as #1a56a6.")) \
            from None
    ratio = accent_contrast(colour)
    if ratio < AA_CONTRAST:
        raise BrandInputError(gettext(
            "%(colour)s is too light: white text on it, and it as text on white, has a "
            "contrast of %(ratio)s:1, and needs at least %(needed)s:1 (WCAG AA). Choose a "
            "darker colour.", colour=colour, ratio=f"{ratio:.2f}", needed=AA_CONTRAST))
    return colour


def _sender(text: str) -> str | None:
    if not text:
        return None
    if sender_problem(text) is not None:
        raise BrandInputError(gettext(
            "A sender name is 1 to %(count)s letters, digits, spaces or punctuation of the "
            "SMS alphabet (GSM-7), with at least one letter.", count=MAX_SENDER))
    return text


def _email(text: str) -> str | None:
    if not text:
        return None
    try:
        return check_email(text)
    except ContactError as exc:
        raise BrandInputError(str(exc)) from None


def _url(text: str) -> str | None:
    if not text:
        return None
    try:
        parts = urlsplit(text)
        good = (len(text) <= MAX_URL and text.isprintable() and " " not in text
                and parts.scheme == "https" and bool(parts.hostname))
    except ValueError:
        good = False
    if not good:
        raise BrandInputError(gettext("Enter a web address starting with https://, of at most "
                                      "%(count)s characters.", count=MAX_URL))
    return text


def _phone(text: str) -> str | None:
    if not text:
        return None
    try:
        return parse_phone(text)
    except ContactError as exc:
        raise BrandInputError(str(exc)) from None
