"""Phone numbers and email addresses: parse, check that they can take a code, mask for display."""

from __future__ import annotations

import re

import phonenumbers
from flask_babel import gettext
from phonenumbers import PhoneNumberType

EMAIL_PATTERN = re.compile(r"^[^@\s<>\"'\x00-\x1f\x7f]{1,64}@[A-Za-z0-9.-]{1,252}\.[A-Za-z]{2,63}$")
MAX_PHONE_INPUT = 32
DOT = "\u2022"

# Numbers an SMS code may go to. Premium-rate, shared-cost and toll-free numbers are
# refused: sending to them is how SMS gateways are pumped for toll fraud.
TEXTABLE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE,
                      PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.VOIP})


class ContactError(ValueError):
    """A phone number or email address is not usable; the message says why, for its owner."""


def parse_phone(value: str) -> str:
    """Return a phone number of any country in E.164, or raise ContactError."""
    value = (value or "").strip()
    if not value or len(value) > MAX_PHONE_INPUT or not value.isprintable():
        raise ContactError(gettext("Enter the phone number in international form, "
                                   "e.g. +31612345678."))
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ContactError(gettext("Enter the phone number in international form, starting "
                                   "with + and the country code, e.g. +31612345678.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise ContactError(gettext("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_mobile(value: str) -> str:
    """Return a number that can receive text messages in E.164, or raise ContactError."""
    e164 = parse_phone(value)
    if phonenumbers.number_type(phonenumbers.parse(e164, None)) not in TEXTABLE:
        raise ContactError(gettext("Text messages cannot be sent to this number. "
                                   "Enter a mobile number."))
    return e164


def check_email(value: str) -> str:
    """Return the email address trimmed, or raise ContactError."""
    value = (value or "").strip()
    if len(value) > 254 or not EMAIL_PATTERN.match(value):
        raise ContactError(gettext("Enter an email address like name@example.com."))
    return value


def mask_phone(e164: str) -> str:
    """Return a number with its middle hidden: +31612345678 becomes ``+31 6 •••• 5678``."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return DOT * 4 + e164[-2:]
    national = phonenumbers.national_significant_number(number)
    prefix = national[:phonenumbers.length_of_national_destination_code(number)]
    shown = 4 if len(national) >= 8 else 2
    if len(prefix) + shown >= len(national):
        prefix = ""
    parts = [f"+{number.country_code}", prefix, DOT * 4, national[-shown:]]
    return " ".join(part for part in parts if part)


def mask_email(address: str) -> str:
    """Return an address with its local part hidden: jan@example.com shows ``j•••@example.com``."""
    local, _, domain = address.rpartition("@")
    if not local:
        return DOT * 3
    return f"{local[0]}{DOT * 3}@{domain}"
