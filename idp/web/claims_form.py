"""The form of a user's standard claims, shared by the profile and the admin's user page:
each claim's label, input type, autocomplete token and help, the typed values, and the
translated reasons a value is refused (``idp.domain.claims``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import request
from flask_babel import lazy_gettext

from ..domain.claims import ADDRESS_PARTS, LIMITS, ClaimsRefused


@dataclass(frozen=True)
class ClaimField:
    """One input of the form: a claim, or a part of the address."""

    name: str
    label: Any
    type: str = "text"
    autocomplete: str = "off"
    help: Any = None
    multiline: bool = False

    @property
    def maxlength(self) -> int:
        return LIMITS[self.name]


URL_HELP = lazy_gettext("A web address starting with https://")
FIELDS: dict[str, ClaimField] = {f.name: f for f in (
    ClaimField("given_name", lazy_gettext("Given name"), autocomplete="given-name"),
    ClaimField("middle_name", lazy_gettext("Middle name"), autocomplete="additional-name"),
    ClaimField("family_name", lazy_gettext("Family name"), autocomplete="family-name"),
    ClaimField("nickname", lazy_gettext("Nickname"), autocomplete="nickname"),
    ClaimField("preferred_username", lazy_gettext("Preferred username"),
               help=lazy_gettext("The short name apps may call you by. Empty: your "
                                 "username.")),
    ClaimField("profile", lazy_gettext("Profile page"), "url", "url", URL_HELP),
    ClaimField("picture", lazy_gettext("Picture"), "url", "photo",
               lazy_gettext("The web address of a picture of you, starting with https://")),
    ClaimField("website", lazy_gettext("Website"), "url", "url", URL_HELP),
    ClaimField("gender", lazy_gettext("Gender"), autocomplete="sex",
               help=lazy_gettext("In your own words, for example female or male.")),
    ClaimField("birthdate", lazy_gettext("Date of birth"), autocomplete="bday",
               help=lazy_gettext("As YYYY-MM-DD, or only the year (YYYY). Write 0000 as "
                                 "the year to leave it out.")),
    ClaimField("zoneinfo", lazy_gettext("Time zone"),
               help=lazy_gettext("A time zone name, for example Europe/Amsterdam.")),
    ClaimField("locale", lazy_gettext("Language and region"), autocomplete="language",
               help=lazy_gettext("A language tag, for example nl-NL or en-GB.")),
    ClaimField("street_address", lazy_gettext("Street and house number"), autocomplete=
               "street-address", multiline=True),
    ClaimField("postal_code", lazy_gettext("Postal code"), autocomplete="postal-code"),
    ClaimField("locality", lazy_gettext("City or town"), autocomplete="address-level2"),
    ClaimField("region", lazy_gettext("Province or state"), autocomplete="address-level1"),
    ClaimField("country", lazy_gettext("Country"), autocomplete="country-name"),
)}
#: The title of each claim, including the address (on the admin's choice of claims).
TITLES: dict[str, Any] = {**{name: f.label for name, f in FIELDS.items()},
                          "address": lazy_gettext("Postal address")}
REASONS = {
    "too_long": lazy_gettext("This is too long."),
    "control_character": lazy_gettext("This contains characters that cannot be used. "
                                      "Type it again."),
    "not_a_url": lazy_gettext("Enter a web address starting with http:// or https://."),
    "not_a_date": lazy_gettext("Enter a date that exists as YYYY-MM-DD, or a year as YYYY."),
    "unknown_zone": lazy_gettext("This is not a known time zone. Enter one like "
                                 "Europe/Amsterdam."),
    "unknown_locale": lazy_gettext("This is not a known language tag. Enter one like "
                                   "nl-NL."),
    "unknown_claim": lazy_gettext("This cannot be chosen."),
}


def form_fields(asked: Iterable[str]) -> list[ClaimField]:
    """Return the inputs of the asked claims, the address as its parts."""
    fields: list[ClaimField] = []
    for name in asked:
        fields += [FIELDS[part] for part in ADDRESS_PARTS] if name == "address" \
            else [FIELDS[name]]
    return fields


def form_values(claims: Mapping[str, Any]) -> dict[str, str]:
    """Return the inputs' values for stored claims (the address's parts flattened)."""
    values = {name: value for name, value in claims.items() if isinstance(value, str)}
    values.update(claims.get("address") or {})
    return values


def claim_summary(asked: Iterable[str], claims: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """Return the title and value of each asked claim the person gave, for the overview
    (the address on one line)."""
    shown = []
    for name in asked:
        value = claims.get(name)
        if isinstance(value, Mapping):
            value = ", ".join(" ".join(str(value[part]).split()) for part in ADDRESS_PARTS
                              if part in value)
        if value:
            shown.append((TITLES[name], str(value)))
    return shown


def typed_claims(asked: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Return the asked claims the form posted (a claim whose inputs are all missing is
    left as it is) and their typed inputs, each cut short of what could pass (longer input
    is refused as too long by the checks, not read whole)."""
    posted = [name for name in asked
              if any(f.name in request.form for f in form_fields([name]))]
    return posted, {f.name: (request.form.get(f.name) or "")[:f.maxlength * 4 + 1]
                    for f in form_fields(posted)}


def field_errors(exc: ClaimsRefused) -> dict[str, str]:
    """Return the translated reason of each field at fault."""
    return {name: str(REASONS.get(reason, REASONS["unknown_claim"]))
            for name, reason in exc.errors.items()}
