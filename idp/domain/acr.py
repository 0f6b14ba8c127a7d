"""The acr policy: parse the requested levels, set the minimum and answer with acr and amr."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from idp.domain.errors import InvalidAcrRequest, UnmetAuthenticationRequirements
from idp.domain.ledger import Completion
from idp.domain.settings import (
    MAX_LEVEL,
    METHODS,
    LevelSettings,
    max_reachable,
    multi_factor,
)

# A level is a value of ASCII digits, read as a decimal number: 040 is level 40.
_LEVEL = re.compile(r"[0-9]+")
# A number with more significant digits is beyond every level all the same (MAX_LEVEL has
# four); reading it as this keeps int() cheap whatever its length.
_MAX_DIGITS = 18
#: The longest acr the provider asserts (and stores): a level written longer (``00…040``) is
#: answered as its plain decimal.
MAX_ACR_LENGTH = 10
_BEYOND_EVERY_LEVEL = 10**_MAX_DIGITS


@dataclass(frozen=True)
class AcrRequest:
    """Hold the levels a request named (ascending, distinct), whether they are essential,
    and how a level was written when not as a plain decimal (such as 040), to answer in
    the request's own words."""

    values: tuple[int, ...] = ()
    essential: bool = False
    named: bool = False
    written: tuple[tuple[int, str], ...] = ()

    def spelled(self, level: int) -> str:
        """Return `level` as the request wrote it, else as a plain decimal."""
        return dict(self.written).get(level, str(level))


def _level(value: str) -> int | None:
    """Return the level a value names, or None when it is not a level (not ASCII digits)."""
    if not _LEVEL.fullmatch(value):
        return None
    significant = value.lstrip("0") or "0"
    return int(significant) if len(significant) <= _MAX_DIGITS else _BEYOND_EVERY_LEVEL


def _acr_claim(claims: Mapping | None) -> Mapping | None:
    """Return the `acr` member of the claims request's `id_token` object (OIDC Core 5.5)."""
    if claims is None:
        return None
    if not isinstance(claims, Mapping):
        raise InvalidAcrRequest("claims must be a JSON object")
    if "id_token" not in claims:
        return None
    id_token = claims["id_token"]
    if not isinstance(id_token, Mapping):
        raise InvalidAcrRequest("claims.id_token must be a JSON object")
    acr = id_token.get("acr")
    if acr is not None and not isinstance(acr, Mapping):
        raise InvalidAcrRequest("claims.id_token.acr must be a JSON object or null")
    return acr


def _claim_values(acr: Mapping) -> list[str]:
    """Return the `value` and `values` of an individual claim request (OIDC Core 5.5.1)."""
    named: list[str] = []
    if "value" in acr:
        if not isinstance(acr["value"], str):
            raise InvalidAcrRequest("claims.id_token.acr.value must be a string")
        named.append(acr["value"])
    if "values" in acr:
        values = acr["values"]
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            raise InvalidAcrRequest("claims.id_token.acr.values must be a list of strings")
        named.extend(values)
    return named


def parse_acr_request(acr_values: str | None, claims: Mapping | None) -> AcrRequest:
    """Read the requested levels from `acr_values` (OIDC Core 3.1.2.1) and the claims request.

    Values of the `acr` claims request (OIDC Core 5.5.1.1) take precedence over
    `acr_values`; `essential` only matters when the claims request names values.

    Every value is treated the same way, wherever it comes from:

    * A value of ASCII digits is a level, read as a decimal number whatever its size or
      leading zeros (``040`` is 40, ``1001`` is 1001). The lowest level named is the
      least the client accepts (``effective_minimum``); a minimum that no combination of
      enabled methods reaches is refused with unmet_authentication_requirements
      (``ensure_reachable``), so ``200``, ``1001`` and ``99999`` alike are refused, never
      dropped. A level met is answered as the request wrote it (``040``), so an
      essential acr is always answered with one of its values (OIDC Core 5.5.1.1); only a
      spelling longer than ``MAX_ACR_LENGTH`` is answered as the plain decimal instead.
    * Any other value (a URN, ``1.5``, ``-3``, ``0x10``, ``+40``, digits of another script)
      names no level of this provider. acr_values are voluntary (OIDC Core 3.1.2.1), so
      such a value is ignored as a level: the login is held to the directory's and the
      client's minimum and the ID token's acr says the level reached. An essential acr
      claims request none of whose values is a level cannot be met and is refused
      (``check_request``; OpenID Connect Unmet Authentication Requirements 1.0).
    """
    acr = _acr_claim(claims) or {}
    essential = acr.get("essential", False)
    if not isinstance(essential, bool):
        raise InvalidAcrRequest("claims.id_token.acr.essential must be true or false")
    named = _claim_values(acr)
    if not named:
        essential = False
        named = (acr_values or "").split()
    spellings: dict[int, list[str]] = {}
    for value in named:
        level = _level(value)
        if level is not None:
            spellings.setdefault(level, []).append(value)
    written = tuple((level, short[0]) for level, words in sorted(spellings.items())
                    if str(level) not in words
                    and (short := [word for word in words if len(word) <= MAX_ACR_LENGTH]))
    return AcrRequest(values=tuple(sorted(spellings)), essential=essential, named=bool(named),
                      written=written)


def effective_minimum(
    settings: LevelSettings, client_min_acr: int | None, request: AcrRequest
) -> int:
    """Return the level a login must reach; nothing can lower the directory's floor."""
    requested = request.values[0] if request.values else 0
    return max(settings.required_level, client_min_acr or 0, requested)


def ensure_reachable(settings: LevelSettings, minimum: int) -> None:
    """Refuse a minimum that no combination of enabled methods reaches.

    OpenID Connect Unmet Authentication Requirements 1.0, section 1.
    """
    if max_reachable(settings) < minimum:
        level = f"level {minimum}" if minimum <= MAX_LEVEL else f"a level above {MAX_LEVEL}"
        raise UnmetAuthenticationRequirements(
            f"{level} cannot be reached with the enabled methods"
        )


def check_request(settings: LevelSettings, client_min_acr: int | None, request: AcrRequest) -> int:
    """Return the effective minimum, or refuse a request that can never be met."""
    if request.essential and request.named and not request.values:
        raise UnmetAuthenticationRequirements("none of the essential acr values is supported")
    minimum = effective_minimum(settings, client_min_acr, request)
    ensure_reachable(settings, minimum)
    return minimum


def resolve_acr(level: int, request: AcrRequest) -> str:
    """Return the acr to assert: the highest requested value `level` meets, else the level.

    An essential acr is never answered with another value (OIDC Core 5.5.1.1).
    """
    met = [value for value in request.values if value <= level]
    if met:
        return request.spelled(met[-1])
    if request.essential and request.named:
        raise UnmetAuthenticationRequirements("the essential acr values are not met")
    return str(level)


def build_amr(completions: Iterable[Completion]) -> list[str]:
    """Return the amr values of the completions, plus `mfa` when they are multi-factor
    (``multi_factor``: two or more factor categories; an email code proves none).

    RFC 8176 section 2.
    """
    ordered = sorted(completions, key=lambda c: METHODS.index(c.method))
    amr = list(dict.fromkeys(value for c in ordered for value in c.amr_values))
    if multi_factor(c.method for c in ordered) and "mfa" not in amr:
        amr.append("mfa")
    return amr


def latest_auth_time(completions: Iterable[Completion]) -> int:
    """Return the time of the most recent authentication event (OIDC Core 2, auth_time)."""
    times = [c.at for c in completions]
    if not times:
        raise ValueError("no completed authentication to take auth_time from")
    return int(max(times))
