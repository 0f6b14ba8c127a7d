"""The outcome of a login: the level reached and the acr, amr and auth_time to assert."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from idp.domain.acr import AcrRequest, build_amr, latest_auth_time, resolve_acr
from idp.domain.errors import UnmetAuthenticationRequirements
from idp.domain.ledger import Completion, counted_completions, session_level
from idp.domain.settings import LevelSettings


@dataclass(frozen=True)
class LoginOutcome:
    """Hold what a finished login asserts in its tokens."""

    level: int
    acr: str
    amr: tuple[str, ...]
    auth_time: int
    methods: tuple[str, ...]


def conclude_login(
    settings: LevelSettings,
    completions: Iterable[Completion],
    *,
    minimum: int,
    request: AcrRequest,
    now: float,
    max_age: int | None = None,
    fresh_since: float | None = None,
) -> LoginOutcome:
    """Conclude a login from the methods that still count, or refuse it.

    An unmet minimum never yields a token (OpenID Connect Unmet Authentication
    Requirements 1.0); acr follows OIDC Core 5.5.1.1, amr RFC 8176, auth_time OIDC Core 2.
    """
    counted = counted_completions(completions, now=now, max_age=max_age,
                                  fresh_since=fresh_since, counts_for=settings.counts_for)
    level = session_level(settings, counted)
    if not counted or level < minimum:
        raise UnmetAuthenticationRequirements(
            f"the session is at level {level}, {minimum} is required"
        )
    return LoginOutcome(
        level=level,
        acr=resolve_acr(level, request),
        amr=tuple(build_amr(counted)),
        auth_time=latest_auth_time(counted),
        methods=tuple(c.method for c in counted),
    )
