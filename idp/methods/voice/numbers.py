"""The numbers a code may be read out to: any country's, fixed lines included.

A voice call reaches a landline as well as a mobile, so the directory's SMS destination
policy (``idp.domain.destinations``) applies with fixed lines added to the kinds of
number it allows: the countries, ranges and costly kinds it refuses (premium rate,
personal numbers, satellite networks) stay refused for calls, since the fraud that pumps
text messages (International Revenue Share Fraud) began with calls.
"""

from __future__ import annotations

from dataclasses import replace

from flask_babel import gettext

from ...delivery.addresses import (
    TYPE_LABELS,
    ContactError,
    country_name,
    parse_phone,
    phone_facts,
)
from ...domain import DestinationPolicy, NumberFacts, destination_refusal
from ...storage.models import Directory
from ...tenants.directories import sms_policy

#: The kind of number a call reaches and a text message does not.
LANDLINE = "fixed_line"


def calling_policy(sms: DestinationPolicy) -> DestinationPolicy:
    """Return which numbers are called under this SMS policy: the same, fixed lines allowed."""
    return replace(sms, allowed_types=sms.allowed_types | {LANDLINE})


def voice_policy(directory: Directory) -> DestinationPolicy:
    """Return which numbers the directory calls: its SMS policy, fixed lines allowed."""
    return calling_policy(sms_policy(directory))


def may_call(e164: str, policy: DestinationPolicy) -> bool:
    """Say whether `policy` (a calling policy) lets a call go to this number."""
    return destination_refusal(policy, phone_facts(e164)) is None


def refusal_reason(reason: str, facts: NumberFacts) -> str:
    """Return, in a few words, what the policy refuses about this number for calls."""
    if reason == "non_geographic":
        return gettext("satellite phones and international network numbers are not called")
    if reason == "region":
        return gettext("numbers in %(country)s are not called",
                       country=country_name(facts.region))
    if reason == "prefix":
        return gettext("this range of numbers is not called")
    return gettext("numbers of this kind (%(kind)s) are not called",
                   kind=TYPE_LABELS[facts.number_type])


def refusal_text(reason: str, facts: NumberFacts) -> str:
    """Return, for the number's owner, why no code may be read out to it."""
    return gettext("This directory does not call this number: %(reason)s. Enter another "
                   "phone number, or choose another way to verify.",
                   reason=refusal_reason(reason, facts))


def call_refusal(e164: str, policy: DestinationPolicy) -> str | None:
    """Return why `policy` forbids calling this number (for its owner), or None."""
    facts = phone_facts(e164)
    reason = destination_refusal(policy, facts)
    return None if reason is None else refusal_text(reason, facts)


def parse_callable(value: str, policy: DestinationPolicy) -> str:
    """Return a number in E.164, mobile or fixed line, that `policy` lets be called, or
    raise ContactError saying why not."""
    e164 = parse_phone(value)
    refusal = call_refusal(e164, policy)
    if refusal is not None:
        raise ContactError(refusal)
    return e164
