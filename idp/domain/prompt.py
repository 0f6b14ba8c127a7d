"""The login prompt policy as data: named checks that each say why a page must be shown.

Modelled on node-oidc-provider's prompt checks; with prompt=none the first failing
check's `error` is the answer (OIDC Core 3.1.2.6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from idp.domain.ledger import Completion, counted_completions


@dataclass(frozen=True)
class PromptContext:
    """Hold what the prompt policy needs to know about a session and an authorization request."""

    has_user: bool
    prompts: frozenset[str]
    level: int
    minimum: int
    max_age: int | None
    now: float
    completions: tuple[Completion, ...]
    interaction_started: float | None
    hint_sub_matches: bool | None
    consent_needed: bool


@dataclass(frozen=True)
class PromptCheck:
    """Name a failing check, say why, and give the error prompt=none answers with."""

    name: str
    reason: str
    error: str


def no_session(ctx: PromptContext) -> PromptCheck | None:
    """Ask for a login when nobody is signed in."""
    if ctx.has_user:
        return None
    return PromptCheck("no_session", "nobody is signed in", "login_required")


def prompt_login(ctx: PromptContext) -> PromptCheck | None:
    """Ask for a fresh login on prompt=login until this interaction has started (3.1.2.1)."""
    if "login" not in ctx.prompts or ctx.interaction_started is not None:
        return None
    return PromptCheck("prompt_login", "the client asked for a fresh login", "login_required")


def max_age(ctx: PromptContext) -> PromptCheck | None:
    """Ask for a login when the method that identified the user is older than max_age.

    OIDC Core 3.1.2.1. Within max_age means completed within it or since this interaction
    started; fresh codes or a remembered device do not make up for an old password,
    because nothing counts without an identifying method (see ``counted_completions``).
    """
    if ctx.max_age is None:
        return None
    if counted_completions(
        ctx.completions, now=ctx.now, max_age=ctx.max_age, fresh_since=ctx.interaction_started
    ):
        return None
    return PromptCheck("max_age", "the last login is older than max_age", "login_required")


def id_token_hint_mismatch(ctx: PromptContext) -> PromptCheck | None:
    """Ask for a login when id_token_hint names another user than the signed-in one (3.1.2.1)."""
    if ctx.hint_sub_matches is not False:
        return None
    return PromptCheck(
        "id_token_hint_mismatch", "id_token_hint names another user", "login_required"
    )


def level_not_met(ctx: PromptContext) -> PromptCheck | None:
    """Ask for a step-up when the session level is below the minimum."""
    if ctx.level >= ctx.minimum:
        return None
    return PromptCheck(
        "level_not_met",
        f"the session is at level {ctx.level}, {ctx.minimum} is required",
        "interaction_required",
    )


def consent(ctx: PromptContext) -> PromptCheck | None:
    """Ask for consent when it is missing or the client asked for it with prompt=consent."""
    if not ctx.consent_needed and "consent" not in ctx.prompts:
        return None
    return PromptCheck("consent", "the user must consent to this client", "consent_required")


CHECKS: tuple[Callable[[PromptContext], PromptCheck | None], ...] = (
    no_session,
    prompt_login,
    max_age,
    id_token_hint_mismatch,
    level_not_met,
    consent,
)


def pending_checks(ctx: PromptContext) -> tuple[PromptCheck, ...]:
    """Return every failing check, in the order of CHECKS."""
    return tuple(check for check in (run(ctx) for run in CHECKS) if check is not None)
