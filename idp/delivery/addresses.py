"""Phone numbers and email addresses: parse, check that they can take a code, mask for display.

The facts of a phone number (its region and type) come from ``phonenumbers``, Google's
libphonenumber metadata; whether a code may go there is the directory's destination
policy, a pure rule (``idp.domain.destinations``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from babel import Locale
from flask_babel import get_locale, gettext, lazy_gettext
from phonenumbers import PhoneNumberType

from ..domain import DestinationPolicy, NumberFacts, destination_refusal

EMAIL_PATTERN = re.compile(r"^[^@\s<>\"'\x00-\x1f\x7f]{1,64}@[A-Za-z0-9.-]{1,252}\.[A-Za-z]{2,63}$")
MAX_PHONE_INPUT = 32
DOT = "\u2022"

#: libphonenumber's types by the names the destination policy uses.
TYPE_NAMES = {value: name.lower() for name, value in vars(PhoneNumberType).items()
              if name.isupper() and isinstance(value, int)}

#: What each kind of number is called on pages.
TYPE_LABELS = {
    "mobile": lazy_gettext("mobile"),
    "fixed_line_or_mobile": lazy_gettext("mobile or landline (where the two cannot be told "
                                         "apart, as in the US and Canada)"),
    "fixed_line": lazy_gettext("landline"),
    "voip": lazy_gettext("internet telephony (VoIP)"),
    "personal_number": lazy_gettext("personal number (such as UK 070)"),
    "pager": lazy_gettext("pager"),
    "uan": lazy_gettext("company number (UAN)"),
    "voicemail": lazy_gettext("voicemail"),
    "premium_rate": lazy_gettext("premium rate"),
    "shared_cost": lazy_gettext("shared cost"),
    "toll_free": lazy_gettext("toll free"),
    "unknown": lazy_gettext("of unknown kind"),
}


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


@lru_cache(maxsize=1024)
def phone_facts(e164: str) -> NumberFacts:
    """Return what the destination policy needs to know of a number: region and type.

    A number's facts depend on it alone, and every page of a login asks them again for the
    same user: the latest numbers' are kept (parsing one costs 15–20 µs of CPU)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return NumberFacts(e164, "ZZ", "unknown")
    kind = TYPE_NAMES.get(phonenumbers.number_type(number), "unknown")
    return NumberFacts(e164, phonenumbers.region_code_for_number(number) or "ZZ", kind)


def country_name(region: str) -> str:
    """Return a country's name in the page's language (English outside a request)."""
    locale = get_locale() or Locale.parse("en")
    return locale.territories.get(region, region)


def refusal_text(reason: str, facts: NumberFacts) -> str:
    """Return, for the number's owner, why no text message may go to it."""
    if reason == "non_geographic":
        return gettext("Text messages are not sent to satellite phones or international "
                       "network numbers (+%(code)s). Enter the mobile number of a country.",
                       code=phonenumbers.parse(facts.e164, None).country_code)
    if reason == "region":
        return gettext("This directory does not send text messages to numbers in "
                       "%(country)s. Enter another mobile number, or choose another way "
                       "to verify.", country=country_name(facts.region))
    if reason == "prefix":
        return gettext("This directory does not send text messages to this range of "
                       "numbers (numbers for machines or paid services). Enter another "
                       "mobile number.")
    return gettext("Text messages are not sent to this kind of number (%(kind)s). "
                   "Enter a mobile number.", kind=TYPE_LABELS[facts.number_type])


def refusal_reason(reason: str, facts: NumberFacts) -> str:
    """Return, in a few words, what the policy refuses about this number."""
    if reason == "non_geographic":
        return gettext("satellite phones and international network numbers are not texted")
    if reason == "region":
        return gettext("numbers in %(country)s are not texted",
                       country=country_name(facts.region))
    if reason == "prefix":
        return gettext("this range of numbers is not texted")
    return gettext("numbers of this kind (%(kind)s) are not texted",
                   kind=TYPE_LABELS[facts.number_type])


def sms_refusal(e164: str, policy: DestinationPolicy) -> str | None:
    """Return why `policy` forbids texting this number (for its owner), or None."""
    facts = phone_facts(e164)
    reason = destination_refusal(policy, facts)
    return None if reason is None else refusal_text(reason, facts)


def may_text(e164: str, policy: DestinationPolicy) -> bool:
    """Say whether `policy` lets a text message go to this number."""
    return destination_refusal(policy, phone_facts(e164)) is None


def parse_mobile(value: str, policy: DestinationPolicy) -> str:
    """Return a number in E.164 that `policy` lets receive text messages, or raise
    ContactError saying why not."""
    e164 = parse_phone(value)
    refusal = sms_refusal(e164, policy)
    if refusal is not None:
        raise ContactError(refusal)
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
