"""The acr policy: parse the requested levels, set the minimum and answer with acr and amr."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from idp.domain.errors import InvalidAcrRequest, UnmetAuthenticationRequirements
from idp.domain.ledger import Completion
from idp.domain.settings import (
    MAX_LEVEL,
    METHOD_INFO,
    METHODS,
    LevelSettings,
    max_reachable,
)

# A level is a plain decimal without leading zeros, so str(int(v)) == v round-trips.
_LEVEL = re.compile(r"0|[1-9][0-9]*")
_MAX_DIGITS = len(str(MAX_LEVEL))


@dataclass(frozen=True)
class AcrRequest:
    """Hold the numeric acr values a request named, sorted, and whether they are essential."""

    values: tuple[int, ...] = ()
    essential: bool = False
    named: bool = False


def _level(value: str) -> int | None:
    if len(value) > _MAX_DIGITS or not _LEVEL.fullmatch(value):
        return None
    level = int(value)
    return level if level <= MAX_LEVEL else None


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
    Non-numeric values are named but ignored as levels.
    """
    acr = _acr_claim(claims) or {}
    essential = acr.get("essential", False)
    if not isinstance(essential, bool):
        raise InvalidAcrRequest("claims.id_token.acr.essential must be true or false")
    named = _claim_values(acr)
    if not named:
        essential = False
        named = (acr_values or "").split()
    levels = {level for level in map(_level, named) if level is not None}
    return AcrRequest(values=tuple(sorted(levels)), essential=essential, named=bool(named))


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
        raise UnmetAuthenticationRequirements(
            f"level {minimum} cannot be reached with the enabled methods"
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
        return str(met[-1])
    if request.essential and request.named:
        raise UnmetAuthenticationRequirements("the essential acr values are not met")
    return str(level)


def build_amr(completions: Iterable[Completion]) -> list[str]:
    """Return the amr values of the completions, plus `mfa` for two or more factors.

    RFC 8176 section 2.
    """
    ordered = sorted(completions, key=lambda c: METHODS.index(c.method))
    amr = list(dict.fromkeys(value for c in ordered for value in c.amr_values))
    factors = {factor for c in ordered for factor in METHOD_INFO[c.method].factors}
    if len(factors) >= 2 and "mfa" not in amr:
        amr.append("mfa")
    return amr


def latest_auth_time(completions: Iterable[Completion]) -> int:
    """Return the time of the most recent authentication event (OIDC Core 2, auth_time)."""
    times = [c.at for c in completions]
    if not times:
        raise ValueError("no completed authentication to take auth_time from")
    return int(max(times))
