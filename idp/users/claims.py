"""A user's standard claims (OIDC Core 5.1): reading them, and saving typed ones checked.

The rules of each claim are pure (``idp.domain.claims``); this module gives them the facts
of the world they need (the IANA time zones of the ``zoneinfo`` module, Babel's locales)
and keeps the values: the locale in its own column (the language of the person's
notices, too), the others in ``User.claims``.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError

from ..domain.claims import Lookups, changed_claims, check_claims
from ..storage.models import User

#: Names in the time zone database that are not zones a person lives in.
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


def is_zone(name: str) -> bool:
    """Say whether `name` is a time zone of the IANA database ("Europe/Amsterdam")."""
    return name in _zones()


def canonical_locale(tag: str) -> str | None:
    """Return a BCP 47 tag in its usual case ("nl-BE"), or None when Babel knows no such
    locale (hyphens only: "en_US" is not BCP 47)."""
    if "_" in tag:
        return None
    try:
        locale = Locale.parse(tag, sep="-")
    except (ValueError, TypeError, UnknownLocaleError):
        return None
    if locale.language != tag.split("-", 1)[0].lower():  # "und" is not English
        return None
    return "-".join(part for part in (locale.language, locale.script, locale.territory) if part)


LOOKUPS = Lookups(is_zone=is_zone, canonical_locale=canonical_locale)


def stored_claims(user: User) -> dict[str, Any]:
    """Return the standard claims the user gave (only those with a value)."""
    values = dict(user.claims or {})
    if user.locale:
        values["locale"] = user.locale
    return values


def save_claims(user: User, typed: Mapping[str, object], names: Iterable[str],
                now: float) -> list[str]:
    """Check the typed claims `names` and save them on the user; return the names that
    changed. Raises ``ClaimsRefused`` with every field at fault, saving nothing."""
    values = check_claims(typed, list(names), LOOKUPS)
    changed = changed_claims(stored_claims(user), values)
    if not changed:
        return []
    others = dict(user.claims or {})
    for name in changed:
        if name == "locale":
            user.locale = values[name]
        elif values[name] is None:
            others.pop(name, None)
        else:
            others[name] = values[name]
    user.claims = others or None
    user.updated_at = now
    return changed
