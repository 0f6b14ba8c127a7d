"""The points ledger: which completed methods count towards a session's level.

A level rests on the method that identified the user (the password, or a passkey used to
log in): codes, approvals and the remembered device add points to the user it named and
never count without it. So when that method is older than `max_age`, or came before a
`prompt=login` interaction started, nothing counts and the login form is shown again,
however many codes are fresh (OIDC Core 3.1.2.1: max_age and prompt=login ask the OP to
actively re-authenticate the End-User).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from idp.domain.settings import IDENTIFYING, METHOD_INFO, METHODS, LevelSettings, check_method

CLOCK_SKEW = 5.0  # seconds a completion may lie in the future before it is distrusted


@dataclass(frozen=True)
class Completion:
    """Record that `method` was completed at epoch second `at`, with optional amr override."""

    method: str
    at: float
    amr: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_method(self.method)
        object.__setattr__(self, "amr", tuple(self.amr))

    @property
    def amr_values(self) -> tuple[str, ...]:
        """Return the RFC 8176 amr values of this completion (the method's own by default)."""
        return self.amr or METHOD_INFO[self.method].amr


def _is_counted(
    completion: Completion, now: float, max_age: int | None, fresh_since: float | None,
    counts_for: Mapping[str, int | None],
) -> bool:
    if completion.at > now + CLOCK_SKEW:
        return False
    lasts = counts_for.get(completion.method)
    if lasts is not None and now - completion.at > lasts:
        return False  # aged: it no longer counts, whatever else asks
    fresh = fresh_since is not None and completion.at >= fresh_since
    if max_age is not None:
        return now - completion.at <= max_age or fresh
    return fresh_since is None or fresh


def counted_completions(
    completions: Iterable[Completion],
    *,
    now: float,
    max_age: int | None = None,
    fresh_since: float | None = None,
    counts_for: Mapping[str, int | None] | None = None,
) -> tuple[Completion, ...]:
    """Keep the latest completion per method that still counts, in METHODS order.

    A completion older than its method's `counts_for` (the directory's
    ``LevelSettings.counts_for``) never counts. With `max_age` only methods completed
    within it, or since `fresh_since`, count (OIDC Core 3.1.2.1); `fresh_since` alone
    (prompt=login) keeps only those since then. Nothing counts unless an identifying
    method (IDENTIFYING) is among what counts: an aged password asks for the login form.
    """
    latest: dict[str, Completion] = {}
    for completion in completions:
        if not _is_counted(completion, now, max_age, fresh_since, counts_for or {}):
            continue
        kept = latest.get(completion.method)
        if kept is None or completion.at > kept.at:
            latest[completion.method] = completion
    if not IDENTIFYING & latest.keys():
        return ()
    return tuple(latest[m] for m in METHODS if m in latest)


def session_level(settings: LevelSettings, completions: Iterable[Completion]) -> int:
    """Sum the points of the distinct completed methods; the device never counts alone."""
    return settings.level_of(c.method for c in completions)
