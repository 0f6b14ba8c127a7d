"""A directory's SMS destination policy as its admin reads and changes it: countries by
ISO code or by name, the policy in words, the audited change, and whom a change costs.

The rule itself is the domain's (``idp.domain.destinations``); the numbers' facts come
from ``phonenumbers`` (``idp.delivery.addresses``); country names from Babel's CLDR data, so an
admin may type "Cuba", "cuba", "CU" or, on the Dutch page, "Cuba" as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from babel import Locale
from flask_babel import get_locale, gettext, ngettext

from .. import audit
from ..delivery.addresses import TYPE_LABELS, country_name
from ..domain import (
    NUMBER_TYPES,
    DestinationPolicy,
    InvalidSettings,
    MethodLoss,
    make_policy,
    policy_to_mapping,
    preview_method_loss,
)
from ..methods import SignInMethod, enrollable_now
from ..storage.models import Client, Directory, User
from ..tenants.directories import level_settings, set_sms_policy, sms_policy
from .census import take_census

SEPARATORS = re.compile(r"[,;\n]+")
MAX_TYPED = 4000  # characters of one list field


class PolicyInputError(ValueError):
    """A typed policy field is wrong; `field` names it, the message says why (translated)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _locales() -> list[Locale]:
    shown = get_locale()
    found = [Locale.parse("en")]
    if shown is not None and str(shown) != "en":
        found.append(shown)
    return found


def country_codes() -> frozenset[str]:
    """Return the two-letter codes of the countries and territories CLDR names."""
    return frozenset(code for code in Locale.parse("en").territories
                     if len(code) == 2 and code.isalpha())


def read_countries(text: str, field: str) -> frozenset[str]:
    """Return the countries typed as ISO codes or names, or raise PolicyInputError."""
    if len(text) > MAX_TYPED:
        raise PolicyInputError(field, gettext("This list is too long."))
    codes = country_codes()
    by_name = {name.casefold(): code for locale in _locales()
               for code, name in locale.territories.items() if code in codes}
    found = set()
    for item in SEPARATORS.split(text):
        typed = " ".join(item.split())
        if not typed:
            continue
        code = typed.upper() if typed.upper() in codes else by_name.get(typed.casefold())
        if code is None:
            raise PolicyInputError(field, gettext(
                "“%(name)s” is not a country this page knows. Type its name or its two-letter "
                "ISO code, such as CU for Cuba.", name=typed[:40]))
        found.add(code)
    return frozenset(found)


def read_prefixes(text: str, field: str) -> tuple[str, ...]:
    """Return the number ranges typed (+ and digits), or raise PolicyInputError."""
    if len(text) > MAX_TYPED:
        raise PolicyInputError(field, gettext("This list is too long."))
    prefixes = []
    for item in SEPARATORS.split(text):
        typed = "".join(item.split())
        if not typed:
            continue
        if not re.fullmatch(r"\+[1-9][0-9]{0,9}", typed):
            raise PolicyInputError(field, gettext(
                "“%(range)s” is not a range of numbers. Type + and the first digits, such as "
                "+3197.", range=typed[:20]))
        prefixes.append(typed)
    return tuple(prefixes)


def build_policy(types: Iterable[str], blocked: str, allowed: str, prefixes: str,
                 non_geographic: bool) -> DestinationPolicy:
    """Return the policy the admin typed, or raise PolicyInputError saying what is wrong."""
    kinds = [t for t in types if t in NUMBER_TYPES]
    if not kinds:
        raise PolicyInputError("sms_types", gettext("Choose at least one kind of number."))
    try:
        return make_policy(allowed_types=kinds,
                           blocked_regions=read_countries(blocked, "sms_blocked"),
                           allowed_regions=read_countries(allowed, "sms_allowed"),
                           blocked_prefixes=read_prefixes(prefixes, "sms_prefixes"),
                           allow_non_geographic=non_geographic)
    except InvalidSettings as exc:
        raise PolicyInputError("", gettext("This policy is not valid: %(why)s.",
                                           why=str(exc))) from exc


def _names(codes: Iterable[str]) -> str:
    return ", ".join(sorted(f"{country_name(c)} ({c})" for c in codes))


def describe(policy: DestinationPolicy) -> list[str]:
    """Return the policy in words, a sentence each."""
    kinds = ", ".join(str(TYPE_LABELS[t]) for t in NUMBER_TYPES if t in policy.allowed_types)
    said = [gettext("Codes are texted only to these kinds of number: %(kinds)s.", kinds=kinds)]
    if policy.allowed_regions:
        said.append(gettext("Only to numbers of these countries: %(countries)s.",
                            countries=_names(policy.allowed_regions)))
    else:
        said.append(gettext("Numbers of every country are accepted, except those listed."))
    if policy.blocked_regions:
        said.append(gettext("Never to numbers of: %(countries)s.",
                            countries=_names(policy.blocked_regions)))
    if policy.blocked_prefixes:
        said.append(gettext("Never to numbers starting with: %(ranges)s.",
                            ranges=", ".join(policy.blocked_prefixes)))
    said.append(gettext("Satellite phones and international network numbers (+800, +870, "
                        "+881, +882, +883, +979 …): %(allowed)s.",
                        allowed=gettext("allowed") if policy.allow_non_geographic
                        else gettext("refused")))
    if policy.is_default:
        said.append(gettext("This is the default policy."))
    return said


def preview_sms_policy(directory: Directory, candidate: DestinationPolicy,
                       methods: dict[str, SignInMethod]) -> MethodLoss:
    """Return whom `candidate` would take SMS codes from, and who then falls short."""
    before = take_census(directory, methods)
    after = take_census(directory, methods, candidate)
    return preview_method_loss(level_settings(directory), "sms", before, after,
                               enrollable_now(methods))


def save_sms_policy(directory: Directory, candidate: DestinationPolicy, loss: MethodLoss,
                    *, actor: User | Client | None, ip: str | None, user_agent: str | None,
                    now: float) -> None:
    """Store the policy and audit the change (before, after, who, whom it cost); the actor
    is an admin, a service account (the admin API) or None (the operator's command line)."""
    before = sms_policy(directory)
    set_sms_policy(directory, candidate)
    audit.record(directory.id, audit.events.SETTINGS_CHANGED, now, ip=ip, user_agent=user_agent,
                 **audit.actor_of(actor), before={"sms_destinations": policy_to_mapping(before)},
                 after={"sms_destinations": policy_to_mapping(candidate)},
                 users_losing_sms=len(loss.losing), users_losing=len(loss.short),
                 users_locked_out=len(loss.locked_out))


def saved_notice(loss: MethodLoss) -> str:
    """Return what the admin is told after saving."""
    notice = gettext("The text message destinations were saved.")
    if loss.losing:
        notice += " " + ngettext(
            "%(num)d user no longer receives codes by text message.",
            "%(num)d users no longer receive codes by text message.", len(loss.losing))
    return notice
