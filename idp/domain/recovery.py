"""Account recovery: the level a password reset must reach, and the plan to reach it.

A reset is never weaker than a login: the person proves themselves with methods other than
the password (it is what they forgot, and it counts 0 during a reset) and other than the
remembered device (the browser brings it, not the person), up to the directory's reset
level. The reset level is stored with the level settings; unset, it is the required level,
and it is never below it (a required level raised later raises it too).
"""

from __future__ import annotations

from collections.abc import Iterable

from idp.domain.errors import InvalidSettings
from idp.domain.settings import MAX_LEVEL, LevelSettings, _is_int
from idp.domain.stepup import StepUpPlan, plan_step_up

#: What never counts towards a reset: the password the person forgot, and the remembered
#: device, which is no proof by the person.
NOT_COUNTED_IN_RESET = frozenset({"password", "device"})


def reset_settings(settings: LevelSettings) -> LevelSettings:
    """Return the settings a reset is planned with: the password and device count 0."""
    return settings.with_changes(points=dict.fromkeys(NOT_COUNTED_IN_RESET, 0))


def reset_level(settings: LevelSettings, stored: int | None) -> int:
    """Return the level a reset must reach: the stored one, never below the required level."""
    return max(settings.required_level, stored or settings.required_level)


def check_reset_level(settings: LevelSettings, value: int | None) -> int | None:
    """Return a reset level to store (None: follow the required level), or raise.

    Like the required level it is a whole number from 1 to MAX_LEVEL; it may not be below
    the required level (a reset is never weaker than a login), nor above what the methods
    other than the password and the remembered device reach together.
    """
    if value is None:
        return None
    if not _is_int(value) or not 1 <= value <= MAX_LEVEL:
        raise InvalidSettings(f"reset level must be a whole number between 1 and {MAX_LEVEL}, "
                              f"not {value!r}")
    if value < settings.required_level:
        raise InvalidSettings(f"reset level {value} is below the required level "
                              f"{settings.required_level}")
    reachable = reset_settings(settings).level_of(settings.enabled_methods())
    if value > reachable:
        raise InvalidSettings(f"no combination of methods other than the password reaches "
                              f"reset level {value} (at most {reachable})")
    return value


def plan_reset(settings: LevelSettings, stored: int | None, proven: Iterable[str],
               enrolled: Iterable[str]) -> StepUpPlan:
    """Plan the step-up of a reset: what the person proved, what else they can still prove.

    Nothing is enrolled during a reset (someone who has only a code sent to one address
    must not add methods to an account), so a person whose methods cannot reach the level
    is told to ask their admin (`reachable` is False).
    """
    return plan_step_up(reset_settings(settings), proven, reset_level(settings, stored),
                        set(enrolled) - NOT_COUNTED_IN_RESET, ())
