"""Where a code may be sent: a directory's destination policy, and the one rule that applies it.

SMS pumping (artificially inflated traffic, International Revenue Share Fraud) makes a
provider text numbers whose operators share the termination fee with the fraudster:
premium-rate and personal numbers, satellite and other international networks, and
the ranges and countries where termination is dear. The answer here is a policy per
directory, checked whenever a number is typed (enrolment, profile, the admin's
Users page) and again before every send, so a number a new policy forbids is not texted.

The rule is pure: the caller extracts a number's facts with ``phonenumbers``
(``idp.delivery.addresses.phone_facts``: region, type, E.164) and asks ``destination_refusal``.

Decisions, stated once:

* Types use libphonenumber's names (``NUMBER_TYPES``). Allowed by default: ``mobile``
  and ``fixed_line_or_mobile`` (the whole North American plan and a few others cannot
  tell the two apart, so refusing it would refuse every US and Canadian number).
* Refused by default: premium rate, shared cost, toll free, personal numbers (UK 070,
  the classic revenue-share range), UAN, pager, voicemail, plain fixed lines (they cannot
  take a text) and numbers of unknown type. VoIP too: NIST SP 800-63B 5.1.3.3 asks that
  an out-of-band number be tied to a physical device, and VoIP numbers are rented in
  bulk; an admin whose people rely on them can allow the type.
* Numbers of the non-geographic "countries" (libphonenumber's region ``001``: +800,
  +808, +870, +878, +881, +882, +883, +888, +979, satellite phones and international
  networks) are refused unless the policy allows them.
* ``DEFAULT_BLOCKED_REGIONS`` is deliberately short: destinations that carriers' and
  SMS vendors' published fraud reports name again and again as IRSF/SMS-pumping
  terminations (see its comment). Every other country keeps SMS: the product accepts
  numbers of any country. An admin may block more, or allow only a list.
* ``DEFAULT_BLOCKED_PREFIXES`` holds ranges inside otherwise fine countries:
  the Dutch +31 97 numbers are for machines (M2M), and libphonenumber types them
  ``mobile``, so only a prefix catches them.
* An allow-list, when set, admits only its regions; blocked regions and prefixes still
  apply inside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from idp.domain.errors import InvalidSettings

#: libphonenumber's number types, by the names its PhoneNumberType uses, in lower case.
NUMBER_TYPES = ("mobile", "fixed_line_or_mobile", "fixed_line", "voip", "personal_number",
                "pager", "uan", "voicemail", "premium_rate", "shared_cost", "toll_free",
                "unknown")
#: libphonenumber's region of numbers that belong to no country (+800, +881, +882, ...).
NON_GEOGRAPHIC = "001"
DEFAULT_ALLOWED_TYPES = frozenset({"mobile", "fixed_line_or_mobile"})
#: Cuba (CU): the destination where most fraudulent traffic terminated in Syniverse's
#: 2016 report of 120 operators' data, and the dearest termination in wholesale voice;
#: Sao Tome and Principe (ST): second only to Cuba in Humbug Labs' verified fraud
#: destinations; Azerbaijan (AZ): marked "High Fraud Risk" in SMS vendors' geographic
#: permission lists (Braze, Twilio's traffic-pumping risk acknowledgements). Short on
#: purpose: vendors advise blocking every country a service does not serve, which only
#: the admin knows.
DEFAULT_BLOCKED_REGIONS = frozenset({"AZ", "CU", "ST"})
#: The Netherlands' 097 numbers: machine-to-machine SIMs (11 digits after +31 97).
DEFAULT_BLOCKED_PREFIXES = ("+3197",)
MAX_LISTED = 300  # regions or prefixes one policy lists, at most

REGION_PATTERN = re.compile(r"^[A-Z]{2}$")
PREFIX_PATTERN = re.compile(r"^\+[1-9][0-9]{0,9}$")


@dataclass(frozen=True)
class NumberFacts:
    """What the policy needs to know of a phone number (from libphonenumber)."""

    e164: str
    region: str  # ISO 3166-1 alpha-2, NON_GEOGRAPHIC, or "ZZ" when unknown
    number_type: str  # one of NUMBER_TYPES


@dataclass(frozen=True)
class DestinationPolicy:
    """Which numbers a directory sends codes to by SMS (a voice call follows the same policy
    with fixed lines allowed)."""

    allowed_types: frozenset[str] = DEFAULT_ALLOWED_TYPES
    blocked_regions: frozenset[str] = DEFAULT_BLOCKED_REGIONS
    allowed_regions: frozenset[str] = frozenset()  # empty: every region not blocked
    blocked_prefixes: tuple[str, ...] = DEFAULT_BLOCKED_PREFIXES
    allow_non_geographic: bool = False

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_POLICY


DEFAULT_POLICY = DestinationPolicy()


def destination_refusal(policy: DestinationPolicy, facts: NumberFacts) -> str | None:
    """Return why `policy` refuses to send to this number, or None when it may.

    Reasons: ``non_geographic``, ``region`` (blocked, or not on the allow-list),
    ``prefix`` (a blocked range), ``type`` (a kind of number not allowed).
    """
    if facts.region == NON_GEOGRAPHIC and not policy.allow_non_geographic:
        return "non_geographic"
    if facts.region in policy.blocked_regions or (
            policy.allowed_regions and facts.region not in policy.allowed_regions
            and facts.region != NON_GEOGRAPHIC):
        return "region"
    if any(facts.e164.startswith(prefix) for prefix in policy.blocked_prefixes):
        return "prefix"
    if facts.number_type not in policy.allowed_types:
        return "type"
    return None


def may_send(policy: DestinationPolicy, facts: NumberFacts) -> bool:
    """Say whether a code may be sent to this number."""
    return destination_refusal(policy, facts) is None


def _regions(values: Iterable[Any], what: str) -> frozenset[str]:
    found = set()
    for value in values:
        code = str(value).strip().upper()
        if not REGION_PATTERN.match(code):
            raise InvalidSettings(f"{what}: {value!r} is not a two-letter country code")
        found.add(code)
    return frozenset(found)


def make_policy(*, allowed_types: Iterable[str] = DEFAULT_ALLOWED_TYPES,
                blocked_regions: Iterable[str] = DEFAULT_BLOCKED_REGIONS,
                allowed_regions: Iterable[str] = (),
                blocked_prefixes: Iterable[str] = DEFAULT_BLOCKED_PREFIXES,
                allow_non_geographic: bool = False) -> DestinationPolicy:
    """Return a checked policy, or raise InvalidSettings saying what is wrong."""
    types = frozenset(str(t).strip().lower() for t in allowed_types)
    unknown = sorted(types - set(NUMBER_TYPES))
    if unknown:
        raise InvalidSettings(f"unknown number types: {', '.join(unknown)}")
    if not types:
        raise InvalidSettings("allow at least one kind of number")
    blocked = _regions(blocked_regions, "blocked countries")
    allowed = _regions(allowed_regions, "allowed countries")
    prefixes = []
    for value in blocked_prefixes:
        prefix = str(value).strip().replace(" ", "")
        if not PREFIX_PATTERN.match(prefix):
            raise InvalidSettings(f"blocked ranges: {value!r} is not + and 1 to 10 digits")
        if prefix not in prefixes:
            prefixes.append(prefix)
    if max(len(blocked), len(allowed), len(prefixes)) > MAX_LISTED:
        raise InvalidSettings(f"a list holds at most {MAX_LISTED} entries")
    if not isinstance(allow_non_geographic, bool):
        raise InvalidSettings("allow_non_geographic is true or false")
    return DestinationPolicy(allowed_types=types, blocked_regions=blocked,
                             allowed_regions=allowed, blocked_prefixes=tuple(sorted(prefixes)),
                             allow_non_geographic=allow_non_geographic)


def policy_from_mapping(data: Mapping[str, Any] | None) -> DestinationPolicy:
    """Return the policy stored as `data` (None or empty: the default)."""
    if not data:
        return DEFAULT_POLICY
    return make_policy(
        allowed_types=data.get("allowed_types", DEFAULT_ALLOWED_TYPES),
        blocked_regions=data.get("blocked_regions", DEFAULT_BLOCKED_REGIONS),
        allowed_regions=data.get("allowed_regions", ()),
        blocked_prefixes=data.get("blocked_prefixes", DEFAULT_BLOCKED_PREFIXES),
        allow_non_geographic=bool(data.get("allow_non_geographic", False)))


def policy_to_mapping(policy: DestinationPolicy) -> dict[str, Any]:
    """Return the policy as stored (JSON: sorted lists, so equal policies store alike)."""
    return {"allowed_types": [t for t in NUMBER_TYPES if t in policy.allowed_types],
            "blocked_regions": sorted(policy.blocked_regions),
            "allowed_regions": sorted(policy.allowed_regions),
            "blocked_prefixes": list(policy.blocked_prefixes),
            "allow_non_geographic": policy.allow_non_geographic}
