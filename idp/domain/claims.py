"""The OpenID Connect standard claims a user may give, and how each is checked.

OIDC Core 5.1 defines the claims and their forms, 5.1.1 the address claim. The rules here
are pure: whether a name is a real IANA time zone, and whether a tag is a BCP 47 locale,
are facts of the world that the caller passes in (``Lookups``; ``idp.users.claims`` gives
them from the ``zoneinfo`` module and Babel's locale data).

The claims of the user's own name (``name``), email address and phone number have their
own forms and rules (a proven address or number); ``updated_at`` is set by every change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: The standard claims a user gives on their profile (OIDC Core 5.1), in the form's order.
EDITABLE_CLAIMS = ("given_name", "middle_name", "family_name", "nickname",
                   "preferred_username", "profile", "picture", "website", "gender",
                   "birthdate", "zoneinfo", "locale", "address")
#: The members of the address claim a user gives (OIDC Core 5.1.1); `formatted` is left out:
#: how an address is written out differs by country, and the parts say it all.
ADDRESS_PARTS = ("street_address", "postal_code", "locality", "region", "country")
#: What a directory asks its users for until its admin chooses: the names apps greet
#: people with and the settings that shape how they show times and text. Nothing that
#: locates or describes a person (address, birthdate, gender, picture) unless an admin
#: decides the directory needs it (data minimisation, GDPR article 5(1)(c)).
DEFAULT_ASKED = frozenset({"given_name", "family_name", "preferred_username", "locale",
                           "zoneinfo"})
#: The longest value of each claim or address part, in characters.
LIMITS = {"given_name": 100, "middle_name": 100, "family_name": 100, "nickname": 100,
          "preferred_username": 100, "profile": 500, "picture": 500, "website": 500,
          "gender": 50, "birthdate": 10, "zoneinfo": 64, "locale": 35,
          "street_address": 300, "postal_code": 20, "locality": 100, "region": 100,
          "country": 100}
URL_CLAIMS = frozenset({"profile", "picture", "website"})

# A web address: http or https, a host without spaces or credentials, an optional port.
URL = re.compile(r"https?://[^\s/?#@:]+(?::[0-9]{1,5})?(?:[/?#]\S*)?", re.IGNORECASE)
# OIDC Core 5.1: YYYY-MM-DD, or YYYY alone; 0000 as the year means "year not given".
BIRTHDATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})-([0-9]{2}))?")
# Control characters (Unicode category Cc) but the tab and line breaks, which are spaces here.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class Lookups:
    """What the rules need to know of the world: whether a name is an IANA time zone, and
    the canonical form of a BCP 47 locale tag (None when no such locale is known)."""

    is_zone: Callable[[str], bool]
    canonical_locale: Callable[[str], str | None]


class ClaimsRefused(ValueError):
    """Typed claims break their rules: `errors` maps each field at fault to why (reason
    codes: too_long, control_character, not_a_url, not_a_date, unknown_zone,
    unknown_locale, unknown_claim)."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(", ".join(f"{name}: {why}" for name, why in errors.items()))
        self.errors = dict(errors)


def _clean(name: str, typed: object, multiline: bool = False) -> str:
    """Return typed text with its spaces collapsed (line breaks kept where allowed)."""
    text = typed if isinstance(typed, str) else ""
    if CONTROL.search(text):
        raise ClaimsRefused({name: "control_character"})
    if multiline:
        lines = (" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n"))
        text = "\n".join(line for line in lines if line)
    else:
        text = " ".join(text.split())
    if len(text) > LIMITS[name]:
        raise ClaimsRefused({name: "too_long"})
    return text


def valid_birthdate(text: str) -> bool:
    """Say whether `text` is a birthdate of OIDC Core 5.1: YYYY, or YYYY-MM-DD with 0000
    for a year not given; the date must exist (29 February only in leap years)."""
    match = BIRTHDATE.fullmatch(text)
    if match is None:
        return False
    year, month, day = match.groups()
    if month is None:
        return year != "0000"
    number, monthly = int(year), int(month)
    if not 1 <= monthly <= 12 or not 1 <= int(day) <= DAYS[monthly - 1]:
        return False
    leap = number == 0 or (number % 4 == 0 and (number % 100 != 0 or number % 400 == 0))
    return monthly != 2 or int(day) <= 28 or leap


def check_claim(name: str, typed: object, lookups: Lookups) -> str | None:
    """Return the value to store for a typed claim (None: cleared); raise ClaimsRefused."""
    text = _clean(name, typed)
    if not text:
        return None
    if name in URL_CLAIMS and not URL.fullmatch(text):
        raise ClaimsRefused({name: "not_a_url"})
    if name == "birthdate" and not valid_birthdate(text):
        raise ClaimsRefused({name: "not_a_date"})
    if name == "zoneinfo" and not lookups.is_zone(text):
        raise ClaimsRefused({name: "unknown_zone"})
    if name == "locale":
        canonical = lookups.canonical_locale(text)
        if canonical is None:
            raise ClaimsRefused({name: "unknown_locale"})
        return canonical
    return text


def check_address(typed: Mapping[str, object]) -> dict[str, str] | None:
    """Return the address claim's members to store (None: no address); raise ClaimsRefused."""
    errors: dict[str, str] = {}
    address: dict[str, str] = {}
    for part in ADDRESS_PARTS:
        try:
            text = _clean(part, typed.get(part), multiline=part == "street_address")
        except ClaimsRefused as exc:
            errors.update(exc.errors)
            continue
        if text:
            address[part] = text
    if errors:
        raise ClaimsRefused(errors)
    return address or None


def check_claims(typed: Mapping[str, object], names: Iterable[str],
                 lookups: Lookups) -> dict[str, Any]:
    """Return the values to store for the claims `names` (None clears one), each checked,
    from typed form fields (the address from its parts' fields); raise ClaimsRefused with
    every field at fault."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in names:
        try:
            if name == "address":
                values[name] = check_address(typed)
            elif name in EDITABLE_CLAIMS:
                values[name] = check_claim(name, typed.get(name), lookups)
            else:
                errors[name] = "unknown_claim"
        except ClaimsRefused as exc:
            errors.update(exc.errors)
    if errors:
        raise ClaimsRefused(errors)
    return values


def check_asked(names: Iterable[str]) -> tuple[str, ...]:
    """Return the claims a directory asks for, in the form's order; raise ClaimsRefused
    for a name that is not an editable standard claim."""
    chosen = set(names)
    unknown = chosen - set(EDITABLE_CLAIMS)
    if unknown:
        raise ClaimsRefused(dict.fromkeys(sorted(unknown), "unknown_claim"))
    return tuple(name for name in EDITABLE_CLAIMS if name in chosen)


def changed_claims(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Return the names whose value `after` differs from `before` (a missing one is None)."""
    return [name for name in after if before.get(name) != after[name]]
