"""Step-up planning: which methods a user can still complete, or enrol, to reach a minimum."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from idp.domain.settings import (
    FALLBACKS,
    IDENTIFYING,
    METHODS,
    STEP_UP_METHODS,
    LevelSettings,
    check_method,
)


@dataclass(frozen=True)
class StepUpPlan:
    """Describe where a session stands against a minimum and what can still raise it."""

    level: int
    minimum: int
    missing: int
    options: tuple[str, ...]
    enrol_options: tuple[str, ...]
    satisfied: bool
    reachable: bool
    login_first: bool = False
    #: The user would reach the minimum only by spending a fallback (a recovery code):
    #: setting up a method (`enrol_options`, each reaching it without one) comes first,
    #: and the fallback (`options`) second.
    enrol_first: bool = False
    #: The `enrol_options` that, once set up, reach the minimum on their own and name the
    #: user (a passkey): the next login at this level needs nothing else, no password.
    enough_alone: tuple[str, ...] = ()


def _names(methods: Iterable[str]) -> frozenset[str]:
    return frozenset(check_method(m) for m in methods)


def _by_strength(settings: LevelSettings, methods: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(methods, key=lambda m: (-settings.points_of(m), METHODS.index(m))))


def plan_step_up(
    settings: LevelSettings,
    completed: Iterable[str],
    minimum: int,
    enrolled: Iterable[str],
    enrollable: Iterable[str],
) -> StepUpPlan:
    """Plan a step-up to `minimum`: offer only enabled methods that can still help.

    Only methods with a page of their own are offered (STEP_UP_METHODS): the remembered
    device is brought by the browser, and the password is asked on the login form, so a
    user who named themselves with a passkey and still needs their password is sent to
    the login form first (`login_first`): the identifying step, then the step-up.
    Enrol options are the methods of which enrolling one more reaches the minimum
    together with every enrolled option. They are offered only to a user who cannot
    reach the minimum with what they have, and only once they have completed all of
    it: nobody is locked out, and a stolen password alone never enrols a method for a
    user who has more.

    Fallbacks (recovery codes, FALLBACKS) are for when the everyday methods are lost. A
    user who has completed every everyday method they have, with at least two proofs,
    and would reach the minimum only by spending a fallback, is offered first to set up a
    method that reaches it without one (`enrol_first`); the fallback stays the second
    choice. With a single proof (a password) the fallback is still asked first, so a
    stolen password never enrols a method for a user who has recovery codes.

    Of the enrol options, those that identify the user and reach the minimum alone
    (`enough_alone`, a passkey at its default points) are worth saying so: with one, the
    next login needs no password.
    """
    done = _names(completed)
    level = settings.level_of(done)
    if level >= minimum:
        return StepUpPlan(level, minimum, 0, (), (), satisfied=True, reachable=True)
    usable = settings.enabled_methods() - done - {"device"}
    candidates = usable & _names(enrolled)
    steps = candidates & STEP_UP_METHODS
    enough_enrolled = settings.level_of(done | candidates) >= minimum
    enrol_options = [
        method
        for method in usable & STEP_UP_METHODS & _names(enrollable) - candidates
        if settings.level_of(done | candidates | {method}) >= minimum
    ]
    reachable = enough_enrolled or bool(enrol_options)
    login_first = (
        reachable and bool(candidates - steps) and settings.level_of(done | steps) < minimum
    )
    may_enrol = not enough_enrolled and not candidates
    fallbacks = candidates & FALLBACKS
    instead = [method for method in enrol_options
               if settings.level_of(done | {method}) >= minimum]
    enrol_first = (bool(fallbacks) and not candidates - fallbacks and bool(instead)
                   and len(done - {"device"}) >= 2 and not login_first)
    if enrol_first:
        enrol_options = instead
    offered = _by_strength(settings, enrol_options) if may_enrol or enrol_first else ()
    return StepUpPlan(
        level=level,
        minimum=minimum,
        missing=minimum - level,
        options=_by_strength(settings, steps) if reachable and not login_first else (),
        enrol_options=offered,
        satisfied=False,
        reachable=reachable,
        login_first=login_first,
        enrol_first=enrol_first,
        enough_alone=tuple(m for m in offered
                           if m in IDENTIFYING and settings.points_of(m) >= minimum),
    )
